"""Wire framing against the byte vectors of spec section 2.5."""

from __future__ import annotations

import uuid

import pytest

from serde import wire
from serde.errors import FramingError, SerializationError


@pytest.mark.parametrize(
    "path,hexbytes",
    [([0], "00"), ([1], "0202"), ([1, 0], "040200"), ([2, 3, 1], "06040602")],
)
def test_message_index_vectors(path, hexbytes):
    assert wire.encode_indexes(path).hex() == hexbytes
    decoded, end = wire.decode_indexes(bytes.fromhex(hexbytes), 0)
    assert decoded == path and end == len(hexbytes) // 2


def test_empty_index_list_is_single_zero_and_count_zero_reads_as_first_message():
    assert wire.encode_indexes([]) == b"\x00"
    assert wire.decode_indexes(b"\x00", 0) == ([0], 1)


def test_large_and_negative_indexes_use_multibyte_zigzag():
    assert wire.zigzag_varint(64) == b"\x80\x01"
    assert wire.zigzag_varint(-1) == b"\x01"
    assert wire.decode_indexes(wire.encode_indexes([64, 300]), 0)[0] == [64, 300]


def test_tv1_avro_prefix():
    data = bytes.fromhex("0000000001540641646100")
    ref, start = wire.parse_prefix(data)
    assert ref.id == 1 and ref.guid is None and start == 5
    assert data[start:].hex() == "540641646100"
    assert wire.id_prefix(1) + bytes.fromhex("540641646100") == data


def test_tv3_protobuf_prefixes():
    assert wire.id_prefix(2, [0]).hex() == "000000000200"
    assert wire.id_prefix(2, [1]).hex() == "00000000020202"
    assert wire.id_prefix(2, [1, 0]).hex() == "0000000002040200"
    data = bytes.fromhex("0000000002" "040200" "0a024131")
    ref, start = wire.parse_prefix(data, protobuf=True)
    assert ref == wire.SchemaRef(id=2, indexes=(1, 0))
    assert data[start:].hex() == "0a024131"


def test_tv4_header_framing_avro():
    guid = "51572e98-0cf5-487d-9849-3239703f304d"
    value = wire.guid_header_value(guid)
    assert value.hex() == "01" "51572e980cf5487d98493239703f304d"
    headers: list = []
    wire.add_header(headers, wire.header_name("value"), value)
    assert headers == [("__value_schema_id", value)]
    ref, start = wire.parse_dual(bytes.fromhex("540641646100"), headers, "value")
    assert ref.guid == guid and start == 0


def test_tv4_header_framing_protobuf_key():
    guid = uuid.UUID("42c10d22-525a-4a00-89c0-ff3b342a1c41")
    value = wire.guid_header_value(guid, [1, 0])
    assert value.hex() == "01" "42c10d22525a4a0089c0ff3b342a1c41" "040200"
    headers = {"__key_schema_id": value}
    ref, start = wire.parse_dual(bytes.fromhex("0a024131"), headers, "key", protobuf=True)
    assert ref == wire.SchemaRef(guid=str(guid), indexes=(1, 0)) and start == 0


def test_dual_falls_back_to_prefix_when_header_absent():
    data = bytes.fromhex("0000000007540641646100")
    ref, start = wire.parse_dual(data, [("other", b"x")], "value")
    assert ref.id == 7 and start == 5
    # a key header does not apply to the value
    ref, _ = wire.parse_dual(data, {"__key_schema_id": b"\x01" + bytes(16)}, "value")
    assert ref.id == 7


def test_inline_magic_one_prefix_is_accepted():
    g = uuid.uuid4()
    ref, start = wire.parse_prefix(b"\x01" + g.bytes + b"\x02\x02" + b"pl", protobuf=True)
    assert ref.guid == str(g) and ref.indexes == (1,) and start == 19


@pytest.mark.parametrize("data", [b"", b"\x00\x00\x00\x01", None])
def test_short_payload_is_framing_error(data):
    with pytest.raises(FramingError, match="5 bytes or more"):
        wire.parse_prefix(data)


def test_bad_magic_byte():
    with pytest.raises(FramingError, match="Invalid magic byte 2") as info:
        wire.parse_prefix(b"\x02\x00\x00\x00\x01\x00")
    assert isinstance(info.value, SerializationError) and info.value.offset == 0


def test_truncated_and_oversized_indexes():
    with pytest.raises(FramingError, match="Truncated"):
        wire.parse_prefix(b"\x00\x00\x00\x00\x01\x04\x02", protobuf=True)
    with pytest.raises(FramingError, match="Invalid message index count"):
        wire.decode_indexes(wire.zigzag_varint(100_001), 0)
    with pytest.raises(FramingError, match="Invalid message index count"):
        wire.decode_indexes(wire.zigzag_varint(-1), 0)


def test_missing_headers_in_header_mode():
    with pytest.raises(FramingError, match="Missing headers"):
        wire.add_header(None, "__value_schema_id", b"\x01")
    with pytest.raises(FramingError, match="Invalid headers type"):
        wire.add_header((), "__value_schema_id", b"\x01")


def test_schema_id_out_of_range():
    with pytest.raises(FramingError):
        wire.id_prefix(2**32)

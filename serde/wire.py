"""Confluent wire framing: the schema id in a payload prefix or in a record header.

Prefix framing: ``0x00 | uint32 BE schema id | [protobuf indexes] | payload``.
Header framing: header ``__key_schema_id``/``__value_schema_id`` holding
``0x01 | 16-byte GUID | [protobuf indexes]`` and a bare payload.
Protobuf message indexes are zigzag varints: a count then each index, with the
common ``[0]`` shortened to one 0 byte.

Everything here is pure and allocation-light because it runs once per record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from serde.errors import FramingError

MAGIC_BYTE = 0
MAGIC_BYTE_GUID = 1
KEY_SCHEMA_ID_HEADER = "__key_schema_id"
VALUE_SCHEMA_ID_HEADER = "__value_schema_id"
MAX_INDEXES = 100_000
_PREFIX_LEN = 5
_GUID_LEN = 17


def zigzag_varint(n: int) -> bytes:
    """One signed int as a zigzag varint, as Kafka's ByteUtils.writeVarint writes it."""
    z = (n << 1) ^ (n >> 63)
    z &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def read_zigzag_varint(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    """Decode one zigzag varint at `offset`; returns (value, next offset)."""
    result = 0
    shift = 0
    pos = offset
    end = len(data)
    while True:
        if pos >= end:
            raise FramingError("Truncated varint in message indexes", offset=pos)
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
        if shift > 63:
            raise FramingError("Varint in message indexes is too long", offset=offset)
    return (result >> 1) ^ -(result & 1), pos


def encode_indexes(indexes: Sequence[int]) -> bytes:
    """The Protobuf message-index list; `[0]` (or empty) is the single byte 0."""
    if not indexes or (len(indexes) == 1 and indexes[0] == 0):
        return b"\x00"
    return zigzag_varint(len(indexes)) + b"".join(zigzag_varint(i) for i in indexes)


def decode_indexes(data: bytes | memoryview, offset: int) -> tuple[list[int], int]:
    """Read a message-index list at `offset`; a count of 0 means `[0]`."""
    count, pos = read_zigzag_varint(data, offset)
    if count < 0 or count > MAX_INDEXES:
        raise FramingError(f"Invalid message index count {count}", offset=offset)
    if count == 0:
        return [0], pos
    indexes = []
    for _ in range(count):
        idx, pos = read_zigzag_varint(data, pos)
        indexes.append(idx)
    return indexes, pos


def id_prefix(schema_id: int, indexes: Sequence[int] | None = None) -> bytes:
    """The bytes before the payload in prefix framing; computed once per schema."""
    if not 0 <= schema_id <= 0xFFFFFFFF:
        raise FramingError(f"Schema id {schema_id} does not fit in 4 bytes")
    head = b"\x00" + schema_id.to_bytes(4, "big")
    return head if indexes is None else head + encode_indexes(indexes)


def guid_header_value(guid: str | uuid.UUID, indexes: Sequence[int] | None = None) -> bytes:
    """The value of the schema-id header in header framing."""
    g = guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))
    head = b"\x01" + g.bytes
    return head if indexes is None else head + encode_indexes(indexes)


def header_name(field: Any) -> str:
    """`__key_schema_id` for the key, `__value_schema_id` otherwise."""
    return KEY_SCHEMA_ID_HEADER if str(getattr(field, "value", field)) == "key" else VALUE_SCHEMA_ID_HEADER


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """Which schema a record was written with: an integer id or a GUID, plus Protobuf indexes."""

    id: int | None = None
    guid: str | None = None
    indexes: tuple[int, ...] | None = None


def parse_prefix(data: bytes, protobuf: bool = False) -> tuple[SchemaRef, int]:
    """Read the framing at the start of `data`; returns the ref and the payload offset.

    Accepts magic 0 (integer id) and, like confluent-kafka, magic 1 (inline GUID).
    """
    if data is None or len(data) < _PREFIX_LEN:
        raise FramingError(
            f"Expecting data framing of length 5 bytes or more but total data size is "
            f"{0 if data is None else len(data)} bytes",
            offset=0,
        )
    magic = data[0]
    if magic == MAGIC_BYTE:
        sid = int.from_bytes(data[1:5], "big")
        pos = _PREFIX_LEN
        if protobuf:
            idx, pos = decode_indexes(data, pos)
            return SchemaRef(id=sid, indexes=tuple(idx)), pos
        return SchemaRef(id=sid), pos
    if magic == MAGIC_BYTE_GUID:
        return _parse_guid(data, protobuf)
    raise FramingError(f"Invalid magic byte {magic}", offset=0)


def _parse_guid(data: bytes, protobuf: bool) -> tuple[SchemaRef, int]:
    if len(data) < _GUID_LEN:
        raise FramingError(f"Truncated schema GUID: {len(data)} bytes", offset=len(data))
    guid = str(uuid.UUID(bytes=bytes(data[1:_GUID_LEN])))
    if protobuf:
        idx, pos = decode_indexes(data, _GUID_LEN)
        return SchemaRef(guid=guid, indexes=tuple(idx)), pos
    return SchemaRef(guid=guid), _GUID_LEN


def parse_header_value(value: bytes, protobuf: bool = False) -> SchemaRef:
    """Read a schema-id header value (magic 1 + GUID, or magic 0 + id) with its indexes."""
    if not value:
        raise FramingError("Empty schema id header", offset=0)
    ref, pos = parse_prefix(bytes(value), protobuf)
    if pos != len(value):
        raise FramingError("Trailing bytes in schema id header", offset=pos)
    return ref


def find_header(headers: Any, name: str) -> bytes | None:
    """The value of header `name` in a list of (key, value) pairs or a dict, else None."""
    if headers is None:
        return None
    if isinstance(headers, dict):
        return headers.get(name)
    for item in headers:
        if item[0] == name:
            return item[1]
    return None


def add_header(headers: Any, name: str, value: bytes) -> None:
    """Append a header the way confluent-kafka does: list append or dict set."""
    if headers is None:
        raise FramingError("Missing headers")
    if isinstance(headers, list):
        headers.append((name, value))
    elif isinstance(headers, dict):
        headers[name] = value
    else:
        raise FramingError(f"Invalid headers type {type(headers).__name__}")


def parse_dual(
    data: bytes, headers: Any, field: Any, protobuf: bool = False
) -> tuple[SchemaRef, int]:
    """Header first, then the prefix: confluent-kafka's default "dual" deserializer."""
    if headers is not None:
        value = find_header(headers, header_name(field))
        if value is not None:
            return parse_header_value(value, protobuf), 0
    return parse_prefix(data, protobuf)

"""Protobuf serde: spec vectors TV3/TV4, imports as reference subjects, generic decoding."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

from serde import ProtobufDeserializer, ProtobufSerializer, SerializationContext
from serde.errors import ConfigurationError, RecordValidationError, SerializationError
from serde.memory import InMemorySchemaRegistry
from serde.protobuf import message_index

CTX = SerializationContext("orders-pb", "value")


def build_shop():
    """shop/common.proto and shop/order.proto of spec TV3, in a private pool (no protoc)."""
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
    common = descriptor_pb2.FileDescriptorProto(name="shop/common.proto", package="shop", syntax="proto3")
    money = common.message_type.add(name="Money")
    money.field.add(name="units", number=1, type=3, label=1)
    money.field.add(name="currency", number=2, type=9, label=1)
    order = descriptor_pb2.FileDescriptorProto(
        name="shop/order.proto", package="shop", syntax="proto3",
        dependency=["shop/common.proto", "google/protobuf/timestamp.proto"])
    header = order.message_type.add(name="Header")
    header.field.add(name="trace", number=1, type=9, label=1)
    o = order.message_type.add(name="Order")
    o.field.add(name="id", number=1, type=3, label=1)
    o.field.add(name="total", number=2, type=11, label=1, type_name=".shop.Money")
    o.field.add(name="at", number=3, type=11, label=1, type_name=".google.protobuf.Timestamp")
    o.nested_type.add(name="Line").field.add(name="sku", number=1, type=9, label=1)
    pool.Add(common)
    pool.Add(order)
    get = lambda n: message_factory.GetMessageClass(pool.FindMessageTypeByName(n))  # noqa: E731
    return get("shop.Header"), get("shop.Order"), get("shop.Order.Line"), get("shop.Money")


Header, Order, Line, Money = build_shop()


def test_message_index_paths():
    assert message_index(Header.DESCRIPTOR) == [0]
    assert message_index(Order.DESCRIPTOR) == [1]
    assert message_index(Line.DESCRIPTOR) == [1, 0]


@pytest.mark.parametrize("cls,msg,hexbytes", [
    (Header, Header(trace="t1"), "0000000002" "00" "0a027431"),
    (Order, Order(id=5, total=Money(units=3, currency="EUR")), "0000000002" "0202" "0805" "1207" "0803" "1203455552"),
    (Line, Line(sku="A1"), "0000000002" "040200" "0a024131"),
])
def test_tv3_bytes_imports_registered_first(cls, msg, hexbytes):
    reg = InMemorySchemaRegistry()
    data = ProtobufSerializer(reg, cls)(msg, CTX)
    assert data.hex() == hexbytes
    # the import got its own subject and id 1; the well-known timestamp import was skipped
    assert reg.get_subjects() == ["orders-pb-value", "shop/common.proto"]
    latest = reg.get_latest_version("orders-pb-value")
    assert latest.schema_id == 2 and latest.schema.schema_type == "PROTOBUF"
    assert [(r.name, r.subject, r.version) for r in latest.schema.references] == [
        ("shop/common.proto", "shop/common.proto", 1)]
    assert ProtobufDeserializer(reg, cls)(data, CTX) == msg
    assert ProtobufDeserializer(None, cls)(data, CTX) == msg  # no registry needed with a class


def test_generic_decoding_without_generated_classes():
    reg = InMemorySchemaRegistry()
    data = ProtobufSerializer(reg, Line)(Line(sku="A1"), CTX)
    ProtobufSerializer(reg, Order)(Order(id=1), CTX)
    de = ProtobufDeserializer(reg)
    msg = de(data, CTX)
    assert msg.DESCRIPTOR.full_name == "shop.Order.Line" and msg.sku == "A1"
    assert ProtobufDeserializer(reg, as_dict=True)(data, CTX) == {"sku": "A1"}
    order = de(ProtobufSerializer(reg, Order)(Order(id=5, total=Money(units=3, currency="EUR")), CTX), CTX)
    assert order.total.currency == "EUR"
    d = de.decode(data, CTX)
    assert (d.schema_id, d.subject, d.version, d.message_index) == (2, "orders-pb-value", 1, (1, 0))


def test_tv4_key_header_carries_indexes():
    reg = InMemorySchemaRegistry()
    headers: list = []
    ctx = SerializationContext("orders-pb", "key", headers)
    payload = ProtobufSerializer(reg, Line, framing="header")(Line(sku="A1"), ctx)
    assert payload.hex() == "0a024131"
    guid = reg.get_latest_version("orders-pb-key").guid
    assert headers == [("__key_schema_id", b"\x01" + uuid.UUID(guid).bytes + bytes.fromhex("040200"))]
    assert ProtobufDeserializer(reg)(payload, ctx).sku == "A1"


def test_dict_input_and_type_errors():
    reg = InMemorySchemaRegistry()
    ser = ProtobufSerializer(reg, Order)
    assert ser({"id": 5, "total": {"units": 3, "currency": "EUR"}}, CTX) == ser(
        Order(id=5, total=Money(units=3, currency="EUR")), CTX)
    with pytest.raises(RecordValidationError) as info:
        ser({"id": "x"}, CTX)
    assert info.value.subject == "orders-pb-value"
    with pytest.raises(RecordValidationError):
        ser(Header(trace="t"), CTX)
    with pytest.raises(ConfigurationError):
        ProtobufSerializer(reg, dict)
    with pytest.raises(ConfigurationError):
        ProtobufSerializer(reg, Order, use_deprecated_format=True)


def test_corrupt_payload_and_bad_index():
    reg = InMemorySchemaRegistry()
    ProtobufSerializer(reg, Order)(Order(id=1), CTX)
    with pytest.raises(SerializationError):
        ProtobufDeserializer(reg, Order)(b"\x00\x00\x00\x00\x02\x00\xff\xff", CTX)
    with pytest.raises(SerializationError):
        ProtobufDeserializer(reg)(b"\x00\x00\x00\x00\x02\x02\x10\x0a\x00", CTX)


def test_no_auto_register_looks_imports_up():
    reg = InMemorySchemaRegistry()
    ProtobufSerializer(reg, Header)(Header(trace="t1"), CTX)
    data = ProtobufSerializer(reg, Header, auto_register=False)(Header(trace="t1"), CTX)
    assert data.hex() == "0000000002000a027431"


def test_use_latest_version_asks_only_for_the_latest():
    reg = InMemorySchemaRegistry()
    ProtobufSerializer(reg, Order)(Order(id=1), CTX)
    calls = []

    class Spy:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(reg, name)

    data = ProtobufSerializer(Spy(), Order, auto_register=False, use_latest_version=True)(Order(id=1), CTX)
    assert data.hex() == "0000000002" "0202" "0801"
    assert calls == ["get_latest_version"]

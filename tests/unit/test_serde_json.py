"""JSON Schema serde: spec vector TV2, compiled validation with field paths, references."""

from __future__ import annotations

import json
import uuid

import pytest

from serde import JSONDeserializer, JSONSerializer, SerializationContext
from serde.client import Schema, SchemaReference
from serde.errors import RecordValidationError, SchemaParseError, SerializationError
from serde.memory import InMemorySchemaRegistry

ORDER = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
    "properties": {"id": {"type": "integer"}, "amount": {"type": "number"},
                   "tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["id", "amount"], "additionalProperties": False})
CTX = SerializationContext("orders", "value")
TV2 = "0000000001" "7b226964223a372c22616d6f756e74223a31322e352c2274616773223a5b2261222c22c3a9225d7d"


def test_tv2_compact_bytes_and_round_trip():
    reg = InMemorySchemaRegistry()
    data = JSONSerializer(reg, ORDER)({"id": 7, "amount": 12.5, "tags": ["a", "é"]}, CTX)
    assert data.hex() == TV2
    assert reg.get_latest_version("orders-value").schema.schema_type == "JSON"
    assert JSONDeserializer(reg)(bytes.fromhex(TV2), CTX) == {"id": 7, "amount": 12.5, "tags": ["a", "é"]}


def test_invalid_record_names_the_field():
    reg = InMemorySchemaRegistry()
    ser = JSONSerializer(reg, ORDER)
    with pytest.raises(RecordValidationError) as info:
        ser({"id": "x", "amount": 1}, CTX)
    err = info.value
    assert err.message == '"x" is not of type "integer"'
    assert (err.path, err.subject, err.schema_id) == ("id", "orders-value", 1)
    with pytest.raises(RecordValidationError) as info:
        ser({"id": 1, "amount": 1, "tags": ["a", 2]}, CTX)
    assert info.value.path == "tags.1"
    assert JSONSerializer(reg, ORDER, validate=False)({"id": "x"}, CTX).endswith(b'{"id":"x"}')


def test_deserializer_validates_against_writer_schema():
    reg = InMemorySchemaRegistry()
    JSONSerializer(reg, ORDER)({"id": 1, "amount": 1}, CTX)
    bad = b"\x00\x00\x00\x00\x01" + b'{"id":"x","amount":1}'
    with pytest.raises(RecordValidationError) as info:
        JSONDeserializer(reg)(bad, CTX)
    assert info.value.schema_id == 1 and info.value.path == "id"
    assert JSONDeserializer(reg, validate=False)(bad, CTX) == {"id": "x", "amount": 1}
    with pytest.raises(SerializationError):
        JSONDeserializer(reg)(b"\x00\x00\x00\x00\x01{nope", CTX)


def test_bad_schema_fails_at_construction():
    with pytest.raises(SchemaParseError):
        JSONSerializer(InMemorySchemaRegistry(), '{"type": "bogus"}')
    with pytest.raises(SchemaParseError):
        JSONSerializer(InMemorySchemaRegistry(), "{not json")


def test_references_by_name():
    reg = InMemorySchemaRegistry()
    address = json.dumps({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    reg.register_schema("address", Schema(address, "JSON"))
    person = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                         "properties": {"home": {"$ref": "address.json"}}})
    schema = Schema(person, "JSON", [SchemaReference("address.json", "address", 1)])
    ser = JSONSerializer(reg, schema)
    assert ser({"home": {"city": "Oslo"}}, CTX) == b"\x00\x00\x00\x00\x02" + b'{"home":{"city":"Oslo"}}'
    with pytest.raises(RecordValidationError) as info:
        ser({"home": {}}, CTX)
    assert info.value.path == "home"
    assert JSONDeserializer(reg)(b"\x00\x00\x00\x00\x02" + b'{"home":{"city":"Oslo"}}', CTX) == {
        "home": {"city": "Oslo"}}


def test_header_framing_and_envelope():
    reg = InMemorySchemaRegistry()
    headers: dict = {}
    ctx = SerializationContext("orders", "key", headers)
    payload = JSONSerializer(reg, ORDER, framing="header")({"id": 1, "amount": 2}, ctx)
    assert payload == b'{"id":1,"amount":2}'
    guid = reg.get_latest_version("orders-key").guid
    assert headers == {"__key_schema_id": b"\x01" + uuid.UUID(guid).bytes}
    d = JSONDeserializer(reg, envelope=True)(payload, ctx)
    assert (d.value, d.guid, d.subject, d.version) == ({"id": 1, "amount": 2}, guid, "orders-key", 1)


def test_record_strategy_uses_title():
    reg = InMemorySchemaRegistry()
    JSONSerializer(reg, ORDER, subject_name_strategy="record")({"id": 1, "amount": 2}, None)
    assert reg.get_subjects() == ["Order"]


def test_schema_given_as_a_document_or_untyped_schema():
    reg = InMemorySchemaRegistry()
    doc = json.loads(ORDER)
    assert JSONSerializer(reg, doc)({"id": 1, "amount": 2}, CTX)[:5].hex() == "0000000001"
    # an untyped Schema defaults to AVRO in confluent-kafka's model; here it is JSON, the same schema
    assert JSONSerializer(reg, Schema(ORDER))({"id": 1, "amount": 2}, CTX)[:5].hex() == "0000000001"
    assert reg.get_schema(1).schema_type == "JSON" and reg.get_versions("orders-value") == [1]

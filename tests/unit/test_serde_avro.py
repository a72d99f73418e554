"""Avro serde on the in-memory registry: spec vectors TV1/TV4, options, errors, caching."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from confluent_kafka.serialization import MessageField as CkMessageField
from confluent_kafka.serialization import SerializationContext as CkContext

from serde import AvroDeserializer, AvroSerializer, MessageField, SerializationContext, SerializationError
from serde.client import Schema, SchemaReference
from serde.errors import ConfigurationError, FramingError, RecordValidationError, SchemaNotFound, SubjectNotFound
from serde.memory import AsyncInMemorySchemaRegistry, InMemorySchemaRegistry

USER = json.dumps({"type": "record", "name": "User", "namespace": "com.example", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
    {"name": "email", "type": ["null", "string"], "default": None}]})
ADA = {"id": 42, "name": "Ada", "email": None}
BOB = {"id": 1, "name": "Bob", "email": "b@x.io"}
CTX = SerializationContext("users", MessageField.VALUE)


class Counting:
    """Wraps a registry and counts calls, to prove the per-record path asks nothing."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        fn = getattr(self.inner, name)

        def wrapped(*a, **k):
            self.calls.append(name)
            return fn(*a, **k)

        return wrapped


def test_tv1_bytes_and_round_trip():
    reg = InMemorySchemaRegistry()
    ser, de = AvroSerializer(reg, USER), AvroDeserializer(reg)
    assert ser(ADA, CTX).hex() == "0000000001540641646100"
    assert ser(BOB, CTX).hex() == "00000000010206426f62020c6240782e696f"
    assert de(bytes.fromhex("0000000001540641646100"), CTX) == ADA
    assert reg.get_subjects() == ["users-value"]


def test_per_record_path_makes_no_registry_calls():
    reg = Counting(InMemorySchemaRegistry())
    ser, de = AvroSerializer(reg, USER), AvroDeserializer(reg)
    data = ser(ADA, CTX)
    de(data, CTX)
    before = list(reg.calls)
    for _ in range(50):
        assert de(ser(BOB, CTX), CTX) == BOB
    assert reg.calls == before == ["register_schema_full_response", "get_schema"]


def test_confluent_context_and_tombstones():
    reg = InMemorySchemaRegistry()
    ser = AvroSerializer(reg, USER)
    assert ser(ADA, CkContext("users", CkMessageField.KEY)).hex() == "0000000001540641646100"
    assert reg.get_subjects() == ["users-key"]
    assert ser(None, CTX) is None and AvroDeserializer(reg)(None, CTX) is None


def test_tv4_header_framing_with_guid():
    reg = InMemorySchemaRegistry()
    ser = AvroSerializer(reg, USER, framing="header")
    headers: list = []
    payload = ser(ADA, SerializationContext("users", MessageField.VALUE, headers))
    assert payload.hex() == "540641646100"
    guid = reg.get_latest_version("users-value").guid
    assert headers == [("__value_schema_id", b"\x01" + uuid.UUID(guid).bytes)]
    de = AvroDeserializer(reg)
    assert de(payload, SerializationContext("users", MessageField.VALUE, headers)) == ADA
    assert de.decode(payload, SerializationContext("users", "value", headers)).guid == guid
    with pytest.raises(FramingError):
        AvroDeserializer(reg, framing="prefix")(payload, SerializationContext("users", "value", headers))
    with pytest.raises(FramingError, match="Missing headers"):
        ser(ADA, CTX)


def test_record_errors_carry_subject_id_and_path():
    reg = InMemorySchemaRegistry()
    ser = AvroSerializer(reg, USER)
    with pytest.raises(RecordValidationError) as info:
        ser({"id": "x", "name": "Ada"}, CTX)
    assert (info.value.subject, info.value.schema_id, info.value.path) == ("users-value", 1, "id")
    with pytest.raises(RecordValidationError) as info:
        ser({"id": 1}, CTX)
    assert info.value.path == "name"
    nested = json.dumps({"type": "record", "name": "O", "fields": [
        {"name": "n", "type": {"type": "record", "name": "N", "fields": [{"name": "b", "type": "string"}]}}]})
    with pytest.raises(RecordValidationError) as info:
        AvroSerializer(reg, nested)({"n": {"b": 3}}, SerializationContext("o", "value"))
    assert info.value.path == "n.b" and isinstance(info.value, SerializationError)


def test_strict_validation_rejects_extra_fields():
    reg = InMemorySchemaRegistry()
    assert AvroSerializer(reg, USER)({**ADA, "extra": 1}, CTX).hex() == "0000000001540641646100"
    with pytest.raises(RecordValidationError):
        AvroSerializer(reg, USER, validate_strict=True)({**ADA, "extra": 1}, CTX)


def test_bad_schema_and_bad_options():
    reg = InMemorySchemaRegistry()
    with pytest.raises(SerializationError):
        AvroSerializer(reg, '{"type": "bogus"}')
    with pytest.raises(ConfigurationError):
        AvroSerializer(reg, USER, use_latest_version=True)
    with pytest.raises(ConfigurationError):
        AvroSerializer(reg, USER, framing="inline")
    with pytest.raises(TypeError):
        AvroSerializer(reg, USER, bogus=True)


def test_lookup_only_and_unknown_subject():
    reg = InMemorySchemaRegistry()
    with pytest.raises(SubjectNotFound) as info:
        AvroSerializer(reg, USER, auto_register=False)(ADA, CTX)
    assert info.value.subject == "users-value"
    reg.register_schema("users-value", Schema(USER))
    assert AvroSerializer(reg, USER, auto_register=False)(ADA, CTX)[:5] == b"\x00\x00\x00\x00\x01"
    with pytest.raises(SchemaNotFound) as info:
        AvroDeserializer(reg)(b"\x00\x00\x00\x00\x09\x00", CTX)
    assert info.value.schema_id == 9


def test_use_latest_version_and_use_schema_id():
    reg = InMemorySchemaRegistry()
    reg.register_schema("users-value", Schema(USER))
    v2 = json.dumps({**json.loads(USER), "fields": json.loads(USER)["fields"] + [
        {"name": "age", "type": "int", "default": 0}]})
    reg.register_schema("users-value", Schema(v2))
    latest = AvroSerializer(reg, None, auto_register=False, use_latest_version=True)(ADA, CTX)
    assert latest.hex() == "0000000002540641646100" + "00"
    pinned = AvroSerializer(reg, USER, auto_register=False, use_schema_id=1)(ADA, CTX)
    assert pinned.hex() == "0000000001540641646100"
    # reading v1 data with the latest (v2) as reader schema fills the default
    assert AvroDeserializer(reg, use_latest_version=True)(pinned, CTX) == {**ADA, "age": 0}
    assert AvroDeserializer(reg, v2)(pinned, CTX) == {**ADA, "age": 0}


def test_record_strategies():
    reg = InMemorySchemaRegistry()
    AvroSerializer(reg, USER, subject_name_strategy="record")(ADA, None)
    AvroSerializer(reg, USER, subject_name_strategy="topic_record")(ADA, CTX)
    AvroSerializer(reg, USER, subject_name_strategy=lambda ctx, name: f"custom-{name}")(ADA, CTX)
    assert reg.get_subjects() == ["com.example.User", "custom-com.example.User", "users-com.example.User"]
    with pytest.raises(ConfigurationError):
        AvroSerializer(reg, USER)(ADA, None)


def test_references_resolve_named_types():
    reg = InMemorySchemaRegistry()
    address = json.dumps({"type": "record", "name": "Address", "namespace": "com.example",
                          "fields": [{"name": "city", "type": "string"}]})
    reg.register_schema("address", Schema(address))
    person = json.dumps({"type": "record", "name": "Person", "namespace": "com.example",
                         "fields": [{"name": "home", "type": "com.example.Address"}]})
    schema = Schema(person, "AVRO", [SchemaReference("com.example.Address", "address", 1)])
    data = AvroSerializer(reg, schema)({"home": {"city": "Oslo"}}, SerializationContext("people", "value"))
    assert data.hex() == "0000000002" + "084f736c6f"
    assert AvroDeserializer(reg)(data, None) == {"home": {"city": "Oslo"}}


def test_envelope_reports_where_the_schema_lives():
    reg = InMemorySchemaRegistry()
    data = AvroSerializer(reg, USER)(ADA, CTX)
    d = AvroDeserializer(reg, envelope=True)(data, CTX)
    assert (d.value, d.schema_id, d.subject, d.version, d.message_index) == (ADA, 1, "users-value", 1, None)
    assert d.schema.schema_str == USER
    assert d.guid == reg.get_version("users-value", 1).guid


def test_garbage_payload_is_serialization_error():
    reg = InMemorySchemaRegistry()
    AvroSerializer(reg, USER)(ADA, CTX)
    with pytest.raises(SerializationError):
        AvroDeserializer(reg)(b"\x00\x00\x00\x00\x01\xff\xff\xff", CTX)
    with pytest.raises(FramingError):
        AvroDeserializer(reg)(b"\x05\x00\x00\x00\x01\x00", CTX)


def test_async_client():
    reg = AsyncInMemorySchemaRegistry()

    async def main():
        ser, de = AvroSerializer(reg, USER), AvroDeserializer(reg)
        data = await ser.aserialize(ADA, CTX)
        return data, await de.adeserialize(data, CTX), ser(BOB, CTX)

    data, value, warm = asyncio.run(main())
    assert data.hex() == "0000000001540641646100" and value == ADA
    assert warm.hex() == "00000000010206426f62020c6240782e696f"  # resolved once, then sync is fine
    with pytest.raises(ConfigurationError, match="async"):
        AvroSerializer(reg, USER)(ADA, CTX)


def test_use_latest_with_metadata_picks_the_matching_version():
    reg = InMemorySchemaRegistry()
    reg.register_schema("users-value", Schema(USER, "AVRO", metadata={"properties": {"app": "v1"}}))
    other = json.dumps({"type": "record", "name": "User", "namespace": "com.example",
                        "fields": [{"name": "id", "type": "long"}]})
    reg.register_schema("users-value", Schema(other, "AVRO", metadata={"properties": {"app": "v2"}}))
    ser = AvroSerializer(reg, None, auto_register=False, use_latest_with_metadata={"app": "v1"})
    assert ser(ADA, CTX).hex() == "0000000001540641646100"
    assert AvroSerializer(reg, None, auto_register=False, use_latest_version=True)(ADA, CTX).hex() == "000000000254"


def test_to_dict_and_from_dict_hooks():
    reg = InMemorySchemaRegistry()

    class User:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    ser = AvroSerializer(reg, USER, to_dict=lambda obj, ctx: dict(obj.__dict__))
    de = AvroDeserializer(reg, from_dict=lambda d, ctx: User(**d))
    assert de(ser(User(**ADA), CTX), CTX).__dict__ == ADA


def test_latest_ttl_picks_up_a_new_latest_version(monkeypatch):
    import types

    import serde.core

    # A clock the test moves, so a slow or loaded machine cannot let the TTL run out early.
    now = [1000.0]
    monkeypatch.setattr(serde.core, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    reg = InMemorySchemaRegistry()
    reg.register_schema("users-value", Schema(USER))
    ser = AvroSerializer(reg, None, auto_register=False, use_latest_version=True, latest_ttl=5)
    assert ser(ADA, CTX)[:5].hex() == "0000000001"
    v2 = json.dumps({**json.loads(USER), "fields": json.loads(USER)["fields"] + [
        {"name": "age", "type": "int", "default": 0}]})
    reg.register_schema("users-value", Schema(v2))
    now[0] += 4.9
    assert ser({**ADA, "age": 3}, CTX)[:5].hex() == "0000000001"  # still cached
    now[0] += 0.2
    assert ser({**ADA, "age": 3}, CTX).hex() == "0000000002540641646100" + "06"


def test_schema_given_as_a_parsed_document():
    reg = InMemorySchemaRegistry()
    assert AvroSerializer(reg, json.loads(USER))(ADA, CTX).hex() == "0000000001540641646100"

"""Kafka-client glue, strategies and the package surface."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

import serde
from serde import AvroDeserializer, AvroSerializer, MessageField, SerializationContext
from serde.errors import ConfigurationError
from serde.kafka import aiokafka_deserializer, aiokafka_serializer, decode_message, produce_args
from serde.memory import InMemorySchemaRegistry
from serde.strategies import (
    record_subject_name_strategy,
    reference_subject_name_strategy,
    resolve_strategy,
    topic_record_subject_name_strategy,
    topic_subject_name_strategy,
)

USER = json.dumps({"type": "record", "name": "User", "namespace": "com.example",
                   "fields": [{"name": "id", "type": "long"}]})


def test_strategies():
    ctx = SerializationContext("t", MessageField.KEY)
    assert topic_subject_name_strategy(ctx, "a.B") == "t-key"
    assert topic_subject_name_strategy(SerializationContext("t", "value"), None) == "t-value"
    assert record_subject_name_strategy(None, "a.B") == "a.B"
    assert topic_record_subject_name_strategy(ctx, "a.B") == "t-a.B"
    assert reference_subject_name_strategy(None, SimpleNamespace(name="x/y.proto")) == "x/y.proto"
    assert resolve_strategy("TOPIC_RECORD") == (topic_record_subject_name_strategy, True)
    with pytest.raises(ConfigurationError):
        resolve_strategy("associated")
    with pytest.raises(ValueError):
        topic_subject_name_strategy(None, None)


def test_aiokafka_callables():
    reg = InMemorySchemaRegistry()
    enc = aiokafka_serializer(AvroSerializer(reg, USER), "users")
    dec = aiokafka_deserializer(AvroDeserializer(reg), "users")
    assert enc({"id": 1}).hex() == "000000000102"
    assert dec(enc({"id": 1})) == {"id": 1}
    assert enc(None) is None


def test_confluent_producer_and_consumer_helpers():
    reg = InMemorySchemaRegistry()
    kw = produce_args("users", {"id": 1}, {"id": 2}, value_serializer=AvroSerializer(reg, USER, framing="header"),
                      key_serializer=AvroSerializer(reg, USER), partition=0)
    assert kw["topic"] == "users" and kw["partition"] == 0
    assert kw["key"].hex() == "000000000104" and kw["value"].hex() == "02"
    assert [h[0] for h in kw["headers"]] == ["__value_schema_id"]
    msg = SimpleNamespace(topic=lambda: "users", key=lambda: kw["key"], value=lambda: kw["value"],
                          headers=lambda: kw["headers"])
    assert decode_message(msg, AvroDeserializer(reg), AvroDeserializer(reg)) == ({"id": 2}, {"id": 1})


def test_public_surface_and_no_web_server_imports():
    for name in ["SchemaRegistryClient", "AsyncSchemaRegistryClient", "AvroSerializer", "AvroDeserializer",
                 "JSONSerializer", "JSONDeserializer", "ProtobufSerializer", "ProtobufDeserializer",
                 "SerializationContext", "MessageField", "SerializationError"]:
        assert getattr(serde, name).__name__ == name
    code = ("import sys, serde, serde.avro, serde.json_schema, serde.protobuf, serde.client, serde.memory, "
            "serde.kafka; from serde import *; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_confluent_conf_translation():
    from confluent_kafka.schema_registry import header_schema_id_serializer, prefix_schema_id_deserializer

    from serde.conf import from_confluent_conf

    assert from_confluent_conf({
        "auto.register.schemas": False, "use.latest.version": True, "normalize.schemas": True,
        "schema.id.serializer": header_schema_id_serializer, "subject.name.strategy.type": "RECORD",
        "validation.rules.execution": None, "use.schema.id": None,
    }) == {"auto_register": False, "use_latest_version": True, "normalize": True, "framing": "header",
           "subject_name_strategy": "record"}
    assert from_confluent_conf({"schema.id.deserializer": prefix_schema_id_deserializer}) == {"framing": "prefix"}
    with pytest.raises(ConfigurationError, match="Unrecognized properties: nope"):
        from_confluent_conf({"nope": 1})
    with pytest.raises(ConfigurationError, match="ASSOCIATED"):
        from_confluent_conf({"subject.name.strategy.type": "ASSOCIATED"})
    reg = InMemorySchemaRegistry()
    ser = AvroSerializer(reg, USER, **from_confluent_conf({"subject.name.strategy.type": "TOPIC_RECORD"}))
    ser({"id": 1}, SerializationContext("t", "value"))
    assert reg.get_subjects() == ["t-com.example.User"]


def test_prepare_with_async_client_then_sync_aiokafka_hook():
    import asyncio

    from serde.memory import AsyncInMemorySchemaRegistry

    reg = AsyncInMemorySchemaRegistry()
    ser = AvroSerializer(reg, USER)
    assert asyncio.run(ser.aprepare(SerializationContext("users", "value"))) == 1
    assert aiokafka_serializer(ser, "users")({"id": 1}).hex() == "000000000102"
    assert AvroSerializer(InMemorySchemaRegistry(), USER).prepare(SerializationContext("users", "value")) == 1

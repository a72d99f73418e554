"""confluent-kafka's own SchemaRegistryClient and Avro serde against our registry."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

ORDER = json.dumps({"type": "record", "name": "Order", "namespace": "com.acme", "fields": [
    {"name": "id", "type": "string"}, {"name": "qty", "type": "int"}]})
ORDER_V2 = json.dumps({"type": "record", "name": "Order", "namespace": "com.acme", "fields": [
    {"name": "id", "type": "string"}, {"name": "qty", "type": "int"},
    {"name": "note", "type": ["null", "string"], "default": None}]})
ORDER_BAD = json.dumps({"type": "record", "name": "Order", "namespace": "com.acme", "fields": [
    {"name": "id", "type": "string"}, {"name": "qty", "type": "int"}, {"name": "total", "type": "long"}]})


@pytest.fixture
def client(registry_url):
    return SchemaRegistryClient({"url": registry_url})


def test_register_get_latest_lookup(client):
    schema_id = client.register_schema("orders-value", Schema(ORDER, "AVRO"))
    assert schema_id == 1
    assert client.register_schema("other-value", Schema(ORDER, "AVRO")) == 1
    fetched = client.get_schema(schema_id)
    assert json.loads(fetched.schema_str) == json.loads(ORDER)
    latest = client.get_latest_version("orders-value")
    assert (latest.schema_id, latest.version, latest.subject) == (1, 1, "orders-value")
    found = client.lookup_schema("orders-value", Schema(ORDER, "AVRO"))
    assert (found.schema_id, found.version) == (1, 1)
    assert client.get_subjects() == ["orders-value", "other-value"]
    assert client.get_versions("orders-value") == [1]
    version = client.get_version("orders-value", 1)
    assert version.schema_id == 1


def test_compatibility_config_and_delete(client):
    client.register_schema("orders-value", Schema(ORDER, "AVRO"))
    assert client.test_compatibility("orders-value", Schema(ORDER_V2, "AVRO")) is True
    assert client.test_compatibility("orders-value", Schema(ORDER_BAD, "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema("orders-value", Schema(ORDER_BAD, "AVRO"))
    assert (err.value.http_status_code, err.value.error_code) == (409, 409)
    client.set_compatibility("orders-value", "FULL")
    assert client.get_compatibility("orders-value") == "FULL"
    client.set_compatibility(level="NONE")
    assert client.get_compatibility() == "NONE"
    assert client.register_schema("orders-value", Schema(ORDER_V2, "AVRO")) == 2
    assert client.delete_version("orders-value", 2) == 2
    assert client.delete_subject("orders-value") == [1]
    assert client.delete_subject("orders-value", permanent=True) == [1, 2]
    with pytest.raises(SchemaRegistryError) as err:
        client.get_latest_version("orders-value")
    assert err.value.error_code == 40401


def test_references_through_client(client):
    money = json.dumps({"type": "record", "name": "Money", "namespace": "com.acme",
                        "fields": [{"name": "cents", "type": "long"}]})
    assert client.register_schema("money", Schema(money, "AVRO")) == 1
    order = json.dumps({"type": "record", "name": "Order", "namespace": "com.acme",
                        "fields": [{"name": "total", "type": "com.acme.Money"}]})
    schema = Schema(order, "AVRO", [SchemaReference("com.acme.Money", "money", 1)])
    assert client.register_schema("orders-value", schema) == 2
    got = client.get_latest_version("orders-value")
    assert [(r.name, r.subject, r.version) for r in got.schema.references] == [("com.acme.Money", "money", 1)]


def test_avro_serializer_round_trip_through_our_registry(client):
    ctx = SerializationContext("orders", MessageField.VALUE)
    serialize = AvroSerializer(client, ORDER)
    data = serialize({"id": "o-1", "qty": 3}, ctx)
    assert data[:5] == b"\x00\x00\x00\x00\x01"
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": client._rest_client.base_urls[0]}))
    assert deserialize(data, ctx) == {"id": "o-1", "qty": 3}
    # The serializer registered under the topic strategy's subject.
    assert client.get_latest_version("orders-value").schema_id == 1

"""Gateway v2 produce and metadata over real HTTP, on the embedded log, against a real registry.

What the gateway wrote is read back from the log and decoded with confluent-kafka's
own deserializers; "nothing written" is proved by reading the topic back.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as CkClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as CkAvroDe
from confluent_kafka.schema_registry.json_schema import JSONDeserializer as CkJsonDe
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer as CkProtoDe
from confluent_kafka.serialization import MessageField, SerializationContext

from gateway.app import create_app
from gateway.log.base import StoredRecord
from gateway.log.embedded import EmbeddedLog
from gateway.log.partitioner import partition_for_key
from serde.client import AsyncSchemaRegistryClient
from tests.conftest import ServerThread
from tests.ports import refused_port

V2 = "application/vnd.kafka.{}.v2+json"
V2_JSON = "application/vnd.kafka.v2+json"

USER = json.dumps({"type": "record", "name": "User", "namespace": "com.example", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
    {"name": "email", "type": ["null", "string"], "default": None},
    {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}]})

ORDER_JSON = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
    "properties": {"id": {"type": "integer"}, "amount": {"type": "number"},
                   "lines": {"type": "array", "items": {"type": "object",
                                                         "properties": {"sku": {"type": "string"}}}}},
    "required": ["id", "amount"]})

MONEY_PROTO = 'syntax = "proto3";\npackage shop;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n'
ORDER_PROTO = ('syntax = "proto3";\npackage shop;\n\nimport "shop/money.proto";\n\n'
               'message Order {\n  int64 id = 1;\n  shop.Money total = 2;\n  repeated string notes = 3;\n}\n')


@dataclass
class Gateway:
    url: str
    log_path: Path
    registry_url: str
    http: httpx.Client

    def v2(self, topic: str, fmt: str, body: Any, path: str = "", **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http.post(f"/topics/{topic}{path}", content=content,
                              headers={"content-type": V2.format(fmt), **headers})

    def read(self, topic: str) -> list[StoredRecord]:
        return read_back(self.log_path, topic)


def read_back(path: Path, topic: str) -> list[StoredRecord]:
    """Every record of `topic` in every partition, through a second EmbeddedLog on the same file."""

    async def run() -> list[StoredRecord]:
        log = EmbeddedLog(path)
        await log.start()
        try:
            if topic not in await log.topics():
                return []
            info = await log.topic(topic)
            out: list[StoredRecord] = []
            for p in range(info.partitions):
                out.extend(await log.read(topic, p, 0, max_records=100_000))
            return out
        finally:
            await log.close()

    return asyncio.run(run())


def start_gateway(tmp_path: Path, registry_url: str, **options: Any) -> tuple[ServerThread, Path]:
    log_path = tmp_path / "log"
    partitions = options.pop("default_partitions", 1)
    auto_create = options.pop("auto_create", True)
    log = EmbeddedLog(log_path, default_partitions=partitions, auto_create=auto_create)
    app = create_app(log, AsyncSchemaRegistryClient(registry_url, max_retries=0, timeout=5),
                     close_client=True, **options)
    return ServerThread(app), log_path


@pytest.fixture
def gw(tmp_path: Path, registry_url: str) -> Iterator[Gateway]:
    server, log_path = start_gateway(tmp_path, registry_url)
    with server, httpx.Client(base_url=server.url, timeout=20) as http:
        yield Gateway(server.url, log_path, registry_url, http)


@pytest.fixture
def ck(registry_url: str) -> CkClient:
    return CkClient({"url": registry_url})


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def offsets(*pairs: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"partition": p, "offset": o, "error_code": None, "error": None} for p, o in pairs]


# --- binary and json ---------------------------------------------------------------------


def test_binary_produce_writes_exact_bytes_and_keeps_null_apart_from_empty(gw: Gateway) -> None:
    r = gw.v2("bin", "binary", {"records": [
        {"key": b64(b"k1"), "value": b64(b"\x00\xffv")},
        {"value": None},
        {"key": "", "value": ""},
    ]})
    assert r.status_code == 200
    assert r.headers["content-type"] == V2_JSON
    assert r.json() == {"key_schema_id": None, "value_schema_id": None, "offsets": offsets((0, 0), (0, 1), (0, 2))}
    got = [(x.offset, x.key, x.value) for x in gw.read("bin")]
    assert got == [(0, b"k1", b"\x00\xffv"), (1, None, None), (2, b"", b"")]


def test_json_produce_writes_compact_json(gw: Gateway) -> None:
    r = gw.v2("js", "json", {"records": [{"key": "k", "value": {"a": [1, 2.5, None], "b": "é"}}, {"value": 3}]})
    assert r.status_code == 200
    assert [(x.key, x.value) for x in gw.read("js")] == [
        (b'"k"', '{"a":[1,2.5,null],"b":"é"}'.encode()), (None, b"3")]


def test_binary_invalid_base64_fails_the_whole_request(gw: Gateway) -> None:
    r = gw.v2("bin2", "binary", {"records": [{"value": b64(b"ok")}, {"value": "not base64!"}]})
    assert r.status_code == 400
    assert r.json() == {"error_code": 400,
                        "message": 'Bad Request: data="not base64!" is not a valid base64 string. (records[1].value)'}
    r = gw.v2("bin2", "binary", {"records": [{"key": 5}]})
    assert r.json() == {"error_code": 400, "message": "Bad Request: data=5 is not a base64 string. (records[0].key)"}
    assert gw.read("bin2") == []


# --- avro -----------------------------------------------------------------------------


def test_avro_inline_schema_registers_and_writes_confluent_wire_format(gw: Gateway, ck: CkClient) -> None:
    r = gw.v2("users", "avro", {"value_schema": USER, "records": [
        {"value": {"id": 1, "name": "Ada", "email": {"string": "ada@example.com"}, "tags": ["x"]}},
        {"value": {"id": 2, "name": "Bob"}},
    ]})
    assert r.status_code == 200, r.text
    body = r.json()
    sid = body["value_schema_id"]
    assert body == {"key_schema_id": None, "value_schema_id": sid, "offsets": offsets((0, 0), (0, 1))}
    assert ck.get_latest_version("users-value").schema_id == sid
    records = gw.read("users")
    assert all(x.value[:5] == b"\x00" + sid.to_bytes(4, "big") for x in records)
    de = CkAvroDe(ck)
    ctx = SerializationContext("users", MessageField.VALUE)
    assert [de(x.value, ctx) for x in records] == [
        {"id": 1, "name": "Ada", "email": "ada@example.com", "tags": ["x"]},
        {"id": 2, "name": "Bob", "email": None, "tags": []},
    ]
    # the same schema again resolves to the same id, without a second version
    r = gw.v2("users", "avro", {"value_schema": USER, "records": [{"value": {"id": 3, "name": "C"}}]})
    assert r.json()["value_schema_id"] == sid
    assert ck.get_versions("users-value") == [1]


def test_avro_by_schema_id_with_key_and_value(gw: Gateway, ck: CkClient) -> None:
    from confluent_kafka.schema_registry import Schema

    key_id = ck.register_schema("keyed-key", Schema('"string"', "AVRO"))
    value_id = ck.register_schema("keyed-value", Schema(USER, "AVRO"))
    r = gw.v2("keyed", "avro", {"key_schema_id": key_id, "value_schema_id": value_id,
                                "records": [{"key": "u1", "value": {"id": 1, "name": "A"}}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"key_schema_id": key_id, "value_schema_id": value_id, "offsets": offsets((0, 0))}
    [rec] = gw.read("keyed")
    de = CkAvroDe(ck)
    assert de(rec.key, SerializationContext("keyed", MessageField.KEY)) == "u1"
    assert rec.key == b"\x00" + key_id.to_bytes(4, "big") + b"\x04u1"


def test_avro_invalid_record_fails_request_and_nothing_is_written(gw: Gateway, ck: CkClient) -> None:
    ok = {"id": 1, "name": "A"}
    r = gw.v2("strict", "avro", {"value_schema": USER, "records": [
        {"value": ok}, {"value": ok}, {"value": {"id": 3, "name": "C", "tags": ["a", 7]}}]})
    assert r.status_code == 400
    assert r.json() == {"error_code": 400,
                        "message": "Bad Request: Expected string. Got VALUE_NUMBER_INT (records[2].value.tags[1])"}
    r = gw.v2("strict", "avro", {"value_schema": USER, "records": [{"value": {"id": 1, "name": "A",
                                                                              "email": "bare"}}]})
    assert r.json() == {"error_code": 400,
                        "message": "Bad Request: Expected start-union. Got VALUE_STRING (records[0].value.email)"}
    r = gw.v2("strict", "avro", {"value_schema": USER, "records": [{"value": {"id": 1}}]})
    assert r.json() == {"error_code": 400,
                        "message": "Bad Request: Expected field name not found: name (records[0].value.name)"}
    assert gw.read("strict") == []


def test_schema_id_not_under_the_subject_is_42207(gw: Gateway, ck: CkClient) -> None:
    from confluent_kafka.schema_registry import Schema

    sid = ck.register_schema("elsewhere-value", Schema(USER, "AVRO"))
    r = gw.v2("mine", "avro", {"value_schema_id": sid, "records": [{"value": {"id": 1, "name": "A"}}]})
    assert r.status_code == 422
    body = r.json()
    assert body["error_code"] == 42207
    assert body["message"].startswith(
        "Error serializing message. Error when fetching schema version. subject = mine-value, schema = ")
    r = gw.v2("mine", "avro", {"value_schema_id": 999, "records": [{"value": {"id": 1, "name": "A"}}]})
    assert r.status_code == 422
    assert r.json()["error_code"] == 42207
    assert r.json()["message"].startswith("Error serializing message. Error when fetching schema by id. schemaId = 999\n")
    assert gw.read("mine") == []


def test_schema_id_of_another_format_is_42207(gw: Gateway, ck: CkClient) -> None:
    from confluent_kafka.schema_registry import Schema

    sid = ck.register_schema("fmt-value", Schema(ORDER_JSON, "JSON"))
    r = gw.v2("fmt", "avro", {"value_schema_id": sid, "records": [{"value": {"id": 1, "amount": 1}}]})
    assert (r.status_code, r.json()) == (422, {"error_code": 42207, "message": (
        f"Error serializing message. Schema {sid} is a JSON schema, but the request's embedded format is avro.")})
    assert gw.read("fmt") == []


def test_missing_key_or_value_schema_is_42201_42202(gw: Gateway) -> None:
    r = gw.v2("t", "avro", {"value_schema": USER, "records": [{"key": "k", "value": {"id": 1, "name": "A"}}]})
    assert (r.status_code, r.json()) == (422, {
        "error_code": 42201, "message": "Request includes keys but does not include key schema"})
    r = gw.v2("t", "avro", {"records": [{"value": {"id": 1, "name": "A"}}]})
    assert (r.status_code, r.json()) == (422, {
        "error_code": 42202, "message": "Request includes values but does not include value schema"})
    # a side whose data is all null needs no schema, and writes a Kafka null
    r = gw.v2("t", "avro", {"value_schema": USER, "records": [{"key": None, "value": {"id": 1, "name": "A"}}]})
    assert r.status_code == 200
    assert gw.read("t")[0].key is None


def test_unparseable_inline_schema_is_400(gw: Gateway) -> None:
    r = gw.v2("t", "avro", {"value_schema": '{"type": "recurd"}', "records": [{"value": 1}]})
    assert (r.status_code, r.json()) == (400, {
        "error_code": 400, "message": "Bad Request: Error parsing schema with format = AVRO"})


def test_keyed_records_land_where_kafkas_partitioner_puts_them(tmp_path: Path, registry_url: str) -> None:
    server, log_path = start_gateway(tmp_path, registry_url, default_partitions=6)
    with server, httpx.Client(base_url=server.url) as http:
        keys = [f"user-{i}" for i in range(60)]
        r = http.post("/topics/placed", headers={"content-type": V2.format("avro")}, content=json.dumps({
            "key_schema": '"string"', "value_schema": '"long"',
            "records": [{"key": k, "value": i} for i, k in enumerate(keys)]}))
        assert r.status_code == 200
        placed = r.json()["offsets"]
    records = {(rec.partition, rec.offset): rec for rec in read_back(log_path, "placed")}
    assert len(records) == 60
    for i, o in enumerate(placed):
        rec = records[(o["partition"], o["offset"])]
        assert rec.key[5:] == bytes([len(keys[i]) * 2]) + keys[i].encode()  # Avro string after the framing
        assert o["partition"] == partition_for_key(rec.key, 6)  # murmur2 over the framed key bytes
    assert len({o["partition"] for o in placed}) == 6


# --- json schema and protobuf ---------------------------------------------------------------


def test_jsonschema_validates_and_writes_what_confluent_reads(gw: Gateway, ck: CkClient) -> None:
    order = {"id": 7, "amount": 12.5, "lines": [{"sku": "a"}]}
    r = gw.v2("orders", "jsonschema", {"value_schema": ORDER_JSON, "records": [{"value": order}]})
    assert r.status_code == 200, r.text
    sid = r.json()["value_schema_id"]
    [rec] = gw.read("orders")
    assert rec.value[:5] == b"\x00" + sid.to_bytes(4, "big")
    assert CkJsonDe(None, schema_registry_client=ck)(rec.value, SerializationContext("orders", MessageField.VALUE)) \
        == order
    r = gw.v2("orders", "jsonschema", {"value_schema_id": sid, "records": [
        {"value": order}, {"value": {"id": 1, "amount": 1, "lines": [{"sku": 5}]}}]})
    assert r.status_code == 400
    assert r.json()["error_code"] == 400
    assert r.json()["message"].startswith("Bad Request: ")
    assert r.json()["message"].endswith("(records[1].value.lines[0].sku)")
    assert len(gw.read("orders")) == 1


def _message_class(ck: CkClient, sid: int) -> type:
    """A message class built from the registered descriptors (what an application would generate)."""
    from google.protobuf import message_factory

    from serde.schemas.protobuf import PROTOBUF

    parsed = PROTOBUF.parse(ORDER_PROTO, {"shop/money.proto": MONEY_PROTO})
    return message_factory.GetMessageClass(parsed.message_descriptor([0]))


def test_protobuf_with_a_reference_by_schema_id(gw: Gateway, ck: CkClient) -> None:
    from confluent_kafka.schema_registry import Schema, SchemaReference

    ck.register_schema("shop/money.proto", Schema(MONEY_PROTO, "PROTOBUF"))
    sid = ck.register_schema("orders-pb-value", Schema(ORDER_PROTO, "PROTOBUF", [
        SchemaReference("shop/money.proto", "shop/money.proto", 1)]))
    value = {"id": "42", "total": {"currency": "EUR", "units": "12"}, "notes": ["a"]}
    r = gw.v2("orders-pb", "protobuf", {"value_schema_id": sid, "records": [{"value": value}]})
    assert r.status_code == 200, r.text
    [rec] = gw.read("orders-pb")
    assert rec.value[:6] == b"\x00" + sid.to_bytes(4, "big") + b"\x00"  # message index [0]
    cls = _message_class(ck, sid)
    msg = CkProtoDe(cls, {"use.deprecated.format": False})(rec.value, SerializationContext("orders-pb",
                                                                                          MessageField.VALUE))
    assert (msg.id, msg.total.currency, msg.total.units, list(msg.notes)) == (42, "EUR", 12, ["a"])
    r = gw.v2("orders-pb", "protobuf", {"value_schema_id": sid, "records": [{"value": {"id": "x"}}]})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Bad Request: ")
    assert r.json()["message"].endswith("(records[0].value)")
    assert len(gw.read("orders-pb")) == 1


# --- transport errors ---------------------------------------------------------------------


def test_content_negotiation_415_and_406(gw: Gateway) -> None:
    body = json.dumps({"records": [{"value": b64(b"x")}]})
    for ctype in ("application/vnd.kafka.v2+json", "application/json", "text/plain", None):
        headers = {"content-type": ctype} if ctype else {}
        r = gw.http.post("/topics/neg", content=body, headers=headers)
        assert (r.status_code, r.json()) == (415, {"error_code": 415, "message": "HTTP 415 Unsupported Media Type"})
    r = gw.v2("neg", "binary", json.loads(body), accept="text/html")
    assert (r.status_code, r.json()) == (406, {"error_code": 406, "message": "HTTP 406 Not Acceptable"})
    r = gw.v2("neg", "binary", json.loads(body), accept="application/json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert gw.http.get("/topics", headers={"accept": "text/html"}).status_code == 406
    assert gw.http.get("/topics", headers={"accept": "*/*"}).headers["content-type"] == V2_JSON


def test_malformed_json_unknown_fields_and_empty_records(gw: Gateway) -> None:
    r = gw.v2("bad", "binary", b'{"records": [')
    assert r.status_code == 400 and r.json()["error_code"] == 400
    assert r.json()["message"].startswith("Unexpected character in JSON: ")
    r = gw.v2("bad", "binary", {"records": [{"value": "eA=="}], "value_schema_ids": 1})
    assert r.status_code == 400
    assert r.json()["message"].startswith('Unrecognized field "value_schema_ids" (class '
                                          "io.confluent.kafkarest.entities.v2.ProduceRequest), not marked as ignorable")
    r = gw.v2("bad", "binary", {"records": [{"valeu": "eA=="}]})
    assert r.status_code == 400 and r.json()["message"].startswith('Unrecognized field "valeu"')
    for body in ({}, {"records": []}):
        r = gw.v2("bad", "binary", body)
        assert (r.status_code, r.json()) == (422, {"error_code": 422, "message": "records must not be empty"})
    r = gw.v2("bad", "binary", {"records": [{"value": "eA==", "partition": "0"}]})
    assert r.status_code == 400 and r.json()["error_code"] == 400
    r = gw.v2("bad", "binary", [1, 2])
    assert r.status_code == 400
    r = gw.v2("bad", "binary", b"")
    assert r.json() == {"error_code": 400, "message": "No content to map due to end-of-input"}
    assert gw.read("bad") == []


def test_unknown_partition_and_topic_metadata(gw: Gateway) -> None:
    r = gw.v2("meta", "binary", {"records": [{"value": "eA=="}]}, path="/partitions/3")
    assert (r.status_code, r.json()) == (404, {"error_code": 40402, "message": "Partition not found."})
    r = gw.v2("meta", "binary", {"records": [{"value": "eA==", "partition": 0}, {"value": "eA==", "partition": 5}]})
    assert (r.status_code, r.json()) == (404, {"error_code": 40402, "message": "Partition not found."})
    assert gw.read("meta") == []
    r = gw.v2("meta", "binary", {"records": [{"value": "eA=="}]}, path="/partitions/0")
    assert r.json()["offsets"] == offsets((0, 0))
    assert gw.http.get("/topics/meta/partitions/0/offsets").json() == {"beginning_offset": 0, "end_offset": 1}
    assert gw.http.get("/topics/nope").json() == {"error_code": 40401, "message": "Topic not found."}
    assert gw.http.get("/topics/meta/partitions/9").json() == {"error_code": 40402, "message": "Partition not found."}
    assert gw.http.get("/topics/meta/partitions/x").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    assert gw.http.get("/topics").json() == ["meta"]
    assert gw.http.get("/").json() == {}
    assert gw.http.get("/brokers").json() == {"brokers": [0]}
    topic = gw.http.get("/topics/meta").json()
    assert topic["name"] == "meta" and topic["configs"]["cleanup.policy"] == "delete"
    assert topic["partitions"] == [{"partition": 0, "leader": 0,
                                    "replicas": [{"broker": 0, "leader": True, "in_sync": True}]}]


def test_topic_auto_creation_off_is_40401(tmp_path: Path, registry_url: str) -> None:
    server, log_path = start_gateway(tmp_path, registry_url, auto_create=False)
    with server, httpx.Client(base_url=server.url) as http:
        r = http.post("/topics/absent", headers={"content-type": V2.format("binary")},
                      content=json.dumps({"records": [{"value": "eA=="}]}))
        assert (r.status_code, r.json()) == (404, {"error_code": 40401, "message": "Topic not found."})


def test_body_and_record_limits(tmp_path: Path, registry_url: str) -> None:
    server, log_path = start_gateway(tmp_path, registry_url, max_body=1000, max_records=3)
    with server, httpx.Client(base_url=server.url) as http:
        big = json.dumps({"records": [{"value": b64(b"x" * 2000)}]})
        r = http.post("/topics/lim", content=big, headers={"content-type": V2.format("binary")})
        assert (r.status_code, r.json()) == (413, {
            "error_code": 413, "message": f"Request body of {len(big)} bytes exceeds the limit of 1000 bytes"})

        def chunks() -> Iterator[bytes]:
            yield big.encode()

        r = http.post("/topics/lim", content=chunks(), headers={"content-type": V2.format("binary")})
        assert (r.status_code, r.json()) == (413, {
            "error_code": 413, "message": "Request body exceeds the limit of 1000 bytes"})
        r = http.post("/topics/lim", headers={"content-type": V2.format("binary")},
                      content=json.dumps({"records": [{"value": "eA=="}] * 4}))
        assert (r.status_code, r.json()) == (413, {"error_code": 413,
                                                   "message": "Request has 4 records; the limit is 3."})
    assert read_back(log_path, "lim") == []


def test_registry_unreachable_is_42207_and_nothing_written(tmp_path: Path) -> None:
    with refused_port() as port:  # bound, never listening: refused, and no other server can take it
        server, log_path = start_gateway(tmp_path, f"http://127.0.0.1:{port}")
        with server, httpx.Client(base_url=server.url, timeout=20) as http:
            r = http.post("/topics/down", headers={"content-type": V2.format("avro")},
                          content=json.dumps({"value_schema": USER, "records": [{"value": {"id": 1, "name": "A"}}]}))
            assert r.status_code == 422
            assert r.json()["error_code"] == 42207
            assert r.json()["message"].startswith(
                "Error serializing message. Error when fetching schema version. subject = down-value\n"
                "Schema registry unavailable at ")
            r = http.post("/topics/down", headers={"content-type": V2.format("binary")},
                          content=json.dumps({"records": [{"value": "eA=="}]}))
            assert r.status_code == 200  # schemaless formats do not need the registry
        assert len(read_back(log_path, "down")) == 1


def test_unknown_route_and_method(gw: Gateway) -> None:
    assert gw.http.get("/nope").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    r = gw.http.delete("/topics")
    assert (r.status_code, r.json()) == (405, {"error_code": 405, "message": "HTTP 405 Method Not Allowed"})


def test_protobuf_inline_schema_registers_under_the_topic_subject(gw: Gateway, ck: CkClient) -> None:
    proto = 'syntax = "proto3";\npackage demo;\n\nmessage Event {\n  string name = 1;\n  repeated int32 n = 2;\n}\n'
    r = gw.v2("events", "protobuf", {"value_schema": proto, "records": [{"value": {"name": "x", "n": [1, 2]}}]})
    assert r.status_code == 200, r.text
    sid = r.json()["value_schema_id"]
    assert ck.get_latest_version("events-value").schema_id == sid
    [rec] = gw.read("events")
    from google.protobuf import message_factory

    from serde.schemas.protobuf import PROTOBUF

    cls = message_factory.GetMessageClass(PROTOBUF.parse(proto, {}).message_descriptor([0]))
    msg = CkProtoDe(cls, {"use.deprecated.format": False})(rec.value, SerializationContext("events",
                                                                                          MessageField.VALUE))
    assert (msg.name, list(msg.n)) == ("x", [1, 2])
    r = gw.v2("events", "protobuf", {"value_schema": proto, "records": [{"value": {"nam": "x"}}]})
    assert r.status_code == 400
    assert r.json()["message"].startswith('Bad Request: Message type "demo.Event" has no field named "nam"')


def test_integers_past_64_bits_are_kept_exact(gw: Gateway) -> None:
    big = 123456789012345678901234567890
    r = gw.http.post("/topics/big", headers={"content-type": V2.format("json")},
                     content=b'{"records": [{"value": {"n": %d, "x": 1.5}}]}' % big)
    assert r.status_code == 200
    assert [x.value for x in gw.read("big")] == [b'{"n":%d,"x":1.5}' % big]
    r = gw.http.post("/topics/big2", headers={"content-type": V2.format("avro")},
                     content=b'{"value_schema": "\\"long\\"", "records": [{"value": %d}]}' % big)
    assert (r.status_code, r.json()) == (400, {
        "error_code": 400, "message": f"Bad Request: Numeric value ({big}) out of range of long (records[0].value)"})
    r = gw.http.post("/v3/clusters/c/topics/big/records", headers={"content-type": "application/json"},
                     content=b'{"value": {"type": "JSON", "data": [%d]}}' % big)
    assert json.loads(r.content)["error_code"] == 200
    assert gw.read("big")[1].value == b"[%d]" % big

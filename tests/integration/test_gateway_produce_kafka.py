"""Gateway produce on Kafka (a real Tansu broker): what it wrote is read back with confluent-kafka's
consumer and decoded with its deserializers; invalid requests write nothing; an outage fails
clearly within a bounded time and produce recovers without restarting the gateway."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient as CkClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as CkAvroDe
from confluent_kafka.serialization import MessageField, SerializationContext

from gateway.app import create_app
from gateway.log.kafka import KafkaLog
from gateway.log.partitioner import partition_for_key
from serde.client import AsyncSchemaRegistryClient
from tests.broker import kafka_broker  # noqa: F401
from tests.conftest import ServerThread
from tests.integration.test_gateway_produce import USER

V2_AVRO = "application/vnd.kafka.avro.v2+json"


@pytest.fixture
def gw(kafka_broker: str, registry_url: str) -> Iterator[httpx.Client]:  # noqa: F811
    log = KafkaLog(kafka_broker, default_partitions=4, timeout=5)
    app = create_app(log, AsyncSchemaRegistryClient(registry_url, max_retries=0), close_client=True)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def consume(bootstrap: str, topic: str, expected: int, settle: float = 1.5) -> list[Any]:
    """Every message of `topic`: waits for `expected`, then a little longer to see that no more come."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{uuid.uuid4()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    meta = c.list_topics(topic, timeout=10).topics[topic]
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in meta.partitions])  # no group join: fast
    out: list[Any] = []
    deadline = time.monotonic() + 30
    quiet_until = None
    try:
        while time.monotonic() < deadline:
            msg = c.poll(0.2)
            if msg is not None and msg.error() is None:
                out.append(msg)
                continue
            if len(out) >= expected:
                quiet_until = quiet_until or time.monotonic() + settle
                if time.monotonic() > quiet_until:
                    break
    finally:
        c.close()
    return sorted(out, key=lambda m: (m.partition(), m.offset()))


def test_v2_avro_on_kafka_reads_back_with_confluent_and_invalid_writes_nothing(
        gw: httpx.Client, kafka_broker: str, registry_url: str) -> None:  # noqa: F811
    topic = f"users-{uuid.uuid4().hex[:8]}"
    r = gw.post(f"/topics/{topic}/partitions/1", headers={"content-type": V2_AVRO}, content=json.dumps({
        "value_schema": USER, "records": [{"value": {"id": 1, "name": "A"}}, {"value": {"id": 2, "name": "B"}}]}))
    assert r.status_code == 200, r.text
    sid = r.json()["value_schema_id"]
    assert r.json()["offsets"] == [{"partition": 1, "offset": 0, "error_code": None, "error": None},
                                   {"partition": 1, "offset": 1, "error_code": None, "error": None}]
    r = gw.post(f"/topics/{topic}", headers={"content-type": V2_AVRO}, content=json.dumps({
        "value_schema_id": sid, "records": [{"value": {"id": 3, "name": "C"}}, {"value": {"id": "x", "name": "D"}}]}))
    assert (r.status_code, r.json()) == (400, {
        "error_code": 400, "message": "Bad Request: Expected long. Got VALUE_STRING (records[1].value.id)"})
    msgs = consume(kafka_broker, topic, 2)
    de = CkAvroDe(CkClient({"url": registry_url}))
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert [(m.partition(), de(m.value(), ctx)["name"]) for m in msgs] == [(1, "A"), (1, "B")]


def test_keyed_placement_on_kafka_matches_murmur2(gw: httpx.Client, kafka_broker: str) -> None:  # noqa: F811
    topic = f"keyed-{uuid.uuid4().hex[:8]}"
    keys = [f"k{i}" for i in range(24)]
    r = gw.post(f"/topics/{topic}", headers={"content-type": "application/vnd.kafka.binary.v2+json"},
                content=json.dumps({"records": [{"key": __import__("base64").b64encode(k.encode()).decode(),
                                                 "value": "dg=="} for k in keys]}))
    assert r.status_code == 200
    placed = [o["partition"] for o in r.json()["offsets"]]
    assert placed == [partition_for_key(k.encode(), 4) for k in keys]
    msgs = consume(kafka_broker, topic, len(keys))
    assert sorted((m.key().decode(), m.partition()) for m in msgs) == sorted(zip(keys, placed))


def test_v3_stream_on_kafka_with_headers_and_timestamp(gw: httpx.Client, kafka_broker: str) -> None:  # noqa: F811
    topic = f"v3-{uuid.uuid4().hex[:8]}"
    body = (json.dumps({"partition_id": 2, "headers": [{"name": "h", "value": "aGk="}],
                        "timestamp": "2024-01-02T03:04:05.678Z", "value": {"type": "STRING", "data": "one"}})
            + json.dumps({"partition_id": 2, "value": {"type": "BINARY", "data": 1}})
            + json.dumps({"partition_id": 9, "value": {"type": "STRING", "data": "x"}}))
    r = gw.post(f"/v3/clusters/c/topics/{topic}/records", content=body, headers={"content-type": "application/json"})
    lines = [json.loads(x) for x in r.content.split(b"\r\n") if x]
    assert [x["error_code"] for x in lines] == [200, 400, 40402]
    assert lines[0]["partition_id"] == 2 and lines[0]["timestamp"] == "2024-01-02T03:04:05.678Z"
    [msg] = consume(kafka_broker, topic, 1)
    assert (msg.partition(), msg.value(), msg.headers(), msg.timestamp()[1]) == (2, b"one", [("h", b"hi")],
                                                                                  1704164645678)


def test_broker_outage_fails_within_bounds_and_recovers(gw: httpx.Client, kafka_broker) -> None:  # noqa: F811
    topic = f"outage-{uuid.uuid4().hex[:8]}"
    ctype = {"content-type": "application/vnd.kafka.binary.v2+json"}
    body = json.dumps({"records": [{"value": "dg=="}]})
    assert gw.post(f"/topics/{topic}", headers=ctype, content=body).status_code == 200
    kafka_broker.broker.stop()
    try:
        t0 = time.monotonic()
        r = gw.post(f"/topics/{topic}", headers=ctype, content=body)
        elapsed = time.monotonic() - t0
        assert r.status_code < 500 or r.json()["error_code"] in (50002, 50003), r.text
        if r.status_code == 200:
            [o] = r.json()["offsets"]
            assert o["offset"] is None and o["error_code"] in (50002, 50003) and o["error"]
        else:
            assert set(r.json()) == {"error_code", "message"}
        assert elapsed < 30
        r = gw.post(f"/v3/clusters/c/topics/{topic}/records", content='{"value":{"type":"STRING","data":"x"}}',
                    headers={"content-type": "application/json"})
        assert r.status_code == 200
        [line] = [json.loads(x) for x in r.content.split(b"\r\n") if x]
        assert line["error_code"] in (40401, 50002, 50003), line
    finally:
        kafka_broker.broker.start()
    deadline = time.monotonic() + 60
    while True:
        r = gw.post(f"/topics/{topic}", headers=ctype, content=body)
        if r.status_code == 200 and r.json()["offsets"][0]["error_code"] is None:
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(0.5)

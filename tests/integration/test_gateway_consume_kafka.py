"""Gateway v2 consume on Kafka (a real Tansu broker): every format produced through the gateway,
records written straight to Kafka by confluent-kafka's producer and serializers, instances as
real group members sharing partitions and rebalancing on delete, commit and resume, replay.

Tansu cannot answer offsets-for-time or end offsets after multi-record batches correctly
(spec test-broker.md): seek by time and seek to end are asserted on the embedded log only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient as CkClient
from confluent_kafka.schema_registry.avro import AvroSerializer as CkAvroSer
from confluent_kafka.schema_registry.json_schema import JSONSerializer as CkJsonSer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer as CkProtoSer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from gateway.app import create_app
from gateway.log.kafka import KafkaLog
from serde.client import AsyncSchemaRegistryClient
from tests.broker import kafka_broker  # noqa: F401
from tests.conftest import ServerThread
from tests.integration.test_gateway_consume import ORDER_JSON, ORDER_PROTO, USER, Api, b64


@pytest.fixture
def api(kafka_broker: str, registry_url: str) -> Iterator[Api]:  # noqa: F811
    log = KafkaLog(kafka_broker, default_partitions=1, timeout=5)
    app = create_app(log, AsyncSchemaRegistryClient(registry_url, max_retries=0), close_client=True)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        yield Api(http)


def topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_topic(api: Api, name: str, partitions: int) -> None:
    cid = api.http.get("/v3/clusters").json()["data"][0]["cluster_id"]
    r = api.http.post(f"/v3/clusters/{cid}/topics", json={"topic_name": name, "partitions_count": partitions})
    assert r.status_code == 201, r.text


def test_every_format_produced_through_the_gateway_comes_back_through_it(api: Api) -> None:
    names = {fmt: topic(fmt) for fmt in ("binary", "json", "avro", "jsonschema", "protobuf")}
    for name in names.values():
        create_topic(api, name, 1)
    user = {"id": 1, "name": "ann", "email": {"string": "a@x"}, "score": {"double": 1.5}, "raw": "\u00e9",
            "tags": ["x"]}
    api.produce(names["binary"], "binary", {"records": [{"key": b64(b"k"), "value": b64(b"\x01\x02")}]})
    api.produce(names["json"], "json", {"records": [{"key": "k", "value": {"n": [1, None]}}]})
    api.produce(names["avro"], "avro", {"key_schema": '"string"', "value_schema": USER,
                                        "records": [{"key": "k", "value": user}]})
    api.produce(names["jsonschema"], "jsonschema", {"value_schema": ORDER_JSON, "records": [{"value": {"id": 3}}]})
    api.produce(names["protobuf"], "protobuf", {"value_schema": ORDER_PROTO,
                                                "records": [{"value": {"id": "4", "tags": ["p"]}}]})
    want = {"binary": ("aw==", "AQI="), "json": ("k", {"n": [1, None]}), "avro": ("k", user),
            "jsonschema": (None, {"id": 3}), "protobuf": (None, {"id": "4", "note": "", "tags": ["p"]})}
    for fmt, name in names.items():
        inst = api.create("fmts", name=fmt, format=fmt, **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
        api.assign("fmts", inst, [(name, 0)])
        got = api.drain("fmts", inst, fmt, want=1)
        assert [(r["topic"], r["key"], r["value"], r["partition"], r["offset"]) for r in got] == [
            (name, *want[fmt], 0, 0)], fmt


def _order_class() -> type:
    """A protobuf message class built at run time (no generated code), for confluent-kafka's serializer."""
    fdp = descriptor_pb2.FileDescriptorProto(name="ck/order.proto", package="ck", syntax="proto3")
    msg = fdp.message_type.add(name="Order")
    msg.field.add(name="id", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
                  label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    msg.field.add(name="note", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                  label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ck.Order"))


def test_records_confluent_kafka_wrote_with_its_serializers_are_decoded(
        api: Api, kafka_broker: str, registry_url: str) -> None:  # noqa: F811
    ck = CkClient({"url": registry_url})
    order = _order_class()
    cases: list[tuple[str, Any, Any, Any]] = [
        ("avro", CkAvroSer(ck, USER), {"id": 5, "name": "cy", "email": None, "score": 7, "raw": b"\x00\x01",
                                       "tags": []},
         {"id": 5, "name": "cy", "email": None, "score": {"int": 7}, "raw": "\u0000\u0001", "tags": []}),
        ("jsonschema", CkJsonSer(ORDER_JSON, ck), {"id": 6, "amount": 2.5}, {"id": 6, "amount": 2.5}),
        ("protobuf", CkProtoSer(order, ck, {"use.deprecated.format": False}), order(id=8, note="hi"),
         {"id": "8", "note": "hi"}),
    ]
    producer = Producer({"bootstrap.servers": kafka_broker})
    names = {}
    for fmt, ser, value, _ in cases:
        names[fmt] = name = topic(f"ck-{fmt}")
        create_topic(api, name, 1)
        producer.produce(name, value=ser(value, SerializationContext(name, MessageField.VALUE)))
    assert producer.flush(10) == 0
    del producer
    for fmt, _, _, want in cases:
        group = f"ck-{fmt}-{uuid.uuid4().hex[:6]}"
        inst = api.create(group, format=fmt, **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
        api.assign(group, inst, [(names[fmt], 0)])  # no group join: group membership has its own test
        got = api.drain(group, inst, fmt, want=1)
        assert [(r["key"], r["value"]) for r in got] == [(None, want)], fmt


def _wait_assigned(api: Api, group: str, names: list[str], total: int, limit: float = 90) -> dict[str, list]:
    """Poll (which drives the group protocol) until the members together hold `total` partitions.

    Tansu's group timers make this slow: a rebalance after a member leaves takes ~17 s on a quiet
    machine, so the limit leaves room for a slower, loaded one."""
    deadline = time.monotonic() + limit
    while True:
        for n in names:
            api.records(group, n, timeout=50)
        got = {n: api.assignments(group, n) for n in names}
        if sum(len(v) for v in got.values()) == total and all(got.values()):
            return got
        assert time.monotonic() < deadline, got
        time.sleep(0.2)


def test_instances_are_group_members_that_share_partitions_and_rebalance(api: Api) -> None:
    name = topic("grp")
    create_topic(api, name, 4)
    group = f"g-{uuid.uuid4().hex[:6]}"
    a = api.create(group, name="a", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false",
                                       "fetch.min.bytes": 1})
    b = api.create(group, name="b", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false",
                                       "fetch.min.bytes": 1})
    api.subscribe(group, a, [name])
    api.subscribe(group, b, [name])
    assigned = _wait_assigned(api, group, [a, b], 4)
    assert sorted(assigned[a] + assigned[b]) == [(name, p) for p in range(4)]
    assert len(assigned[a]) == len(assigned[b]) == 2
    for p in range(4):
        api.v2("POST", f"/topics/{name}/partitions/{p}", {"records": [{"value": b64(f"{p}".encode())}]},
               **{"content-type": "application/vnd.kafka.binary.v2+json"})
    got_a = api.drain(group, a, want=2)
    got_b = api.drain(group, b, want=2)
    seen = sorted((r["partition"], r["offset"]) for r in got_a + got_b)
    assert seen == [(p, 0) for p in range(4)]  # every record once, across the two members
    for n in (a, b):
        assert api.v2("POST", api.inst(group, n) + "/offsets").status_code == 200
    r = api.v2("GET", api.inst(group, a) + "/offsets", {"partitions": [{"topic": name, "partition": p}
                                                                       for p in range(4)]})
    assert sorted(o["offset"] for o in r.json()["offsets"]) == [1, 1, 1, 1]
    assert api.v2("DELETE", api.inst(group, b)).status_code == 204  # b leaves: a gets everything
    assert sorted(_wait_assigned(api, group, [a], 4)[a]) == [(name, p) for p in range(4)]
    for p in range(4):
        api.v2("POST", f"/topics/{name}/partitions/{p}", {"records": [{"value": b64(b"n")}]},
               **{"content-type": "application/vnd.kafka.binary.v2+json"})
    got = api.drain(group, a, want=4)
    assert sorted((r["partition"], r["offset"]) for r in got) == [(p, 1) for p in range(4)]


def test_commit_resume_and_replay_by_offset_on_kafka(api: Api) -> None:
    name = topic("cr")
    create_topic(api, name, 1)
    for i in range(5):  # one record per batch: Tansu's end offsets are right for those
        api.produce(name, "json", {"records": [{"value": i}]})
    group = f"c-{uuid.uuid4().hex[:6]}"
    inst = api.create(group, format="json", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false",
                                               "fetch.min.bytes": 1})
    t = time.monotonic()
    assert api.records(group, inst, "json", timeout=300) == []  # nothing assigned yet: an empty answer in time
    assert time.monotonic() - t < 3
    api.assign(group, inst, [(name, 0)])
    assert [r["value"] for r in api.drain(group, inst, "json", want=5)] == [0, 1, 2, 3, 4]
    r = api.v2("POST", api.inst(group, inst) + "/offsets", {"offsets": [{"topic": name, "partition": 0, "offset": 1}]})
    assert (r.status_code, r.json()) == (200, [])
    r = api.v2("GET", api.inst(group, inst) + "/offsets", {"partitions": [{"topic": name, "partition": 0}]})
    assert r.json() == {"offsets": [{"topic": name, "partition": 0, "offset": 2, "metadata": ""}]}
    r = api.v2("POST", api.inst(group, inst) + "/positions", {"offsets": [{"topic": name, "partition": 0, "offset": 3}]})
    assert r.status_code == 204
    assert [r["value"] for r in api.drain(group, inst, "json", want=2)] == [3, 4]
    r = api.v2("POST", api.inst(group, inst) + "/positions/beginning", {"partitions": [{"topic": name, "partition": 0}]})
    assert r.status_code == 204
    assert [r["value"] for r in api.drain(group, inst, "json", want=5)] == [0, 1, 2, 3, 4]
    assert api.v2("DELETE", api.inst(group, inst)).status_code == 204
    again = api.create(group, format="json", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
    api.assign(group, again, [(name, 0)])
    assert [r["value"] for r in api.drain(group, again, "json", want=3)] == [2, 3, 4]  # from the committed offset
    r = api.v2("POST", api.inst(group, again) + "/positions", {"offsets": [{"topic": name, "partition": 1, "offset": 0}]})
    assert (r.status_code, r.json()["error_code"]) == (409, 40903)


def test_an_instance_shares_partitions_with_an_ordinary_kafka_consumer(api: Api, kafka_broker: str) -> None:  # noqa: F811
    import asyncio
    import threading

    from aiokafka import AIOKafkaConsumer

    name = topic("mixed")
    create_topic(api, name, 2)
    group = f"mx-{uuid.uuid4().hex[:6]}"
    inst = api.create(group, **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
    api.subscribe(group, inst, [name])
    state: dict[str, Any] = {"assigned": set(), "got": [], "stop": False}

    async def member() -> None:  # a plain aiokafka consumer in the same group, outside the gateway
        c = AIOKafkaConsumer(name, bootstrap_servers=kafka_broker, group_id=group, auto_offset_reset="earliest")
        await c.start()
        try:
            while not state["stop"]:
                batch = await c.getmany(timeout_ms=100)
                state["assigned"] = {tp.partition for tp in c.assignment()}
                state["got"] += [(m.partition, m.value) for msgs in batch.values() for m in msgs]
        finally:
            await c.stop()

    thread = threading.Thread(target=lambda: asyncio.run(member()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 90
        while True:
            api.records(group, inst, timeout=50)
            mine = {p for _, p in api.assignments(group, inst)}
            if len(mine) == 1 and len(state["assigned"]) == 1 and mine | state["assigned"] == {0, 1}:
                break
            assert time.monotonic() < deadline, (mine, state["assigned"])
            time.sleep(0.2)
        for p in range(2):
            api.v2("POST", f"/topics/{name}/partitions/{p}", {"records": [{"value": b64(f"p{p}".encode())}]},
                   **{"content-type": "application/vnd.kafka.binary.v2+json"})
        got = api.drain(group, inst, want=1)
        assert [(r["partition"], r["value"]) for r in got] == [(p, b64(f"p{p}".encode())) for p in mine]
        deadline = time.monotonic() + 30
        while not state["got"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert state["got"] == [(p, f"p{p}".encode()) for p in state["assigned"]]
    finally:
        state["stop"] = True
        thread.join(15)

"""The registry on KafkaStore (Confluent's `_schemas` topic) over real HTTP, on a real broker (Tansu).

Each test uses its own topic. Waits for another node are polls bounded by a deadline, never
assertions on time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from registry.app import create_app
from registry.store.kafka import KafkaStore
from registry.store.kafka_follower import LeaderForwarding
from tests.broker import kafka_broker  # noqa: F401
from tests.conftest import ServerThread, bound_socket
from tests.integration.registry_helpers import assert_error, ok, reg_id, register

SCHEMAWIRE = str(Path(sys.executable).with_name("schemawire"))
_topics = itertools.count()
A = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'
A2 = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":0}]}'
B = '{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}'


@pytest.fixture
def topic() -> str:
    return f"_schemas_{os.getpid()}_{next(_topics)}"


@contextmanager
def registry(bootstrap: str, topic: str, *, leader: str | None = None, timeout: float = 10.0) -> Iterator[httpx.Client]:
    """A registry app on its own KafkaStore, served on a loopback port; an HTTP client for it."""
    store = KafkaStore(bootstrap, topic, timeout=timeout)
    try:
        app = create_app(store=store)
        if leader is not None:
            app = LeaderForwarding(app, leader, store)
        with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        store.close()


def eventually(probe: Callable[[], bool], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError("not seen within the deadline")
        time.sleep(0.05)


def snapshot(sr: httpx.Client) -> dict:
    """What a client sees of the whole registry: subjects, versions with ids, configs, modes."""
    out: dict = {"subjects": ok(sr.get("/subjects", params={"deleted": "true"}))}
    for s in out["subjects"]:
        for v in ok(sr.get(f"/subjects/{s}/versions", params={"deleted": "true"})):
            out[(s, v)] = ok(sr.get(f"/subjects/{s}/versions/{v}", params={"deleted": "true"}))
    out["live"] = {s: ok(sr.get(f"/subjects/{s}/versions")) for s in ok(sr.get("/subjects"))}
    out["config"] = ok(sr.get("/config"))
    return out


def test_register_read_delete_config_then_restart(kafka_broker: str, topic: str) -> None:  # noqa: F811
    with registry(kafka_broker, topic) as sr:
        a1 = reg_id(sr, "a", A)
        a2 = reg_id(sr, "a", A2)
        b1 = reg_id(sr, "b", B, references=[{"name": "A", "subject": "a", "version": 1}])
        assert (a1, a2, b1) == (1, 2, 3)
        assert reg_id(sr, "a-copy", A) == a1  # the same schema keeps its id across subjects
        ok(sr.put("/config", json={"compatibility": "FULL"}))
        ok(sr.put("/config/b", json={"compatibility": "NONE"}))
        ok(sr.put("/mode/a-copy", json={"mode": "READONLY"}))
        assert ok(sr.delete("/subjects/a/versions/2")) == 2
        reg_id(sr, "tmp", '"string"')
        ok(sr.delete("/subjects/tmp"))
        ok(sr.delete("/subjects/tmp", params={"permanent": "true"}))
        assert ok(sr.get("/schemas/ids/3"))["references"] == [{"name": "A", "subject": "a", "version": 1}]
        assert ok(sr.get("/subjects/a/versions")) == [1]
        before = snapshot(sr)
        assert "tmp" not in before["subjects"]
    with registry(kafka_broker, topic) as sr:  # a new store and app on the same topic
        assert snapshot(sr) == before
        assert ok(sr.get("/config/b")) == {"compatibilityLevel": "NONE"}
        assert ok(sr.get("/mode/a-copy")) == {"mode": "READONLY"}
        assert_error(sr.get("/subjects/a/versions/2"), 404, 40402)
        assert ok(sr.get("/subjects/a/versions/2", params={"deleted": "true"}))["id"] == 2
        assert reg_id(sr, "c", '"bytes"') == 5  # after the hard-deleted id 4: ids are not reused


def test_second_registry_sees_the_first_ones_writes(kafka_broker: str, topic: str) -> None:  # noqa: F811
    with registry(kafka_broker, topic) as first, registry(kafka_broker, topic) as second:
        sid = reg_id(first, "s", A)
        eventually(lambda: second.get("/subjects/s/versions/1").status_code == 200)
        assert ok(second.get("/subjects/s/versions/1"))["id"] == sid
        ok(first.put("/config/s", json={"compatibility": "NONE"}))
        eventually(lambda: second.get("/config/s").status_code == 200)
        ok(first.delete("/subjects/s/versions/1"))
        eventually(lambda: second.get("/subjects/s/versions").status_code == 404)
        ok(first.delete("/subjects/s/versions/1", params={"permanent": "true"}))
        eventually(lambda: second.get("/subjects/s/versions", params={"deleted": "true"}).status_code == 404)
        assert first.get("/schemas/ids/1").status_code == second.get("/schemas/ids/1").status_code == 404
        assert reg_id(second, "t", A2) == 2  # written by the second node: ids go on from the first one's
        eventually(lambda: first.get("/subjects/t/versions/1").status_code == 200)


def test_follower_forwards_writes_to_the_leader(kafka_broker: str, topic: str) -> None:  # noqa: F811
    with registry(kafka_broker, topic) as leader:
        leader_url = str(leader.base_url).rstrip("/")
        with registry(kafka_broker, topic, leader=leader_url) as follower:
            sid = reg_id(follower, "f", A)
            # the follower waited for its own replay: read-your-write on the same node
            assert ok(follower.get("/subjects/f/versions/latest"))["id"] == sid
            assert ok(leader.get("/subjects/f/versions/latest"))["id"] == sid
            ok(follower.put("/config/f", json={"compatibility": "NONE"}))
            assert ok(leader.get("/config/f")) == {"compatibilityLevel": "NONE"}
            assert ok(follower.get("/config/f")) == {"compatibilityLevel": "NONE"}
            # lookups and compatibility checks are answered locally
            assert ok(follower.post("/subjects/f", json={"schema": A}))["id"] == sid
            assert ok(follower.post("/compatibility/subjects/f/versions/latest", json={"schema": A2}))[
                "is_compatible"] is True
            assert ok(follower.delete("/subjects/f")) == [1]
            assert follower.get("/subjects/f/versions").status_code == 404
            # errors come back from the leader as they are
            assert_error(register(follower, "bad", "not a schema"), 422, 42201)


def test_follower_answers_50003_when_the_leader_is_away(kafka_broker: str, topic: str) -> None:  # noqa: F811
    sock = bound_socket()  # bound, never listening: connections are refused
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with registry(kafka_broker, topic, leader=url) as follower:
            data = assert_error(register(follower, "x", '"string"'), 500, 50003)
            assert data["message"].startswith("Error while forwarding the request to the leader")
            assert ok(follower.get("/subjects")) == []
    finally:
        sock.close()


def _k(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _schema(subject: str, version: int, id_: int, schema: str, **extra) -> tuple[bytes, bytes]:
    return (_k({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}),
            _k({"subject": subject, "version": version, "id": id_, "schema": schema, "deleted": False, **extra}))


# Records as a Confluent 7.x registry writes them to its topic, in the order it writes them.
CONFLUENT_TOPIC: list[tuple[bytes, bytes | None]] = [
    (_k({"keytype": "NOOP", "magic": 0}), None),
    (_k({"keytype": "CONFIG", "magic": 0}), _k({"compatibilityLevel": "FULL"})),
    _schema("orders-value", 1, 1, A, schemaType="AVRO"),
    _schema("orders-value", 2, 2, A2, schemaType="AVRO"),
    _schema("refs", 1, 3, B, references=[{"name": "A", "subject": "orders-value", "version": 1}]),
    _schema("old", 1, 4, '"string"'),
    (_k({"keytype": "DELETE_SUBJECT", "subject": "old", "magic": 0}), _k({"subject": "old", "version": 1})),
    _schema("gone", 1, 5, '"int"'),
    (_k({"keytype": "SCHEMA", "subject": "gone", "version": 1, "magic": 1}),
     _k({"subject": "gone", "version": 1, "id": 5, "schema": '"int"', "deleted": True, "ts": 5})),
    (_k({"keytype": "SCHEMA", "subject": "gone", "version": 1, "magic": 1}), None),
    (_k({"keytype": "CONFIG", "subject": "refs", "magic": 0}), _k({"subject": "refs", "compatibilityLevel": "NONE"})),
    (_k({"keytype": "MODE", "subject": "old", "magic": 0}), _k({"subject": "old", "mode": "READONLY"})),
    (_k({"keytype": "CONTEXT", "tenant": "default", "context": ".team", "magic": 0}),
     _k({"tenant": "default", "context": ".team"})),
    _schema(":.team:events", 1, 1, '{"type":"object"}', schemaType="JSON"),
]


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in messages:  # one produce each, as Confluent's KafkaStore.put does
            await producer.send_and_wait(topic, value=value, key=key, partition=0)
    finally:
        await producer.stop()


def test_takes_over_a_confluent_topic(kafka_broker: str, topic: str) -> None:  # noqa: F811
    KafkaStore(kafka_broker, topic, timeout=10).close()  # the topic, compacted, as Confluent creates it
    asyncio.run(_produce(kafka_broker, topic, CONFLUENT_TOPIC))
    with registry(kafka_broker, topic) as sr:
        assert ok(sr.get("/subjects")) == [":.team:events", "orders-value", "refs"]
        assert ok(sr.get("/subjects", params={"deleted": "true"})) == [":.team:events", "old", "orders-value", "refs"]
        assert ok(sr.get("/subjects/orders-value/versions/2"))["id"] == 2
        refs = ok(sr.get("/subjects/refs/versions/1"))
        assert refs["id"] == 3 and refs["references"] == [{"name": "A", "subject": "orders-value", "version": 1}]
        assert ok(sr.get("/subjects/orders-value/versions/1/referencedby")) == [3]
        assert_error(sr.get("/subjects/old/versions/1"), 404, 40401)
        assert ok(sr.get("/subjects/old/versions/1", params={"deleted": "true"}))["id"] == 4
        assert sr.get("/subjects/gone/versions", params={"deleted": "true"}).status_code == 404
        assert ok(sr.get("/config")) == {"compatibilityLevel": "FULL"}
        assert ok(sr.get("/config/refs")) == {"compatibilityLevel": "NONE"}
        assert ok(sr.get("/mode/old")) == {"mode": "READONLY"}
        assert ok(sr.get("/schemas/ids/1", params={"subject": ":.team:events"}))["schemaType"] == "JSON"
        assert ok(sr.get("/contexts")) == [".", ".team"]
        # the same schema finds its id; a new one gets the next id after everything seen
        assert reg_id(sr, "copy", A) == 1
        assert reg_id(sr, "new", '"bytes"') == 6
        assert reg_id(sr, ":.team:more", '{"type":"string"}', schemaType="JSON") == 2
        # FULL, taken over from the global config, still guards the old subject
        assert register(sr, "orders-value", '"string"').status_code == 409


def test_confluent_client_round_trip(kafka_broker: str, topic: str) -> None:  # noqa: F811
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    with registry(kafka_broker, topic) as sr:
        client = SchemaRegistryClient({"url": str(sr.base_url).rstrip("/")})
        sid = client.register_schema("interop-value", Schema(A, "AVRO"))
        assert client.get_schema(sid).schema_str == A
        latest = client.get_latest_version("interop-value")
        assert (latest.schema_id, latest.version) == (sid, 1)
    with registry(kafka_broker, topic) as sr:
        client = SchemaRegistryClient({"url": str(sr.base_url).rstrip("/")})
        assert client.get_latest_version("interop-value").schema_id == sid


def test_cli_registry_on_kafka_restarts_with_the_same_ids(kafka_broker: str, topic: str) -> None:  # noqa: F811
    def run() -> tuple[subprocess.Popen, str]:
        sock = bound_socket()
        port = sock.getsockname()[1]
        sock.close()
        proc = subprocess.Popen([SCHEMAWIRE, "registry", "--port", str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "SCHEMAWIRE_KAFKASTORE_BOOTSTRAP_SERVERS": kafka_broker,
                                     "SCHEMAWIRE_KAFKASTORE_TOPIC": topic})
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.poll() is None, proc.stderr.read()
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.TransportError:
                return False
        eventually(up, 60)
        return proc, url

    proc, url = run()
    try:
        with httpx.Client(base_url=url, timeout=30) as sr:
            ids = [reg_id(sr, f"cli-{n}", f'{{"type":"fixed","name":"F{n}","size":{n + 1}}}') for n in range(5)]
    finally:
        proc.terminate()
        proc.wait(20)
    proc, url = run()
    try:
        with httpx.Client(base_url=url, timeout=30) as sr:
            assert [ok(sr.get(f"/subjects/cli-{n}/versions/1"))["id"] for n in range(5)] == ids
    finally:
        proc.terminate()
        proc.wait(20)


def test_store_failure_is_a_50001_error(kafka_broker: str, topic: str) -> None:  # noqa: F811
    """Last in the module: it stops the (memory-only) broker, and starts an empty one after."""
    try:
        with registry(kafka_broker, topic, timeout=3) as sr:
            reg_id(sr, "before", '"string"')
            kafka_broker.broker.stop()
            assert_error(register(sr, "after", '"int"'), 500, 50001)
            assert ok(sr.get("/subjects")) == ["before"]  # nothing applied that was not acknowledged
    finally:
        if kafka_broker.broker.proc is None:
            kafka_broker.broker.start()

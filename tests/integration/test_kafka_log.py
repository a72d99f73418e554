"""KafkaLog against a real Kafka-protocol broker (Tansu): topics, keyed placement, reads,
group offsets, per-record errors, and an outage with recovery without a restart.

What Tansu cannot show (test-broker.md) is asserted on the embedded log instead: end offsets
after multi-record batches, offsets for a timestamp, durability.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka import errors as E

from gateway.log.base import LogError, PartitionNotFound, Record, TopicExists, TopicNotFound
from gateway.log.kafka import KafkaLog, client_kwargs, librdkafka_config, log_error, record_error
from gateway.log.partitioner import partition_for_key
from tests.broker import kafka_broker  # noqa: F401
from tests.logs import run_log


def run(bootstrap: str, body: Callable[[KafkaLog], Awaitable[Any]], **kw: Any) -> Any:
    return run_log(lambda: KafkaLog(bootstrap, **{"timeout": 3.0, **kw}), body)


def test_topics_create_describe_delete(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        info = await log.create_topic("admin-t", 4, {"retention.ms": "60000"})
        assert info.partitions == 4
        assert "admin-t" in await log.topics()
        got = await log.topic("admin-t")
        assert got.partitions == 4 and got.configs.get("retention.ms") == "60000" and got.replication_factor == 1
        with pytest.raises(TopicExists):
            await log.create_topic("admin-t", 1)
        with pytest.raises(LogError) as bad:
            await log.create_topic("bad name!", 1)
        assert bad.value.error_code == 40002
        await log.delete_topic("admin-t")
        assert "admin-t" not in await log.topics()
        with pytest.raises(TopicNotFound):
            await log.topic("admin-t")
        with pytest.raises(TopicNotFound):
            await log.delete_topic("admin-t")
    run(kafka_broker, body)


def test_keyed_append_lands_where_murmur2_says_and_reads_back(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("keyed-k", 5)
        keys = [f"key-{i}".encode() for i in range(40)] + [b"", b"\x00\x00\x00\x00\x07abc"]
        recs = [Record(k, b"v-" + k, headers=(("h", k), ("n", None)), timestamp=1_700_000_000_000 + i)  # type: ignore[arg-type]
                for i, k in enumerate(keys)]
        out = await log.append("keyed-k", recs)
        assert all(a.error_code is None for a in out)
        assert [a.partition for a in out] == [partition_for_key(k, 5) for k in keys]
        per_part: dict[int, list[int]] = {}
        for a in out:
            per_part.setdefault(a.partition, []).append(a.offset)
        for part, offsets in per_part.items():
            assert offsets == list(range(len(offsets)))  # dense from 0, in call order
            got = await log.read("keyed-k", part, 0)
            assert [g.offset for g in got] == offsets
            expected = [r for r, a in zip(recs, out) if a.partition == part]
            assert [(g.key, g.value, g.headers, g.timestamp) for g in got] == \
                   [(r.key, r.value, r.headers, r.timestamp) for r in expected]
            assert await log.earliest("keyed-k", part) == 0
        # an ordinary consumer sees the same placement
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_broker, auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.assign([TopicPartition("keyed-k", p) for p in range(5)])
            seen: dict[bytes, int] = {}
            deadline = time.monotonic() + 10
            while len(seen) < len(keys) and time.monotonic() < deadline:
                for tp, msgs in (await consumer.getmany(timeout_ms=200)).items():
                    seen.update({m.key: tp.partition for m in msgs})
            assert seen == {k: partition_for_key(k, 5) for k in keys}
        finally:
            await consumer.stop()
    run(kafka_broker, body)


def test_reads_page_by_records_and_bytes_and_stop_at_the_end(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("paged", 1)
        for i in range(6):  # one record per batch: Tansu's end offset is then exact
            await log.append("paged", [Record(None, bytes([i]) * 100, partition=0)])
        assert await log.latest("paged", 0) == 6
        assert [r.offset for r in await log.read("paged", 0, 0, max_records=2)] == [0, 1]
        assert [r.offset for r in await log.read("paged", 0, 2, max_records=2)] == [2, 3]  # continues
        assert [r.offset for r in await log.read("paged", 0, 1, max_records=3)] == [1, 2, 3]  # seeks back
        assert [r.offset for r in await log.read("paged", 0, 0, max_bytes=250)] == [0, 1]
        assert [r.offset for r in await log.read("paged", 0, 4, max_bytes=1)] == [4]
        assert await log.read("paged", 0, 6) == []
        assert await log.read("paged", 0, 60) == []
        with pytest.raises(PartitionNotFound):
            await log.read("paged", 1, 0)
        with pytest.raises(TopicNotFound):
            await log.read("no-such-topic", 0, 0)
        assert isinstance(await log.offset_for_time("paged", 0, 0), int)  # Tansu answers the first offset
    run(kafka_broker, body)


def test_auto_create_on_and_off(kafka_broker: str) -> None:  # noqa: F811
    async def on(log: KafkaLog) -> None:
        out = await log.append("auto-made", [Record(b"k", b"v")])
        assert out[0].error_code is None and out[0].offset == 0
        assert (await log.topic("auto-made")).partitions == 3
        bad = await log.append("bad/topic", [Record(None, b"v")])
        assert bad[0].error_code == 50002
    run(kafka_broker, on, default_partitions=3)

    async def off(log: KafkaLog) -> None:
        with pytest.raises(TopicNotFound):
            await log.append("never-made", [Record(None, b"v")])
        assert "never-made" not in await log.topics()
        with pytest.raises(PartitionNotFound):
            await log.append("auto-made", [Record(None, b"a"), Record(None, b"b", partition=3)])
    run(kafka_broker, off, auto_create=False)


def test_too_large_record_fails_alone(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("sizes", 1)
        out = await log.append("sizes", [Record(None, b"small", partition=0),
                                         Record(None, b"x" * 2_000_000, partition=0)])
        assert out[0].error_code is None and out[0].offset == 0
        assert out[1].error_code == 50002 and out[1].offset is None and out[1].partition is None and out[1].error
    run(kafka_broker, body)


def test_commit_and_committed_through_the_coordinator(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("offs", 3)
        await log.commit("grp-a", {("offs", 0): 5, ("offs", 2): 9})
        await log.commit("grp-a", {("offs", 0): 6})
        got = await log.committed("grp-a", [("offs", 0), ("offs", 1), ("offs", 2)])
        assert got == {("offs", 0): 6, ("offs", 1): None, ("offs", 2): 9}
        assert await log.committed("grp-b", [("offs", 0)]) == {("offs", 0): None}
        # an ordinary group consumer resumes from what was committed
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_broker, group_id="grp-a", enable_auto_commit=False)
        await consumer.start()
        try:
            assert await consumer.committed(TopicPartition("offs", 2)) == 9
        finally:
            await consumer.stop()
    run(kafka_broker, body)


def test_alter_configs_groups_and_member_consumers(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("cfg", 1, {"retention.ms": "60000"})
        info = await log.alter_topic_configs("cfg", {"retention.bytes": "1048576"})
        assert info.configs.get("retention.bytes") == "1048576"
        assert info.configs.get("retention.ms") == "60000"  # incremental: the others stay
        with pytest.raises(TopicNotFound):
            await log.alter_topic_configs("no-such-cfg", {"retention.ms": "1"})
        await log.append("cfg", [Record(None, b"v", partition=0)])
        consumer = log.new_consumer(group_id="member-group", auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.subscribe(["cfg"])
            msg = await asyncio.wait_for(consumer.getone(), 20)
            assert msg.value == b"v"
            await consumer.commit()
            assert "member-group" in await log.groups()
        finally:
            await consumer.stop()
        assert await log.committed("member-group", [("cfg", 0)]) == {("cfg", 0): 1}
    run(kafka_broker, body)


def test_broker_outage_fails_fast_and_recovers_without_restart(kafka_broker) -> None:  # noqa: F811
    broker = kafka_broker.broker

    async def body(log: KafkaLog) -> None:
        first = (await log.append("outage", [Record(b"k", b"before")]))[0]
        assert first.error_code is None
        assert len(await log.read("outage", first.partition, 0)) == 1  # a reader that exists before the outage
        broker.stop()
        try:
            t0 = time.monotonic()
            out = await log.append("outage", [Record(b"k", b"during"), Record(None, b"during")])
            assert [a.error_code for a in out] == [50003, 50003]
            assert all(a.offset is None and a.partition is None and a.error for a in out)
            with pytest.raises(LogError) as down:
                await log.topics()
            assert down.value.error_code == 50003
            with pytest.raises(LogError):
                await log.read("outage", first.partition, 0)
            with pytest.raises(LogError):
                await log.commit("g", {("outage", first.partition): 1})
            assert time.monotonic() - t0 < 4 * (log.timeout + 2)
        finally:
            broker.start()
        # back on the same address, with no new KafkaLog. Tansu comes back empty (memory storage), so
        # put the topic back first, as a real broker would still have it (the producer's metadata
        # refresh may have had Tansu auto-create it already).
        deadline = time.monotonic() + 30
        while True:
            try:
                await log.create_topic("outage", 1)
                break
            except TopicExists:
                break
            except LogError as exc:
                assert exc.error_code == 50003 and time.monotonic() < deadline, exc
                await asyncio.sleep(0.2)
        while True:
            out = await log.append("outage", [Record(b"k", b"after")])
            if out[0].error_code is None:
                break
            assert out[0].error_code == 50003
            assert time.monotonic() < deadline, out
            await asyncio.sleep(0.2)
        got = await log.read("outage", out[0].partition, out[0].offset)
        assert [r.value for r in got] == [b"after"]
        assert "outage" in await log.topics()
    run(kafka_broker, body, timeout=2.0)


def test_broker_down_at_start_then_up() -> None:
    from tests.broker import Broker

    broker = Broker()  # not started yet: the gateway comes up first

    async def main() -> None:
        log = KafkaLog(broker.bootstrap, timeout=1.0)
        t0 = time.monotonic()
        await log.start()  # does not fail: the broker may come later
        out = await log.append("late", [Record(None, b"v")])
        assert out[0].error_code == 50003
        with pytest.raises(LogError) as down:
            await log.topics()
        assert down.value.error_code == 50003
        assert time.monotonic() - t0 < 10
        broker.start()
        try:
            deadline = time.monotonic() + 20
            while (out := await log.append("late", [Record(None, b"v")]))[0].error_code is not None:
                assert time.monotonic() < deadline, out
                await asyncio.sleep(0.2)
            assert out[0].offset == 0 and "late" in await log.topics()
        finally:
            await log.close()
            broker.stop()
    asyncio.run(main())


def test_client_options_map_to_aiokafka_and_typos_fail() -> None:
    common, producer, idem = client_kwargs({
        "linger.ms": "5", "compression.type": "gzip", "acks": "all", "producer.batch.size": "65536",
        "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required '
                            'username="alice" password="s3cr\\"et";',
        "client.id": "gw", "request.timeout.ms": "2000"})
    assert producer == {"linger_ms": 5, "compression_type": "gzip", "acks": "all", "max_batch_size": 65536}
    assert common["sasl_mechanism"] == "SCRAM-SHA-256" and common["sasl_plain_username"] == "alice"
    assert common["security_protocol"] == "SASL_PLAINTEXT" and common["client_id"] == "gw"
    assert common["request_timeout_ms"] == 2000 and idem is None
    assert client_kwargs({"acks": "1"})[2] is False
    assert client_kwargs({"enable.idempotence": "false"})[2] is False
    with pytest.raises(ValueError, match="linger.sm"):
        client_kwargs({"linger.sm": "5"})
    with pytest.raises(ValueError, match="invalid value"):
        client_kwargs({"linger.ms": "soon"})


def test_librdkafka_config_keeps_connection_settings_only() -> None:
    config = librdkafka_config("h:9092", {
        "linger.ms": "5", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": 'x required username="u" password="p";', "ssl.ca.location": "/ca.pem"})
    assert config == {"bootstrap.servers": "h:9092", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                      "sasl.username": "u", "sasl.password": "p", "ssl.ca.location": "/ca.pem"}


def test_errors_map_to_rest_proxy_codes() -> None:
    assert record_error(E.TopicAuthorizationFailedError("t"))[0] == 40301
    assert record_error(E.SaslAuthenticationFailed())[0] == 40101
    assert record_error(E.KafkaTimeoutError())[0] == 50003
    assert record_error(E.NotLeaderForPartitionError())[0] == 50003
    assert record_error(E.MessageSizeTooLargeError())[0] == 50002
    assert record_error(E.InvalidTopicError())[0] == 50002
    assert (log_error(E.InvalidPartitionsError()).status, log_error(E.InvalidPartitionsError()).error_code) == \
           (400, 40002)
    assert log_error(E.KafkaConnectionError()).error_code == 50003
    assert log_error(asyncio.TimeoutError()).error_code == 50003
    assert isinstance(log_error(E.TopicAlreadyExistsError()), TopicExists)

"""KafkaLog.append sends a call's records as one batch per partition (create_batch/send_batch): each
record's offset is derived from the batch's base offset, so these tests read every record back with an
ordinary aiokafka consumer at the offset append reported (never from end offsets: Tansu reports those
wrongly after multi-record batches, see /work/shared/spec/test-broker.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from gateway.log.base import Appended, Record
from gateway.log.kafka import KafkaLog
from gateway.log.partitioner import partition_for_key
from tests.broker import kafka_broker  # noqa: F401
from tests.logs import run_log


def run(bootstrap: str, body: Callable[[KafkaLog], Awaitable[Any]], **kw: Any) -> Any:
    return run_log(lambda: KafkaLog(bootstrap, **{"timeout": 5.0, **kw}), body)


async def read_back(bootstrap: str, topic: str, want: dict[int, int]) -> dict[tuple[int, int], Any]:
    """Every record of partition p from offset 0 to want[p] (exclusive), by (partition, offset)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    got: dict[tuple[int, int], Any] = {}
    try:
        tps = [TopicPartition(topic, p) for p in want]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        deadline = time.monotonic() + 15
        while sum(want.values()) > len(got) and time.monotonic() < deadline:
            for tp, msgs in (await consumer.getmany(timeout_ms=200)).items():
                got.update({(tp.partition, m.offset): m for m in msgs if m.offset < want[tp.partition]})
    finally:
        await consumer.stop()
    return got


def assert_contiguous(out: list[Appended]) -> dict[int, list[int]]:
    """Per partition, the call's offsets in call order: each one more than the one before."""
    per: dict[int, list[int]] = {}
    for a in out:
        assert a.error_code is None, a
        per.setdefault(a.partition, []).append(a.offset)
    for offsets in per.values():
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets))), offsets
    return per


def test_one_call_mixed_partitions_contiguous_offsets_headers_and_timestamps(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("mixed", 3)
        first = await log.append("mixed", [Record(None, b"pre-%d" % p, partition=p) for p in (0, 1, 1, 2, 2, 2)])
        assert [(a.partition, a.offset) for a in first] == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]
        recs = []
        for i in range(60):
            if i % 3 == 0:  # explicit partition
                headers: Any = (("i", b"%d" % i), ("empty", None))
                recs.append(Record(None, b"v%d" % i, headers=headers, timestamp=1_700_000_000_000 + i, partition=i % 2))
            elif i % 3 == 1:  # keyed: murmur2
                recs.append(Record(b"key-%d" % i, b"v%d" % i, timestamp=1_600_000_000_000 - i))
            else:  # keyless, no timestamp (now), a key-only tombstone now and then
                recs.append(Record(b"t-%d" % i, None) if i % 10 == 5 else Record(None, b"v%d" % i))
        recs.append(Record(None, None, headers=(("only", b"headers"),), partition=2))  # neither key nor value
        t0 = int(time.time() * 1000)
        out = await log.append("mixed", recs)
        t1 = int(time.time() * 1000)
        per = assert_contiguous(out)
        for r, a in zip(recs, out):
            if r.partition is not None:
                assert a.partition == r.partition
            elif r.key is not None:
                assert a.partition == partition_for_key(r.key, 3)
        for p, offsets in per.items():  # after what was there before
            assert offsets[0] == sum(1 for a in first if a.partition == p)
        want = {p: offsets[-1] + 1 for p, offsets in per.items()}
        got = await read_back(log.bootstrap_servers, "mixed", want)
        for r, a in zip(recs, out):
            m = got[(a.partition, a.offset)]
            assert (m.key, m.value) == (r.key, r.value)
            assert tuple(m.headers) == r.headers
            if r.timestamp is not None:
                assert m.timestamp == r.timestamp
            else:
                assert t0 - 1000 <= m.timestamp <= t1 + 1000
        for a in first:  # the earlier call's records are still where they were said to be
            assert got[(a.partition, a.offset)].value == b"pre-%d" % a.partition
    run(kafka_broker, body)


def test_a_call_larger_than_a_batch_splits_and_stays_contiguous(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("split", 2)
        recs = [Record(None, bytes([i % 256]) * 300 + b"#%d" % i, partition=i % 2) for i in range(200)]
        out = await log.append("split", recs)  # ~30 KB per partition: several 1 KB batches each
        per = assert_contiguous(out)
        assert {p: o[0] for p, o in per.items()} == {0: 0, 1: 0}
        got = await read_back(log.bootstrap_servers, "split", {p: o[-1] + 1 for p, o in per.items()})
        assert [got[(a.partition, a.offset)].value for a in out] == [r.value for r in recs]
    run(kafka_broker, body, client_options={"producer.batch.size": "1024"})


def test_an_oversize_record_fails_alone_inside_a_batch(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("over", 2)
        recs = [Record(None, b"a", partition=0), Record(None, b"b", partition=1),
                Record(None, b"x" * 5000, partition=0), Record(b"k", b"y" * 5000, partition=1),
                Record(None, b"c", partition=0), Record(None, b"d", partition=1)]
        out = await log.append("over", recs)
        for i in (2, 3):
            assert out[i].error_code == 50002 and out[i].offset is None and out[i].partition is None
            assert "max_request_size" in (out[i].error or "")
        assert [(a.partition, a.offset) for i, a in enumerate(out) if i not in (2, 3)] == \
               [(0, 0), (1, 0), (0, 1), (1, 1)]
        got = await read_back(log.bootstrap_servers, "over", {0: 2, 1: 2})
        assert {k: m.value for k, m in got.items()} == {(0, 0): b"a", (0, 1): b"c", (1, 0): b"b", (1, 1): b"d"}
    run(kafka_broker, body, client_options={"max.request.size": "4096"})


def test_concurrent_calls_each_stay_contiguous_and_share_the_partition(kafka_broker: str) -> None:  # noqa: F811
    async def body(log: KafkaLog) -> None:
        await log.create_topic("busy", 1)
        calls = [[Record(None, b"c%d-%d" % (c, i), partition=0) for i in range(1 + c % 7)] for c in range(40)]
        outs = await asyncio.gather(*(log.append("busy", recs) for recs in calls))
        offsets = []
        for out in outs:
            assert_contiguous(out)
            offsets += [a.offset for a in out]
        total = sum(len(c) for c in calls)
        assert sorted(offsets) == list(range(total))  # no gaps, no overlaps
        got = await read_back(log.bootstrap_servers, "busy", {0: total})
        for recs, out in zip(calls, outs):
            assert [got[(0, a.offset)].value for a in out] == [r.value for r in recs]
    run(kafka_broker, body)

"""The embedded SQLite log: offsets, group commit, partitioning, topics, retention, time lookup, group offsets."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.logs import run_log
from gateway.log.base import LogError, PartitionNotFound, Record, TopicExists, TopicNotFound
from gateway.log.embedded import EmbeddedLog
from gateway.log.partitioner import partition_for_key


def run(path: Path, body: Callable[[EmbeddedLog], Awaitable[Any]], **kw: Any) -> Any:
    return run_log(lambda: EmbeddedLog(path, **kw), body)


def _stored(c: sqlite3.Connection, tid: int | None = None) -> int:
    """Records physically in the file (of topic `tid`), whatever their batches."""
    return c.execute("SELECT COALESCE(SUM(last_off - base_off + 1), 0) FROM batches WHERE ?1 IS NULL OR tid=?1",
                     (tid,)).fetchone()[0]


def test_concurrent_appends_get_dense_unique_contiguous_offsets_in_few_transactions(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        transactions = 0
        inner = log._write_group

        def counting(*a: Any) -> Any:
            nonlocal transactions
            transactions += 1
            return inner(*a)

        log._write_group = counting  # type: ignore[method-assign]
        acked: dict[int, bytes] = {}
        calls = 0

        async def producer(n: int) -> None:
            nonlocal calls
            rng = random.Random(n)
            for i in range(15):
                values = [f"{n}-{i}-{j}".encode() for j in range(rng.randint(1, 5))]
                out = await log.append("dense", [Record(None, v, partition=0) for v in values])
                calls += 1
                offsets = [a.offset for a in out]
                assert offsets == list(range(offsets[0], offsets[0] + len(values)))  # contiguous per call
                for o, v in zip(offsets, values):
                    assert o not in acked
                    acked[o] = v
        await asyncio.gather(*(producer(n) for n in range(40)))
        assert sorted(acked) == list(range(len(acked)))
        assert await log.latest("dense", 0) == len(acked)
        got = await log.read("dense", 0, 0, max_records=len(acked) + 10)
        assert {r.offset: r.value for r in got} == acked
        assert transactions < calls / 3, (transactions, calls)
    run(tmp_path / "log.db", body)


def test_a_failing_call_is_rolled_back_alone_inside_a_shared_transaction(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("t", 2)
        await log.append("t", [Record(None, b"original", partition=0)])
        log._topics["t"].parts[0].next = 0  # make the next call to partition 0 collide with offset 0
        doomed = log.append("t", [Record(None, b"a", partition=1)] + [Record(None, b"b", partition=0)] * 3)
        fine = log.append("t", [Record(None, b"c", partition=1)])
        results = await asyncio.gather(doomed, fine, return_exceptions=True)
        assert isinstance(results[0], LogError) and results[0].error_code == 50002
        assert [(a.partition, a.offset) for a in results[1]] == [(1, 0)]  # the doomed call took no offset
        assert log._topics["t"].parts[0].next == 0
        log._topics["t"].parts[0].next = 1
        assert [r.value for r in await log.read("t", 0, 0)] == [b"original"]
        assert [r.value for r in await log.read("t", 1, 0)] == [b"c"]
    run(tmp_path / "log.db", body)


def test_keyed_records_follow_murmur2_and_explicit_partition_wins(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("keyed", 5)
        keys = [f"key-{i}".encode() for i in range(60)] + [b"", b"\x00\x00\x00\x00\x01abc"]
        out = await log.append("keyed", [Record(k, b"v") for k in keys])
        assert [a.partition for a in out] == [partition_for_key(k, 5) for k in keys]
        assert (await log.append("keyed", [Record(b"key-1", b"v", partition=4)]))[0].partition == 4
        for a, k in zip(out, keys):
            got = await log.read("keyed", a.partition, a.offset, max_records=1)
            assert got[0].key == k
        # keyless records of one call stay together; calls spread over all partitions
        spread = set()
        for _ in range(5):
            parts = {a.partition for a in await log.append("keyed", [Record(None, b"x")] * 3)}
            assert len(parts) == 1
            spread |= parts
        assert spread == set(range(5))
    run(tmp_path / "log.db", body)


def test_bad_partition_writes_nothing(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("p", 2)
        with pytest.raises(PartitionNotFound):
            await log.append("p", [Record(None, b"a", partition=0), Record(None, b"b", partition=2)])
        with pytest.raises(PartitionNotFound):
            await log.append("p", [Record(None, b"a", partition=-1)])
        assert [await log.latest("p", i) for i in range(2)] == [0, 0]
        with pytest.raises(PartitionNotFound):
            await log.read("p", 7, 0)
        with pytest.raises(TopicNotFound):
            await log.latest("nope", 0)
    run(tmp_path / "log.db", body)


def test_auto_create_uses_default_partitions(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        out = await log.append("auto", [Record(b"k", b"v")])
        assert out[0].offset == 0
        info = await log.topic("auto")
        assert info.partitions == 3 and info.configs["cleanup.policy"] == "delete"
        assert await log.topics() == ["auto"]
        with pytest.raises(TopicExists):
            await log.create_topic("auto", 1)
        bad = await log.append("bad/name", [Record(None, b"v")])
        assert bad[0].error_code == 50002 and bad[0].offset is None
        assert await log.topics() == ["auto"]
    run(tmp_path / "log.db", body, default_partitions=3)


def test_auto_create_off_refuses_unknown_topics(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        with pytest.raises(TopicNotFound):
            await log.append("missing", [Record(None, b"v")])
        assert await log.topics() == []
        await log.create_topic("present", 2, {"retention.ms": "1000"})
        assert (await log.append("present", [Record(None, b"v", partition=1)]))[0].offset == 0
        with pytest.raises(TopicNotFound):
            await log.topic("missing")
        for bad in ({"retention.ms": "soon"}, {"no.such.config": "1"}, {"cleanup.policy": "shred"}):
            with pytest.raises(LogError) as e:
                await log.create_topic("x", 1, bad)
            assert e.value.error_code == 40002
        with pytest.raises(LogError):
            await log.create_topic("y", 0)
    run(tmp_path / "log.db", body, auto_create=False)


def test_records_roundtrip_with_headers_nulls_and_timestamps(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        recs = [Record(None, None, headers=(("a", b"1"), ("a", b"2"), ("n", None)), timestamp=1234),  # type: ignore[arg-type]
                Record(b"", b"", timestamp=5678),
                Record(b"k", b"\x00" * 3000)]
        before = int(time.time() * 1000)
        await log.append("rt", [Record(r.key, r.value, r.headers, r.timestamp, 0) for r in recs])
        got = await log.read("rt", 0, 0)
        assert [(g.key, g.value, g.headers) for g in got] == [(r.key, r.value, r.headers) for r in recs]
        assert got[0].timestamp == 1234 and got[1].timestamp == 5678 and got[2].timestamp >= before
        assert [g.offset for g in await log.read("rt", 0, 1, max_records=1)] == [1]
        assert [g.offset for g in await log.read("rt", 0, 0, max_bytes=1)] == [0]  # always one
        assert [g.offset for g in await log.read("rt", 0, 1, max_bytes=100)] == [1]
        assert await log.read("rt", 0, 3) == []
    run(tmp_path / "log.db", body)


def test_a_record_over_max_message_bytes_fails_alone(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("big", 1, {"max.message.bytes": "1000"})
        out = await log.append("big", [Record(None, b"a"), Record(None, b"x" * 1001), Record(None, b"b")])
        assert [(a.partition, a.offset, a.error_code) for a in out] == [(0, 0, None), (None, None, 50002), (0, 1, None)]
        assert "1001 bytes" in (out[1].error or "")
        assert [r.value for r in await log.read("big", 0, 0)] == [b"a", b"b"]
        only = await log.append("big", [Record(None, b"x" * 2000)])
        assert only[0].error_code == 50002 and await log.latest("big", 0) == 2
    run(tmp_path / "log.db", body)


def test_offset_for_time_is_first_offset_at_or_after(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        stamps = [100, 200, 150, 300, 250, 300]
        await log.append("tt", [Record(None, b"v", timestamp=t, partition=0) for t in stamps])
        for ts, expected in [(0, 0), (100, 0), (101, 1), (150, 1), (201, 3), (250, 3), (300, 3), (301, None)]:
            assert await log.offset_for_time("tt", 0, ts) == expected, ts
    run(tmp_path / "log.db", body)


def test_retention_by_age_moves_log_start_and_offsets_are_never_reused(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    now = int(time.time() * 1000)

    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("aged", 1, {"retention.ms": "60000"})
        await log.append("aged", [Record(None, b"old", timestamp=now - 120_000, partition=0)] * 7)
        await log.append("aged", [Record(None, b"new", timestamp=now, partition=0)] * 3)
        deleted = await log.enforce_retention()
        assert deleted == 7
        assert await log.earliest("aged", 0) == 7 and await log.latest("aged", 0) == 10
        got = await log.read("aged", 0, 0)
        assert [r.offset for r in got] == [7, 8, 9] and {r.value for r in got} == {b"new"}
        # everything expires: the log is empty and the next offset is still 10
        assert await log.enforce_retention(now_ms=now + 120_000) == 3
        assert await log.earliest("aged", 0) == 10 == await log.latest("aged", 0)
        assert await log.read("aged", 0, 0) == []
    run(db, body)

    async def reopened(log: EmbeddedLog) -> None:
        assert await log.earliest("aged", 0) == 10 == await log.latest("aged", 0)
        assert (await log.append("aged", [Record(None, b"again")]))[0].offset == 10
        assert [r.offset for r in await log.read("aged", 0, 0)] == [10]
    run(db, reopened)
    with sqlite3.connect(db) as c:
        assert _stored(c) == 1


def test_retention_by_bytes_keeps_the_newest_that_fit(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("sized", 2, {"retention.bytes": "1000", "retention.ms": "-1"})
        await log.append("sized", [Record(None, b"x" * 100, timestamp=1, partition=0)] * 50)
        await log.append("sized", [Record(None, b"y" * 100, timestamp=1, partition=1)] * 5)
        assert await log.enforce_retention() == 40
        assert await log.earliest("sized", 0) == 40 and await log.latest("sized", 0) == 50
        assert await log.earliest("sized", 1) == 0
        assert len(await log.read("sized", 0, 0)) == 10
        await log.append("sized", [Record(None, b"x" * 100, partition=0)] * 2)
        assert await log.enforce_retention() == 2
        assert await log.earliest("sized", 0) == 42
    run(tmp_path / "log.db", body)


def test_retention_deletes_in_chunks_that_let_producers_through(tmp_path: Path) -> None:
    db = tmp_path / "log.db"

    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("big", 1, {"retention.ms": "1000"})
        for _ in range(20):
            await log.append("big", [Record(None, b"v" * 50, timestamp=1, partition=0)] * 1000)
        tid = log._topics["big"].tid
        retention = asyncio.create_task(log.enforce_retention())
        await asyncio.sleep(0)
        seen = set()
        with sqlite3.connect(db) as c:
            while not retention.done():
                await log.append("other", [Record(None, b"x")])
                seen.add(_stored(c, tid))
        assert await retention == 20_000
        # producers got in between deletion chunks: they saw the deletion half done
        assert any(0 < n < 20_000 for n in seen), sorted(seen)
        assert await log.earliest("big", 0) == 20_000
    run(db, body)


def test_compact_only_topics_are_left_alone_and_configs_can_change(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("c", 1, {"cleanup.policy": "compact", "retention.ms": "1"})
        await log.append("c", [Record(b"k", b"v", timestamp=1)])
        assert await log.enforce_retention() == 0
        info = await log.alter_topic_configs("c", {"cleanup.policy": "delete"})
        assert info.configs["cleanup.policy"] == "delete"
        assert await log.enforce_retention() == 1
    run(tmp_path / "log.db", body)


def test_background_retention_runs_by_itself(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("bg", 1, {"retention.ms": "1000"})
        await log.append("bg", [Record(None, b"v", timestamp=1)] * 3)
        for _ in range(250):
            if await log.earliest("bg", 0) == 3:
                break
            await asyncio.sleep(0.02)
        assert await log.earliest("bg", 0) == 3
    run(tmp_path / "log.db", body, retention_check_interval=0.05)


def test_deleted_topic_is_gone_and_recreated_topic_starts_fresh(tmp_path: Path) -> None:
    db = tmp_path / "log.db"

    async def body(log: EmbeddedLog) -> None:
        await log.append("d", [Record(None, b"first")] * 4)
        await log.commit("g", {("d", 0): 2})
        await log.delete_topic("d")
        with pytest.raises(TopicNotFound):
            await log.read("d", 0, 0)
        with pytest.raises(TopicNotFound):
            await log.delete_topic("d")
        await log.append("d", [Record(None, b"second")])
        assert [r.value for r in await log.read("d", 0, 0)] == [b"second"]
        assert await log.committed("g", [("d", 0)]) == {("d", 0): None}
        await log.enforce_retention()
    run(db, body)
    with sqlite3.connect(db) as c:
        assert _stored(c) == 1


def test_commit_and_committed_survive_restart(tmp_path: Path) -> None:
    db = tmp_path / "log.db"

    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("c", 3)
        await log.commit("g1", {("c", 0): 5, ("c", 2): 7})
        await log.commit("g1", {("c", 0): 6})
        await log.commit("g2", {("c", 1): 1})
        with pytest.raises(PartitionNotFound):
            await log.commit("g1", {("c", 9): 1})
        with pytest.raises(TopicNotFound):
            await log.commit("g1", {("nope", 0): 1})
    run(db, body)

    async def check(log: EmbeddedLog) -> None:
        got = await log.committed("g1", [("c", 0), ("c", 1), ("c", 2), ("x", 0)])
        assert got == {("c", 0): 6, ("c", 1): None, ("c", 2): 7, ("x", 0): None}
        assert await log.committed("g2", [("c", 1)]) == {("c", 1): 1}
        assert await log.groups() == ["g1", "g2"]
        assert (await log.topic("c")).partitions == 3
    run(db, check)


def test_closed_log_refuses_work(tmp_path: Path) -> None:
    async def main() -> None:
        log = EmbeddedLog(tmp_path)
        await log.start()
        await log.append("t", [Record(None, b"v")])
        await log.close()
        with pytest.raises(LogError):
            await log.append("t", [Record(None, b"v")])
    asyncio.run(main())
    assert (tmp_path / "log.db").exists()


def test_a_new_directory_path_gets_log_db_inside(tmp_path: Path) -> None:
    run(tmp_path / "data" / "gateway", lambda log: log.append("t", [Record(None, b"v")]))
    assert (tmp_path / "data" / "gateway" / "log.db").is_file()
    run(tmp_path / "elsewhere" / "my.db", lambda log: log.append("t", [Record(None, b"v")]))
    assert (tmp_path / "elsewhere" / "my.db").is_file()

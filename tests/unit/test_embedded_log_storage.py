"""The embedded log's batch storage against a plain model of the log: one row per call and partition,
reads from inside batches under record and byte limits, offset-for-time over out-of-order timestamps,
retention whose log start falls inside a batch, and files written by the per-record layout before."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.logs import run_log
from gateway.log.base import LogError, Record
from gateway.log.embedded import EmbeddedLog, pack_headers

Model = list[tuple[bytes | None, bytes | None, tuple[tuple[str, Any], ...], int]]  # key, value, headers, ts


def run(path: Path, body: Callable[[EmbeddedLog], Awaitable[Any]], **kw: Any) -> Any:
    return run_log(lambda: EmbeddedLog(path, **kw), body)


def _size(key: bytes | None, value: bytes | None, headers: tuple[tuple[str, Any], ...]) -> int:
    return len(key or b"") + len(value or b"") + len(pack_headers(headers) or b"")


def _expected_read(model: Model, start: int, offset: int, max_records: int, max_bytes: int | None) -> list[int]:
    out: list[int] = []
    used = 0
    for off in range(max(offset, start), len(model)):
        if len(out) >= max_records:
            break
        if max_bytes is not None:
            used += _size(*model[off][:3])
            if used > max_bytes and out:
                break
        out.append(off)
    return out


def _expected_time(model: Model, start: int, ts: int) -> int | None:
    """First offset >= start whose running max timestamp (from offset 0) is >= ts: the old per-record answer."""
    running = -1
    for off, rec in enumerate(model):
        running = max(running, rec[3])
        if off >= start and running >= ts:
            return off
    return None


async def _check(log: EmbeddedLog, topic: str, part: int, model: Model, rng: random.Random) -> None:
    start = await log.earliest(topic, part)
    assert await log.latest(topic, part) == len(model)
    for _ in range(60):
        offset = rng.randrange(0, len(model) + 2)
        max_records = rng.choice([1, 2, 7, 50, 500])
        max_bytes = rng.choice([None, 0, 1, 40, 300, 5000])
        got = await log.read(topic, part, offset, max_records=max_records, max_bytes=max_bytes)
        assert [r.offset for r in got] == _expected_read(model, start, offset, max_records, max_bytes)
        assert [(r.key, r.value, r.headers, r.timestamp) for r in got] == [model[r.offset] for r in got]
    stamps = sorted({rec[3] + d for rec in model for d in (-1, 0, 1)})
    for ts in rng.sample(stamps, min(len(stamps), 60)) + [stamps[0], stamps[-1]]:
        assert await log.offset_for_time(topic, part, ts) == _expected_time(model, start, ts), ts


def test_reads_and_time_lookups_match_a_plain_model_of_the_log(tmp_path: Path) -> None:
    rng = random.Random(7)

    def value() -> bytes | None:
        c = rng.random()
        return None if c < 0.1 else b"" if c < 0.15 else rng.randbytes(rng.randint(1, 60))

    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("m", 2, {"retention.ms": "-1"})
        models: list[Model] = [[], []]
        for _ in range(120):
            recs = []
            for _ in range(rng.choice([1, 1, 2, 5, 30, 120])):
                headers = (("h", value()),) if rng.random() < 0.2 else ()
                recs.append(Record(value() if rng.random() < 0.5 else b"k%d" % rng.randint(0, 9), value(), headers,
                                   rng.randint(1000, 2000)))
            out = await log.append("m", recs)
            for r, a in zip(recs, out):
                assert a.offset == len(models[a.partition])
                models[a.partition].append((r.key, r.value, r.headers, r.timestamp or 0))
        for part in (0, 1):
            await _check(log, "m", part, models[part], rng)
        # retention by bytes: the log start lands inside batches; what is readable stays consistent
        for limit in ("6000", "1500", "70"):
            await log.alter_topic_configs("m", {"retention.bytes": limit})
            await log.enforce_retention()
            for part in (0, 1):
                model = models[part]
                start = await log.earliest("m", part)
                kept = sum(_size(*rec[:3]) for rec in model[start:])
                assert kept <= int(limit) and (start == 0 or kept + _size(*model[start - 1][:3]) > int(limit))
                await _check(log, "m", part, model, rng)
    run(tmp_path / "log.db", body)


def test_one_row_per_call_and_partition(tmp_path: Path) -> None:
    db = tmp_path / "log.db"

    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("r", 3)
        await log.append("r", [Record(None, b"v")] * 100)  # keyless: one partition
        await log.append("r", [Record(b"k%d" % i, b"v") for i in range(100)])  # keyed: every partition
        await asyncio.gather(*(log.append("r", [Record(None, b"v", partition=0)] * 10) for _ in range(20)))
    run(db, body)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 1 + 3 + 20
        assert c.execute("SELECT SUM(last_off - base_off + 1) FROM batches").fetchone()[0] == 400


def test_a_failing_one_partition_call_is_rolled_back_alone(tmp_path: Path) -> None:
    async def body(log: EmbeddedLog) -> None:
        await log.create_topic("t", 2)
        await log.append("t", [Record(None, b"original", partition=0)])
        log._topics["t"].parts[0].next = 0  # the next batch of partition 0 collides with offset 0
        doomed = log.append("t", [Record(None, b"b", partition=0)] * 3)
        fine = log.append("t", [Record(None, b"c", partition=1)] * 2)
        results = await asyncio.gather(doomed, fine, return_exceptions=True)
        assert isinstance(results[0], LogError) and results[0].error_code == 50002
        assert [(a.partition, a.offset) for a in results[1]] == [(1, 0), (1, 1)]
        log._topics["t"].parts[0].next = 1
        assert [r.value for r in await log.read("t", 0, 0)] == [b"original"]
        assert (await log.append("t", [Record(None, b"d", partition=0)]))[0].offset == 1
    run(tmp_path / "log.db", body)


# The layout files had before batches, as the per-record writer created it (sqlite-utils tables).
_OLD_DDL = [
    'CREATE TABLE "topics" ("tid" INTEGER PRIMARY KEY, "name" TEXT, "configs" TEXT, "created" INTEGER)',
    'CREATE TABLE "partitions" ("tid" INTEGER, "part" INTEGER, "next_offset" INTEGER, "log_start" INTEGER, '
    '"max_ts" INTEGER, "total_bytes" INTEGER, "start_bytes" INTEGER, PRIMARY KEY ("tid", "part"))',
    'CREATE TABLE "group_offsets" ("grp" TEXT, "topic" TEXT, "part" INTEGER, "off" INTEGER, '
    'PRIMARY KEY ("grp", "topic", "part"))',
    'CREATE TABLE "purge" ("tid" INTEGER PRIMARY KEY)',
    """CREATE TABLE records (
    tid INTEGER NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL,
    ts INTEGER NOT NULL, maxts INTEGER NOT NULL, cum INTEGER NOT NULL,
    key BLOB, value BLOB, headers BLOB,
    PRIMARY KEY (tid, part, off)) WITHOUT ROWID""",
]


def _write_old_file(db: Path, models: list[Model], starts: list[int], deleted_below: list[int]) -> None:
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA journal_mode=WAL")
        for ddl in _OLD_DDL:
            c.execute(ddl)
        c.execute("INSERT INTO topics VALUES (1, 'old', ?, 0)", (json.dumps({"retention.ms": "-1"}),))
        for part, model in enumerate(models):
            maxts, cum, start_bytes = -1, 0, 0
            for off, (key, value, headers, ts) in enumerate(model):
                maxts, cum = max(maxts, ts), cum + _size(key, value, headers)
                if off == starts[part] - 1:
                    start_bytes = cum
                if off >= deleted_below[part]:
                    c.execute("INSERT INTO records VALUES (1,?,?,?,?,?,?,?,?)",
                              (part, off, ts, maxts, cum, key, value, pack_headers(headers)))
            c.execute("INSERT INTO partitions VALUES (1,?,?,?,?,?,?)",
                      (part, len(model), starts[part], maxts, cum, start_bytes))
        # a deleted topic whose records were still waiting for their purge
        c.execute("INSERT INTO purge VALUES (2)")
        c.executemany("INSERT INTO records VALUES (2,0,?,1,1,1,NULL,?,NULL)", [(i, b"gone") for i in range(30)])
        c.execute("INSERT INTO group_offsets VALUES ('g', 'old', 1, 700)")


def test_a_file_of_the_per_record_layout_opens_and_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    rng = random.Random(3)
    models: list[Model] = [
        [(None if i % 7 else b"key", b"v%d" % i, (("h", b"x"),) if i % 5 == 0 else (), rng.randint(1, 500))
         for i in range(40)],
        [(None, rng.randbytes(rng.randint(0, 30)), (), 1000 + i) for i in range(1234)],
    ]
    models[0][20] = (None, None, (("n", None),), 9999)  # a tombstone with a null header; a late big timestamp
    _write_old_file(db, models, starts=[12, 0], deleted_below=[10, 0])  # records 10, 11 were still to delete

    async def body(log: EmbeddedLog) -> None:
        assert await log.topics() == ["old"]
        assert await log.earliest("old", 0) == 12
        assert await log.committed("g", [("old", 1)]) == {("old", 1): 700}
        for part in (0, 1):
            await _check(log, "old", part, models[part], rng)
        # the log goes on: offsets continue, the running values carry over
        out = await log.append("old", [Record(None, b"new", timestamp=10_000, partition=0)])
        assert out[0].offset == 40
        models[0].append((None, b"new", (), 10_000))
        await _check(log, "old", 0, models[0], rng)
        await log.alter_topic_configs("old", {"retention.bytes": "100"})
        await log.enforce_retention()
        for part in (0, 1):
            await _check(log, "old", part, models[part], rng)
    run(db, body)
    with sqlite3.connect(db) as c:
        tables = {name for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "records" not in tables and "batches" in tables
        assert c.execute("SELECT COUNT(*) FROM batches WHERE tid=2").fetchone()[0] == 0
        assert c.execute("SELECT COUNT(*) FROM purge").fetchone()[0] == 0
        assert c.execute("SELECT MAX(last_off - base_off + 1) FROM batches WHERE part=1").fetchone()[0] > 1

    async def reopened(log: EmbeddedLog) -> None:
        for part in (0, 1):
            await _check(log, "old", part, models[part], rng)
    run(db, reopened)


def _wal_restarts(wal: Path) -> int:
    """The WAL header's checkpoint sequence number: how often the WAL file started over since it was created."""
    return int.from_bytes(wal.read_bytes()[12:16], "big")


def test_checkpoints_let_the_wal_start_over_under_a_steady_stream_of_commits(tmp_path: Path) -> None:
    db = tmp_path / "log.db"

    async def body(log: EmbeddedLog) -> None:
        log._checkpointer._threshold = 256 << 10
        await log.create_topic("w", 1)
        value = random.Random(1).randbytes(10_000)

        async def producer() -> None:
            for _ in range(100):
                await log.append("w", [Record(None, value)] * 8)
        await asyncio.gather(*(producer() for _ in range(8)))  # 64 MB, never a pause between commits
        # a checkpoint running alongside commits alone never catches up; the cycle's second step does
        assert log._checkpointer.cycles >= 2 and _wal_restarts(tmp_path / "log.db-wal") >= 2
        assert await log.latest("w", 0) == 6400
        assert len(await log.read("w", 0, 6390)) == 10
    run(db, body)

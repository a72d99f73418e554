"""The embedded log: topics, partitions, record batches and group offsets in one SQLite file (WAL).

Why it is shaped like this:
- One writer connection; every write (appends, offset commits, topic admin, retention deletes) is
  a job on one asyncio queue. The writer drains whatever is queued and commits the appends and
  offset commits of one drain in ONE transaction (group commit), then resolves each caller's
  future. A reply therefore means "committed to the WAL": with synchronous=NORMAL it survives
  SIGKILL, with FULL power loss too. Group commits run on the event loop thread (with FULL, or when
  large, on the writer thread) and WAL checkpoints in the background (`embedded_writer` says why).
- One append call is all-or-nothing (one statement, or a SAVEPOINT when it spans partitions) and
  gets contiguous offsets per partition, because calls are applied one after another inside the
  transaction. Only a record over the topic's max.message.bytes is refused alone up front, as
  Kafka refuses it.
- A call's records for one partition are stored as ONE row (`batches`, as Kafka stores record
  batches), encoded on the event loop before the job is queued (`embedded_batches`): a row per
  record cost ~9.5 us a record in SQLite, more than the rest of the gateway's produce path.
- Offsets are dense from 0 and never reused: each partition keeps next_offset in its own row,
  which retention never touches.
- Each batch stores two running values that only grow with the offset: the largest timestamp so
  far (`maxts`) and the bytes appended so far (`cum`). Offset-for-time, retention by age and
  retention by bytes are then binary searches over the batches' primary key, then a look inside
  one batch, with no extra index to maintain on the hot path.
- Retention first moves a partition's log start (readers never see records before it; it may fall
  inside a batch), then deletes the batches wholly below it in small chunks, each its own job, so
  producers wait behind at most one chunk.
- A file written before batches (one `records` row per record) is migrated on open
  (`embedded_migrate`).
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from gateway.log.base import (
    Appended, LogError, PartitionNotFound, Record, StoredRecord, TopicExists, TopicInfo, TopicNotFound,
)
from gateway.log.embedded_batches import encode_records, pack_headers, unpack_headers
from gateway.log.embedded_checkpoint import Checkpointer
from gateway.log.embedded_migrate import migrate_records
from gateway.log.embedded_records import BATCHES_DDL, first_at_least, read_rows
from gateway.log.embedded_retention import Retention
from gateway.log.embedded_writer import Admin, Append, Commit, Part, Topic, Writer
from gateway.log.partitioner import Partitioner
from gateway.log.topic_config import DEFAULT_CONFIGS, KNOWN_CONFIGS, validate_configs, validate_topic_name

__all__ = ["DEFAULT_CONFIGS", "KNOWN_CONFIGS", "EmbeddedLog", "pack_headers", "unpack_headers", "validate_configs",
           "validate_topic_name"]

_MAX_MESSAGE_BYTES = "1048588"  # Kafka's default max.message.bytes


class EmbeddedLog(Writer, Retention):
    """The Log protocol on SQLite. `path` is the database file (`x.db`), or a directory (an existing
    one, or a new path without a suffix) to hold `log.db`."""

    def __init__(self, path: str | Path, *, default_partitions: int = 1, auto_create: bool = True,
                 synchronous: str = "NORMAL", retention_check_interval: float = 30.0,
                 readers: int = 4) -> None:
        self.path = Path(path)
        self.default_partitions = default_partitions
        self.auto_create = auto_create
        self.synchronous = synchronous
        self.retention_check_interval = retention_check_interval
        self._readers = readers
        self._topics: dict[str, Topic] = {}
        self._partitioner = Partitioner()
        self._queue: asyncio.Queue | None = None
        self._writer_task: asyncio.Task | None = None
        self._retention_task: asyncio.Task | None = None
        self._closed = True

    # ---- lifecycle -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    async def start(self) -> None:
        if self.path.is_dir() or (not self.path.exists() and not self.path.suffix):
            self.path.mkdir(parents=True, exist_ok=True)
            self.path = self.path / "log.db"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._wpool = ThreadPoolExecutor(1, thread_name_prefix="embedded-log-writer")
        self._rpool = ThreadPoolExecutor(self._readers, thread_name_prefix="embedded-log-reader")
        loop = asyncio.get_running_loop()
        self._wconn = await loop.run_in_executor(self._wpool, self._open_writer)
        self._rconns: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for _ in range(self._readers):
            self._rconns.put(self._connect())
        self._topics = await loop.run_in_executor(self._wpool, self._load)
        self._inline = self.synchronous.upper() in ("OFF", "NORMAL")
        self._checkpointer = Checkpointer(self._connect, self._checkpoint_in_line)
        self._queue = asyncio.Queue()
        self._closed = False
        self._writer_task = asyncio.create_task(self._writer())
        self._retention_task = asyncio.create_task(self._retention_loop())

    def _open_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's job, off the commit path
        db = sqlite_utils.Database(conn)
        db["topics"].create({"tid": int, "name": str, "configs": str, "created": int},
                            pk="tid", if_not_exists=True)
        db["partitions"].create({"tid": int, "part": int, "next_offset": int, "log_start": int,
                                 "max_ts": int, "total_bytes": int, "start_bytes": int},
                                pk=("tid", "part"), if_not_exists=True)
        db["group_offsets"].create({"grp": str, "topic": str, "part": int, "off": int},
                                   pk=("grp", "topic", "part"), if_not_exists=True)
        db["purge"].create({"tid": int}, pk="tid", if_not_exists=True)
        for ddl in BATCHES_DDL:
            conn.execute(ddl)
        migrate_records(conn)
        return conn

    def _load(self) -> dict[str, Topic]:
        c = self._wconn
        by_tid: dict[int, Topic] = {}
        for tid, name, configs in c.execute("SELECT tid, name, configs FROM topics"):
            by_tid[tid] = Topic(tid, name, json.loads(configs))
        for tid, part, nxt, start, maxts, total, sbytes in c.execute(
                "SELECT tid, part, next_offset, log_start, max_ts, total_bytes, start_bytes "
                "FROM partitions ORDER BY tid, part"):
            by_tid[tid].parts.append(Part(nxt, start, maxts, total, sbytes))
        return {t.name: t for t in by_tid.values()}

    async def close(self) -> None:
        """Finish every queued write (so what was acknowledged, and what is in flight, is committed), then release."""
        if self._closed:
            return
        self._closed = True
        if self._retention_task:
            self._retention_task.cancel()
            try:
                await self._retention_task
            except (asyncio.CancelledError, Exception):
                pass
        assert self._queue is not None and self._writer_task is not None
        await self._checkpointer.close()  # while the writer still runs: a cycle's second step is a writer job
        await self._queue.put(None)
        await self._writer_task
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._wpool, self._wconn.close)
        self._wpool.shutdown()
        while not self._rconns.empty():
            self._rconns.get().close()
        self._rpool.shutdown()


    # ---- topics ----------------------------------------------------------------------------

    async def topics(self) -> list[str]:
        return sorted(self._topics)

    async def topic(self, name: str) -> TopicInfo:
        t = self._topics.get(name)
        if t is None:
            raise TopicNotFound(name)
        return t.info()

    async def create_topic(self, name: str, partitions: int, configs: dict[str, str] | None = None,
                           replication_factor: int = 1) -> TopicInfo:
        validate_topic_name(name)
        if partitions < 1:
            raise LogError("Number of partitions must be larger than 0.", status=400, error_code=40002)
        if replication_factor not in (-1, 1):
            raise LogError(f"Replication factor: {replication_factor} larger than available brokers: 1.",
                           status=400, error_code=40002)
        cfg = validate_configs(configs or {})
        if name in self._topics:
            raise TopicExists(f"Topic '{name}' already exists.")
        return (await self._create(name, partitions, cfg, exist_ok=False)).info()

    async def _create(self, name: str, partitions: int, configs: dict[str, str], *, exist_ok: bool) -> Topic:
        def work(c: sqlite3.Connection) -> int | None:
            if c.execute("SELECT 1 FROM topics WHERE name=?", (name,)).fetchone():
                return None
            tid = 1 + max(c.execute("SELECT COALESCE(MAX(tid), 0) FROM topics").fetchone()[0],
                          c.execute("SELECT COALESCE(MAX(tid), 0) FROM purge").fetchone()[0])
            c.execute("INSERT INTO topics (tid, name, configs, created) VALUES (?,?,?,?)",
                      (tid, name, json.dumps(configs), int(time.time() * 1000)))
            c.executemany("INSERT INTO partitions VALUES (?,?,0,0,-1,0,0)", [(tid, p) for p in range(partitions)])
            return tid

        def apply(tid: int | None) -> Topic:
            if tid is None:
                if exist_ok and name in self._topics:
                    return self._topics[name]
                raise TopicExists(f"Topic '{name}' already exists.")
            t = Topic(tid, name, configs, [Part() for _ in range(partitions)])
            self._topics[name] = t
            return t

        return await self._submit(Admin(work, apply, asyncio.get_running_loop().create_future()))

    async def delete_topic(self, name: str) -> None:
        t = self._topics.get(name)
        if t is None:
            raise TopicNotFound(name)

        def work(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM topics WHERE tid=?", (t.tid,))
            c.execute("DELETE FROM partitions WHERE tid=?", (t.tid,))
            c.execute("DELETE FROM group_offsets WHERE topic=?", (name,))
            c.execute("INSERT OR IGNORE INTO purge (tid) VALUES (?)", (t.tid,))

        def apply(_: None) -> None:
            if self._topics.get(name) is t:
                del self._topics[name]
                self._partitioner.forget(name)

        await self._submit(Admin(work, apply, asyncio.get_running_loop().create_future()))

    async def alter_topic_configs(self, name: str, set_configs: dict[str, str],
                                  delete: list[str] | tuple[str, ...] = ()) -> TopicInfo:
        """Set and reset topic configs (beyond the Log protocol: what v3 config alter needs)."""
        t = self._topics.get(name)
        if t is None:
            raise TopicNotFound(name)
        changes = validate_configs(set_configs)
        for k in delete:
            if k not in KNOWN_CONFIGS:
                raise LogError(f"Unknown topic config name: {k}", status=400, error_code=40002)

        def work(c: sqlite3.Connection) -> dict[str, str]:
            row = c.execute("SELECT configs FROM topics WHERE tid=?", (t.tid,)).fetchone()
            if row is None:
                raise TopicNotFound(name)
            merged = {k: v for k, v in json.loads(row[0]).items() if k not in delete} | changes
            c.execute("UPDATE topics SET configs=? WHERE tid=?", (json.dumps(merged), t.tid))
            return merged

        def apply(merged: dict[str, str]) -> TopicInfo:
            t.configs = merged
            return t.info()

        return await self._submit(Admin(work, apply, asyncio.get_running_loop().create_future()))

    async def add_partitions(self, name: str, total: int) -> TopicInfo:
        """Grow a topic to `total` partitions (beyond the Log protocol: what v3 PATCH needs);
        Kafka can only add partitions, never remove them."""
        t = self._topics.get(name)
        if t is None:
            raise TopicNotFound(name)
        if total <= len(t.parts):
            raise LogError(f"Topic already has {len(t.parts)} partitions.", status=400, error_code=40002)

        def work(c: sqlite3.Connection) -> int:
            have = c.execute("SELECT COUNT(*) FROM partitions WHERE tid=?", (t.tid,)).fetchone()[0]
            c.executemany("INSERT INTO partitions VALUES (?,?,0,0,-1,0,0)", [(t.tid, p) for p in range(have, total)])
            return total - have

        def apply(added: int) -> TopicInfo:
            t.parts.extend(Part() for _ in range(added))
            self._partitioner.forget(name)
            return t.info()

        return await self._submit(Admin(work, apply, asyncio.get_running_loop().create_future()))

    def _get(self, topic: str, partition: int) -> tuple[Topic, Part]:
        t = self._topics.get(topic)
        if t is None:
            raise TopicNotFound(topic)
        if not 0 <= partition < len(t.parts):
            raise PartitionNotFound(topic, partition)
        return t, t.parts[partition]

    # ---- append ----------------------------------------------------------------------------

    async def append(self, topic: str, records: list[Record]) -> list[Appended]:
        t = self._topics.get(topic)
        if t is None:
            try:
                validate_topic_name(topic)
            except LogError as exc:
                return [Appended(None, None, 50002, exc.message) for _ in records]
            if not self.auto_create:
                raise TopicNotFound(topic)
            t = await self._create(topic, self.default_partitions, {}, exist_ok=True)
        if not records:
            return []
        n = len(t.parts)
        for r in records:
            if r.partition is not None and not 0 <= r.partition < n:
                raise PartitionNotFound(topic, r.partition)
        parts = self._partitioner.choose(topic, n, [r.key for r in records], [r.partition for r in records])
        limit = int(t.configs.get("max.message.bytes", _MAX_MESSAGE_BYTES))
        now = int(time.time() * 1000)
        groups = _by_partition(parts)
        encoded = [encode_records(records if idx is None else [records[i] for i in idx], now, limit)
                   for idx in groups.values()]
        batches = [(p, count, blob, maxts, size)
                   for p, (blob, count, maxts, size, _) in zip(groups, encoded) if blob is not None]
        bases = await self._submit(Append(t.tid, batches, asyncio.get_running_loop().create_future(),
                                          sum(b[1] for b in batches), sum(len(b[2]) for b in batches))
                                   ) if batches else []
        if len(groups) == 1 and not encoded[0][4]:  # the common case: one partition, nothing refused
            return [Appended(parts[0], o) for o in range(bases[0], bases[0] + len(records))]
        return _outcomes(len(records), groups, [e[4] for e in encoded], bases, limit)

    # ---- reads -----------------------------------------------------------------------------

    async def _reading(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._closed:
            raise LogError("The log is closed.", status=503, error_code=50302)

        def run() -> Any:
            conn = self._rconns.get()
            try:
                return fn(conn, *args)
            finally:
                self._rconns.put(conn)

        return await asyncio.get_running_loop().run_in_executor(self._rpool, run)

    async def read(self, topic: str, partition: int, offset: int, *, max_records: int = 500,
                   max_bytes: int | None = None) -> list[StoredRecord]:
        """Records from `offset` on (from the log start when `offset` is below it); at least one when any exist."""
        t, p = self._get(topic, partition)
        start = max(offset, p.start)
        end = p.next
        if start >= end or max_records <= 0:
            return []
        return await self._reading(read_rows, t.tid, t.name, partition, start, end, max_records, max_bytes)

    async def earliest(self, topic: str, partition: int) -> int:
        return self._get(topic, partition)[1].start

    async def latest(self, topic: str, partition: int) -> int:
        return self._get(topic, partition)[1].next

    async def offset_for_time(self, topic: str, partition: int, timestamp: int) -> int | None:
        t, p = self._get(topic, partition)
        if p.start >= p.next or p.maxts < timestamp:
            return None
        return await self._reading(first_at_least, t.tid, partition, "maxts", timestamp, p.start, p.next)

    # ---- group offsets ---------------------------------------------------------------------

    async def commit(self, group: str, offsets: dict[tuple[str, int], int]) -> None:
        rows = []
        for (topic, partition), off in offsets.items():
            self._get(topic, partition)
            rows.append((group, topic, partition, int(off)))
        if not rows:
            return
        result = await self._submit(Commit(rows, asyncio.get_running_loop().create_future()))
        if isinstance(result, BaseException):
            raise LogError(f"Kafka error: {result}", status=500, error_code=50002)

    async def committed(self, group: str, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
        def fetch(conn: sqlite3.Connection) -> dict[tuple[str, int], int]:
            return {(tp, pp): off for tp, pp, off in conn.execute(
                "SELECT topic, part, off FROM group_offsets WHERE grp=?", (group,))}

        found = await self._reading(fetch)
        return {tp: found.get(tp) for tp in partitions}

    async def groups(self) -> list[str]:
        """Groups with committed offsets (beyond the Log protocol: v3 consumer group listing)."""
        def fetch(conn: sqlite3.Connection) -> list[str]:
            return [g for (g,) in conn.execute("SELECT DISTINCT grp FROM group_offsets ORDER BY grp")]
        return await self._reading(fetch)


def _by_partition(parts: list[int]) -> dict[int, list[int] | None]:
    """The record indices of each partition of a call; None stands for "all of them" (the common case)."""
    if parts.count(parts[0]) == len(parts):
        return {parts[0]: None}
    groups: dict[int, list[int] | None] = {}
    for i, p in enumerate(parts):
        groups.setdefault(p, []).append(i)  # type: ignore[union-attr]
    return groups


def _outcomes(n: int, groups: dict[int, list[int] | None], refused: list[list[tuple[int, int]]],
              bases: list[int], limit: int) -> list[Appended]:
    """Each record's outcome in call order: its partition's base offset plus its place among the
    records of the partition that were not refused, or the max.message.bytes error."""
    out: list[Appended] = [None] * n  # type: ignore[list-item]
    next_base = iter(bases)
    for (p, idx), too_large in zip(groups.items(), refused):
        indices = range(n) if idx is None else idx
        off = next(next_base) if len(too_large) < len(indices) else -1
        bad = dict(too_large)
        for j, i in enumerate(indices):
            if j in bad:
                out[i] = Appended(None, None, 50002, f"The message is {bad[j]} bytes when serialized which "
                                                     f"is larger than {limit}, the topic's max.message.bytes.")
            else:
                out[i] = Appended(p, off)
                off += 1
    return out

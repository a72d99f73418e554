"""The embedded log: topics, partitions, records and group offsets in one SQLite file (WAL).

Why it is shaped like this:
- One writer connection on one thread; every write (appends, offset commits, topic admin,
  retention deletes) is a job on one asyncio queue. The writer drains whatever is queued and
  commits the appends and offset commits of one drain in ONE transaction (group commit), then
  resolves each caller's future. A reply therefore means "committed to the WAL": with
  synchronous=NORMAL it survives SIGKILL, with FULL power loss too.
- One append call is all-or-nothing (a SAVEPOINT per call) and gets contiguous offsets per
  partition, because calls are applied one after another inside the transaction. Only a record
  over the topic's max.message.bytes is refused alone up front, as Kafka refuses it.
- Offsets are dense from 0 and never reused: each partition keeps next_offset in its own row,
  which retention never touches.
- Each record stores two running values that only grow with the offset: the largest timestamp
  so far (`maxts`) and the bytes appended so far (`cum`). Offset-for-time, retention by age and
  retention by bytes are then binary searches over the primary key, with no extra index to
  maintain on the hot path.
- Retention first moves a partition's log start (readers never see records before it), then
  deletes the records below it in small chunks, each its own job, so producers wait behind at
  most one chunk.
"""

from __future__ import annotations

import asyncio
import json
import queue
import re
import sqlite3
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from gateway.log.base import (
    Appended, LogError, PartitionNotFound, Record, StoredRecord, TopicExists, TopicInfo, TopicNotFound,
)
from gateway.log.partitioner import Partitioner

DEFAULT_CONFIGS = {"cleanup.policy": "delete", "retention.ms": "604800000", "retention.bytes": "-1"}
# Kafka topic configs accepted and stored; only the three above change what this log does.
KNOWN_CONFIGS = frozenset(DEFAULT_CONFIGS) | {
    "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
    "index.interval.bytes", "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
    "message.format.version", "message.timestamp.difference.max.ms", "message.timestamp.type",
    "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
    "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
    "unclean.leader.election.enable", "local.retention.ms", "local.retention.bytes",
    "message.timestamp.before.max.ms", "message.timestamp.after.max.ms", "remote.storage.enable",
}
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_CHUNK = 2000          # records deleted per retention job
_MAX_DRAIN = 20000     # records gathered into one transaction at most
_MAX_MESSAGE_BYTES = "1048588"  # Kafka's default max.message.bytes
_HDR = struct.Struct(">Hi")

_INSERT = "INSERT INTO records (tid, part, off, ts, maxts, cum, key, value, headers) VALUES (?,?,?,?,?,?,?,?,?)"
_RECORDS_DDL = """CREATE TABLE IF NOT EXISTS records (
    tid INTEGER NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL,
    ts INTEGER NOT NULL, maxts INTEGER NOT NULL, cum INTEGER NOT NULL,
    key BLOB, value BLOB, headers BLOB,
    PRIMARY KEY (tid, part, off)) WITHOUT ROWID"""


def pack_headers(headers: tuple[tuple[str, bytes | None], ...]) -> bytes | None:
    """Headers as one blob: name length, value length (-1 for a null value), name, value."""
    if not headers:
        return None
    out = bytearray()
    for name, value in headers:
        n = name.encode()
        out += _HDR.pack(len(n), -1 if value is None else len(value))
        out += n
        if value is not None:
            out += value
    return bytes(out)


def unpack_headers(blob: bytes | None) -> tuple[tuple[str, Any], ...]:
    if not blob:
        return ()
    out: list[tuple[str, Any]] = []
    i, size = 0, len(blob)
    while i < size:
        nlen, vlen = _HDR.unpack_from(blob, i)
        i += _HDR.size
        name = blob[i:i + nlen].decode()
        i += nlen
        if vlen < 0:
            out.append((name, None))
        else:
            out.append((name, blob[i:i + vlen]))
            i += vlen
    return tuple(out)


def validate_topic_name(name: str) -> None:
    if not _TOPIC_NAME.fullmatch(name) or name in (".", ".."):
        raise LogError(f"Invalid topic name: {name!r}. Legal characters are [a-zA-Z0-9._-], "
                       "at most 249 of them.", status=400, error_code=40002)


def validate_configs(configs: dict[str, str]) -> dict[str, str]:
    """Kafka's checks for the configs this log enforces; unknown names are refused as Kafka does."""
    out: dict[str, str] = {}
    for k, v in configs.items():
        if k not in KNOWN_CONFIGS:
            raise LogError(f"Unknown topic config name: {k}", status=400, error_code=40002)
        v = str(v)
        if k in ("retention.ms", "retention.bytes", "max.message.bytes"):
            try:
                if int(v) < -1:
                    raise ValueError
            except ValueError:
                raise LogError(f"Invalid value {v} for configuration {k}", status=400, error_code=40002) from None
        elif k == "cleanup.policy" and not set(v.replace(" ", "").split(",")) <= {"delete", "compact"}:
            raise LogError(f"Invalid value {v} for configuration {k}", status=400, error_code=40002)
        out[k] = v
    return out


@dataclass
class _Part:
    """Committed state of one partition, as the writer left it."""

    next: int = 0          # the offset the next record gets; never goes back
    start: int = 0         # log start offset: records below it are gone or going
    maxts: int = -1        # largest timestamp appended so far
    total: int = 0         # bytes appended so far (cum of the last record)
    start_bytes: int = 0   # cum of the record just below `start`
    clean: int = 0         # records below this offset are known to be deleted already


@dataclass
class _Topic:
    tid: int
    name: str
    configs: dict[str, str]
    parts: list[_Part] = field(default_factory=list)

    def info(self) -> TopicInfo:
        return TopicInfo(self.name, len(self.parts), {**DEFAULT_CONFIGS, **self.configs})


@dataclass
class _Append:
    tid: int
    rows: list[tuple[int, int, bytes | None, bytes | None, bytes | None, int]]  # part, ts, key, value, hdrs, size
    future: asyncio.Future


@dataclass
class _Commit:
    offsets: list[tuple[str, str, int, int]]  # group, topic, partition, offset
    future: asyncio.Future


@dataclass
class _Admin:
    """A write that runs alone in its own transaction: work(conn) in the writer thread, then apply(result) on the loop."""

    work: Callable[[sqlite3.Connection], Any]
    apply: Callable[[Any], Any]
    future: asyncio.Future


class EmbeddedLog:
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
        self._topics: dict[str, _Topic] = {}
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
        self._queue = asyncio.Queue()
        self._closed = False
        self._writer_task = asyncio.create_task(self._writer())
        self._retention_task = asyncio.create_task(self._retention_loop())

    def _open_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        db = sqlite_utils.Database(conn)
        db["topics"].create({"tid": int, "name": str, "configs": str, "created": int},
                            pk="tid", if_not_exists=True)
        db["partitions"].create({"tid": int, "part": int, "next_offset": int, "log_start": int,
                                 "max_ts": int, "total_bytes": int, "start_bytes": int},
                                pk=("tid", "part"), if_not_exists=True)
        db["group_offsets"].create({"grp": str, "topic": str, "part": int, "off": int},
                                   pk=("grp", "topic", "part"), if_not_exists=True)
        db["purge"].create({"tid": int}, pk="tid", if_not_exists=True)
        conn.execute(_RECORDS_DDL)
        return conn

    def _load(self) -> dict[str, _Topic]:
        c = self._wconn
        by_tid: dict[int, _Topic] = {}
        for tid, name, configs in c.execute("SELECT tid, name, configs FROM topics"):
            by_tid[tid] = _Topic(tid, name, json.loads(configs))
        for tid, part, nxt, start, maxts, total, sbytes in c.execute(
                "SELECT tid, part, next_offset, log_start, max_ts, total_bytes, start_bytes "
                "FROM partitions ORDER BY tid, part"):
            by_tid[tid].parts.append(_Part(nxt, start, maxts, total, sbytes))
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
        await self._queue.put(None)
        await self._writer_task
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._wpool, self._wconn.close)
        self._wpool.shutdown()
        while not self._rconns.empty():
            self._rconns.get().close()
        self._rpool.shutdown()

    # ---- the writer ------------------------------------------------------------------------

    async def _submit(self, job: _Append | _Commit | _Admin) -> Any:
        if self._closed or self._queue is None:
            raise LogError("The log is closed.", status=503, error_code=50302)
        self._queue.put_nowait(job)
        return await job.future

    async def _writer(self) -> None:
        """Drain the queue; appends and commits of one drain share a transaction, admin jobs run alone."""
        assert self._queue is not None
        loop, q = asyncio.get_running_loop(), self._queue
        stop = False
        while not stop:
            jobs = [await q.get()]
            count = 1
            while not q.empty() and count < _MAX_DRAIN:
                jobs.append(q.get_nowait())
                count += len(jobs[-1].rows) if isinstance(jobs[-1], _Append) else 1
            stop = any(j is None for j in jobs)
            jobs = [j for j in jobs if j is not None]
            try:
                group: list[_Append | _Commit] = []
                for job in jobs + [None]:
                    if job is None or isinstance(job, _Admin):
                        await self._run_group(loop, group)
                        group = []
                        if job is not None:
                            await self._run_admin(loop, job)
                    else:
                        group.append(job)
            except Exception as exc:  # noqa: BLE001 - never leave a caller waiting on a dead writer
                for job in jobs:
                    _settle(job.future, exc=LogError(f"Kafka error: {exc}", status=500, error_code=50002))

    async def _run_admin(self, loop: asyncio.AbstractEventLoop, job: _Admin) -> None:
        try:
            value = job.apply(await loop.run_in_executor(self._wpool, self._in_txn, job.work))
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            _settle(job.future, exc=exc)
        else:
            _settle(job.future, value)

    def _in_txn(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        c = self._wconn
        c.execute("BEGIN IMMEDIATE")
        try:
            result = work(c)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return result

    async def _run_group(self, loop: asyncio.AbstractEventLoop, group: list[_Append | _Commit]) -> None:
        tids = {t.tid: t for t in self._topics.values()}
        live: list[_Append | _Commit] = []
        base: dict[tuple[int, int], tuple[int, int, int]] = {}
        for job in group:
            if isinstance(job, _Commit):
                live.append(job)
            elif job.tid not in tids:
                _settle(job.future, exc=LogError("The topic was deleted while the records were queued.",
                                                 status=404, error_code=40401))
            else:
                live.append(job)
                for i in {row[0] for row in job.rows}:
                    p = tids[job.tid].parts[i]
                    base[(job.tid, i)] = (p.next, p.maxts, p.total)
        if not live:
            return
        try:
            results, pending = await loop.run_in_executor(self._wpool, self._write_group, live, base)
        except Exception as exc:  # noqa: BLE001 - the whole transaction failed
            err = LogError(f"Kafka error: the embedded log could not commit: {exc}", status=500, error_code=50002)
            for job in live:
                _settle(job.future, exc=err)
            return
        for (tid, part), (nxt, maxts, total) in pending.items():
            p = tids[tid].parts[part]
            p.next, p.maxts, p.total = nxt, maxts, total
        for job, result in zip(live, results):
            if isinstance(result, BaseException):
                _settle(job.future, exc=LogError(f"Kafka error: {result}", status=500, error_code=50002))
            else:
                _settle(job.future, result)

    def _write_group(self, jobs: list[_Append | _Commit], base: dict[tuple[int, int], tuple[int, int, int]]
                     ) -> tuple[list[Any], dict[tuple[int, int], tuple[int, int, int]]]:
        """One transaction for all these jobs; each job is all-or-nothing through its savepoint."""
        c = self._wconn
        pending: dict[tuple[int, int], tuple[int, int, int]] = {}
        results: list[Any] = []
        c.execute("BEGIN IMMEDIATE")
        try:
            for job in jobs:
                if isinstance(job, _Commit):
                    err = _savepoint(c, "INSERT OR REPLACE INTO group_offsets (grp, topic, part, off) VALUES (?,?,?,?)",
                                     job.offsets)
                    results.append(err)
                    continue
                saved, tid = dict(pending), job.tid
                rows, offsets = [], []
                for part, ts, key, value, hdrs, size in job.rows:
                    nxt, maxts, cum = pending.get((tid, part)) or base[(tid, part)]
                    maxts = ts if ts > maxts else maxts
                    cum += size
                    rows.append((tid, part, nxt, ts, maxts, cum, key, value, hdrs))
                    offsets.append(nxt)
                    pending[(tid, part)] = (nxt + 1, maxts, cum)
                err = _savepoint(c, _INSERT, rows)
                if err is not None:
                    pending = saved
                results.append(offsets if err is None else err)
            c.executemany("UPDATE partitions SET next_offset=?, max_ts=?, total_bytes=? WHERE tid=? AND part=?",
                          [(n, m, t, tid, part) for (tid, part), (n, m, t) in pending.items()])
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return results, pending

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

    async def _create(self, name: str, partitions: int, configs: dict[str, str], *, exist_ok: bool) -> _Topic:
        def work(c: sqlite3.Connection) -> int | None:
            if c.execute("SELECT 1 FROM topics WHERE name=?", (name,)).fetchone():
                return None
            tid = 1 + max(c.execute("SELECT COALESCE(MAX(tid), 0) FROM topics").fetchone()[0],
                          c.execute("SELECT COALESCE(MAX(tid), 0) FROM purge").fetchone()[0])
            c.execute("INSERT INTO topics (tid, name, configs, created) VALUES (?,?,?,?)",
                      (tid, name, json.dumps(configs), int(time.time() * 1000)))
            c.executemany("INSERT INTO partitions VALUES (?,?,0,0,-1,0,0)", [(tid, p) for p in range(partitions)])
            return tid

        def apply(tid: int | None) -> _Topic:
            if tid is None:
                if exist_ok and name in self._topics:
                    return self._topics[name]
                raise TopicExists(f"Topic '{name}' already exists.")
            t = _Topic(tid, name, configs, [_Part() for _ in range(partitions)])
            self._topics[name] = t
            return t

        return await self._submit(_Admin(work, apply, asyncio.get_running_loop().create_future()))

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

        await self._submit(_Admin(work, apply, asyncio.get_running_loop().create_future()))

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

        return await self._submit(_Admin(work, apply, asyncio.get_running_loop().create_future()))

    def _get(self, topic: str, partition: int) -> tuple[_Topic, _Part]:
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
        rows = []
        too_large: dict[int, Appended] = {}
        for i, (r, p) in enumerate(zip(records, parts)):
            key, value = r.key, r.value
            hdrs = pack_headers(r.headers) if r.headers else None
            size = (len(key) if key is not None else 0) + (len(value) if value is not None else 0) \
                + (len(hdrs) if hdrs is not None else 0)
            if size > limit:  # refused alone, as Kafka refuses it (RecordTooLargeException)
                too_large[i] = Appended(None, None, 50002, f"The message is {size} bytes when serialized which "
                                                           f"is larger than {limit}, the topic's max.message.bytes.")
                continue
            rows.append((p, now if r.timestamp is None else r.timestamp, key, value, hdrs, size))
        offsets = iter(await self._submit(_Append(t.tid, rows, asyncio.get_running_loop().create_future()))
                       if rows else ())
        return [too_large[i] if i in too_large else Appended(p, next(offsets)) for i, p in enumerate(parts)]

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
        return await self._reading(_read_rows, t.tid, t.name, partition, start, end, max_records, max_bytes)

    async def earliest(self, topic: str, partition: int) -> int:
        return self._get(topic, partition)[1].start

    async def latest(self, topic: str, partition: int) -> int:
        return self._get(topic, partition)[1].next

    async def offset_for_time(self, topic: str, partition: int, timestamp: int) -> int | None:
        t, p = self._get(topic, partition)
        if p.start >= p.next or p.maxts < timestamp:
            return None
        return await self._reading(_first_at_least, t.tid, partition, "maxts", timestamp, p.start, p.next)

    # ---- group offsets ---------------------------------------------------------------------

    async def commit(self, group: str, offsets: dict[tuple[str, int], int]) -> None:
        rows = []
        for (topic, partition), off in offsets.items():
            self._get(topic, partition)
            rows.append((group, topic, partition, int(off)))
        if not rows:
            return
        result = await self._submit(_Commit(rows, asyncio.get_running_loop().create_future()))
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

    # ---- retention -------------------------------------------------------------------------

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(self.retention_check_interval)
            try:
                await self.enforce_retention()
            except LogError:
                pass

    async def enforce_retention(self, now_ms: int | None = None) -> int:
        """One retention pass over every topic; returns how many records were deleted.

        Runs by itself every `retention_check_interval` seconds; public so tests and tools can run a pass now.
        """
        now = int(time.time() * 1000) if now_ms is None else now_ms
        moves: list[tuple[_Topic, int, int, int]] = []  # topic, partition, new start, new start_bytes
        for t in list(self._topics.values()):
            cfg = {**DEFAULT_CONFIGS, **t.configs}
            if "delete" not in cfg["cleanup.policy"]:
                continue
            rms, rbytes = int(cfg["retention.ms"]), int(cfg["retention.bytes"])
            for i, p in enumerate(t.parts):
                start, sbytes, nxt, total = p.start, p.start_bytes, p.next, p.total
                if start >= nxt:
                    continue
                if rms >= 0:
                    cut = await self._reading(_first_at_least, t.tid, i, "maxts", now - rms, start, nxt)
                    cut = nxt if cut is None else cut
                    if cut > start:
                        start = cut
                        sbytes = total if cut == nxt else await self._reading(_value_at, t.tid, i, "cum", cut - 1)
                if rbytes >= 0 and total - sbytes > rbytes and start < nxt:
                    last_gone = await self._reading(_first_at_least, t.tid, i, "cum", total - rbytes, start, nxt)
                    if last_gone is not None:
                        start = last_gone + 1
                        sbytes = await self._reading(_value_at, t.tid, i, "cum", last_gone)
                if start > p.start:
                    moves.append((t, i, start, sbytes))
        if moves:
            await self._move_starts(moves)
        return await self._delete_below_starts()

    async def _move_starts(self, moves: list[tuple[_Topic, int, int, int]]) -> None:
        def work(c: sqlite3.Connection) -> None:
            c.executemany("UPDATE partitions SET log_start=MAX(log_start, ?), start_bytes=? WHERE tid=? AND part=?",
                          [(s, b, t.tid, i) for t, i, s, b in moves])

        def apply(_: None) -> None:
            for t, i, s, b in moves:
                p = t.parts[i]
                if s > p.start:
                    p.start, p.start_bytes = s, b

        await self._submit(_Admin(work, apply, asyncio.get_running_loop().create_future()))

    async def _delete_below_starts(self) -> int:
        """Delete, chunk by chunk, records below each log start and the records of deleted topics."""
        deleted = 0
        targets: list[tuple[int, int | None, int | None, _Part | None]] = [
            (t.tid, i, p.start, p) for t in self._topics.values() for i, p in enumerate(t.parts) if p.start > p.clean]
        purge = await self._reading(lambda c: [tid for (tid,) in c.execute("SELECT tid FROM purge")])
        targets += [(tid, None, None, None) for tid in purge]
        for tid, part, below, state in targets:
            while True:
                n = await self._submit(_Admin(
                    lambda c, tid=tid, part=part, below=below: _delete_chunk(c, tid, part, below),
                    lambda n: n, asyncio.get_running_loop().create_future()))
                deleted += n
                if n < _CHUNK:
                    break
            if state is not None and below is not None:
                state.clean = max(state.clean, below)
        return deleted


# ---- helpers ---------------------------------------------------------------------------------

def _settle(future: asyncio.Future, result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a caller's future unless the caller has gone (cancelled) meanwhile."""
    if not future.done():
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)


def _savepoint(c: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> sqlite3.Error | None:
    c.execute("SAVEPOINT j")
    try:
        c.executemany(sql, rows)
    except sqlite3.Error as exc:
        c.execute("ROLLBACK TO j")
        c.execute("RELEASE j")
        return exc
    c.execute("RELEASE j")
    return None


def _read_rows(c: sqlite3.Connection, tid: int, topic: str, part: int, start: int, end: int,
               max_records: int, max_bytes: int | None) -> list[StoredRecord]:
    cur = c.execute("SELECT off, ts, key, value, headers FROM records WHERE tid=? AND part=? AND off>=? AND off<? "
                    "ORDER BY off LIMIT ?", (tid, part, start, end, max_records))
    out: list[StoredRecord] = []
    used = 0
    for off, ts, key, value, hdrs in cur:
        if max_bytes is not None:
            used += (len(key) if key else 0) + (len(value) if value else 0) + (len(hdrs) if hdrs else 0)
            if used > max_bytes and out:
                break
        out.append(StoredRecord(topic, part, off, key, value, unpack_headers(hdrs), ts))
    return out


def _first_at_least(c: sqlite3.Connection, tid: int, part: int, column: str, value: int,
                    lo: int, hi: int) -> int | None:
    """The first offset in [lo, hi) whose (non-decreasing) `column` is >= value, by binary search."""
    q = f"SELECT off, {column} FROM records WHERE tid=? AND part=? AND off>=? ORDER BY off LIMIT 1"
    first = c.execute(q, (tid, part, lo)).fetchone()
    if first is None or first[0] >= hi:
        return None
    if first[1] >= value:  # the common case for retention: nothing has expired yet
        return first[0]
    found = None
    while lo < hi:
        mid = (lo + hi) // 2
        row = c.execute(q, (tid, part, mid)).fetchone()
        if row is None or row[0] >= hi:
            hi = mid
            continue
        if row[1] >= value:
            found, hi = row[0], mid
        else:
            lo = row[0] + 1
    return found


def _value_at(c: sqlite3.Connection, tid: int, part: int, column: str, off: int) -> int:
    row = c.execute(f"SELECT {column} FROM records WHERE tid=? AND part=? AND off<=? ORDER BY off DESC LIMIT 1",
                    (tid, part, off)).fetchone()
    return row[0] if row else 0


def _delete_chunk(c: sqlite3.Connection, tid: int, part: int | None, below: int | None) -> int:
    if part is None:
        rows = c.execute("SELECT part, off FROM records WHERE tid=? LIMIT ?", (tid, _CHUNK)).fetchall()
        c.executemany("DELETE FROM records WHERE tid=? AND part=? AND off=?", [(tid, p, o) for p, o in rows])
        if len(rows) < _CHUNK:
            c.execute("DELETE FROM purge WHERE tid=?", (tid,))
        return len(rows)
    row = c.execute("SELECT MIN(off) FROM records WHERE tid=? AND part=?", (tid, part)).fetchone()
    if row[0] is None or row[0] >= below:
        return 0
    upto = min(below, row[0] + _CHUNK)
    return c.execute("DELETE FROM records WHERE tid=? AND part=? AND off<?", (tid, part, upto)).rowcount

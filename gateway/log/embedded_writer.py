"""The embedded log's writer: the committed state it keeps per topic and partition, the jobs it takes, and
the one queue it drains, one job after another on one connection, committing each drain's appends and
offset commits in one transaction (group commit).

An append job arrives with its records already encoded, one batch per partition (done by the caller,
before queueing); the writer only gives each batch its base offset and the partition's running values
and inserts one row per batch.

Where the group commit runs: on the event loop thread itself, unless the log syncs every commit
(synchronous=FULL) or the group is large. A commit with synchronous=NORMAL is a few hundred
microseconds of SQLite, less than the two thread handoffs (to the writer thread and back, each an OS
wake-up) it cost on a busy machine: in the produce benchmark, on a loaded 2-core machine, 100-record
requests from one client went from ~26k to ~35k records/s, one-record requests from 880 to 1,500/s.
Admin jobs (topic admin, retention deletes) stay on the writer thread, and WAL checkpoints run on
their own (`embedded_checkpoint`), so the loop never waits for a sync."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from gateway.log.base import LogError, TopicInfo
from gateway.log.embedded_checkpoint import Checkpointer, checkpoint
from gateway.log.embedded_records import INSERT_BATCH
from gateway.log.topic_config import DEFAULT_CONFIGS

_MAX_DRAIN = 20000     # records gathered into one transaction at most
_INLINE_BYTES = 256 << 10  # a group commit up to this size runs on the event loop thread (~2 ms at most)
_ADMIN_BYTES = 64 << 10  # what an admin job (retention deletes, topic admin) is taken to write to the WAL


@dataclass
class Part:
    """Committed state of one partition, as the writer left it."""

    next: int = 0          # the offset the next record gets; never goes back
    start: int = 0         # log start offset: records below it are gone or going
    maxts: int = -1        # largest timestamp appended so far
    total: int = 0         # bytes appended so far (cum of the last record)
    start_bytes: int = 0   # cum of the record just below `start`
    clean: int = 0         # records below this offset are known to be deleted already


@dataclass
class Topic:
    tid: int
    name: str
    configs: dict[str, str]
    parts: list[Part] = field(default_factory=list)

    def info(self) -> TopicInfo:
        return TopicInfo(self.name, len(self.parts), {**DEFAULT_CONFIGS, **self.configs})


@dataclass
class Append:
    """One append call: its batches, at most one per partition; the result is each batch's base offset."""

    tid: int
    batches: list[tuple[int, int, bytes, int, int]]  # partition, record count, blob, max timestamp, bytes
    future: asyncio.Future
    count: int = 0  # records in all batches
    size: int = 0   # bytes of all blobs


@dataclass
class Commit:
    offsets: list[tuple[str, str, int, int]]  # group, topic, partition, offset
    future: asyncio.Future


@dataclass
class Admin:
    """A write that runs alone (in its own transaction unless `txn` is False): work(conn) in the writer thread,
    then apply(result) on the loop."""

    work: Callable[[sqlite3.Connection], Any]
    apply: Callable[[Any], Any]
    future: asyncio.Future
    txn: bool = True  # False: work(conn) runs outside a transaction (a checkpoint must)


class Writer:
    """The writer half of EmbeddedLog, which mixes it in and owns the attributes below."""

    _closed: bool
    _queue: asyncio.Queue | None
    _topics: dict[str, Topic]
    _wpool: ThreadPoolExecutor
    _wconn: sqlite3.Connection
    _inline: bool               # group commits may run on the loop thread (not with synchronous=FULL)
    _checkpointer: Checkpointer

    async def _submit(self, job: Append | Commit | Admin) -> Any:
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
                count += jobs[-1].count if isinstance(jobs[-1], Append) else 1
            stop = any(j is None for j in jobs)
            jobs = [j for j in jobs if j is not None]
            try:
                group: list[Append | Commit] = []
                for job in jobs + [None]:
                    if job is None or isinstance(job, Admin):
                        await self._run_group(loop, group)
                        group = []
                        if job is not None:
                            await self._run_admin(loop, job)
                    else:
                        group.append(job)
            except Exception as exc:  # noqa: BLE001 - never leave a caller waiting on a dead writer
                for job in jobs:
                    _settle(job.future, exc=LogError(f"Kafka error: {exc}", status=500, error_code=50002))

    async def _run_admin(self, loop: asyncio.AbstractEventLoop, job: Admin) -> None:
        try:
            if job.txn:
                result = await loop.run_in_executor(self._wpool, self._in_txn, job.work)
                self._checkpointer.committed(_ADMIN_BYTES)
            else:
                result = await loop.run_in_executor(self._wpool, job.work, self._wconn)
            value = job.apply(result)
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            _settle(job.future, exc=exc)
        else:
            _settle(job.future, value)

    async def _checkpoint_in_line(self) -> tuple[int, int, int]:
        """A checkpoint between two group commits (the second step of a Checkpointer cycle)."""
        return await self._submit(Admin(checkpoint, lambda r: r, asyncio.get_running_loop().create_future(), False))

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

    async def _run_group(self, loop: asyncio.AbstractEventLoop, group: list[Append | Commit]) -> None:
        tids = {t.tid: t for t in self._topics.values()}
        live: list[Append | Commit] = []
        base: dict[tuple[int, int], tuple[int, int, int]] = {}
        for job in group:
            if isinstance(job, Commit):
                live.append(job)
            elif job.tid not in tids:
                _settle(job.future, exc=LogError("The topic was deleted while the records were queued.",
                                                 status=404, error_code=40401))
            else:
                live.append(job)
                for i, *_ in job.batches:
                    p = tids[job.tid].parts[i]
                    base[(job.tid, i)] = (p.next, p.maxts, p.total)
        if not live:
            return
        size = sum(job.size for job in live if isinstance(job, Append))
        try:
            if self._inline and size <= _INLINE_BYTES:
                results, pending = self._write_group(live, base)
            else:
                results, pending = await loop.run_in_executor(self._wpool, self._write_group, live, base)
        except Exception as exc:  # noqa: BLE001 - the whole transaction failed
            err = LogError(f"Kafka error: the embedded log could not commit: {exc}", status=500, error_code=50002)
            for job in live:
                _settle(job.future, exc=err)
            return
        self._checkpointer.committed(size)
        for (tid, part), (nxt, maxts, total) in pending.items():
            p = tids[tid].parts[part]
            p.next, p.maxts, p.total = nxt, maxts, total
        for job, result in zip(live, results):
            if isinstance(result, BaseException):
                _settle(job.future, exc=LogError(f"Kafka error: {result}", status=500, error_code=50002))
            else:
                _settle(job.future, result)

    def _write_group(self, jobs: list[Append | Commit], base: dict[tuple[int, int], tuple[int, int, int]]
                     ) -> tuple[list[Any], dict[tuple[int, int], tuple[int, int, int]]]:
        """One transaction for all these jobs; each job is all-or-nothing (one statement, or a savepoint)."""
        c = self._wconn
        pending: dict[tuple[int, int], tuple[int, int, int]] = {}
        results: list[Any] = []
        c.execute("BEGIN IMMEDIATE")
        try:
            for job in jobs:
                if isinstance(job, Commit):
                    err = _savepoint(c, "INSERT OR REPLACE INTO group_offsets (grp, topic, part, off) VALUES (?,?,?,?)",
                                     job.offsets)
                    results.append(err)
                    continue
                saved, tid = dict(pending), job.tid
                rows, bases = [], []
                for part, n, blob, bmax, size in job.batches:
                    nxt, maxts, cum = pending.get((tid, part)) or base[(tid, part)]
                    after = bmax if bmax > maxts else maxts
                    cum += size
                    rows.append((tid, part, nxt, nxt + n - 1, maxts, after, cum, blob))
                    bases.append(nxt)
                    pending[(tid, part)] = (nxt + n, after, cum)
                err = _insert_one(c, rows[0]) if len(rows) == 1 else _savepoint(c, INSERT_BATCH, rows)
                if err is not None:
                    pending = saved
                results.append(bases if err is None else err)
            c.executemany("UPDATE partitions SET next_offset=?, max_ts=?, total_bytes=? WHERE tid=? AND part=?",
                          [(n, m, t, tid, part) for (tid, part), (n, m, t) in pending.items()])
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return results, pending


def _settle(future: asyncio.Future, result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a caller's future unless the caller has gone (cancelled) meanwhile."""
    if not future.done():
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)


def _insert_one(c: sqlite3.Connection, row: tuple[Any, ...]) -> sqlite3.Error | None:
    """One statement is atomic by itself: a failed INSERT leaves the transaction as it was, no savepoint needed."""
    try:
        c.execute(INSERT_BATCH, row)
    except sqlite3.Error as exc:
        if not c.in_transaction:  # the error ended the whole transaction: fail the group
            raise
        return exc
    return None


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

"""Retention of the embedded log: a pass first moves each partition's log start (readers never see records
before it), then deletes the batches wholly below it in small chunks, each its own writer job, so
producers wait behind at most one chunk.

The log start moves record by record, as the old per-record store did (a batch may straddle it; readers
skip its records below the start); the space comes back batch by batch, once the start has passed a
batch's last record, which is Kafka's way too (it deletes whole segments)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from gateway.log.base import LogError
from gateway.log.embedded_records import cum_at, first_at_least
from gateway.log.embedded_writer import Admin, Part, Topic
from gateway.log.topic_config import DEFAULT_CONFIGS

_CHUNK = 2000          # records deleted per retention job (whole batches: at least this many when there are)


class Retention:
    """The retention half of EmbeddedLog, which mixes it in and provides `_topics`, `_reading` and `_submit`."""

    _topics: dict[str, Topic]
    retention_check_interval: float

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(self.retention_check_interval)
            try:
                await self.enforce_retention()
            except LogError:
                pass

    async def enforce_retention(self, now_ms: int | None = None) -> int:
        """One retention pass over every topic; returns how many records left the log (the log starts moved
        past them, or their deleted topic's batches were purged).

        Runs by itself every `retention_check_interval` seconds; public so tests and tools can run a pass now.
        """
        now = int(time.time() * 1000) if now_ms is None else now_ms
        moves: list[tuple[Topic, int, int, int]] = []  # topic, partition, new start, new start_bytes
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
                    cut = await self._reading(first_at_least, t.tid, i, "maxts", now - rms, start, nxt)
                    cut = nxt if cut is None else cut
                    if cut > start:
                        start = cut
                        sbytes = total if cut == nxt else await self._reading(cum_at, t.tid, i, cut - 1)
                if rbytes >= 0 and total - sbytes > rbytes and start < nxt:
                    last_gone = await self._reading(first_at_least, t.tid, i, "cum", total - rbytes, start, nxt)
                    if last_gone is not None:
                        start = last_gone + 1
                        sbytes = await self._reading(cum_at, t.tid, i, last_gone)
                if start > p.start:
                    moves.append((t, i, start, sbytes))
        moved = await self._move_starts(moves) if moves else 0
        return moved + await self._delete_below_starts()

    async def _move_starts(self, moves: list[tuple[Topic, int, int, int]]) -> int:
        """Move the log starts; returns by how many records they moved in all."""
        def work(c: sqlite3.Connection) -> None:
            c.executemany("UPDATE partitions SET log_start=MAX(log_start, ?), start_bytes=? WHERE tid=? AND part=?",
                          [(s, b, t.tid, i) for t, i, s, b in moves])

        def apply(_: None) -> int:
            moved = 0
            for t, i, s, b in moves:
                p = t.parts[i]
                if s > p.start:
                    moved += s - p.start
                    p.start, p.start_bytes = s, b
            return moved

        return await self._submit(Admin(work, apply, asyncio.get_running_loop().create_future()))

    async def _delete_below_starts(self) -> int:
        """Delete, chunk by chunk, batches below each log start and the batches of deleted topics; returns
        the records of deleted topics purged (those below a log start were counted when it moved)."""
        purged = 0
        targets: list[tuple[int, int | None, int | None, Part | None]] = [
            (t.tid, i, p.start, p) for t in self._topics.values() for i, p in enumerate(t.parts) if p.start > p.clean]
        purge = await self._reading(lambda c: [tid for (tid,) in c.execute("SELECT tid FROM purge")])
        targets += [(tid, None, None, None) for tid in purge]
        for tid, part, below, state in targets:
            while True:
                n = await self._submit(Admin(
                    lambda c, tid=tid, part=part, below=below: _delete_chunk(c, tid, part, below),
                    lambda n: n, asyncio.get_running_loop().create_future()))
                if part is None:
                    purged += n
                if n < _CHUNK:
                    break
            if state is not None and below is not None:
                state.clean = max(state.clean, below)
        return purged


def _delete_chunk(c: sqlite3.Connection, tid: int, part: int | None, below: int | None) -> int:
    """Delete the first batches (of a partition, below `below`; or of a purged topic) holding at least
    `_CHUNK` records, or all there are; returns how many records they held."""
    if part is None:
        rows = c.execute("SELECT rowid, last_off - base_off + 1 FROM batches WHERE tid=? LIMIT ?",
                         (tid, _CHUNK)).fetchall()
    else:
        rows = c.execute("SELECT rowid, last_off - base_off + 1 FROM batches WHERE tid=?1 AND part=?2 AND base_off<?3 "
                         "AND last_off<?3 ORDER BY base_off LIMIT ?4", (tid, part, below, _CHUNK)).fetchall()
    gone, n = [], 0
    for rowid, count in rows:
        if n >= _CHUNK:
            break
        gone.append((rowid,))
        n += count
    c.executemany("DELETE FROM batches WHERE rowid=?", gone)
    if part is None and n < _CHUNK:
        c.execute("DELETE FROM purge WHERE tid=?", (tid,))
    return n

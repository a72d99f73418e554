"""Retention of the embedded log: a pass first moves each partition's log start (readers never see records
before it), then deletes the records below it in small chunks, each its own writer job, so producers
wait behind at most one chunk."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from gateway.log.base import LogError
from gateway.log.embedded_records import first_at_least
from gateway.log.embedded_writer import Admin, Part, Topic
from gateway.log.topic_config import DEFAULT_CONFIGS

_CHUNK = 2000          # records deleted per retention job


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
        """One retention pass over every topic; returns how many records were deleted.

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
                        sbytes = total if cut == nxt else await self._reading(_value_at, t.tid, i, "cum", cut - 1)
                if rbytes >= 0 and total - sbytes > rbytes and start < nxt:
                    last_gone = await self._reading(first_at_least, t.tid, i, "cum", total - rbytes, start, nxt)
                    if last_gone is not None:
                        start = last_gone + 1
                        sbytes = await self._reading(_value_at, t.tid, i, "cum", last_gone)
                if start > p.start:
                    moves.append((t, i, start, sbytes))
        if moves:
            await self._move_starts(moves)
        return await self._delete_below_starts()

    async def _move_starts(self, moves: list[tuple[Topic, int, int, int]]) -> None:
        def work(c: sqlite3.Connection) -> None:
            c.executemany("UPDATE partitions SET log_start=MAX(log_start, ?), start_bytes=? WHERE tid=? AND part=?",
                          [(s, b, t.tid, i) for t, i, s, b in moves])

        def apply(_: None) -> None:
            for t, i, s, b in moves:
                p = t.parts[i]
                if s > p.start:
                    p.start, p.start_bytes = s, b

        await self._submit(Admin(work, apply, asyncio.get_running_loop().create_future()))

    async def _delete_below_starts(self) -> int:
        """Delete, chunk by chunk, records below each log start and the records of deleted topics."""
        deleted = 0
        targets: list[tuple[int, int | None, int | None, Part | None]] = [
            (t.tid, i, p.start, p) for t in self._topics.values() for i, p in enumerate(t.parts) if p.start > p.clean]
        purge = await self._reading(lambda c: [tid for (tid,) in c.execute("SELECT tid FROM purge")])
        targets += [(tid, None, None, None) for tid in purge]
        for tid, part, below, state in targets:
            while True:
                n = await self._submit(Admin(
                    lambda c, tid=tid, part=part, below=below: _delete_chunk(c, tid, part, below),
                    lambda n: n, asyncio.get_running_loop().create_future()))
                deleted += n
                if n < _CHUNK:
                    break
            if state is not None and below is not None:
                state.clean = max(state.clean, below)
        return deleted


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

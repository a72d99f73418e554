"""WAL checkpoints of the embedded log, kept off the event loop and mostly off the producers' path.

Why: group commits run on the event loop thread (two thread handoffs per commit cost more than the
commit), and SQLite's automatic checkpoint would run inside the commit that crosses its threshold:
copying ~10 MB of WAL frames into the database file and syncing it took 60-70 ms on the
development machine, every request waiting. So the writer connection turns automatic
checkpoints off, and once about `threshold` bytes were committed since the last cycle, a cycle runs:

1. a PASSIVE checkpoint on this class's own connection and thread, alongside the commits (WAL
   locking allows it): the bulk of the copying, nobody waiting;
2. `finish()`: a second PASSIVE checkpoint queued behind the writes (the writer runs it between
   two group commits, on its thread), which copies only what was committed meanwhile. With no
   commit in between, it leaves the WAL fully copied, so the next commit starts the WAL file over
   instead of growing it; under a steady stream of commits step 1 alone never gets there.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CHECKPOINT_BYTES = 4 << 20  # SQLite's default automatic checkpoint is at 1000 pages (4 MiB)


def checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """A PASSIVE checkpoint: (busy, frames in the WAL, frames copied); never waits for readers or writers."""
    return conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


class Checkpointer:
    """Runs checkpoint cycles in the background; tell it `committed(n)` after each commit of about n bytes."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], finish: Callable[[], Awaitable[Any]],
                 threshold: int = CHECKPOINT_BYTES) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="embedded-log-checkpoint")
        self._conn = self._pool.submit(connect).result()
        self._finish = finish
        self._threshold = threshold
        self._since = 0
        self._cycle: asyncio.Task | None = None
        self.cycles = 0  # completed, for tests and tools

    def committed(self, nbytes: int) -> None:
        self._since += nbytes
        if self._since >= self._threshold and self._cycle is None:
            self._since = 0
            self._cycle = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, checkpoint, self._conn)
            await self._finish()
            self.cycles += 1
        except Exception:  # noqa: BLE001 - a checkpoint that fails loses nothing; the next cycle retries
            pass
        finally:
            self._cycle = None

    async def close(self) -> None:
        """Let a running cycle end (the writer must still run), then release the connection and the thread."""
        if self._cycle is not None:
            await self._cycle
        await asyncio.get_running_loop().run_in_executor(self._pool, self._conn.close)
        self._pool.shutdown()

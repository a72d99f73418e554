"""Opening a log file written before batches: its per-record table `records` becomes `batches` rows.

Why on open and in one transaction: every reader then sees one layout, and a crash mid-way leaves
the old table whole (the next open migrates again). Records below a partition's log start were
already gone for readers and are dropped, as are the records of deleted topics still waiting for
their purge. Consecutive records become batches of up to `_BATCH_RECORDS` records or about
`_BATCH_BYTES` bytes, so reads and retention keep their granularity.
"""

from __future__ import annotations

import sqlite3

from gateway.log.embedded_batches import encode_rows
from gateway.log.embedded_records import INSERT_BATCH

_BATCH_RECORDS = 500
_BATCH_BYTES = 256 * 1024
_PAGE = 5000  # old rows read at a time


def migrate_records(c: sqlite3.Connection) -> int:
    """Move every readable row of the old `records` table into `batches` and drop it; returns the records moved.

    Expects the `batches` table to exist and no transaction to be open.
    """
    if c.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='records'").fetchone() is None:
        return 0
    moved = 0
    c.execute("BEGIN IMMEDIATE")
    try:
        for tid, part, start in c.execute("SELECT tid, part, log_start FROM partitions").fetchall():
            moved += _partition(c, tid, part, start)
        c.execute("DROP TABLE records")
        c.execute("COMMIT")
    except BaseException:
        if c.in_transaction:
            c.execute("ROLLBACK")
        raise
    return moved


def _partition(c: sqlite3.Connection, tid: int, part: int, start: int) -> int:
    moved = 0
    batch: list[tuple[int, bytes | None, bytes | None, bytes | None]] = []
    base = maxts_before = maxts = cum = size = 0
    nxt = start
    while True:
        rows = c.execute("SELECT off, ts, maxts, cum, key, value, headers FROM records "
                         "WHERE tid=? AND part=? AND off>=? ORDER BY off LIMIT ?", (tid, part, nxt, _PAGE)).fetchall()
        for off, ts, row_maxts, row_cum, key, value, hdrs in rows:
            if batch and (off != base + len(batch) or len(batch) >= _BATCH_RECORDS or size >= _BATCH_BYTES):
                c.execute(INSERT_BATCH, (tid, part, base, base + len(batch) - 1, maxts_before, maxts, cum,
                                         encode_rows(batch)))
                moved += len(batch)
                batch, maxts_before = [], maxts
            if not batch:
                base, size = off, 0
                if moved == 0:  # the first record kept: its running max says what came before, as far as it matters
                    maxts_before = row_maxts if row_maxts > ts else -1
            batch.append((ts, key, value, hdrs))
            maxts, cum = row_maxts, row_cum
            size += len(key or b"") + len(value or b"") + len(hdrs or b"")
        if len(rows) < _PAGE:
            break
        nxt = rows[-1][0] + 1
    if batch:
        c.execute(INSERT_BATCH, (tid, part, base, base + len(batch) - 1, maxts_before, maxts, cum, encode_rows(batch)))
        moved += len(batch)
    return moved

"""Records as the embedded log stores them: the headers blob, reading rows back, and the search over the
running columns (`maxts`, `cum`) that only grow with the offset."""

from __future__ import annotations

import sqlite3
import struct
from typing import Any

from gateway.log.base import StoredRecord

_HDR = struct.Struct(">Hi")


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


def read_rows(c: sqlite3.Connection, tid: int, topic: str, part: int, start: int, end: int,
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


def first_at_least(c: sqlite3.Connection, tid: int, part: int, column: str, value: int,
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

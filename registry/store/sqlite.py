"""The embedded store: one SQLite file in WAL mode.

A write returns only after its transaction committed to the WAL. With the default
synchronous=NORMAL the commit is in the operating system's hands before the
answer goes out, so an acknowledged write survives kill -9 of the server;
synchronous=FULL adds an fsync per commit and survives power loss too, at about
a fifth of the write rate.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from registry.store.base import (
    ConfigRecord, ModeRecord, Record, SchemaRecord, VersionRecord, VersionRemoved,
)


class SqliteStore:
    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        db = sqlite_utils.Database(self.conn)
        db["schemas"].create(
            {"context": str, "id": int, "schema_type": str, "schema": str,
             "refs": str, "metadata": str, "guid": str},
            pk=("context", "id"), if_not_exists=True)
        db["versions"].create(
            {"subject": str, "version": int, "id": int, "deleted": int, "ts": int},
            pk=("subject", "version"), if_not_exists=True)
        db["configs"].create({"scope": str, "value": str}, pk="scope", if_not_exists=True)
        db["modes"].create({"scope": str, "mode": str}, pk="scope", if_not_exists=True)

    def load(self) -> Iterator[Record]:
        cur = self.conn.execute(
            "SELECT context, id, schema_type, schema, refs, metadata, guid FROM schemas ORDER BY rowid")
        for ctx, id_, stype, text, refs, metadata, guid in cur:
            yield SchemaRecord(ctx, id_, stype, text, tuple(tuple(r) for r in json.loads(refs)),
                               json.loads(metadata) if metadata else None, guid)
        cur = self.conn.execute("SELECT subject, version, id, deleted, ts FROM versions")
        for subject, version, id_, deleted, ts in cur:
            yield VersionRecord(subject, version, id_, bool(deleted), ts)
        for scope, value in self.conn.execute("SELECT scope, value FROM configs"):
            yield ConfigRecord(scope, json.loads(value))
        for scope, mode in self.conn.execute("SELECT scope, mode FROM modes"):
            yield ModeRecord(scope, mode)

    def write(self, records: list[Record]) -> None:
        if not records:
            return
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for r in records:
                if isinstance(r, SchemaRecord):
                    c.execute(
                        "INSERT OR REPLACE INTO schemas VALUES (?,?,?,?,?,?,?)",
                        (r.context, r.id, r.schema_type, r.schema, json.dumps(r.references),
                         json.dumps(r.metadata) if r.metadata is not None else None, r.guid))
                elif isinstance(r, VersionRecord):
                    c.execute("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?)",
                              (r.subject, r.version, r.id, int(r.deleted), r.ts))
                elif isinstance(r, VersionRemoved):
                    c.execute("DELETE FROM versions WHERE subject=? AND version=?", (r.subject, r.version))
                elif isinstance(r, ConfigRecord):
                    if r.value is None:
                        c.execute("DELETE FROM configs WHERE scope=?", (r.scope,))
                    else:
                        c.execute("INSERT OR REPLACE INTO configs VALUES (?,?)", (r.scope, json.dumps(r.value)))
                elif isinstance(r, ModeRecord):
                    if r.mode is None:
                        c.execute("DELETE FROM modes WHERE scope=?", (r.scope,))
                    else:
                        c.execute("INSERT OR REPLACE INTO modes VALUES (?,?)", (r.scope, r.mode))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

"""Our store records <-> Confluent's `_schemas` key/value records, both ways.

Confluent's format (io.confluent.kafka.schemaregistry.storage.*Key/*Value, Jackson with
NON_EMPTY): keys are JSON in a fixed property order, and compaction only folds equal key
*bytes*, so keys are written exactly as Jackson writes them:
    {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}
    {"keytype":"CONFIG","subject":"s","magic":0}     (the top level: no "subject")
    {"keytype":"MODE","subject":"s","magic":0}
    {"keytype":"CONTEXT","tenant":"default","context":".ctx","magic":0}
A SCHEMA value holds the schema *and* the subject-version, so one of our VersionRecords
becomes one SCHEMA record carrying the text of its SchemaRecord; a SchemaRecord alone
produces nothing. Tombstones (null values) are hard deletes of a SCHEMA version and
deletes of a CONFIG or MODE. On the way in, DELETE_SUBJECT (soft delete up to a version)
and CLEAR_SUBJECT (drop soft-deleted versions) become per-version records, NOOP and
CONTEXT are only markers.

The codec keeps a mirror of schemas and versions: a SCHEMA value needs the schema text
of an id written earlier, and DELETE_SUBJECT needs the versions it covers.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable
from typing import Any

from registry import subjects as subj
from registry.identity import schema_guid
from registry.store.base import (
    ConfigRecord, ModeRecord, Record, SchemaRecord, VersionRecord, VersionRemoved,
)

TENANT = "default"  # Confluent's QualifiedSubject.DEFAULT_TENANT
Message = tuple[bytes, bytes | None]  # (key, value); a None value is a tombstone


def _dumps(obj: dict[str, Any]) -> bytes:
    """Jackson's compact form: no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def schema_key(subject: str, version: int) -> bytes:
    return _dumps({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def subject_key(keytype: str, scope: str) -> bytes:
    """CONFIG/MODE keys: our top-level scope is Confluent's null subject (left out, NON_EMPTY)."""
    if scope == subj.GLOBAL_SCOPE:
        return _dumps({"keytype": keytype, "magic": 0})
    return _dumps({"keytype": keytype, "subject": scope, "magic": 0})


def context_key(ctx: str) -> bytes:
    return _dumps({"keytype": "CONTEXT", "tenant": TENANT, "context": ctx, "magic": 0})


def noop_key() -> bytes:
    return _dumps({"keytype": "NOOP", "magic": 0})


def _md5_of(guid: str) -> str | None:
    try:
        return base64.b64encode(uuid.UUID(guid).bytes).decode()
    except ValueError:
        return None


def _guid_of(md5: Any) -> str | None:
    """Confluent's "md5" (base64 of 16 bytes) as our guid text, the same UUID Confluent prints."""
    if not isinstance(md5, str):
        return None
    try:
        raw = base64.b64decode(md5, validate=True)
    except ValueError:
        return None
    return str(uuid.UUID(bytes=raw)) if len(raw) == 16 else None


def _scope_of(subject: Any) -> str:
    return subject if isinstance(subject, str) and subject else subj.GLOBAL_SCOPE


class ConfluentCodec:
    """Maps records both ways; `applied()` keeps the mirror in step with what is durable."""

    def __init__(self) -> None:
        self.schemas: dict[tuple[str, int], SchemaRecord] = {}
        self.versions: dict[tuple[str, int], VersionRecord] = {}
        self.contexts: set[str] = {subj.DEFAULT_CONTEXT}

    # -- ours -> Confluent ---------------------------------------------------------------

    def encode(self, records: Iterable[Record]) -> list[Message]:
        """The Confluent records for one write; the mirror is untouched until `applied()`."""
        out: list[Message] = []
        pending: dict[tuple[str, int], SchemaRecord] = {}
        contexts = set(self.contexts)
        for r in records:
            if isinstance(r, SchemaRecord):
                pending[(r.context, r.id)] = r
                if r.context not in contexts:  # Confluent marks a context once, before its first schema
                    contexts.add(r.context)
                    out.append((context_key(r.context), _dumps({"tenant": TENANT, "context": r.context})))
            elif isinstance(r, VersionRecord):
                ctx = subj.split(r.subject)[0]
                schema = pending.get((ctx, r.id)) or self.schemas.get((ctx, r.id))
                if schema is None:
                    raise ValueError(f"no schema {r.id} in context {ctx} for {r.subject} version {r.version}")
                out.append((schema_key(r.subject, r.version), _dumps(schema_value(schema, r))))
            elif isinstance(r, VersionRemoved):
                out.append((schema_key(r.subject, r.version), None))
            elif isinstance(r, ConfigRecord):
                value = None
                if r.value is not None:
                    body: dict[str, Any] = {} if r.scope == subj.GLOBAL_SCOPE else {"subject": r.scope}
                    body.update((k, v) for k, v in r.value.items() if v is not None)
                    value = _dumps(body)
                out.append((subject_key("CONFIG", r.scope), value))
            elif isinstance(r, ModeRecord):
                value = None
                if r.mode is not None:
                    body = {} if r.scope == subj.GLOBAL_SCOPE else {"subject": r.scope}
                    body["mode"] = r.mode
                    value = _dumps(body)
                out.append((subject_key("MODE", r.scope), value))
        return out

    def applied(self, records: Iterable[Record]) -> None:
        for r in records:
            if isinstance(r, SchemaRecord):
                self.schemas[(r.context, r.id)] = r
                self.contexts.add(r.context)
            elif isinstance(r, VersionRecord):
                self.versions[(r.subject, r.version)] = r
            elif isinstance(r, VersionRemoved):
                self.versions.pop((r.subject, r.version), None)

    # -- Confluent -> ours ---------------------------------------------------------------

    def decode(self, key: bytes | None, value: bytes | None, timestamp: int = 0) -> list[Record]:
        """Our records for one Confluent record, in an order that applies cleanly; the mirror
        follows. Unknown or malformed records are skipped, as Confluent's reader skips them."""
        try:
            k = json.loads(key) if key else None
            v = json.loads(value) if value is not None else None
        except ValueError:
            return []
        if not isinstance(k, dict) or (v is not None and not isinstance(v, dict)):
            return []
        keytype = k.get("keytype")
        out: list[Record]
        if keytype == "SCHEMA":
            out = self._decode_schema(k, v, timestamp)
        elif keytype in ("CONFIG", "MODE"):
            scope = _scope_of(k.get("subject"))
            if keytype == "CONFIG":
                config = None if v is None else {
                    name: item for name, item in v.items()
                    if name not in ("subject", "offset", "ts") and item is not None}
                out = [ConfigRecord(scope, config)]
            else:
                mode = v.get("mode") if v is not None else None
                out = [ModeRecord(scope, mode if isinstance(mode, str) else None)]
        elif keytype == "DELETE_SUBJECT" and v is not None:
            subject, upto = v.get("subject") or k.get("subject"), v.get("version")
            out = [VersionRecord(r.subject, r.version, r.id, True, r.ts) for (s, n), r in sorted(self.versions.items())
                   if s == subject and isinstance(upto, int) and n <= upto and not r.deleted]
        elif keytype == "CLEAR_SUBJECT" and v is not None:
            scope = v.get("subject") or k.get("subject")
            out = [VersionRemoved(s, n) for (s, n), r in sorted(self.versions.items())
                   if r.deleted and _clears(scope, s)]
        else:  # NOOP, CONTEXT, ASSOC, non-schema tombstones: nothing to apply
            out = []
        self.applied(out)
        return out

    def _decode_schema(self, k: dict[str, Any], v: dict[str, Any] | None, timestamp: int) -> list[Record]:
        subject, version = k.get("subject"), k.get("version")
        if not isinstance(subject, str) or not isinstance(version, int):
            return []
        subject = subj.normalize(subject)  # `:.:name` is `name`, as Confluent reads it
        if v is None:
            return [VersionRemoved(subject, version)]
        id_, text = v.get("id"), v.get("schema")
        if not isinstance(id_, int) or not isinstance(text, str):
            return []
        ctx = subj.split(subject)[0]
        out: list[Record] = []
        known = self.schemas.get((ctx, id_))
        if known is None:
            refs = tuple((r["name"], r["subject"], int(r["version"])) for r in v.get("references") or ())
            metadata = v.get("metadata") or None
            guid = _guid_of(v.get("md5")) or schema_guid(
                text, [{"name": n, "subject": s, "version": ver} for n, s, ver in refs], metadata,
                v.get("ruleSet") or None)
            out.append(SchemaRecord(ctx, id_, v.get("schemaType") or "AVRO", text, refs, metadata, guid))
        elif known.schema != text:
            return []  # a duplicate id with another schema: Confluent ignores it too
        ts = v.get("ts")
        out.append(VersionRecord(subject, version, id_, bool(v.get("deleted")),
                                 ts if isinstance(ts, int) else timestamp))
        return out


def schema_value(schema: SchemaRecord, version: VersionRecord) -> dict[str, Any]:
    """A SchemaValue as Confluent writes it: schemaType defaults to AVRO and is written out."""
    out: dict[str, Any] = {"subject": version.subject, "version": version.version, "id": version.id}
    md5 = _md5_of(schema.guid)
    if md5:
        out["md5"] = md5
    out["schemaType"] = schema.schema_type
    if schema.references:
        out["references"] = [{"name": n, "subject": s, "version": v} for n, s, v in schema.references]
    if schema.metadata is not None:
        out["metadata"] = schema.metadata
    out["schema"] = schema.schema
    out["deleted"] = version.deleted
    if version.ts:
        out["ts"] = version.ts
    return out


def _clears(scope: Any, subject: str) -> bool:
    """Which subjects a CLEAR_SUBJECT covers: one subject, a whole context (`:.ctx:`), or all."""
    if not isinstance(scope, str) or not scope or scope == subj.GLOBAL_SCOPE:
        return True
    if scope.startswith(":.") and scope.endswith(":") and scope.count(":") == 2:
        return subj.split(subject)[0] == scope[1:-1]
    return subject == scope

"""An in-memory schema registry with the client's interface, for tests and CI.

Unlike confluent-kafka's `mock://`, it behaves like a real registry where it
matters: identical schemas share one global id across subjects, versions
count up per subject, soft and hard deletes differ, and registration runs a
compatibility check (pass `compatibility_checker`, e.g. the registry package's).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from serde.client.types import CompatibilityResult, RegisteredSchema, Schema, as_schema
from serde.errors import (
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    VersionNotFound,
)

#: (new schema, previous schemas newest first, level) -> incompatibility messages
CompatibilityChecker = Callable[[Schema, Sequence[Schema], str], Sequence[str]]

LEVELS = frozenset(
    {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}
)


def _content_key(schema: Schema) -> tuple:
    """What makes two registrations the same schema: compact text, type, references."""
    text = schema.schema_str
    if schema.schema_type in ("AVRO", "JSON"):
        try:
            text = json.dumps(json.loads(text), separators=(",", ":"))
        except ValueError:
            pass
    return (schema.schema_type, text, schema.references)


@dataclass
class _Version:
    version: int
    schema_id: int
    deleted: bool = False


class InMemorySchemaRegistry:
    """A thread-safe registry in a dict, answering like SchemaRegistryClient."""

    def __init__(
        self,
        compatibility_checker: CompatibilityChecker | None = None,
        compatibility: str = "BACKWARD",
    ) -> None:
        self._checker = compatibility_checker
        self._lock = threading.RLock()
        self._schemas: dict[int, Schema] = {}
        self._guids: dict[int, str] = {}
        self._ids: dict[tuple, int] = {}
        self._subjects: dict[str, list[_Version]] = {}
        self._config: dict[str | None, str] = {None: compatibility}
        self._modes: dict[str | None, str] = {None: "READWRITE"}

    # --- helpers ---------------------------------------------------------------------

    def _live(self, subject: str, deleted: bool = False) -> list[_Version]:
        versions = [v for v in self._subjects.get(subject, []) if deleted or not v.deleted]
        if not versions:
            raise SubjectNotFound(f"Subject '{subject}' not found.")
        return versions

    def _registered(self, subject: str, v: _Version) -> RegisteredSchema:
        return RegisteredSchema(v.schema_id, self._guids[v.schema_id], self._schemas[v.schema_id], subject, v.version)

    def _find(self, subject: str, ver: int | str, deleted: bool = False) -> _Version:
        versions = self._live(subject, deleted)
        if ver in ("latest", -1):
            return versions[-1]
        for v in versions:
            if v.version == int(ver):
                return v
        raise VersionNotFound(f"Version {ver} not found.")

    def _messages(self, subject: str, schema: Schema, previous: Sequence[Schema]) -> list[str]:
        level = self.get_compatibility(subject)
        if self._checker is None or level == "NONE" or not previous:
            return []
        if not level.endswith("_TRANSITIVE"):
            previous = previous[:1]
        return list(self._checker(schema, previous, level))

    # --- schemas ---------------------------------------------------------------------

    def register_schema(self, subject_name: str, schema: Schema | str, normalize_schemas: bool = False) -> int:
        return self.register_schema_full_response(subject_name, schema, normalize_schemas).schema_id

    def register_schema_full_response(
        self, subject_name: str, schema: Schema | str, normalize_schemas: bool = False
    ) -> RegisteredSchema:
        schema = as_schema(schema)
        key = _content_key(schema)
        with self._lock:
            versions = self._subjects.setdefault(subject_name, [])
            live = [v for v in versions if not v.deleted]
            for v in live:
                if _content_key(self._schemas[v.schema_id]) == key:
                    return self._registered(subject_name, v)
            previous = [self._schemas[v.schema_id] for v in reversed(live)]
            messages = self._messages(subject_name, schema, previous)
            if messages:
                raise IncompatibleSchema(
                    f"Schema being registered is incompatible with an earlier schema for subject "
                    f'"{subject_name}", details: [{", ".join(messages)}]',
                    reasons=messages,
                )
            sid = self._ids.get(key)
            if sid is None:
                sid = max(self._schemas, default=0) + 1
                self._ids[key] = sid
                self._schemas[sid] = schema
                self._guids[sid] = str(uuid.uuid4())
            v = _Version(max((x.version for x in versions), default=0) + 1, sid)
            versions.append(v)
            return self._registered(subject_name, v)

    def get_schema(self, schema_id: int, subject_name: str | None = None, fmt: str | None = None) -> Schema:
        with self._lock:
            try:
                return self._schemas[schema_id]
            except KeyError:
                raise SchemaNotFound(f"Schema {schema_id} not found") from None

    def get_schema_by_guid(self, guid: str, fmt: str | None = None) -> Schema:
        with self._lock:
            for sid, g in self._guids.items():
                if g == str(guid):
                    return self._schemas[sid]
        raise SchemaNotFound(f"Schema {guid} not found")

    def get_schema_types(self) -> list[str]:
        return ["AVRO", "JSON", "PROTOBUF"]

    def get_subjects_by_schema_id(self, schema_id: int, subject_name: str | None = None, deleted: bool = False,
                                  offset: int = 0, limit: int = -1) -> list[str]:
        return sorted({d["subject"] for d in self.get_schema_versions(schema_id, deleted=deleted)})

    def get_schema_versions(self, schema_id: int, subject_name: str | None = None, deleted: bool = False,
                            offset: int = 0, limit: int = -1) -> list[dict]:
        with self._lock:
            self.get_schema(schema_id)
            return [
                {"subject": s, "version": v.version}
                for s, vs in sorted(self._subjects.items())
                for v in vs
                if v.schema_id == schema_id and (deleted or not v.deleted)
            ]

    def lookup_schema(self, subject_name: str, schema: Schema | str, normalize_schemas: bool = False,
                      fmt: str | None = None, deleted: bool = False) -> RegisteredSchema:
        key = _content_key(as_schema(schema))
        with self._lock:
            for v in self._live(subject_name, deleted):
                if _content_key(self._schemas[v.schema_id]) == key:
                    return self._registered(subject_name, v)
        raise SchemaNotFound("Schema not found")

    # --- subjects and versions -------------------------------------------------------

    def get_subjects(self, subject_prefix: str | None = None, deleted: bool = False, deleted_only: bool = False,
                     offset: int = 0, limit: int = -1) -> list[str]:
        with self._lock:
            out = []
            for s, vs in sorted(self._subjects.items()):
                live = any(not v.deleted for v in vs)
                if (deleted_only and not live and vs) or (not deleted_only and (live or (deleted and vs))):
                    if subject_prefix is None or s.startswith(subject_prefix):
                        out.append(s)
            return out

    def delete_subject(self, subject_name: str, permanent: bool = False) -> list[int]:
        with self._lock:
            versions = self._subjects.get(subject_name) or []
            if not versions:
                raise SubjectNotFound(f"Subject '{subject_name}' not found.")
            if permanent:
                if any(not v.deleted for v in versions):
                    raise SubjectNotSoftDeleted(f"Subject '{subject_name}' was not deleted first")
                del self._subjects[subject_name]
                return [v.version for v in versions]
            live = self._live(subject_name)
            for v in live:
                v.deleted = True
            return [v.version for v in live]

    def get_latest_version(self, subject_name: str, fmt: str | None = None) -> RegisteredSchema:
        with self._lock:
            return self._registered(subject_name, self._find(subject_name, "latest"))

    def get_latest_with_metadata(self, subject_name: str, metadata: Mapping[str, str], deleted: bool = False,
                                 fmt: str | None = None) -> RegisteredSchema:
        with self._lock:
            for v in reversed(self._live(subject_name, deleted)):
                props = ((self._schemas[v.schema_id].metadata or {}).get("properties") or {})
                if all(props.get(k) == val for k, val in metadata.items()):
                    return self._registered(subject_name, v)
        raise VersionNotFound(f"No version of {subject_name} matches {dict(metadata)}")

    def get_version(self, subject_name: str, version: int | str, deleted: bool = False,
                    fmt: str | None = None) -> RegisteredSchema:
        with self._lock:
            return self._registered(subject_name, self._find(subject_name, version, deleted))

    def get_versions(self, subject_name: str, deleted: bool = False) -> list[int]:
        with self._lock:
            return [v.version for v in self._live(subject_name, deleted)]

    def delete_version(self, subject_name: str, version: int | str, permanent: bool = False) -> int:
        with self._lock:
            v = self._find(subject_name, version, deleted=permanent)
            if permanent:
                self._subjects[subject_name].remove(v)
            else:
                v.deleted = True
            return v.version

    def get_referenced_by(self, subject_name: str, version: int | str = "latest") -> list[int]:
        with self._lock:
            v = self._find(subject_name, version)
            return sorted(
                sid
                for sid, s in self._schemas.items()
                if any(r.subject == subject_name and r.version == v.version for r in s.references)
            )

    # --- compatibility, config, mode -------------------------------------------------

    def test_compatibility(self, subject_name: str, schema: Schema | str, version: int | str = "latest",
                           normalize: bool = False, verbose: bool = True) -> CompatibilityResult:
        with self._lock:
            if not any(not v.deleted for v in self._subjects.get(subject_name, [])):
                return CompatibilityResult(True)
            previous = [self._schemas[self._find(subject_name, version).schema_id]]
            return self._result(subject_name, as_schema(schema), previous)

    def test_compatibility_all_versions(self, subject_name: str, schema: Schema | str, normalize: bool = False,
                                        verbose: bool = True) -> CompatibilityResult:
        with self._lock:
            live = [v for v in self._subjects.get(subject_name, []) if not v.deleted]
            previous = [self._schemas[v.schema_id] for v in reversed(live)]
            return self._result(subject_name, as_schema(schema), previous, transitive=True)

    def _result(self, subject: str, schema: Schema, previous: list[Schema], transitive: bool = False) -> CompatibilityResult:
        level = self.get_compatibility(subject)
        if self._checker is None or level == "NONE" or not previous:
            return CompatibilityResult(True)
        level = level.replace("_TRANSITIVE", "") + ("_TRANSITIVE" if transitive else "")
        messages = list(self._checker(schema, previous, level))
        return CompatibilityResult(not messages, tuple(messages))

    def set_compatibility(self, subject_name: str | None = None, level: str | None = None) -> str:
        level = (level or "").upper()
        if level not in LEVELS:
            raise InvalidCompatibilityLevel(f"Invalid compatibility level {level!r}")
        with self._lock:
            self._config[subject_name] = level
        return level

    def get_compatibility(self, subject_name: str | None = None) -> str:
        with self._lock:
            return self._config.get(subject_name) or self._config[None]

    def set_config(self, subject_name: str | None = None, config: Mapping[str, Any] | None = None) -> dict:
        level = (config or {}).get("compatibility")
        if level:
            self.set_compatibility(subject_name, level)
        return dict(config or {})

    def get_config(self, subject_name: str | None = None) -> dict:
        return {"compatibilityLevel": self.get_compatibility(subject_name)}

    def delete_config(self, subject_name: str | None = None) -> dict:
        with self._lock:
            old = self._config.pop(subject_name, None) if subject_name is not None else self._config[None]
        return {"compatibilityLevel": old}

    def get_mode(self, subject_name: str | None = None) -> str:
        with self._lock:
            return self._modes.get(subject_name) or self._modes[None]

    def update_mode(self, subject_name: str | None, mode: str, force: bool = False) -> str:
        with self._lock:
            self._modes[subject_name] = mode
        return mode

    set_mode = update_mode

    def delete_mode(self, subject_name: str) -> str:
        with self._lock:
            return self._modes.pop(subject_name, None) or self._modes[None]

    def get_global_mode(self) -> str:
        return self.get_mode(None)

    def update_global_mode(self, mode: str, force: bool = False) -> str:
        return self.update_mode(None, mode, force)

    def get_contexts(self, offset: int = 0, limit: int = -1) -> list[str]:
        return ["."]

    def clear_latest_caches(self) -> None:
        """Nothing is cached: present for interface parity."""

    def clear_caches(self) -> None:
        """Nothing is cached: present for interface parity."""

    def close(self) -> None:
        """Nothing to release: present for interface parity."""


class AsyncInMemorySchemaRegistry:
    """The in-memory registry behind AsyncSchemaRegistryClient's awaitable interface."""

    def __init__(self, registry: InMemorySchemaRegistry | None = None, **kwargs: Any) -> None:
        self.sync = registry if registry is not None else InMemorySchemaRegistry(**kwargs)

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self.sync, name)
        if not callable(fn):
            return fn

        async def call(*args: Any, **kw: Any) -> Any:
            return fn(*args, **kw)

        return call

"""The registry client's public methods, shared by the sync and the async client.

Each method builds an operation (serde.client.ops) and hands it to `_call`,
which the sync client runs to a value and the async client turns into an
awaitable; so `client.get_schema(1)` and `await aclient.get_schema(1)` have
one definition. Method names and parameters follow confluent-kafka's client.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from serde.client import ops
from serde.client.caches import Caches
from serde.client.options import ClientOptions, build_options
from serde.client.types import CompatibilityResult, RegisteredSchema, Schema


def _field(gen: ops.Op, name: str) -> ops.Op:
    value = yield from gen
    return getattr(value, name)


class RegistryAPI:
    """Confluent Schema Registry operations with caching; see the subclasses for transport."""

    def __init__(self, url_or_conf: Any, **options: Any) -> None:
        self.options: ClientOptions = build_options(url_or_conf, **options)
        self._caches = Caches(self.options.cache_capacity, self.options.latest_ttl)

    def _call(self, op: ops.Op, flight: Hashable | None = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    # --- schemas ---------------------------------------------------------------------

    def register_schema(self, subject_name: str, schema: Schema | str, normalize_schemas: bool = False) -> int:
        """Register (or find) `schema` under the subject; returns its global id."""
        return self._call(_field(ops.register(self._caches, subject_name, schema, normalize_schemas), "schema_id"))

    def register_schema_full_response(
        self, subject_name: str, schema: Schema | str, normalize_schemas: bool = False
    ) -> RegisteredSchema:
        return self._call(ops.register(self._caches, subject_name, schema, normalize_schemas))

    def get_schema(self, schema_id: int, subject_name: str | None = None, fmt: str | None = None) -> Schema:
        """The schema with global id `schema_id`; cached forever, one HTTP call per id."""
        key = (schema_id, subject_name, fmt)
        hit = self._caches.get("by_id", key)
        if hit is not None:
            return self._value(hit)
        return self._call(ops.get_schema(self._caches, schema_id, subject_name, fmt), flight=("id",) + key)

    def get_schema_by_guid(self, guid: str, fmt: str | None = None) -> Schema:
        key = (str(guid), fmt)
        hit = self._caches.get("by_guid", key)
        if hit is not None:
            return self._value(hit)
        return self._call(ops.get_schema_by_guid(self._caches, guid, fmt), flight=("guid",) + key)

    def get_schema_types(self) -> list[str]:
        return self._call(ops.schema_types())

    def get_subjects_by_schema_id(
        self, schema_id: int, subject_name: str | None = None, deleted: bool = False, offset: int = 0, limit: int = -1
    ) -> list[str]:
        return self._call(ops.subjects_by_id(schema_id, subject_name, deleted, offset, limit))

    def get_schema_versions(
        self, schema_id: int, subject_name: str | None = None, deleted: bool = False, offset: int = 0, limit: int = -1
    ) -> list[dict]:
        return self._call(ops.schema_versions(schema_id, subject_name, deleted, offset, limit))

    def lookup_schema(
        self,
        subject_name: str,
        schema: Schema | str,
        normalize_schemas: bool = False,
        fmt: str | None = None,
        deleted: bool = False,
    ) -> RegisteredSchema:
        """The registered version of `schema` under the subject (SchemaNotFound/SubjectNotFound if absent)."""
        return self._call(ops.lookup(self._caches, subject_name, schema, normalize_schemas, fmt, deleted))

    # --- subjects and versions -------------------------------------------------------

    def get_subjects(
        self, subject_prefix: str | None = None, deleted: bool = False, deleted_only: bool = False,
        offset: int = 0, limit: int = -1,
    ) -> list[str]:
        return self._call(ops.subjects(subject_prefix, deleted, deleted_only, offset, limit))

    def delete_subject(self, subject_name: str, permanent: bool = False) -> list[int]:
        return self._call(ops.delete_subject(self._caches, subject_name, permanent))

    def get_latest_version(self, subject_name: str, fmt: str | None = None) -> RegisteredSchema:
        """The subject's latest version; cached in an LRU (with TTL when `latest_ttl` is set)."""
        return self._call(ops.latest(self._caches, subject_name, fmt), flight=("latest", subject_name, fmt))

    def get_latest_with_metadata(
        self, subject_name: str, metadata: Mapping[str, str], deleted: bool = False, fmt: str | None = None
    ) -> RegisteredSchema:
        return self._call(ops.latest_with_metadata(self._caches, subject_name, metadata, deleted, fmt))

    def get_version(
        self, subject_name: str, version: int | str, deleted: bool = False, fmt: str | None = None
    ) -> RegisteredSchema:
        return self._call(ops.version(self._caches, subject_name, version, deleted, fmt))

    def get_versions(self, subject_name: str, deleted: bool = False) -> list[int]:
        return self._call(ops.versions(subject_name, deleted))

    def delete_version(self, subject_name: str, version: int | str, permanent: bool = False) -> int:
        return self._call(ops.delete_version(self._caches, subject_name, version, permanent))

    def get_referenced_by(self, subject_name: str, version: int | str = "latest") -> list[int]:
        return self._call(ops.referenced_by(subject_name, version))

    # --- compatibility and config ----------------------------------------------------

    def test_compatibility(
        self,
        subject_name: str,
        schema: Schema | str,
        version: int | str = "latest",
        normalize: bool = False,
        verbose: bool = True,
    ) -> CompatibilityResult:
        """Whether `schema` may follow `version`; truthy when compatible, `.messages` says why not.

        Always asks for the verbose answer, unlike confluent-kafka which drops it.
        """
        return self._call(ops.test_compatibility(subject_name, schema, version, normalize))

    def test_compatibility_all_versions(
        self, subject_name: str, schema: Schema | str, normalize: bool = False, verbose: bool = True
    ) -> CompatibilityResult:
        return self._call(ops.test_compatibility(subject_name, schema, None, normalize))

    def set_compatibility(self, subject_name: str | None = None, level: str | None = None) -> str:
        if level is None:
            raise ValueError("level must be set")
        return self._call(ops.set_compatibility(subject_name, level))

    def get_compatibility(self, subject_name: str | None = None) -> str:
        return self._call(ops.get_compatibility(subject_name))

    def set_config(self, subject_name: str | None = None, config: Mapping[str, Any] | None = None) -> dict:
        return self._call(ops.set_config(subject_name, config or {}))

    def get_config(self, subject_name: str | None = None) -> dict:
        return self._call(ops.get_config(subject_name))

    def delete_config(self, subject_name: str | None = None) -> dict:
        return self._call(ops.delete_config(subject_name))

    # --- modes and contexts ----------------------------------------------------------

    def get_mode(self, subject_name: str | None = None) -> str:
        return self._call(ops.get_mode(subject_name))

    def update_mode(self, subject_name: str | None, mode: str, force: bool = False) -> str:
        return self._call(ops.update_mode(subject_name, mode, force))

    set_mode = update_mode

    def delete_mode(self, subject_name: str) -> str:
        return self._call(ops.delete_mode(subject_name))

    def get_global_mode(self) -> str:
        return self._call(ops.get_mode(None))

    def update_global_mode(self, mode: str, force: bool = False) -> str:
        return self._call(ops.update_mode(None, mode, force))

    def get_contexts(self, offset: int = 0, limit: int = -1) -> list[str]:
        return self._call(ops.contexts(offset, limit))

    # --- caches ----------------------------------------------------------------------

    def clear_latest_caches(self) -> None:
        self._caches.clear_latest()

    def clear_caches(self) -> None:
        self._caches.clear()

    def _value(self, value: Any) -> Any:
        """A cache hit as this client returns results (the async client wraps it)."""
        return value

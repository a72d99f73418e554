"""Which registered schema a record side is written with, resolved through serde's client.

Rules are REST Proxy's (spec §2.3 and §5.5): by schema id (which must be
registered under the strategy's subject), by raw schema text (looked up, else
registered), by subject version, or the subject's latest. Everything derived
from a schema (parsed form, codec, record name) is cached per schema id, and
id/text resolutions per (topic, side, subject); the client's own caches answer
`latest` and versions. The caches live on the resolver, which lives on the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.errors import BadRequest, Forbidden, GatewayError, SerializingFailed, Unprocessable
from gateway.formats import FormatError, SchemaCodec, build_codec, parse_schema, record_name
from serde.client.types import Schema, as_schema
from serde.core import adrive, fetch_references
from serde.errors import RegistryUnavailable, SchemaRegistryError, SerializationError

STRATEGIES = ("topic", "record", "topic_record")
V3_STRATEGIES = {"TOPIC_NAME": "topic", "RECORD_NAME": "record", "TOPIC_RECORD_NAME": "topic_record"}
_V3_NAMES = {v: k for k, v in V3_STRATEGIES.items()}


@dataclass(frozen=True, slots=True)
class Loaded:
    """A registered schema made ready for records: its codec and its record name."""

    schema: Schema
    codec: SchemaCodec
    record_name: str | None


@dataclass(frozen=True, slots=True)
class Resolved:
    """The schema one side of a request is written with."""

    codec: SchemaCodec
    schema_id: int
    subject: str
    version: int | None
    schema_type: str  # AVRO, JSON or PROTOBUF

    def encode(self, data: Any) -> bytes:
        return self.codec.encode(data)


def _registry_failure(exc: SchemaRegistryError, detail: str) -> GatewayError:
    """A registry error while resolving: 403 stays 403, everything else is Confluent's 42207."""
    if exc.status == 403:
        return Forbidden(exc.message or "Forbidden")
    cause = exc.message if isinstance(exc, RegistryUnavailable) else f"{exc.message}; error code: {exc.error_code}"
    return SerializingFailed(f"{detail}\n{cause}")


class SchemaResolver:
    """Resolves key/value schemas for produce requests; one per app."""

    def __init__(self, client: Any, key_strategy: str = "topic", value_strategy: str = "topic") -> None:
        for s in (key_strategy, value_strategy):
            if s not in STRATEGIES:
                raise ValueError(f"unknown subject name strategy {s!r}: use one of {', '.join(STRATEGIES)}")
        self.client = client
        self.strategies = {"key": key_strategy, "value": value_strategy}
        self._loaded: dict[int, Loaded] = {}
        self._resolved: dict[tuple, Resolved] = {}

    # --- subjects -----------------------------------------------------------------

    def subject(self, topic: str, side: str, strategy: str | None, name: str | None) -> str:
        strategy = strategy or self.strategies[side]
        if strategy == "topic":
            return f"{topic}-{side}"
        if not name:
            raise BadRequest(f"Cannot use schema_subject_strategy={_V3_NAMES[strategy]}: the schema has no record name.")
        return name if strategy == "record" else f"{topic}-{name}"

    # --- per schema id --------------------------------------------------------------

    async def load(self, schema_id: int) -> Loaded:
        """The codec for `schema_id`, fetched and built once."""
        hit = self._loaded.get(schema_id)
        if hit is not None:
            return hit
        detail = f"Error when fetching schema by id. schemaId = {schema_id}"
        try:
            schema = as_schema(await self.client.get_schema(schema_id))
            refs = await adrive(fetch_references(schema), self.client)
        except SchemaRegistryError as exc:
            raise _registry_failure(exc, detail) from None
        try:
            parsed = parse_schema(schema.schema_type, schema.schema_str, {n: s.schema_str for n, s in refs.items()})
            codec = build_codec(schema.schema_type, schema_id, parsed)
            name = record_name(schema.schema_type, parsed)
        except (SerializationError, FormatError, ValueError, KeyError, IndexError) as exc:
            raise Unprocessable(f"Invalid schema: {exc}", error_code=42205) from None
        loaded = self._loaded[schema_id] = Loaded(schema, codec, name)
        return loaded

    async def by_id(self, topic: str, side: str, schema_id: int, *, subject: str | None = None,
                    strategy: str | None = None) -> Resolved:
        """The schema with this id, which must be registered under the side's subject."""
        key = ("id", topic, side, schema_id, subject, strategy)
        hit = self._resolved.get(key)
        if hit is not None:
            return hit
        loaded = await self.load(schema_id)
        subj = subject or self.subject(topic, side, strategy, loaded.record_name)
        try:
            reg = await self.client.lookup_schema(subj, loaded.schema)
        except SchemaRegistryError as exc:
            raise _registry_failure(exc, f"Error when fetching schema version. subject = {subj}, "
                                         f"schema = {loaded.schema.schema_str}") from None
        resolved = self._resolved[key] = Resolved(loaded.codec, schema_id, subj, reg.version, loaded.schema.schema_type)
        return resolved

    async def by_text(self, topic: str, side: str, schema_type: str, text: str, *, subject: str | None = None,
                      strategy: str | None = None) -> Resolved:
        """A raw schema: looked up under the subject, registered there when that fails."""
        key = ("text", topic, side, schema_type, text, subject, strategy)
        hit = self._resolved.get(key)
        if hit is not None:
            return hit
        try:
            parsed = parse_schema(schema_type, text, {})
        except (SerializationError, ValueError, RecursionError):
            raise BadRequest(f"Error parsing schema with format = {_format_name(schema_type)}") from None
        subj = subject or self.subject(topic, side, strategy, record_name(schema_type, parsed))
        schema = Schema(text, schema_type)
        try:
            reg = await self.client.lookup_schema(subj, schema)
        except RegistryUnavailable as exc:
            raise _registry_failure(exc, f"Error when fetching schema version. subject = {subj}") from None
        except SchemaRegistryError:
            detail = (f"Error when registering schema. format = {_format_name(schema_type)}, "
                      f"subject = {subj}, schema = {text}")
            try:
                await self.client.register_schema(subj, schema)
                reg = await self.client.lookup_schema(subj, schema)
            except SchemaRegistryError as exc:
                raise _registry_failure(exc, detail) from None
        loaded = await self.load(reg.schema_id)
        resolved = self._resolved[key] = Resolved(loaded.codec, reg.schema_id, subj, reg.version, schema_type)
        return resolved

    async def by_version(self, topic: str, side: str, version: int | None, *, subject: str | None = None,
                         strategy: str | None = None) -> Resolved:
        """A version of the subject, or its latest when `version` is None (never cached here)."""
        if subject is None and strategy in ("record", "topic_record"):
            raise BadRequest(f"Cannot use schema_subject_strategy={_V3_NAMES[strategy]} "
                             "without schema_id or schema.")
        subj = subject or self.subject(topic, side, strategy, None)
        try:
            if version is None:
                reg = await self.client.get_latest_version(subj)
            else:
                reg = await self.client.get_version(subj, version)
        except SchemaRegistryError as exc:
            what = "latest schema version" if version is None else f"schema version {version}"
            raise _registry_failure(exc, f"Error when fetching {what}. subject = {subj}") from None
        loaded = await self.load(reg.schema_id)
        return Resolved(loaded.codec, reg.schema_id, subj, reg.version, loaded.schema.schema_type)


def _format_name(schema_type: str) -> str:
    return "JSONSCHEMA" if schema_type == "JSON" else schema_type

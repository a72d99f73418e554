"""Registry value types, named like confluent-kafka's so switching is a change of imports.

They are frozen and hashable so a `Schema` can key the (subject, schema) -> id cache.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SchemaReference:
    """One reference of a schema: the name it is imported as, and where it is registered."""

    name: str
    subject: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SchemaReference":
        return cls(d["name"], d["subject"], int(d["version"]))


def _freeze(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=_todict)


def _todict(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return to_dict()


@dataclass(frozen=True)
class Schema:
    """A schema as the registry stores it: text, type, references, optional metadata and rules."""

    schema_str: str
    schema_type: str = "AVRO"
    references: Sequence[SchemaReference] = field(default_factory=tuple)
    metadata: Any = None
    rule_set: Any = None

    def __post_init__(self) -> None:
        refs = tuple(
            r if isinstance(r, SchemaReference) else _as_reference(r) for r in (self.references or ())
        )
        object.__setattr__(self, "references", refs)
        if self.schema_type is None:
            object.__setattr__(self, "schema_type", "AVRO")

    def __hash__(self) -> int:
        return hash(
            (self.schema_str, self.schema_type, self.references, _freeze(self.metadata), _freeze(self.rule_set))
        )

    def to_dict(self) -> dict[str, Any]:
        """The request body Confluent's API takes for register, lookup and compatibility."""
        body: dict[str, Any] = {"schema": self.schema_str}
        if self.schema_type and self.schema_type != "AVRO":
            body["schemaType"] = self.schema_type
        if self.references:
            body["references"] = [r.to_dict() for r in self.references]
        if self.metadata is not None:
            body["metadata"] = _plain(self.metadata)
        if self.rule_set is not None:
            body["ruleSet"] = _plain(self.rule_set)
        return body

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Schema":
        return cls(
            d.get("schema", ""),
            d.get("schemaType") or "AVRO",
            tuple(SchemaReference.from_dict(r) for r in d.get("references") or ()),
            d.get("metadata"),
            d.get("ruleSet"),
        )


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else value


def _as_reference(r: Any) -> SchemaReference:
    """Accept dicts and confluent-kafka's own SchemaReference objects."""
    if isinstance(r, Mapping):
        return SchemaReference.from_dict(r)
    return SchemaReference(r.name, r.subject, int(r.version))


def schema_arg(schema: Any, schema_type: str) -> Schema:
    """A serializer's schema argument: text, a parsed schema document (dict or list), or a Schema."""
    if isinstance(schema, str):
        return Schema(schema, schema_type)
    if isinstance(schema, (Mapping, list)) and not (isinstance(schema, Mapping) and "schema" in schema):
        return Schema(json.dumps(schema, separators=(",", ":")), schema_type)
    s = as_schema(schema)
    if s.schema_type != schema_type and s.schema_type == "AVRO":  # the default type, not a choice
        return Schema(s.schema_str, schema_type, s.references, s.metadata, s.rule_set)
    return s


def as_schema(schema: Any) -> Schema:
    """Our Schema from a text, a dict, ours, or confluent-kafka's Schema (duck-typed)."""
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, str):
        return Schema(schema)
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema)
    return Schema(
        schema.schema_str,
        getattr(schema, "schema_type", None) or "AVRO",
        tuple(_as_reference(r) for r in getattr(schema, "references", None) or ()),
        _plain(getattr(schema, "metadata", None)),
        _plain(getattr(schema, "rule_set", None)),
    )


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema with where it is registered: id, GUID, subject and version."""

    schema_id: int | None
    guid: str | None
    schema: Schema
    subject: str | None
    version: int | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], schema: Schema | None = None) -> "RegisteredSchema":
        return cls(
            d.get("id"),
            d.get("guid"),
            schema if schema is not None and "schema" not in d else Schema.from_dict(d),
            d.get("subject"),
            d.get("version"),
        )


@dataclass(frozen=True)
class CompatibilityResult:
    """A compatibility answer that keeps the registry's messages.

    Truthy exactly when compatible, so `if client.test_compatibility(...)` reads
    as it does with confluent-kafka, which returns only the bool.
    """

    is_compatible: bool
    messages: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.is_compatible

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CompatibilityResult":
        return cls(bool(d.get("is_compatible")), tuple(str(m) for m in d.get("messages") or ()))

"""Schema Registry clients (sync and async, httpx) and their value types."""

from __future__ import annotations

from serde.client.aio import AsyncSchemaRegistryClient
from serde.client.sync import SchemaRegistryClient
from serde.client.types import (
    CompatibilityResult,
    RegisteredSchema,
    Schema,
    SchemaReference,
    as_schema,
)

__all__ = [
    "AsyncSchemaRegistryClient",
    "CompatibilityResult",
    "RegisteredSchema",
    "Schema",
    "SchemaReference",
    "SchemaRegistryClient",
    "as_schema",
]

"""What the registry persists, as a stream of small records, and the store interface.

The core turns every write into a list of records; a store makes them durable
atomically and gives them back in order at start-up. This is also the shape of
Confluent's `_schemas` topic, so a Kafka-backed store is one more implementation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SchemaRecord:
    """A schema id in a context. Never removed, so ids are never reused."""

    context: str
    id: int
    schema_type: str
    schema: str
    references: tuple[tuple[str, str, int], ...] = ()
    metadata: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    guid: str = ""


@dataclass(frozen=True)
class VersionRecord:
    """Version `version` of `subject` holds schema `id`; upserted on soft delete."""

    subject: str
    version: int
    id: int
    deleted: bool = False
    ts: int = 0


@dataclass(frozen=True)
class VersionRemoved:
    """A hard delete of one subject version."""

    subject: str
    version: int


@dataclass(frozen=True)
class ConfigRecord:
    """A config scope's stored value; None removes it."""

    scope: str
    value: dict[str, Any] | None


@dataclass(frozen=True)
class ModeRecord:
    scope: str
    mode: str | None


Record = SchemaRecord | VersionRecord | VersionRemoved | ConfigRecord | ModeRecord


class Store(Protocol):
    def load(self) -> Iterable[Record]:
        """Every record needed to rebuild the in-memory view, in an order that applies cleanly."""

    def write(self, records: list[Record]) -> None:
        """Make `records` durable as one atomic unit before returning."""

    def close(self) -> None: ...

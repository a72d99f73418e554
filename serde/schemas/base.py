"""The contract every schema type implements.

The registry core, the CI checks and the serializers only talk to schemas through
these two small protocols, so adding a schema type never touches them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class ParsedSchema(Protocol):
    """A schema that parsed and validated, with its dependencies already resolved."""

    schema_type: str

    def canonical(self) -> str:
        """Confluent's canonical text: what is stored, returned and hashed for identity."""

    def normalize(self) -> "ParsedSchema":
        """The form `?normalize=true` stores."""

    def formatted(self, fmt: str) -> str | None:
        """The text for a `?format=` value, or None when the type does not know that format."""

    def equivalence_key(self) -> str:
        """Equal keys mean the same schema to Confluent's semantic lookup (`canLookup`), which
        finds a version registered with references from the same schema sent inlined."""

    def top_level_fields(self) -> frozenset[str]:
        """The fields a `confluent:reserved` metadata property may not reuse."""


class SchemaType(Protocol):
    """A schema type plug-in: AVRO, JSON or PROTOBUF."""

    name: str

    def parse(
        self, text: str, dependencies: Mapping[str, str], *, validate: bool = True
    ) -> ParsedSchema:
        """Parse `text`.

        `dependencies` maps each reference name (Avro full name, JSON `$ref`,
        Protobuf import path) to that schema's text, transitively, dependencies
        before their dependants. `validate` is the stricter check done for a new
        registration (Avro defaults, for instance); lookups parse leniently.
        Raises SchemaParseError.
        """

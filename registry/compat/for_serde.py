"""The registry's own compatibility rules, shaped for serde's in-memory registry.

serde cannot import the registry (the import direction is registry -> serde), so
tests that want real verdicts from `serde.memory.InMemorySchemaRegistry` pass it
`serde_checker()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from registry.compat.levels import Previous, check
from registry.types import TypePlugin, default_types
from serde.errors import SchemaParseError


def serde_checker(types: dict[str, TypePlugin] | None = None) -> Callable[[Any, Sequence[Any], str], list[str]]:
    """A `CompatibilityChecker`: (new schema, previous schemas newest first, level) -> messages.

    References are not resolvable here (the in-memory registry holds no subjects
    for them), so schemas are parsed on their own text.
    """
    plugins = types or default_types()

    def parse(schema: Any):
        return plugins[schema.schema_type].schema_type.parse(schema.schema_str, {}, validate=False)

    def checker(new: Any, previous: Sequence[Any], level: str) -> list[str]:
        try:
            parsed = parse(new)
            olds = [Previous(len(previous) - n, parse(p), plugins[p.schema_type].check)
                    for n, p in enumerate(previous)]
        except (SchemaParseError, KeyError) as exc:
            return [f"Invalid schema: {exc}"]
        return check(level, parsed, plugins[new.schema_type].check, list(reversed(olds)))

    return checker

"""Compatibility levels, composed from one directional check per schema type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry.compat.base import Checker
from serde.schemas.base import ParsedSchema

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
          "FULL", "FULL_TRANSITIVE")
MAX_OLD_SCHEMA = 10 * 1024


@dataclass(frozen=True)
class Previous:
    version: int
    schema: ParsedSchema
    checker: Checker


def trailer(level: str, validate_fields: bool) -> str:
    """The last line of every failed check since Confluent 7.6."""
    return f"{{validateFields: '{str(validate_fields).lower()}', compatibility: '{level}'}}"


def check(
    level: str,
    new: ParsedSchema,
    checker: Checker,
    previous: Sequence[Previous],
    *,
    policy: str = "STRICT",
    append_schema: bool = True,
    validate_fields: bool = False,
) -> list[str]:
    """Confluent's messages for `new` against `previous` (oldest first); empty when compatible.

    Non-transitive levels look at the newest only; transitive ones at every
    version, newest first, stopping at the first that fails.
    """
    if level == "NONE" or not previous:
        return []
    candidates = list(reversed(previous))
    if not level.endswith("_TRANSITIVE"):
        candidates = candidates[:1]
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    for old in candidates:
        messages: list[str] = []
        if old.schema.schema_type != new.schema_type:
            messages.append("Incompatible because of different schema type")
        else:
            if backward:
                messages += [i.message for i in checker(new, old.schema, reader_label="new",
                                                        writer_label="old", policy=policy)]
            if forward:
                messages += [i.message for i in old.checker(old.schema, new, reader_label="old",
                                                            writer_label="new", policy=policy)]
        if messages:
            if append_schema:
                text = old.schema.canonical()
                shown = f"<truncated> '{text[:MAX_OLD_SCHEMA]}'" if len(text) > MAX_OLD_SCHEMA else f"'{text}'"
                messages += [f"{{oldSchemaVersion: {old.version}}}", f"{{oldSchema: {shown}}}"]
            messages.append(trailer(level, validate_fields))
            return messages
    return []

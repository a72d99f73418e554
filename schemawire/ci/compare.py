"""Compatibility levels over the registry's own checkers, keeping each Incompatibility.

registry/compat/levels.py composes the same checks but returns only Confluent's
message strings; CI needs the error type (rule id) and path of each reason,
so the composition is repeated here with the same semantics: non-transitive
levels look at the newest previous version, transitive ones at all of them,
newest first, stopping at the first that fails, as the registry does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry.compat.base import Incompatibility
from schemawire.ci.fastpath import provably_compatible
from schemawire.ci.resolve import plugin
from serde.schemas.base import ParsedSchema


@dataclass(frozen=True)
class OldVersion:
    label: str                     # e.g. "git:1a2b3c4", "dir/orders-value/v3.avsc"
    schema: ParsedSchema
    key: tuple                     # (text, references' texts): equal keys cannot differ


@dataclass(frozen=True)
class Reason:
    incompatibility: Incompatibility
    direction: str                 # "backward": new reads old; "forward": old reads new
    against: str
    old_text: str = ""             # the previous version, to map a forward check's path back


def check_level(level: str, new: ParsedSchema, new_key: tuple, previous: Sequence[OldVersion],
                *, policy: str = "STRICT") -> list[Reason]:
    """Why `new` breaks `level` against `previous` (oldest first); empty when compatible."""
    if level == "NONE" or not previous:
        return []
    candidates = list(reversed(previous))
    if not level.endswith("_TRANSITIVE"):
        candidates = candidates[:1]
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    for old in candidates:
        if old.key == new_key and old.schema.schema_type == new.schema_type:
            continue               # identical schema and references: nothing can differ
        reasons: list[Reason] = []
        if old.schema.schema_type != new.schema_type:
            reasons.append(Reason(Incompatibility(
                "SCHEMA_TYPE_CHANGED", "", "Incompatible because of different schema type"),
                "backward", old.label))
        else:
            if backward and not provably_compatible(new, old.schema):
                check = plugin(new.schema_type).check
                reasons += [Reason(i, "backward", old.label, old.key[0]) for i in check(
                    new, old.schema, reader_label="new", writer_label="old", policy=policy)]
            if forward and not provably_compatible(old.schema, new):
                check = plugin(old.schema.schema_type).check
                reasons += [Reason(i, "forward", old.label, old.key[0]) for i in check(
                    old.schema, new, reader_label="old", writer_label="new", policy=policy)]
        if reasons:
            return reasons
    return []

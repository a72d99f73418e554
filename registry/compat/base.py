"""The one directional check every schema type provides.

Levels (BACKWARD, FORWARD, FULL, transitive) are composed from it in
registry/compat/levels.py; a type only answers "can `reader` read data written
with `writer`?".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from serde.schemas.base import ParsedSchema


@dataclass(frozen=True)
class Incompatibility:
    """One reason a pair is incompatible.

    `error_type` is the stable rule id (Avro's incompatibility type, Confluent's
    JSON or Protobuf difference type); `message` is Confluent's rendering of
    it, used verbatim in 409 bodies and `verbose=true` answers.
    """

    error_type: str
    path: str
    message: str


class Checker(Protocol):
    def __call__(
        self,
        reader: ParsedSchema,
        writer: ParsedSchema,
        *,
        reader_label: str,
        writer_label: str,
        policy: str = "STRICT",
    ) -> list[Incompatibility]:
        """Return why `reader` cannot read what `writer` wrote; empty when it can.

        For BACKWARD the reader is the new schema (labels "new"/"old"); for
        FORWARD the roles and labels swap. `policy` is the config's
        compatibilityPolicy (STRICT or LENIENT; only JSON Schema uses it).
        """

"""The Avro fast proof applied to schema texts, so CI settles most old versions without parsing them.

The proof itself lives with the registry's Avro checker (registry/compat/avro_fastpath.py).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from registry.compat.avro_fastpath import avro_reads, provably_compatible

__all__ = ["avro_reads", "level_proven", "provably_compatible"]


@lru_cache(maxsize=64)
def _load(text: str) -> Any:
    """JSON of a schema text; the new text is read once for all its old versions (never mutated)."""
    return json.loads(text)


def level_proven(level: str, new_text: str, old_text: str) -> bool:
    """True when `level` certainly holds between two Avro texts, read as JSON without parsing."""
    try:
        new, old = _load(new_text), _load(old_text)
    except ValueError:
        return False
    if level.startswith(("BACKWARD", "FULL")) and not avro_reads(new, old):
        return False
    if level.startswith(("FORWARD", "FULL")) and not avro_reads(old, new):
        return False
    return level != "NONE"

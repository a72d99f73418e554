"""A cheap proof that an Avro reader can read a writer, tried before the registry's checker.

Apache Avro's Python checker costs a few milliseconds per pair, and a
transitive level on a large file set runs thousands of pairs, almost all of
them compatible. This recognises only the plainest compatible case: two
records with the same full name where every reader field either has a
writer field of the same name with an identical, self-contained type, or is
absent from the writer and has a default. A schema is always compatible with
an identical copy of itself, and those are exactly the rules Avro's checker
applies to record fields, so a `True` here is a verdict the checker would
reach too. Anything else returns False and goes to the real checker, which
produces every finding that is reported.
"""

from __future__ import annotations

from typing import Any

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def _self_contained(t: Any) -> bool:
    """True when `t` names no type defined elsewhere (so equal JSON means the same type)."""
    if isinstance(t, str):
        return t in _PRIMITIVES
    if isinstance(t, list):
        return all(_self_contained(b) for b in t)
    if not isinstance(t, dict):
        return False
    kind = t.get("type")
    if kind == "array":
        return _self_contained(t.get("items"))
    if kind == "map":
        return _self_contained(t.get("values"))
    if kind in ("record", "error"):
        return all(isinstance(f, dict) and _self_contained(f.get("type")) for f in t.get("fields", ()))
    if kind in ("enum", "fixed"):
        return True
    return _self_contained(kind)


def _fullname(t: dict[str, Any]) -> str | None:
    name = t.get("name")
    if not isinstance(name, str):
        return None
    namespace = t.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def avro_reads(reader: Any, writer: Any) -> bool:
    """True only when `reader` can certainly read what `writer` wrote (resolved JSON forms)."""
    if not (isinstance(reader, dict) and isinstance(writer, dict)):
        return False
    if reader.get("type") != "record" or writer.get("type") != "record":
        return False
    name = _fullname(reader)
    if name is None or name != _fullname(writer):
        return False
    written = {f.get("name"): f for f in writer.get("fields", ()) if isinstance(f, dict)}
    for field in reader.get("fields", ()):
        if not isinstance(field, dict) or "aliases" in field:
            return False
        other = written.get(field.get("name"))
        if other is None:
            if "default" not in field:
                return False
        elif field.get("type") != other.get("type") or not _self_contained(field.get("type")):
            return False
    return True


def provably_compatible(reader: Any, writer: Any) -> bool:
    """The fast proof for schema types that have one (Avro); False means 'ask the checker'."""
    if getattr(reader, "schema_type", None) != "AVRO" or getattr(writer, "schema_type", None) != "AVRO":
        return False
    try:
        return avro_reads(reader.resolved_json, writer.resolved_json)
    except (AttributeError, TypeError, RecursionError):
        return False

"""A cheap proof that an Avro reader can read a writer, tried before Apache Avro's checker.

Apache Avro's Python checker costs a few milliseconds per pair, and a
transitive level on a large file set runs thousands of pairs, almost all of
them compatible. This recognises only plain compatible cases: two records
with the same full name where every reader field either is absent from the
writer and has a default, or has a writer field of the same name whose type
is identical and self-contained, or, when neither type involves a named type,
that Avro's checker accepts on its own (once per distinct pair of types, so an
`int` widened to `long` is checked once, not once per record and version).
Those are exactly the rules Avro's checker applies to record fields, so a
`True` here is a verdict the checker would reach too. Anything else returns False and goes to the real checker, which
produces every finding that is reported.

The proof reads the schema JSON as written, so an old version it settles is
not even parsed: parsing is most of what is left of a transitive check's
cost. (A version it settles that would not have parsed loses only the
"previous version does not parse" warning; it could not have failed the check.)
"""

from __future__ import annotations

import json
from functools import lru_cache
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


def _unnamed(t: Any) -> bool:
    """True for types with no named type inside (no record, enum or fixed, defined or referenced).

    Such a type means the same on its own as inside a record, so Avro's checker
    can judge a pair of them once, standalone, for every record that has it.
    """
    if isinstance(t, str):
        return t in _PRIMITIVES
    if isinstance(t, list):
        return all(_unnamed(b) for b in t)
    if not isinstance(t, dict):
        return False
    kind = t.get("type")
    if kind == "array":
        return _unnamed(t.get("items"))
    if kind == "map":
        return _unnamed(t.get("values"))
    return isinstance(kind, str) and kind in _PRIMITIVES


@lru_cache(maxsize=4096)
def _standalone_reads(reader: str, writer: str) -> bool:
    """Avro's own checker (as the registry runs it) on two unnamed field types."""
    from registry.compat.avro import check_avro
    from serde.schemas.avro import AVRO

    try:
        r = AVRO.parse(reader, {}, validate=False)
        w = AVRO.parse(writer, {}, validate=False)
    except Exception:       # anything odd: no proof, the full check decides
        return False
    return not check_avro(r, w, reader_label="new", writer_label="old")


def _field_reads(reader: Any, writer: Any) -> bool:
    if reader == writer:
        return _self_contained(reader)
    if _unnamed(reader) and _unnamed(writer):
        return _standalone_reads(json.dumps(reader, sort_keys=True), json.dumps(writer, sort_keys=True))
    return False


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
        elif not _field_reads(field.get("type"), other.get("type")):
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

"""Avro compatibility through Apache Avro's own checker, rendered as Confluent does."""

from __future__ import annotations

import re

import avro.compatibility as _avro_compat
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from registry.compat.avro_fastpath import avro_reads
from registry.compat.base import Incompatibility


# avro's Python port keeps a result's messages and locations as sets, so which message
# belongs to which location is lost once two incompatibilities merge. Java's checker
# keeps a list of (type, message, location); these two wrappers carry that list along
# as `details` without changing any verdict the library reaches.
def _incompatible(kind, message, location):
    result = _original_incompatible(kind, message, location)
    result.details = [(kind, message, next(iter(result.locations)))]
    return result


def _merge(this, that):
    result = _original_merge(this, that)
    result.details = getattr(this, "details", []) + getattr(that, "details", [])
    return result


_original_incompatible, _original_merge = getattr(
    _avro_compat, "_schemawire_originals", (_avro_compat.incompatible, _avro_compat.merge))
_avro_compat._schemawire_originals = (_original_incompatible, _original_merge)
_avro_compat.incompatible, _avro_compat.merge = _incompatible, _merge

_DESCRIPTIONS = {
    "FIXED_SIZE_MISMATCH": "The size of FIXED type field at path '{p}' in the {r} schema does not match with the {w} schema",
    "TYPE_MISMATCH": "The type (path '{p}') of a field in the {r} schema does not match with the {w} schema",
    "NAME_MISMATCH": "The name of the schema has changed (path '{p}')",
    "MISSING_ENUM_SYMBOLS": "The {r} schema is missing enum symbols '{i}' at path '{p}' in the {w} schema",
    "MISSING_UNION_BRANCH": "The {r} schema is missing a type inside a union field at path '{p}' in the {w} schema",
    "READER_FIELD_MISSING_DEFAULT_VALUE": "The field '{i}' at path '{p}' in the {r} schema has no default value and is missing in the {w} schema",
}
_JAVA_TYPE = re.compile(r"(type:? )([a-z]+)")


def _java_info(kind: str, message: str) -> str:
    """Java's wording of the additional info: upper-case type names, sets as [A, B]."""
    if kind == "MISSING_ENUM_SYMBOLS" and message.startswith("{"):
        return "[" + ", ".join(sorted(s.strip(" '") for s in message[1:-1].split(","))) + "]"
    message = message.replace("lacking writer type ", "lacking writer type: ")
    return _JAVA_TYPE.sub(lambda m: m.group(1) + m.group(2).upper(), message)


def check_avro(reader, writer, *, reader_label: str, writer_label: str, policy: str = "STRICT") -> list[Incompatibility]:
    if avro_reads(reader.resolved_json, writer.resolved_json):  # the common, plainly compatible case
        return []
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader.avro_schema, writer.avro_schema)
    if result.compatibility is not SchemaCompatibilityType.incompatible:
        return []
    out = []
    for kind_enum, message, path in getattr(result, "details", []):
        kind = kind_enum.name.upper()
        info = _java_info(kind, message)
        if not path.startswith("/"):
            path = "/" + path
        description = _DESCRIPTIONS[kind].format(p=path, r=reader_label, w=writer_label, i=info)
        out.append(Incompatibility(
            kind, path, f"{{errorType:'{kind}', description:'{description}', additionalInfo:'{info}'}}"))
    return out

"""Option values for the Protobuf formatter: one small model for every option source.

Standard options come from descriptor fields, custom ones from extensions decoded
against the schema's own pool, proto2 defaults and json_name from the field itself;
all become `Opt`s whose values the formatter writes the way Confluent does.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2 as d

FDP = d.FieldDescriptorProto


@dataclass(frozen=True)
class Opt:
    """One option: a name, whether it is a custom (parenthesized) one, and its value.

    Values are str (quoted on output), bool, int/float, Raw (enum names, written
    bare), dict (message values) or list.
    """

    name: str
    value: Any
    custom: bool = False
    number: int = 0  # field number in the options message, to restore the written order
    suffix: str = ""  # `.sub.field` of a custom option statement kept as written


@dataclass(frozen=True)
class Raw:
    text: str


def literal_value(text: str) -> Any:
    """The value of an option literal as written: strings decoded, anything else bare."""
    if text[:1] in ("'", '"'):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return Raw(text)
        return value if isinstance(value, str) else Raw(text)
    return Raw(text)


def escape(text: str) -> str:
    """Escape a string literal the way Confluent's formatter does."""
    table = {
        "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
        "\v": "\\v", "\\": "\\\\", "'": "\\'", '"': '\\"',
    }
    return "".join(table.get(ch, ch) for ch in text)


def is_repeated(fd: Any) -> bool:
    rep = getattr(fd, "is_repeated", None)
    if rep is not None:
        return bool(rep)
    return fd.label == fd.LABEL_REPEATED


def option_value(msg: Any, fd: Any, value: Any) -> Any:  # noqa: ARG001 - msg kept for callers
    """Turn a decoded option value into the formatter's value model."""
    if fd.type == fd.TYPE_ENUM:
        ev = fd.enum_type.values_by_number.get(value)
        return Raw(ev.name if ev is not None else str(value))
    if fd.type in (fd.TYPE_MESSAGE, fd.TYPE_GROUP):
        return message_value(value)
    return value


# Confluent writes these Meta params value-first ("for backward compatibility").
_VALUE_FIRST_KEYS = frozenset({"precision", "scale"})


def message_value(message: Any) -> dict:
    """A message-typed option value as an ordered dict (extensions as `[full.name]` keys)."""
    out: dict[str, Any] = {}
    for fd, value in message.ListFields():
        key = f"[{fd.full_name}]" if fd.is_extension else fd.name
        if _is_map(fd):
            out[key] = [_map_entry(fd, k, value[k]) for k in sorted(value)]
        elif is_repeated(fd):
            out[key] = [option_value(None, fd, v) for v in value]
        else:
            out[key] = option_value(None, fd, value)
    return out


def _is_map(fd: Any) -> bool:
    mt = fd.message_type
    return mt is not None and mt.GetOptions().map_entry


def _map_entry(fd: Any, key: Any, value: Any) -> dict:
    key_fd, value_fd = fd.message_type.fields_by_number[1], fd.message_type.fields_by_number[2]
    k, v = option_value(None, key_fd, key), option_value(None, value_fd, value)
    if fd.full_name == "confluent.Meta.params" and key in _VALUE_FIRST_KEYS:
        return {"value": v, "key": k}
    return {"key": k, "value": v}


def default_value(f: d.FieldDescriptorProto) -> Any:
    """A proto2 default: strings quoted, bytes kept C-escaped in quotes, others bare."""
    if f.type == FDP.TYPE_STRING:
        return f.default_value
    if f.type == FDP.TYPE_BYTES:
        return Raw(f'"{f.default_value}"')
    return Raw(f.default_value)

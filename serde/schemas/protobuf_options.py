"""Option values for the Protobuf formatter: one small model for every option source.

Standard options come from descriptor fields, custom ones from extensions decoded
against the schema's own pool, proto2 defaults and json_name from the field itself;
all become `Opt`s whose values the formatter writes the way Confluent does.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Raw:
    text: str


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


def option_value(msg: Any, fd: Any, value: Any) -> Any:
    """Turn a decoded option value into the formatter's value model."""
    if fd.type == fd.TYPE_ENUM:
        ev = fd.enum_type.values_by_number.get(value)
        return Raw(ev.name if ev is not None else str(value))
    if fd.type in (fd.TYPE_MESSAGE, fd.TYPE_GROUP):
        return message_value(value)
    return value


def message_value(message: Any) -> dict:
    out: dict[str, Any] = {}
    for fd, value in message.ListFields():
        key = f"[{fd.full_name}]" if fd.is_extension else fd.name
        if is_repeated(fd):
            out[key] = [option_value(None, fd, v) for v in value]
        else:
            out[key] = option_value(None, fd, value)
    return out


def default_value(f: d.FieldDescriptorProto) -> Any:
    """A proto2 default: strings quoted, bytes kept C-escaped in quotes, others bare."""
    if f.type == FDP.TYPE_STRING:
        return f.default_value
    if f.type == FDP.TYPE_BYTES:
        return Raw(f'"{f.default_value}"')
    return Raw(f.default_value)

"""Confluent's Protobuf compatibility rules, over protoc descriptors.

Confluent diffs two schemas (`SchemaDiff.compare(original, update)`) into a list
of typed differences and calls the pair compatible when every difference type is
in COMPATIBLE_CHANGES. We reproduce that diff: fields matched by number, scalar
kind groups, named types compared by package-local name and recursed into when
they come from imports, maps by key and value, labels, proto2 `required`, oneof
membership (the per-tag rules of 7.9.x/master, DGS-24604), messages and enums
added, removed or moved, and the package. BACKWARD uses original = writer (old)
and update = reader (new).

What depends on one schema only (its type table, each message's fields by number with
their resolved types and labels, sorted names and tags, the serialized files) is worked
out once per parsed schema and kept on it (`_Index`): the registry keeps parsed stored
schemas, and a transitive check compares one candidate with every stored version. A
field whose name, type, label and oneof are the same on both sides, with no imported
message type to look into, differs in nothing and is skipped; two schemas with the same
files have no differences at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import ne
from types import MappingProxyType
from typing import Any

from google.protobuf import descriptor_pb2 as d

from registry.compat.base import Incompatibility
from serde.schemas.protobuf import ProtobufSchema

FDP = d.FieldDescriptorProto

COMPATIBLE_CHANGES = frozenset({
    "MESSAGE_ADDED", "MESSAGE_MOVED", "ENUM_ADDED", "ENUM_REMOVED", "ENUM_CONST_ADDED",
    "ENUM_CONST_CHANGED", "ENUM_CONST_REMOVED", "FIELD_ADDED", "FIELD_REMOVED",
    "FIELD_NAME_CHANGED", "FIELD_STRING_OR_BYTES_LABEL_CHANGED", "ONEOF_ADDED",
    "ONEOF_REMOVED", "ONEOF_FIELD_ADDED", "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
})

# Confluent's wording; the first %s is the reader's label, the second the writer's.
DESCRIPTIONS = MappingProxyType({
    "PACKAGE_CHANGED": "The package at '{p}' in the {r} schema does not match the package "
                       "in the {w} schema",
    "MESSAGE_REMOVED": "The {r} schema is missing a MESSAGE type at path '{p}' in the {w} schema",
    "FIELD_KIND_CHANGED": "The type of a field at path '{p}' in the {r} schema does not match "
                          "the {w} schema",
    "FIELD_SCALAR_KIND_CHANGED": "The kind of a SCALAR field at path '{p}' in the {r} schema "
                                 "does not match its kind in the {w} schema",
    "FIELD_NAMED_TYPE_CHANGED": "The type of a MESSAGE field at path '{p}' in the {r} schema "
                                "does not match its type in the {w} schema",
    "FIELD_NUMERIC_LABEL_CHANGED": "The label for a NUMERIC field at path '{p}' in the {r} "
                                   "schema does not match its label in the {w} schema",
    "REQUIRED_FIELD_ADDED": "A required field  at path '{p}' in the {r} schema is missing in "
                            "the {w} schema",
    "REQUIRED_FIELD_REMOVED": "The {r} schema is missing a required field at path: '{p}' in "
                              "the {w} schema",
    "ONEOF_FIELD_REMOVED": "The {r} schema is missing a oneof field at path '{p}' in the {w} "
                           "schema",
    "ONEOF_FIELD_MOVED_TO_TOP_LEVEL": "The oneof field at path '{p}' in the {r} schema was "
                                      "moved out of its oneof to a top-level field in the {w} "
                                      "schema",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF": "Multiple fields in the oneof at path '{p}' in the {r} "
                                      "schema are outside a oneof in the {w} schema",
    "FIELD_MOVED_TO_EXISTING_ONEOF": "A field in the oneof at path '{p}' in the {r} schema is "
                                     "outside an existing oneof in the {w} schema",
})

SCALAR_KINDS = MappingProxyType({
    FDP.TYPE_INT32: "GENERAL_NUMBER", FDP.TYPE_INT64: "GENERAL_NUMBER",
    FDP.TYPE_UINT32: "GENERAL_NUMBER", FDP.TYPE_UINT64: "GENERAL_NUMBER",
    FDP.TYPE_BOOL: "GENERAL_NUMBER", FDP.TYPE_ENUM: "GENERAL_NUMBER",
    FDP.TYPE_SINT32: "SIGNED_NUMBER", FDP.TYPE_SINT64: "SIGNED_NUMBER",
    FDP.TYPE_STRING: "STRING_OR_BYTES", FDP.TYPE_BYTES: "STRING_OR_BYTES",
    FDP.TYPE_FIXED32: "FIXED32", FDP.TYPE_SFIXED32: "FIXED32",
    FDP.TYPE_FIXED64: "FIXED64", FDP.TYPE_SFIXED64: "FIXED64",
    FDP.TYPE_FLOAT: "FLOAT", FDP.TYPE_DOUBLE: "DOUBLE",
})

Difference = tuple[str, str]


def check_protobuf(
    reader: ProtobufSchema,
    writer: ProtobufSchema,
    *,
    reader_label: str,
    writer_label: str,
    policy: str = "STRICT",
) -> list[Incompatibility]:
    """Why `reader` cannot read data written with `writer`, one entry per incompatible difference."""
    if not isinstance(reader, ProtobufSchema) or not isinstance(writer, ProtobufSchema):
        message = "Incompatible because of different schema type"
        return [Incompatibility("SCHEMA_TYPE_CHANGED", "#/", message)]
    out = []
    for kind, path in diff(writer, reader):
        if kind in COMPATIBLE_CHANGES:
            continue
        text = DESCRIPTIONS.get(kind, "").format(p=path, r=reader_label, w=writer_label)
        out.append(Incompatibility(kind, path, f'{{errorType:"{kind}", description:"{text}"}}'))
    return out


def is_compatible(differences: Sequence[Difference]) -> bool:
    return all(kind in COMPATIBLE_CHANGES for kind, _ in differences)


def diff(original: ProtobufSchema, update: ProtobufSchema) -> list[Difference]:
    """Every difference (type, `#/path`) from `original` to `update`, as Confluent lists them."""
    orig, upd = _Index.of(original), _Index.of(update)
    if orig.same_files == upd.same_files:
        return []  # every file byte for byte the same: nothing can differ
    ctx = _Context(orig, upd)
    o, u = original.file_descriptor, update.file_descriptor
    if o.package != u.package:
        ctx.add("PACKAGE_CHANGED")
    _compare_types(ctx, orig.root_scope, upd.root_scope, _prefix(o.package), _prefix(u.package))
    return ctx.diffs


# -- what one schema offers a comparison, worked out once -------------------------


@dataclass(frozen=True)
class _TypeInfo:
    proto: d.DescriptorProto | d.EnumDescriptorProto
    package: str
    file: str
    local: bool  # defined in the schema itself rather than an import
    proto3: bool
    is_map: bool = False


@dataclass(frozen=True)
class _Type:
    kind: str  # SCALAR, MESSAGE or MAP
    scalar: str = ""  # scalar kind group, for SCALAR
    name: str = ""  # full name, for MESSAGE
    key: _Type | None = None
    value: _Type | None = None


@dataclass(frozen=True)
class _Scope:
    """The messages (by name: written position, proto) and enums (by name: constant names by
    number) declared in a file or message."""

    messages: dict[str, tuple[int, d.DescriptorProto]]
    message_names: tuple[str, ...]  # sorted
    enums: dict[str, dict[int, str]]
    enum_names: tuple[str, ...]  # sorted

    @classmethod
    def of(cls, messages: Sequence[d.DescriptorProto], enums: Sequence[d.EnumDescriptorProto]) -> _Scope:
        index: dict[str, tuple[int, d.DescriptorProto]] = {}
        for m in messages:  # map entries are not written, so they take no position
            if not m.options.map_entry:
                index[m.name] = (len(index), m)
        by_name = {e.name: {v.number: v.name for v in e.value} for e in enums}
        return cls(index, tuple(sorted(index)), by_name, tuple(sorted(by_name)))


@dataclass(frozen=True)
class _Message:
    """A message's fields by number, which oneof each belongs to, its oneofs, and per field
    the resolved type, the label as written and a key that is equal only for fields that
    compare without a difference."""

    proto: d.DescriptorProto
    by_tag: dict[int, d.FieldDescriptorProto]
    tags: tuple[int, ...]  # sorted
    tag_oneof: dict[int, str]
    oneofs: dict[str, list[int]]
    proto3: bool
    types: dict[int, _Type]
    labels: dict[int, int | None]
    keys: tuple[object, ...]  # in tag order
    key_of: dict[int, object]
    scope: _Scope

    @classmethod
    def of(cls, m: d.DescriptorProto, proto3: bool, table: dict[str, _TypeInfo]) -> _Message:
        synthetic = {f.oneof_index for f in m.field if f.proto3_optional}
        by_tag: dict[int, d.FieldDescriptorProto] = {}
        tag_oneof: dict[int, str] = {}
        oneofs: dict[str, list[int]] = {}
        for f in m.field:
            by_tag[f.number] = f
            if f.HasField("oneof_index") and f.oneof_index not in synthetic:
                name = m.oneof_decl[f.oneof_index].name
                tag_oneof[f.number] = name
                oneofs.setdefault(name, []).append(f.number)
        types, labels, keys = {}, {}, {}
        for tag, f in by_tag.items():
            t = types[tag] = _field_type(table, f)
            label = labels[tag] = _label(f, tag_oneof, proto3, t)
            spelled = _spell(t, table)
            # equal keys: same name, type, label and oneof, so no difference (see _spell);
            # a field whose type needs a closer look gets an object equal to nothing else
            keys[tag] = object() if spelled is None else (f.name, spelled, label, tag_oneof.get(tag))
        tags = tuple(sorted(by_tag))
        return cls(m, by_tag, tags, tag_oneof, oneofs, proto3, types, labels,
                   tuple(keys[tag] for tag in tags), keys, _Scope.of(m.nested_type, m.enum_type))


class _Index:
    """Everything a comparison reads of one schema; kept on the parsed schema (never changed)."""

    def __init__(self, schema: ProtobufSchema) -> None:
        self.by_name: dict[str, _TypeInfo] = {}
        self.file_texts: dict[str, bytes] = {}
        root = schema.file_descriptor
        for f in schema.files:
            self.file_texts[f.name] = f.SerializeToString(deterministic=True)
            _collect(self.by_name, f, _prefix(f.package), f.message_type, f.enum_type, f.name == root.name)
        self.same_files = (root.name, root.SerializeToString(deterministic=True),
                           tuple(self.file_texts.items()))
        self.root_scope = _Scope.of(root.message_type, root.enum_type)
        self.messages: dict[str, _Message] = {}  # filled as comparisons reach them

    @classmethod
    def of(cls, schema: ProtobufSchema) -> _Index:
        index = schema.__dict__.get("_compat_index")
        if index is None:
            index = schema.__dict__["_compat_index"] = cls(schema)
        return index

    def get(self, full_name: str) -> _TypeInfo | None:
        return self.by_name.get(full_name.lstrip("."))

    def message(self, m: d.DescriptorProto, full: str) -> _Message:
        """The worked-out message `m`, known by its full name (any other: worked out now)."""
        found = self.messages.get(full)
        if found is not None and found.proto is m:
            return found
        info = self.get(full)
        made = _Message.of(m, info is not None and info.proto3, self.by_name)
        if info is not None and info.proto is m:
            self.messages[full] = made
        return made


def _collect(table: dict[str, _TypeInfo], f: d.FileDescriptorProto, prefix: str,
             messages: Sequence[d.DescriptorProto], enums: Sequence[d.EnumDescriptorProto],
             local: bool) -> None:
    for m in messages:
        full = prefix + m.name
        table[full] = _TypeInfo(m, f.package, f.name, local, f.syntax == "proto3",
                                m.options.map_entry)
        _collect(table, f, full + ".", m.nested_type, m.enum_type, local)
    for e in enums:
        table[prefix + e.name] = _TypeInfo(e, f.package, f.name, local, f.syntax == "proto3")


def _prefix(package: str) -> str:
    return f"{package}." if package else ""


def _field_type(table: dict[str, _TypeInfo], f: d.FieldDescriptorProto) -> _Type:
    if f.type in SCALAR_KINDS and f.type != FDP.TYPE_ENUM:
        return _Type("SCALAR", SCALAR_KINDS[f.type])
    if f.type == FDP.TYPE_ENUM:
        return _Type("SCALAR", "GENERAL_NUMBER")
    info = table.get(f.type_name.lstrip("."))
    if info is not None and info.is_map:
        entry = info.proto
        return _Type("MAP", key=_field_type(table, entry.field[0]),
                     value=_field_type(table, entry.field[1]))
    return _Type("MESSAGE", name=f.type_name.lstrip("."))


def _label(f: d.FieldDescriptorProto, tag_oneof: dict[int, str], proto3: bool, t: _Type) -> int | None:
    """The label as Confluent's parser sees it in the written schema (None when unwritten)."""
    if f.number in tag_oneof or t.kind == "MAP":
        return None
    if f.proto3_optional:
        return FDP.LABEL_OPTIONAL
    if proto3 and f.label != FDP.LABEL_REPEATED:
        return None
    return f.label


def _spell(t: _Type, table: dict[str, _TypeInfo]) -> tuple[Any, ...] | None:
    """`t` as plain data, such that two equal spellings compare without a difference; None
    when it names a message from an import (whose definition the comparison looks into)."""
    if t.kind == "SCALAR":
        return ("S", t.scalar)
    if t.kind == "MAP":
        key, value = _spell(t.key, table), _spell(t.value, table)
        return None if key is None or value is None else ("P", key, value)
    info = table.get(t.name)
    if info is None:
        return ("N", t.name)
    return ("L", t.name, info.package) if info.local else None


# -- context ---------------------------------------------------------------------


@dataclass
class _Context:
    orig: _Index
    upd: _Index
    path: list[str] = field(default_factory=list)
    diffs: list[Difference] = field(default_factory=list)
    active: frozenset[str] = frozenset()  # original messages being compared (cycle guard)

    def add(self, kind: str, *parts: str) -> None:
        """Record `kind` at the current path, or `parts` below it."""
        self.diffs.append((kind, "#/" + "/".join([*self.path, *parts])))

    def sub(self, path: list[str]) -> _Context:
        return _Context(self.orig, self.upd, list(path), [], self.active)


# -- types, messages, enums ------------------------------------------------------


def _compare_types(ctx: _Context, o: _Scope, u: _Scope, o_prefix: str, u_prefix: str) -> None:
    names = o.message_names if o.message_names == u.message_names else sorted(set(o.messages) | set(u.messages))
    for name in names:
        if name not in u.messages:
            ctx.add("MESSAGE_REMOVED", name)
        elif name not in o.messages:
            ctx.add("MESSAGE_ADDED", name)
        else:
            (oi, om), (ui, um) = o.messages[name], u.messages[name]
            ctx.path.append(name)
            _compare_message(ctx, om, um, o_prefix + name, u_prefix + name)
            if oi != ui:
                ctx.add("MESSAGE_MOVED")
            ctx.path.pop()
    names = o.enum_names if o.enum_names == u.enum_names else sorted(set(o.enums) | set(u.enums))
    for name in names:
        if name not in u.enums:
            ctx.add("ENUM_REMOVED", name)
        elif name not in o.enums:
            ctx.add("ENUM_ADDED", name)
        else:
            ctx.path.append(name)
            _compare_enum(ctx, o.enums[name], u.enums[name])
            ctx.path.pop()


def _compare_enum(ctx: _Context, o_by: dict[int, str], u_by: dict[int, str]) -> None:
    if o_by == u_by:
        return
    for number in sorted(set(o_by) | set(u_by)):
        if number not in u_by:
            ctx.add("ENUM_CONST_REMOVED", str(number))
        elif number not in o_by:
            ctx.add("ENUM_CONST_ADDED", str(number))
        elif o_by[number] != u_by[number]:
            ctx.add("ENUM_CONST_CHANGED", str(number))


def _compare_message(ctx: _Context, o: d.DescriptorProto, u: d.DescriptorProto,
                     o_full: str, u_full: str) -> None:
    if o_full in ctx.active:
        return
    ctx.active = ctx.active | {o_full}
    try:
        om, um = ctx.orig.message(o, o_full), ctx.upd.message(u, u_full)
        _compare_fields(ctx, om, um)
        _compare_types(ctx, om.scope, um.scope, o_full + ".", u_full + ".")
    finally:
        ctx.active = ctx.active - {o_full}


def _compare_oneofs(ctx: _Context, o: _Message, u: _Message) -> set[str]:
    """Fields moved into oneofs, oneofs added and removed; the oneofs deleted with all their fields."""
    deleted = {
        name for name, tags in o.oneofs.items()
        if name not in u.oneofs and not any(t in u.by_tag for t in tags)
    }
    for name, tags in u.oneofs.items():
        groups: set[str] = set()
        moved_in = 0
        for tag in tags:
            if tag in o.tag_oneof:
                groups.add("oneof:" + o.tag_oneof[tag])
            elif tag in o.by_tag:
                groups.add(f"field:{tag}")
                moved_in += 1
        if len(groups) > 1:
            ctx.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF" if moved_in > 1
                    else "FIELD_MOVED_TO_EXISTING_ONEOF", name)
    for name in sorted(set(o.oneofs) | set(u.oneofs)):
        if name not in u.oneofs:
            ctx.add("ONEOF_REMOVED", name)
        elif name not in o.oneofs:
            ctx.add("ONEOF_ADDED", name)
    return deleted


def _compare_fields(ctx: _Context, o: _Message, u: _Message) -> None:
    deleted = _compare_oneofs(ctx, o, u) if o.oneofs or u.oneofs else set()
    if o.tags == u.tags:  # same numbers: skip each field whose key is the same on both sides
        tags: Sequence[int] = list(compress(o.tags, map(ne, o.keys, u.keys)))
    else:
        o_key, u_key = o.key_of, u.key_of
        tags = [tag for tag in sorted(set(o.tags) | set(u.tags))
                if tag not in o_key or o_key[tag] != u_key.get(tag)]
    for tag in tags:
        of, uf = o.by_tag.get(tag), u.by_tag.get(tag)
        o_one, u_one = o.tag_oneof.get(tag), u.tag_oneof.get(tag)
        if uf is None:
            if o_one is not None:
                if o_one not in deleted:
                    ctx.add("ONEOF_FIELD_REMOVED", o_one, str(tag))
            else:
                ctx.add("REQUIRED_FIELD_REMOVED" if of.label == FDP.LABEL_REQUIRED
                        else "FIELD_REMOVED", str(tag))
        elif of is None:
            if u_one is not None:
                ctx.add("ONEOF_FIELD_ADDED", u_one, str(tag))
            else:
                ctx.add("REQUIRED_FIELD_ADDED" if uf.label == FDP.LABEL_REQUIRED
                        else "FIELD_ADDED", str(tag))
        else:
            if o_one is not None and u_one is None:
                ctx.add("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", str(tag))
            where = (u_one, str(tag)) if u_one is not None else (str(tag),)
            ctx.path.extend(where)
            _compare_field(ctx, of, uf, o, u, tag)
            del ctx.path[len(ctx.path) - len(where):]


# -- fields ----------------------------------------------------------------------


def _compare_field(ctx: _Context, of: d.FieldDescriptorProto, uf: d.FieldDescriptorProto,
                   o: _Message, u: _Message, tag: int) -> None:
    if of.name != uf.name:
        ctx.add("FIELD_NAME_CHANGED")
    _compare_types_of(ctx, o.labels[tag], u.labels[tag], o.types[tag], u.types[tag])


def _compare_types_of(ctx: _Context, o_label: int | None, u_label: int | None,
                      o: _Type, u: _Type) -> None:
    if o.kind != u.kind:
        ctx.add("FIELD_KIND_CHANGED")
    elif o.kind == "SCALAR":
        if o.scalar != u.scalar:
            ctx.add("FIELD_SCALAR_KIND_CHANGED")
        elif o_label is not None and u_label is not None and o_label != u_label:
            ctx.add("FIELD_STRING_OR_BYTES_LABEL_CHANGED" if o.scalar == "STRING_OR_BYTES"
                    else "FIELD_NUMERIC_LABEL_CHANGED")
    elif o.kind == "MESSAGE":
        _compare_message_types(ctx, o.name, u.name)
    else:
        _compare_types_of(ctx, None, None, o.key, u.key)
        _compare_types_of(ctx, None, None, o.value, u.value)


def _compare_message_types(ctx: _Context, o_name: str, u_name: str) -> None:
    o_info, u_info = ctx.orig.get(o_name), ctx.upd.get(u_name)
    if o_info is None or u_info is None:
        if o_name != u_name:
            ctx.add("FIELD_NAMED_TYPE_CHANGED")
        return
    o_local = _strip_package(o_name, o_info.package)
    u_local = _strip_package(u_name, u_info.package)
    if o_local != u_local:
        ctx.add("FIELD_NAMED_TYPE_CHANGED")
        return
    if o_info.local and u_info.local:
        return  # both in the schema itself: the file-level comparison covers them
    if (o_info.file == u_info.file and not o_info.local and not u_info.local
            and ctx.orig.file_texts[o_info.file] == ctx.upd.file_texts[u_info.file]):
        return  # the same import, unchanged
    sub = ctx.sub(o_local.split("."))
    _compare_message(sub, o_info.proto, u_info.proto, o_name, u_name)
    ctx.diffs.extend(sub.diffs)
    if not is_compatible(sub.diffs):
        ctx.add("FIELD_NAMED_TYPE_CHANGED")


def _strip_package(full: str, package: str) -> str:
    return full[len(package) + 1:] if package and full.startswith(package + ".") else full

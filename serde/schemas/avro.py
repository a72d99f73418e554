"""Avro schemas: parsing, Confluent's canonical text and its normalized form.

Confluent stores and hashes Java Avro's `Schema.toString()`: compact JSON with a
fixed key order that keeps docs, defaults, aliases and custom properties. That is
neither fastavro's Parsing Canonical Form nor sorted JSON, so the text is written
here from a small tree that mirrors Java's `Schema` classes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from serde.errors import SchemaParseError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
SCHEMA_RESERVED = frozenset(
    {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"}
)
ENUM_RESERVED = SCHEMA_RESERVED | {"default"}
FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
ORDERS = frozenset({"ascending", "descending", "ignore"})
_NAME = re.compile(r"[^\W\d]\w*\Z")  # Java Avro: a letter or _, then letters, digits or _
MAX_DEPTH = 256


@dataclass(eq=False)
class Named:
    """A record, error, enum or fixed type; compared by identity like Java's Schema objects."""

    kind: str
    name: str
    space: str | None
    doc: str | None = None
    aliases: list[str] = field(default_factory=list)  # full names
    props: dict[str, Any] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    enum_default: str | None = None
    size: int = 0

    @property
    def fullname(self) -> str:
        return f"{self.space}.{self.name}" if self.space else self.name

    def qualified(self, space: str | None) -> str:
        return self.name if self.space is None or self.space == space else self.fullname


@dataclass(eq=False)
class Field:
    name: str
    type: Node
    doc: str | None
    has_default: bool
    default: Any
    order: str
    aliases: list[str]
    props: dict[str, Any]


@dataclass(eq=False)
class Primitive:
    type: str
    props: dict[str, Any]


@dataclass(eq=False)
class Array:
    items: Node
    props: dict[str, Any]


@dataclass(eq=False)
class Map:
    values: Node
    props: dict[str, Any]


@dataclass(eq=False)
class Union:
    branches: list[Node]


Node = Primitive | Named | Array | Map | Union


class _Parser:
    """Turns Avro JSON into the tree, resolving names as Java's Schema.Parser does."""

    def __init__(self, validate: bool) -> None:
        self.validate = validate
        self.names: dict[str, Named] = {}

    def parse_text(self, text: str) -> Node:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise SchemaParseError(f"Invalid schema {text!r}: not JSON: {exc}") from None
        return self.parse(data, None, 0)

    def parse(self, data: Any, space: str | None, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise SchemaParseError(f"Schema nesting is deeper than {MAX_DEPTH}")
        if isinstance(data, str):
            return self.lookup(data, space)
        if isinstance(data, list):
            return self.union(data, space, depth)
        if not isinstance(data, dict):
            raise SchemaParseError(f"Not a schema: {json.dumps(data)}")
        kind = data.get("type")
        if isinstance(kind, (dict, list)) and set(data) <= {"type"}:
            return self.parse(kind, space, depth + 1)
        if not isinstance(kind, str):
            raise SchemaParseError(f'No type: {json.dumps(data, ensure_ascii=False)}')
        if kind in PRIMITIVES:
            return Primitive(kind, _props(data, SCHEMA_RESERVED))
        if kind in NAMED:
            return self.named(kind, data, space, depth)
        if kind == "array":
            if "items" not in data:
                raise SchemaParseError(f"Array has no items type: {json.dumps(data)}")
            return Array(self.parse(data["items"], space, depth + 1), _props(data, SCHEMA_RESERVED))
        if kind == "map":
            if "values" not in data:
                raise SchemaParseError(f"Map has no values type: {json.dumps(data)}")
            return Map(self.parse(data["values"], space, depth + 1), _props(data, SCHEMA_RESERVED))
        return self.lookup(kind, space)

    def lookup(self, name: str, space: str | None) -> Node:
        if name in PRIMITIVES:
            return Primitive(name, {})
        full = name if "." in name or not space else f"{space}.{name}"
        found = self.names.get(full) or self.names.get(name)
        if found is None:
            raise SchemaParseError(f'"{name}" is not a defined name. The type of the "{name}" field must be a defined name or a {{"type": ...}} expression.')
        return found

    def union(self, data: list, space: str | None, depth: int) -> Union:
        branches = [self.parse(b, space, depth + 1) for b in data]
        seen: set[str] = set()
        for b in branches:
            key = b.fullname if isinstance(b, Named) else "union" if isinstance(b, Union) else (
                b.type if isinstance(b, Primitive) else "array" if isinstance(b, Array) else "map")
            if key == "union":
                raise SchemaParseError("Nested union: a union may not directly contain another union")
            if key in seen:
                raise SchemaParseError(f"Duplicate in union: {key}")
            seen.add(key)
        return Union(branches)

    def named(self, kind: str, data: dict, space: str | None, depth: int) -> Named:
        raw = data.get("name")
        if not isinstance(raw, str) or not raw:
            raise SchemaParseError(f"No name in schema: {json.dumps(data, ensure_ascii=False)}")
        if "." in raw:
            ns, _, name = raw.rpartition(".")
        else:
            ns = data["namespace"] if "namespace" in data else space
            name = raw
            if ns is not None and not isinstance(ns, str):
                raise SchemaParseError(f"Namespace of {raw} is not a string")
        ns = ns or None
        self.check_name(name)
        for part in (ns or "").split(".") if ns else ():
            self.check_name(part)
        node = Named(kind, name, ns, doc=_text(data, "doc"))
        if node.fullname in self.names or node.fullname in PRIMITIVES:
            raise SchemaParseError(f"Can't redefine: {node.fullname}")
        self.names[node.fullname] = node
        node.aliases = [a if "." in a or not ns else f"{ns}.{a}" for a in _aliases(data)]
        if kind in ("record", "error"):
            node.props = _props(data, SCHEMA_RESERVED)
            fields = data.get("fields")
            if not isinstance(fields, list):
                raise SchemaParseError(f"Record has no fields: {json.dumps(data, ensure_ascii=False)}")
            names: set[str] = set()
            for f in fields:
                fld = self.field(f, ns, depth)
                if fld.name in names:
                    raise SchemaParseError(f"Duplicate field {fld.name} in record {node.fullname}")
                names.add(fld.name)
                node.fields.append(fld)
        elif kind == "enum":
            node.props = _props(data, ENUM_RESERVED)
            symbols = data.get("symbols")
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
                raise SchemaParseError(f"Enum symbols must be a list of strings: {node.fullname}")
            for s in symbols:
                self.check_name(s)
            if len(set(symbols)) != len(symbols):
                raise SchemaParseError(f"Duplicate enum symbol in {node.fullname}")
            node.symbols = list(symbols)
            if "default" in data:
                if data["default"] not in symbols:
                    raise SchemaParseError(
                        f"The Enum Default: {data['default']} is not in the enum symbol set: {symbols}")
                node.enum_default = data["default"]
        else:
            node.props = _props(data, SCHEMA_RESERVED)
            size = data.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise SchemaParseError(f"Invalid fixed size {size!r} in {node.fullname}")
            node.size = size
        return node

    def field(self, data: Any, space: str | None, depth: int) -> Field:
        if not isinstance(data, dict):
            raise SchemaParseError(f"Field is not an object: {json.dumps(data, ensure_ascii=False)}")
        name = data.get("name")
        if not isinstance(name, str):
            raise SchemaParseError(f"No field name: {json.dumps(data, ensure_ascii=False)}")
        self.check_name(name)
        if "type" not in data:
            raise SchemaParseError(f"No field type: {json.dumps(data, ensure_ascii=False)}")
        type_ = self.parse(data["type"], space, depth + 1)
        order = data.get("order", "ascending")
        if order not in ORDERS:
            raise SchemaParseError(f"Invalid field order {order!r} for field {name}")
        fld = Field(name, type_, _text(data, "doc"), "default" in data, data.get("default"),
                    order, _aliases(data), _props(data, FIELD_RESERVED))
        if self.validate and fld.has_default and not _valid_default(type_, fld.default):
            raise SchemaParseError(
                f"Invalid default for field {name}: {json.dumps(fld.default)} not a {_java_json(type_)}")
        return fld

    def check_name(self, name: str) -> None:
        """Names are checked on every parse, as Java's parser does; `validate` adds defaults."""
        if not _NAME.match(name):
            raise SchemaParseError(f"Illegal name: {name!r}")


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _aliases(data: dict) -> list[str]:
    aliases = data.get("aliases")
    if aliases is None:
        return []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SchemaParseError(f"aliases not an array of strings: {json.dumps(aliases)}")
    return list(aliases)


def _props(data: dict, reserved: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in reserved}


def _valid_default(node: Node, value: Any) -> bool:
    """Java Avro's `isValidDefault`: a union's default must match its first branch."""
    if isinstance(node, Union):
        return bool(node.branches) and _valid_default(node.branches[0], value)
    if isinstance(node, Array):
        return isinstance(value, list) and all(_valid_default(node.items, v) for v in value)
    if isinstance(node, Map):
        return isinstance(value, dict) and all(_valid_default(node.values, v) for v in value.values())
    kind = node.type if isinstance(node, Primitive) else node.kind
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("bytes", "string", "enum", "fixed"):
        return isinstance(value, str)
    # record or error
    if not isinstance(value, dict):
        return False
    return all(
        _valid_default(f.type, value[f.name]) if f.name in value else f.has_default
        for f in node.fields
    )


class _Writer:
    """Java's `Schema.toJson`: a named type in full once, then by (relative) name."""

    def __init__(self, known: set[int]) -> None:
        self.seen = set(known)

    def write(self, node: Node, space: str | None) -> Any:
        if isinstance(node, Primitive):
            return {"type": node.type, **node.props} if node.props else node.type
        if isinstance(node, Array):
            return {"type": "array", "items": self.write(node.items, space), **node.props}
        if isinstance(node, Map):
            return {"type": "map", "values": self.write(node.values, space), **node.props}
        if isinstance(node, Union):
            return [self.write(b, space) for b in node.branches]
        if id(node) in self.seen:
            return node.qualified(space)
        self.seen.add(id(node))
        out: dict[str, Any] = {"type": node.kind, "name": node.name}
        if node.space is not None:
            if node.space != space:
                out["namespace"] = node.space
        elif space is not None:
            out["namespace"] = ""
        if node.doc is not None:
            out["doc"] = node.doc
        if node.kind in ("record", "error"):
            out["fields"] = [self.field(f, node.space) for f in node.fields]
        elif node.kind == "enum":
            out["symbols"] = node.symbols
            if node.enum_default is not None:
                out["default"] = node.enum_default
        else:
            out["size"] = node.size
        out.update(node.props)
        if node.aliases:
            out["aliases"] = [_relative(a, node.space) for a in node.aliases]
        return out

    def field(self, f: Field, space: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": f.name, "type": self.write(f.type, space)}
        if f.doc is not None:
            out["doc"] = f.doc
        if f.has_default:
            out["default"] = f.default
        if f.order != "ascending":
            out["order"] = f.order
        if f.aliases:
            out["aliases"] = f.aliases
        out.update(f.props)
        return out


class _NormalizedWriter:
    """Confluent's `toNormalizedString`: full names, fixed key order, sorted props."""

    def __init__(self, known: set[int]) -> None:
        self.seen = set(known)

    def write(self, node: Node) -> Any:
        if isinstance(node, Primitive):
            return {"type": node.type, **_sorted(node.props)} if node.props else node.type
        if isinstance(node, Array):
            return {"type": "array", "items": self.write(node.items), **_sorted(node.props)}
        if isinstance(node, Map):
            return {"type": "map", "values": self.write(node.values), **_sorted(node.props)}
        if isinstance(node, Union):
            return [self.write(b) for b in node.branches]
        if id(node) in self.seen:
            return node.fullname
        self.seen.add(id(node))
        out: dict[str, Any] = {"name": node.fullname, "type": node.kind}
        if node.kind in ("record", "error"):
            out["fields"] = [self.field(f) for f in node.fields]
        elif node.kind == "enum":
            out["symbols"] = node.symbols
        else:
            out["size"] = node.size
        props = dict(node.props)
        if "logicalType" in props:
            out["logicalType"] = props.pop("logicalType")
        if node.doc is not None:
            out["doc"] = node.doc
        if node.aliases:
            out["aliases"] = sorted(node.aliases)
        if node.enum_default is not None:
            out["default"] = node.enum_default
        out.update(_sorted(props))
        return out

    def field(self, f: Field) -> dict[str, Any]:
        out: dict[str, Any] = {"name": f.name, "type": self.write(f.type)}
        if f.doc is not None:
            out["doc"] = f.doc
        if f.has_default:
            out["default"] = f.default
        if f.order != "ascending":
            out["order"] = f.order
        if f.aliases:
            out["aliases"] = sorted(f.aliases)
        out.update(_sorted(f.props))
        return out


def _sorted(props: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(props.items()))


def _relative(full: str, space: str | None) -> str:
    ns, _, name = full.rpartition(".")
    return name if (ns or None) == space else full


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _java_json(node: Node) -> str:
    return _dumps(_Writer(set()).write(node, None))


class AvroSchema:
    """A parsed Avro schema with its resolved dependencies."""

    schema_type = "AVRO"

    def __init__(self, root: Node, dependencies: list[Node], dependency_texts: Mapping[str, str],
                 normalized: bool = False) -> None:
        self.root = root
        self.dependencies = dependencies
        self.dependency_texts = dependency_texts
        self._normalized = normalized

    def _known(self) -> set[int]:
        known: set[int] = set()
        for dep in self.dependencies:
            _collect_named(dep, known)
        return known

    @cached_property
    def _canonical(self) -> str:
        if self._normalized:
            return _dumps(_NormalizedWriter(self._known()).write(self.root))
        return _dumps(_Writer(self._known()).write(self.root, None))

    def canonical(self) -> str:
        return self._canonical

    def normalize(self) -> AvroSchema:
        return AvroSchema(self.root, self.dependencies, self.dependency_texts, normalized=True)

    def formatted(self, fmt: str) -> str | None:
        if fmt == "resolved":
            return _dumps(_Writer(set()).write(self.root, None))
        return None

    def equivalence_key(self) -> str:
        """Java's `Schema.equals` on the resolved schemas: every named type inlined, names in
        full, props sorted, so references, namespace spelling and key order do not matter."""
        return self._equivalence_key

    @cached_property
    def _equivalence_key(self) -> str:
        return _dumps(_NormalizedWriter(set()).write(self.root))

    def top_level_fields(self) -> frozenset[str]:
        if isinstance(self.root, Named) and self.root.kind in ("record", "error"):
            return frozenset(f.name for f in self.root.fields)
        return frozenset()

    @cached_property
    def resolved_json(self) -> Any:
        """The schema with every reference inlined, as fastavro and the avro library take it.

        A `logicalType` that is not a string is left out, as Java Avro ignores it.
        """
        return _drop_odd_logical_types(_Writer(set()).write(self.root, None))

    @cached_property
    def avro_schema(self) -> Any:
        """Apache Avro's own Schema object, for `avro.compatibility`."""
        import avro.errors
        import avro.schema

        try:
            return avro.schema.make_avsc_object(
                self.resolved_json, validate_enum_symbols=False, validate_names=False)
        except (avro.errors.AvroException, ValueError, TypeError) as exc:
            raise SchemaParseError(f"Invalid schema: {exc}") from None

    def __repr__(self) -> str:
        return f"AvroSchema({self.canonical()})"


def _drop_odd_logical_types(value: Any) -> Any:
    if isinstance(value, list):
        return [_drop_odd_logical_types(v) for v in value]
    if isinstance(value, dict):
        return {k: _drop_odd_logical_types(v) for k, v in value.items()
                if not (k == "logicalType" and not isinstance(v, str))}
    return value


def _collect_named(node: Node, out: set[int]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Named):
            if id(n) in out:
                continue
            out.add(id(n))
            stack.extend(f.type for f in n.fields)
        elif isinstance(n, Array):
            stack.append(n.items)
        elif isinstance(n, Map):
            stack.append(n.values)
        elif isinstance(n, Union):
            stack.extend(n.branches)


class AvroType:
    name = "AVRO"

    def parse(self, text: str, dependencies: Mapping[str, str], *, validate: bool = True) -> AvroSchema:
        parser = _Parser(validate)
        deps = [parser.parse_text(dep) for dep in dependencies.values()]
        try:
            root = parser.parse_text(text)
        except RecursionError:
            raise SchemaParseError("Schema nesting is too deep") from None
        return AvroSchema(root, deps, dependencies)


AVRO = AvroType()

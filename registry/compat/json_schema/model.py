"""The schema tree the JSON compatibility checker compares.

Confluent does not diff JSON text: it diffs the object tree its Java loaders
build (everit for drafts 4-7, json-sKema translated to everit classes for
2019-09/2020-12). Which keywords end up in which node decides what counts as a
change, so this tree mirrors those classes: one `Node` per everit schema, with
`kind` standing for its class.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

MISSING: Any = object()

# Kinds that Confluent's translator folds together when two keywords of the same
# family meet (`minLength` + `maxLength` -> one string schema).
MERGEABLE = frozenset({"array", "number", "object", "string"})
COMBINED = "combined"


@dataclass(eq=False)
class Node:
    """One everit-style schema. Compared by identity, like Java objects in the memo."""

    kind: str
    # attributes common to all schemas
    id: str | None = None
    title: str | None = None
    description: str | None = None
    default: Any = MISSING
    unprocessed: dict[str, Any] = field(default_factory=dict)
    # string
    min_length: Any = None
    max_length: Any = None
    pattern: str | None = None
    # number
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: Any = None
    exclusive_maximum: Any = None
    multiple_of: Any = None
    requires_integer: bool = False
    # object
    properties: dict[str, "Node"] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    additional_properties: bool = True
    additional_properties_schema: "Node | None" = None
    pattern_properties: dict[str, "Node"] = field(default_factory=dict)
    min_properties: Any = None
    max_properties: Any = None
    property_dependencies: dict[str, set[str]] = field(default_factory=dict)
    schema_dependencies: dict[str, "Node"] = field(default_factory=dict)
    unevaluated_properties: "Node | None" = None
    # array
    all_items: "Node | None" = None
    item_schemas: "list[Node] | None" = None
    additional_items: bool = True
    additional_items_schema: "Node | None" = None
    min_items: Any = None
    max_items: Any = None
    unique_items: bool = False
    contains: "Node | None" = None
    min_contains: Any = None
    max_contains: Any = None
    unevaluated_items: "Node | None" = None
    # enum / const
    values: list[Any] = field(default_factory=list)
    value: Any = MISSING
    # combined (allOf / anyOf / oneOf)
    criterion: str = ""
    subschemas: list["Node"] = field(default_factory=list)
    generated: bool = False
    # not
    inner: "Node | None" = None
    # reference: resolved lazily so recursive schemas load in finite time
    ref: str = ""
    resolve: "Callable[[], Node] | None" = None
    _target: "Node | None" = None
    _key: "str | None" = None
    _fp: Any = None  # identity.Token once settled: shared by nodes that compare alike
    _props: Any = None  # objects.Properties, made when the walk first compares the properties

    @property
    def target(self) -> "Node":
        if self._target is None:
            assert self.resolve is not None
            self._target = self.resolve()
        return self._target

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    @property
    def is_empty(self) -> bool:
        """everit's `instanceof EmptySchema`: `{}` and `true` (TrueSchema extends EmptySchema)."""
        return self.kind in ("empty", "true")


def combined(criterion: str, subschemas: list[Node], *, generated: bool = False) -> Node:
    return Node(COMBINED, criterion=criterion, subschemas=list(subschemas), generated=generated)


_SCALAR_FIELDS = (
    "min_length", "max_length", "pattern", "minimum", "maximum", "exclusive_minimum",
    "exclusive_maximum", "multiple_of", "additional_properties_schema", "min_properties",
    "max_properties", "unevaluated_properties", "all_items", "additional_items_schema",
    "min_items", "max_items", "contains", "min_contains", "max_contains", "unevaluated_items",
    "id", "title", "description",
)


def merge(base: Node, extra: Node) -> Node:
    """A copy of `base` with every keyword `extra` sets applied on top (SchemaUtils.merge)."""
    out = replace(
        base,
        unprocessed={**base.unprocessed, **extra.unprocessed},
        properties=dict(base.properties),
        required=list(base.required),
        pattern_properties=dict(base.pattern_properties),
        property_dependencies={k: set(v) for k, v in base.property_dependencies.items()},
        schema_dependencies=dict(base.schema_dependencies),
        item_schemas=None if base.item_schemas is None else list(base.item_schemas),
        _fp=None,
        _props=None,
    )
    for name in _SCALAR_FIELDS:
        val = getattr(extra, name)
        if val is not None:
            setattr(out, name, val)
    if extra.has_default:
        out.default = extra.default
    out.requires_integer = out.requires_integer or extra.requires_integer
    out.unique_items = out.unique_items or extra.unique_items
    out.additional_properties = out.additional_properties and extra.additional_properties
    out.additional_items = out.additional_items and extra.additional_items
    out.properties.update(extra.properties)
    out.pattern_properties.update(extra.pattern_properties)
    for name in extra.required:
        if name not in out.required:
            out.required.append(name)
    for key, deps in extra.property_dependencies.items():
        out.property_dependencies.setdefault(key, set()).update(deps)
    out.schema_dependencies.update(extra.schema_dependencies)
    if extra.item_schemas is not None:
        out.item_schemas = (out.item_schemas or []) + list(extra.item_schemas)
    return out


def same_class(a: Node, b: Node) -> bool:
    """everit's `schemaTypesEqual`: same Java class, or both combined."""
    return a.kind == b.kind


_SKIP = frozenset({"kind", "resolve", "_target", "_key", "_fp", "_props", "ref"})
_DEFAULTS = {
    f.name: (f.default if f.default_factory is dataclasses.MISSING else f.default_factory())
    for f in fields(Node) if f.name not in _SKIP
}


_NODE_FIELDS = (
    "additional_properties_schema", "unevaluated_properties", "all_items", "additional_items_schema",
    "contains", "unevaluated_items", "inner", "properties", "pattern_properties",
    "schema_dependencies", "item_schemas", "subschemas",
)


def structural_key(node: Node) -> str:
    """A text identifying `node` by content, like comparing everit schemas' JSON.

    References print as their `$ref` string without being followed, which keeps
    this finite for recursive schemas. Computed once per node: trees are not
    changed after loading.
    """
    if node._key is None:
        parts = [f'"kind":{json.dumps(node.kind)}']
        if node.kind == "ref":
            parts.append(f'"ref":{json.dumps(node.ref)}')
        else:
            for name, default in _DEFAULTS.items():
                val = getattr(node, name)
                if val is MISSING or (not isinstance(val, Node) and val == default):
                    continue
                parts.append(f'"{name}":{_text(val)}')
        node._key = "{" + ",".join(parts) + "}"
    return node._key


def children(node: Node) -> list[Node]:
    """The nodes directly inside `node` (reference targets excluded)."""
    out: list[Node] = []
    values = node.__dict__
    for name in _NODE_FIELDS:
        val = values[name]
        if not val:  # None, or an empty dict or list (a Node is always true)
            continue
        if isinstance(val, Node):
            out.append(val)
        elif isinstance(val, dict):
            out.extend(v for v in val.values() if isinstance(v, Node))
        elif isinstance(val, list):
            out.extend(v for v in val if isinstance(v, Node))
    return out


def _text(val: Any) -> str:
    if isinstance(val, Node):
        return structural_key(val)
    if isinstance(val, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_text(v)}" for k, v in sorted(val.items())) + "}"
    if isinstance(val, (list, tuple)):
        return "[" + ",".join(_text(v) for v in val) + "]"
    if isinstance(val, set):
        return json.dumps(sorted(str(v) for v in val))
    return json.dumps(val, sort_keys=True, default=repr)

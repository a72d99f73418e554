"""Build the comparison tree for drafts 2019-09 and 2020-12 the way Confluent's translator does.

For these drafts Confluent loads with json-sKema, where every keyword is its own
small schema, and folds them back into everit classes: keywords of one family
merge into one node, a `type` array becomes a generated `anyOf` that absorbs
later keywords of a member's family, and anything else meets in a generated
`allOf`. `$ref` keeps its siblings, `prefixItems` become tuple items and
`items` after them the additional-items schema.
"""

from __future__ import annotations

from typing import Any

from registry.compat.json_schema.model import MERGEABLE, Node, combined, merge, same_class
from serde.schemas.json_schema import Resolver

_TYPES = ("string", "integer", "number", "boolean", "null", "array", "object")
# Keywords json-sKema knows; everything else is kept as an unprocessed property.
_KNOWN = frozenset({
    "$schema", "$id", "$ref", "$defs", "$anchor", "$dynamicRef", "$dynamicAnchor", "$comment",
    "$vocabulary", "$recursiveRef", "$recursiveAnchor", "definitions",
    "type", "enum", "const", "not", "allOf", "anyOf", "oneOf", "if", "then", "else",
    "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "properties", "patternProperties", "additionalProperties",
    "required", "minProperties", "maxProperties", "dependentRequired", "dependentSchemas",
    "propertyNames", "unevaluatedProperties", "items", "prefixItems", "contains", "minContains",
    "maxContains", "minItems", "maxItems", "uniqueItems", "unevaluatedItems", "title",
    "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    "contentEncoding", "contentMediaType", "contentSchema", "dependencies",
})


class ModernLoader:
    """Loads one 2019-09/2020-12 document into `Node`s, sharing `$ref` targets."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._targets: dict[int, Node] = {}

    def load(self, value: Any, base: str) -> Node:
        if value is True:
            return Node("true")
        if value is False:
            return Node("false")
        if not isinstance(value, dict):
            return Node("empty")
        base = self.resolver.base_of(value, base)
        result: Node | None = None
        for key, raw in value.items():
            part = self._keyword(key, raw, value, base)
            if part is not None:
                result = part if result is None else join("composite", result, part)
        props = value.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                part = Node("object", properties={name: self.load(sub, base)})
                result = part if result is None else join("composite", result, part)
        patterns = value.get("patternProperties")
        if isinstance(patterns, dict):
            for pattern, sub in patterns.items():
                part = Node("object", pattern_properties={pattern: self.load(sub, base)})
                result = part if result is None else join("composite", result, part)
        if "unevaluatedItems" in value:
            part = Node("array", unevaluated_items=self.load(value["unevaluatedItems"], base))
            result = part if result is None else join("composite", result, part)
        if "unevaluatedProperties" in value:
            part = Node("object", unevaluated_properties=self.load(value["unevaluatedProperties"], base))
            result = part if result is None else join("composite", result, part)
        node = _unwrap(result)
        if isinstance(value.get("title"), str):
            node.title = value["title"]
        if isinstance(value.get("description"), str):
            node.description = value["description"]
        if value.get("default") is not None:  # the translator turns a JSON null default into "none"
            node.default = value["default"]
        unknown = {k: v for k, v in value.items() if k not in _KNOWN}
        if unknown:
            node.unprocessed = {**node.unprocessed, **unknown}
        return node

    def _keyword(self, key: str, raw: Any, value: dict[str, Any], base: str) -> Node | None:
        if key == "$ref" and isinstance(raw, str):
            return self._reference(raw, base)
        if key == "type":
            if isinstance(raw, list):
                return combined("anyOf", [_typed(t) for t in raw if t in _TYPES], generated=True)
            return _typed(raw) if raw in _TYPES else None
        if key in ("minLength", "maxLength", "pattern"):
            attr = {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"}[key]
            return Node("string", **{attr: raw})
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
            attr = {"minimum": "minimum", "maximum": "maximum", "exclusiveMinimum": "exclusive_minimum",
                    "exclusiveMaximum": "exclusive_maximum", "multipleOf": "multiple_of"}[key]
            return Node("number", **{attr: raw})
        if key in ("minItems", "maxItems"):
            return Node("array", **{"min_items" if key == "minItems" else "max_items": raw})
        if key == "uniqueItems":
            return Node("array", unique_items=raw is True)
        if key in ("minProperties", "maxProperties"):
            return Node("object", **{"min_properties" if key == "minProperties" else "max_properties": raw})
        if key == "required" and isinstance(raw, list):
            return Node("object", required=[r for r in raw if isinstance(r, str)])
        if key == "additionalProperties":
            sub = self.load(raw, base)
            if sub.kind == "false":
                return Node("object", additional_properties=False)
            if sub.kind == "true":
                return Node("object")
            return Node("object", additional_properties_schema=sub)
        if key == "dependentRequired" and isinstance(raw, dict):
            deps = {k: {d for d in v if isinstance(d, str)} for k, v in raw.items() if isinstance(v, list)}
            return Node("object", property_dependencies=deps)
        if key == "dependentSchemas" and isinstance(raw, dict):
            return Node("object", schema_dependencies={k: self.load(v, base) for k, v in raw.items()})
        if key == "propertyNames":
            return Node("object")
        if key == "enum" and isinstance(raw, list):
            return Node("enum", values=list(raw))
        if key == "const":
            return Node("const", value=raw)
        if key == "not":
            return Node("not", inner=self.load(raw, base))
        if key == "if":
            return Node("conditional")
        if key == "contains":
            return Node("array", contains=self.load(raw, base), min_contains=value.get("minContains", 1),
                        max_contains=value.get("maxContains"))
        if key == "prefixItems" and isinstance(raw, list):
            return Node("array", item_schemas=[self.load(s, base) for s in raw])
        if key == "items":
            sub = self.load(raw, base)
            if sub.kind == "false":
                return Node("array", additional_items=False)
            if sub.kind == "true":
                return Node("array")
            if isinstance(value.get("prefixItems"), list) and value["prefixItems"]:
                return Node("array", additional_items_schema=sub)
            return Node("array", all_items=sub)
        if key in ("allOf", "anyOf", "oneOf") and isinstance(raw, list):
            product = combined(key, [])
            for sub in raw:
                product = join(key, product, self.load(sub, base))
            return product
        return None

    def _reference(self, ref: str, base: str) -> Node:
        def resolve() -> Node:
            target, target_base = self.resolver.resolve(ref, base)
            key = id(target)
            if key not in self._targets:
                self._targets[key] = Node("empty")
                self._targets[key] = self.load(target, target_base)
            return self._targets[key]

        return Node("ref", ref=ref, resolve=resolve)


def _typed(kind: str) -> Node:
    if kind == "integer":
        return Node("number", requires_integer=True)
    return Node(kind)


def _generated(node: Node, criterion: str) -> bool:
    return node.kind == "combined" and node.generated and node.criterion == criterion


def _flatten(node: Node) -> list[Node]:
    return list(node.subschemas) if _generated(node, "allOf") else [node]


def _accumulate(product: list[Node], current: Node) -> list[Node]:
    for i, existing in enumerate(product):
        if existing.kind == current.kind and existing.kind in MERGEABLE:
            product[i] = merge(existing, current)
            return product
    product.append(current)
    return product


def join(parent: str, a: Node, b: Node) -> Node:
    """Combine two keyword products of one schema object (the translator's `join`)."""
    if a.kind == b.kind and a.kind in MERGEABLE:
        return merge(a, b)
    if _generated(a, "anyOf") and any(same_class(s, b) for s in a.subschemas):
        return combined("anyOf", _accumulate(list(a.subschemas), b), generated=True)
    if _generated(b, "anyOf") and any(same_class(s, a) for s in b.subschemas):
        return combined("anyOf", _accumulate(list(b.subschemas), a), generated=True)
    if parent in ("allOf", "anyOf", "oneOf") and a.kind == "combined":
        return combined(parent, list(a.subschemas) + _flatten(b))
    product: list[Node] = []
    for part in _flatten(a) + _flatten(b):
        product = _accumulate(product, part)
    return combined("allOf", product, generated=True)


def _unwrap(node: Node | None) -> Node:
    """An empty generated allOf is the empty schema; a singleton one is its member."""
    if node is None:
        return Node("empty")
    if _generated(node, "allOf"):
        if not node.subschemas:
            return Node("empty")
        if len(node.subschemas) == 1:
            return node.subschemas[0]
    return node

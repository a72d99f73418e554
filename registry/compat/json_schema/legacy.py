"""Build the comparison tree for drafts 4, 6 and 7 the way everit's SchemaLoader does.

everit runs keyword extractors in a fixed order (enum, combiners, not, const,
type, then "sniffed" keyword families) and wraps several results in a synthetic
`allOf`. So `{"type": "string", "enum": [...]}` is an allOf of a string and an
enum schema, and removing the enum is a "product type narrowed" change. `$ref`
hides every sibling keyword, as in those drafts.
"""

from __future__ import annotations

from typing import Any

from registry.compat.json_schema.model import MISSING, Node, combined
from serde.schemas.json_schema import DRAFT4, Resolver

_NUMBER = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_STRING = ("minLength", "maxLength", "pattern", "format")
_OBJECT4 = ("properties", "required", "minProperties", "maxProperties", "dependencies",
            "patternProperties", "additionalProperties")
_OBJECT6 = _OBJECT4 + ("propertyNames",)
_ARRAY4 = ("items", "additionalItems", "minItems", "maxItems", "uniqueItems")
_ARRAY6 = _ARRAY4 + ("contains",)
_COMBINERS = ("allOf", "anyOf", "oneOf")


class LegacyLoader:
    """Loads one document (and what it references) into `Node`s, sharing `$ref` targets."""

    def __init__(self, resolver: Resolver, draft: str) -> None:
        self.resolver = resolver
        self.draft = draft
        self.object_keys = _OBJECT4 if draft == DRAFT4 else _OBJECT6
        self.array_keys = _ARRAY4 if draft == DRAFT4 else _ARRAY6
        self.id_key = "id" if draft == DRAFT4 else "$id"
        self._targets: dict[int, Node] = {}

    def load(self, value: Any, base: str) -> Node:
        if value is True:
            return Node("true")
        if value is False:
            return Node("false")
        if not isinstance(value, dict):
            return Node("empty")
        base = self.resolver.base_of(value, base)
        if isinstance(value.get("$ref"), str):
            node = self._reference(value["$ref"], base)
            consumed = {"$ref"}
        else:
            found, consumed = self._extract(value, base)
            if not found:
                node = Node("empty")
            elif len(found) == 1:
                node = found[0]
            else:
                node = combined("allOf", found)
        self._common(node, value, consumed)
        return node

    def _reference(self, ref: str, base: str) -> Node:
        def resolve() -> Node:
            target, target_base = self.resolver.resolve(ref, base)
            key = id(target)
            if key not in self._targets:
                self._targets[key] = Node("empty")  # placeholder while loading a cycle
                self._targets[key] = self.load(target, target_base)
            return self._targets[key]

        return Node("ref", ref=ref, resolve=resolve)

    def _extract(self, value: dict[str, Any], base: str) -> tuple[list[Node], set[str]]:
        found: list[Node] = []
        consumed: set[str] = set()
        if "enum" in value and isinstance(value["enum"], list):
            found.append(Node("enum", values=list(value["enum"])))
            consumed.add("enum")
        for key in _COMBINERS:
            if isinstance(value.get(key), list):
                found.append(combined(key, [self.load(s, base) for s in value[key]]))
                consumed.add(key)
        if "not" in value:
            found.append(Node("not", inner=self.load(value["not"], base)))
            consumed.add("not")
        if self.draft != DRAFT4 and "const" in value:
            found.append(Node("const", value=value["const"]))
            consumed.add("const")
        if "type" in value:
            consumed.add("type")
            kinds = value["type"]
            if isinstance(kinds, list):
                found.append(combined("anyOf", [self._typed(t, value, base, consumed) for t in kinds]))
            elif isinstance(kinds, str):
                found.append(self._typed(kinds, value, base, consumed))
        rest = value.keys() - consumed
        if not rest.isdisjoint(self.array_keys):
            found.append(self._array(value, base))
            consumed.update(self.array_keys)
        if not rest.isdisjoint(self.object_keys):
            found.append(self._object(value, base))
            consumed.update(self.object_keys)
        if not rest.isdisjoint(_NUMBER):
            found.append(self._number(value))
            consumed.update(_NUMBER)
        if not rest.isdisjoint(_STRING):
            found.append(self._string(value))
            consumed.update(_STRING)
        if self.draft not in (DRAFT4, "draft6") and not rest.isdisjoint(("if", "then", "else")):
            found.append(Node("conditional"))
            consumed.update(("if", "then", "else"))
        return found, consumed

    def _typed(self, kind: str, value: dict[str, Any], base: str, consumed: set[str]) -> Node:
        if kind == "string":
            consumed.update(_STRING)
            return self._string(value)
        if kind in ("integer", "number"):
            consumed.update(_NUMBER)
            node = self._number(value)
            node.requires_integer = kind == "integer"
            return node
        if kind == "object":
            consumed.update(self.object_keys)
            return self._object(value, base)
        if kind == "array":
            consumed.update(self.array_keys)
            return self._array(value, base)
        if kind in ("boolean", "null"):
            return Node(kind)
        return Node("empty")

    def _string(self, value: dict[str, Any]) -> Node:
        return Node("string", min_length=value.get("minLength"), max_length=value.get("maxLength"),
                    pattern=value.get("pattern") if isinstance(value.get("pattern"), str) else None)

    def _number(self, value: dict[str, Any]) -> Node:
        node = Node("number", minimum=value.get("minimum"), maximum=value.get("maximum"),
                    multiple_of=value.get("multipleOf"))
        if self.draft != DRAFT4:  # draft 4 exclusives are booleans modifying minimum/maximum
            node.exclusive_minimum = _number_or_none(value.get("exclusiveMinimum"))
            node.exclusive_maximum = _number_or_none(value.get("exclusiveMaximum"))
        return node

    def _object(self, value: dict[str, Any], base: str) -> Node:
        node = Node("object", min_properties=value.get("minProperties"),
                    max_properties=value.get("maxProperties"))
        props = value.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                if name != self.id_key or isinstance(sub, dict):
                    node.properties[name] = self.load(sub, base)
        extra = value.get("additionalProperties", MISSING)
        if isinstance(extra, bool):
            node.additional_properties = extra
        elif isinstance(extra, dict):
            node.additional_properties_schema = self.load(extra, base)
        required = value.get("required")
        if isinstance(required, list):
            node.required = [r for r in required if isinstance(r, str)]
        patterns = value.get("patternProperties")
        if isinstance(patterns, dict):
            node.pattern_properties = {p: self.load(s, base) for p, s in patterns.items()}
        deps = value.get("dependencies")
        if isinstance(deps, dict):
            for name, dep in deps.items():
                if isinstance(dep, list):
                    node.property_dependencies.setdefault(name, set()).update(
                        d for d in dep if isinstance(d, str))
                elif isinstance(dep, (dict, bool)):
                    node.schema_dependencies[name] = self.load(dep, base)
        return node

    def _array(self, value: dict[str, Any], base: str) -> Node:
        node = Node("array", min_items=value.get("minItems"), max_items=value.get("maxItems"),
                    unique_items=value.get("uniqueItems") is True)
        extra = value.get("additionalItems", MISSING)
        if isinstance(extra, bool):
            node.additional_items = extra
        elif isinstance(extra, dict):
            node.additional_items_schema = self.load(extra, base)
        items = value.get("items", MISSING)
        if isinstance(items, list):
            node.item_schemas = [self.load(s, base) for s in items]
        elif isinstance(items, dict) or (isinstance(items, bool) and self.draft != DRAFT4):
            node.all_items = self.load(items, base)
        if self.draft != DRAFT4 and "contains" in value:
            node.contains = self.load(value["contains"], base)
        return node

    def _common(self, node: Node, value: dict[str, Any], consumed: set[str]) -> None:
        ident = value.get(self.id_key)
        if isinstance(ident, str):
            node.id = ident
        if isinstance(value.get("title"), str):
            node.title = value["title"]
        if isinstance(value.get("description"), str):
            node.description = value["description"]
        if "default" in value:
            node.default = value["default"]
        known = consumed | {self.id_key, "title", "description", "default", "readOnly", "writeOnly"}
        node.unprocessed = {k: v for k, v in value.items() if k not in known}


def _number_or_none(value: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

"""Object and array rules: content models, properties, required, dependencies, tuple items.

A property (or tuple item) that appears or disappears is judged against the
content model of the side that did not have it: anything goes in an open model,
nothing in a closed one, and in a partially open one (a schema for additional,
pattern or unevaluated members) the member must fit that schema.
"""

from __future__ import annotations

import re
from itertools import compress
from operator import is_not

from registry.compat.json_schema.compare import Context, SharedState, compare, deref, limit
from registry.compat.json_schema.model import Node, children


def _pattern_matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _open_object(node: Node) -> bool:
    if not node.additional_properties or node.additional_properties_schema is not None:
        return False
    if node.pattern_properties:
        return False
    extra = node.unevaluated_properties
    return extra is None or extra.is_empty


def _partial_object(node: Node, name: str) -> Node | None:
    for pattern, schema in node.pattern_properties.items():
        if _pattern_matches(pattern, name):
            return schema
    if node.additional_properties_schema is not None:
        return node.additional_properties_schema
    if node.additional_properties:
        extra = node.unevaluated_properties
        if extra is not None and extra.kind != "false" and not extra.is_empty:
            return extra
    return None


def _covered(ctx: Context, original: Node | None, update: Node | None, family: str, verb: str) -> None:
    sub = ctx.sub()
    compare(sub, original, update)
    ctx.extend(sub.diffs)
    state = "IS_COVERED" if sub.compatible() else "NOT_COVERED"
    ctx.add(f"{family}_{verb}_{state}_BY_PARTIALLY_OPEN_CONTENT_MODEL")


def compare_object(ctx: Context, o: Node, u: Node) -> None:
    _required(ctx.at("required"), o, u)
    _properties(ctx.at("properties"), o, u)
    _dependencies(ctx.at("dependencies"), o, u)
    _additional_properties(ctx.at("additionalProperties"), o, u)
    _unevaluated(ctx, "unevaluatedProperties", "UNEVALUATED_PROPERTIES",
                 o.unevaluated_properties, u.unevaluated_properties)
    limit(ctx, "maxProperties", "MAX_PROPERTIES", o.max_properties, u.max_properties)
    limit(ctx, "minProperties", "MIN_PROPERTIES", o.min_properties, u.min_properties)


def _required(ctx: Context, o: Node, u: Node) -> None:
    if o.required == u.required:
        return  # every name is required on both sides or on neither
    old_required, new_required = set(o.required), set(u.required)
    for name in o.properties:
        if name not in u.properties:
            continue
        was, now = name in old_required, name in new_required
        if was and not now:
            ctx.add("REQUIRED_ATTRIBUTE_REMOVED", name)
        elif now and not was:
            with_default = u.properties[name].has_default
            ctx.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if with_default else "REQUIRED_ATTRIBUTE_ADDED", name)


def _properties(ctx: Context, o: Node, u: Node) -> None:
    """Old names in order, then the new ones. When both sides have the same names, only the
    positions whose `quiet` entries differ are compared: the others are alike pairs known
    to differ in nothing (identity.py), which `compare` would answer with no differences."""
    olds, news = o.properties, u.properties
    if olds and len(olds) == len(news) and o is not u:  # (a node's own entries all match)
        mine, theirs = Properties.of(o), Properties.of(u)
        if mine.names == theirs.names:
            compatible = ctx.shared.compatible
            quiet = mine.quiet(compatible)
            for i in compress(range(len(quiet)), map(is_not, quiet, theirs.quiet(compatible))):
                compare(ctx.at(mine.names[i]), mine.nodes[i], theirs.nodes[i])
            return
    for name, old in olds.items():
        new = news.get(name)
        if new is None:
            _property_removed(ctx.at(name), old, u, name)
        else:
            compare(ctx.at(name), old, new)
    for name, new in news.items():
        if name not in olds:
            _property_added(ctx.at(name), new, o, u, name)


class Properties:
    """An object node's properties as parallel tuples, kept on the node (trees never change).

    `quiet(compatible)` holds, per property, the token of the node `compare` would look at
    (after `$ref`s) when that token's own comparison is known to find nothing under this
    compatible set, and otherwise an object of its own that matches nothing in another
    node's entries.
    """

    __slots__ = ("names", "nodes", "_quiet")

    def __init__(self, node: Node) -> None:
        self.names = tuple(node.properties)
        self.nodes = tuple(node.properties.values())
        self._quiet: dict[frozenset[str], tuple[object, ...]] = {}

    @classmethod
    def of(cls, node: Node) -> "Properties":
        found = node._props
        if found is None:
            found = node._props = cls(node)
        return found

    def quiet(self, compatible: frozenset[str]) -> tuple[object, ...]:
        found = self._quiet.get(compatible)
        if found is not None:
            return found
        entries: list[object] = []
        complete = True
        for node in self.nodes:
            target = deref(node)
            token = target._fp
            diffs = None if token is None else token.diffs.get(compatible)
            if token is not None and diffs is None:
                diffs = _learn(target, compatible)
                complete = complete and diffs is not None
            entries.append(token if diffs == () else object())
        found = tuple(entries)
        if complete:  # else made again next time, when more may be known
            self._quiet[compatible] = found
        return found


def _learn(node: Node, compatible: frozenset[str]) -> tuple | None:
    """What comparing `node` with an alike node finds, when that is quick to learn.

    A node with a token has no cycle below it, so comparing it with itself, on its own, is
    exact and, like every walk of an alike pair, records its result on the token. Only done
    when everything directly inside is known already (a new property of a candidate, say),
    so this walk stays shallow; deeper unknowns are learnt by the comparisons that meet
    them. None when not learnt (or the walk fails: the real comparison meets that failure
    where it belongs).
    """
    for child in children(node):
        token = deref(child)._fp
        if token is None or compatible not in token.diffs:
            return None
    try:
        compare(Context(SharedState(compatible, {})), node, node)
    except Exception:  # noqa: BLE001 - see above; nothing is recorded for a failed walk
        return None
    return node._fp.diffs.get(compatible)


def _property_removed(ctx: Context, old: Node | None, u: Node, name: str) -> None:
    if _open_object(u):
        ctx.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    partial = _partial_object(u, name)
    if partial is not None:
        _covered(ctx, old, partial, "PROPERTY", "REMOVED")
    elif old is not None and old.kind == "false":
        ctx.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _property_added(ctx: Context, new: Node, o: Node, u: Node, name: str) -> None:
    required = name in u.required
    if _open_object(o):
        if new.is_empty:
            ctx.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
        elif required:
            ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" if new.has_default
                    else "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        else:
            ctx.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        return
    partial = _partial_object(o, name)
    if partial is not None:
        _covered(ctx, partial, new, "PROPERTY", "ADDED")
    if required:
        ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL" if new.has_default
                else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
    else:
        ctx.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")


def _dependencies(ctx: Context, o: Node, u: Node) -> None:
    old_deps, new_deps = o.property_dependencies, u.property_dependencies
    for name in list(old_deps) + [n for n in new_deps if n not in old_deps]:
        old, new = old_deps.get(name), new_deps.get(name)
        if new is None:
            ctx.add("DEPENDENCY_ARRAY_REMOVED", name)
        elif old is None:
            ctx.add("DEPENDENCY_ARRAY_ADDED", name)
        elif old != new:
            if new >= old:
                ctx.add("DEPENDENCY_ARRAY_EXTENDED", name)
            elif old >= new:
                ctx.add("DEPENDENCY_ARRAY_NARROWED", name)
            else:
                ctx.add("DEPENDENCY_ARRAY_CHANGED", name)
    old_s, new_s = o.schema_dependencies, u.schema_dependencies
    for name in list(old_s) + [n for n in new_s if n not in old_s]:
        old, new = old_s.get(name), new_s.get(name)
        if new is None:
            ctx.add("DEPENDENCY_SCHEMA_REMOVED", name)
        elif old is None:
            ctx.add("DEPENDENCY_SCHEMA_ADDED", name)
        else:
            compare(ctx.at(name), old, new)


def _additional_properties(ctx: Context, o: Node, u: Node) -> None:
    if o.additional_properties != u.additional_properties:
        ctx.add("ADDITIONAL_PROPERTIES_ADDED" if u.additional_properties else "ADDITIONAL_PROPERTIES_REMOVED")
    elif o.additional_properties_schema is None and u.additional_properties_schema is not None:
        ctx.add("ADDITIONAL_PROPERTIES_NARROWED")
    elif u.additional_properties_schema is None and o.additional_properties_schema is not None:
        ctx.add("ADDITIONAL_PROPERTIES_EXTENDED")
    else:
        compare(ctx, o.additional_properties_schema, u.additional_properties_schema)


def _unevaluated(ctx: Context, keyword: str, family: str, old: Node | None, new: Node | None) -> None:
    """unevaluatedProperties/unevaluatedItems: `false` closes, `true` opens, a schema narrows."""
    if old is None and new is None:
        return
    here = ctx.at(keyword)
    if old is None:
        here.add(f"{family}_REMOVED" if new.kind == "false" else f"{family}_NARROWED")
    elif new is None:
        here.add(f"{family}_ADDED" if old.kind == "false" else f"{family}_EXTENDED")
    elif old.kind == "false" and new.kind != "false":
        here.add(f"{family}_ADDED")
    elif old.kind != "false" and new.kind == "false":
        here.add(f"{family}_REMOVED")
    elif old.is_empty and not new.is_empty:
        here.add(f"{family}_NARROWED")
    elif not old.is_empty and new.is_empty:
        here.add(f"{family}_EXTENDED")
    else:
        compare(here, old, new)


def _open_array(node: Node) -> bool:
    if not node.additional_items or node.additional_items_schema is not None:
        return False
    extra = node.unevaluated_items
    return extra is None or extra.is_empty


def _partial_array(node: Node) -> Node | None:
    if node.additional_items_schema is not None:
        return node.additional_items_schema
    if node.additional_items:
        extra = node.unevaluated_items
        if extra is not None and extra.kind != "false" and not extra.is_empty:
            return extra
    return None


def compare_array(ctx: Context, o: Node, u: Node) -> None:
    compare(ctx.at("items"), o.all_items, u.all_items)
    _tuple_items(ctx, o, u)
    _additional_items(ctx.at("additionalItems"), o, u)
    _unevaluated(ctx, "unevaluatedItems", "UNEVALUATED_ITEMS", o.unevaluated_items, u.unevaluated_items)
    limit(ctx, "maxItems", "MAX_ITEMS", o.max_items, u.max_items)
    limit(ctx, "minItems", "MIN_ITEMS", o.min_items, u.min_items)
    if o.unique_items != u.unique_items:
        ctx.add("UNIQUE_ITEMS_REMOVED" if o.unique_items else "UNIQUE_ITEMS_ADDED", "uniqueItems")
    limit(ctx, "maxContains", "MAX_CONTAINS", _int(o.max_contains), _int(u.max_contains))
    limit(ctx, "minContains", "MIN_CONTAINS", _int(o.min_contains), _int(u.min_contains))


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _tuple_items(ctx: Context, o: Node, u: Node) -> None:
    olds, news = o.item_schemas or [], u.item_schemas or []
    for index in range(max(len(olds), len(news))):
        here = ctx.at(f"items/{index}")
        if index < len(olds) and index < len(news):
            compare(here, olds[index], news[index])
        elif index < len(olds):
            old = olds[index]
            if _open_array(u):
                here.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
                continue
            partial = _partial_array(u)
            if partial is not None:
                _covered(here, old, partial, "ITEM", "REMOVED")
            elif old.kind == "false":
                here.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
            else:
                here.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
        else:
            new = news[index]
            if _open_array(o):
                here.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" if new.is_empty
                         else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
                continue
            partial = _partial_array(o)
            if partial is not None:
                _covered(here, partial, new, "ITEM", "ADDED")
            else:
                here.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")


def _additional_items(ctx: Context, o: Node, u: Node) -> None:
    if o.additional_items != u.additional_items:
        ctx.add("ADDITIONAL_ITEMS_REMOVED" if o.additional_items else "ADDITIONAL_ITEMS_ADDED")
    elif o.additional_items_schema is None and u.additional_items_schema is not None:
        ctx.add("ADDITIONAL_ITEMS_NARROWED")
    elif u.additional_items_schema is None and o.additional_items_schema is not None:
        ctx.add("ADDITIONAL_ITEMS_EXTENDED")
    else:
        compare(ctx, o.additional_items_schema, u.additional_items_schema)

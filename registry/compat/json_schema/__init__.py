"""Confluent's JSON Schema compatibility check.

BACKWARD in Confluent is `SchemaDiff.compare(original=old, update=new)`: the
writer's schema is the original and the reader's the update. The pair is
compatible when every difference found is of a type in the policy's compatible
set (STRICT by default, LENIENT on request).
"""

from __future__ import annotations

from typing import Any

from registry.compat.base import Incompatibility
from registry.compat.json_schema.compare import Context, SharedState, compare, deref
from registry.compat.json_schema.deep import run_deep
from registry.compat.json_schema.identity import fingerprint_all
from registry.compat.json_schema.legacy import LegacyLoader
from registry.compat.json_schema.model import Node, children, structural_key
from registry.compat.json_schema.modern import ModernLoader
from registry.compat.json_schema.rules import COMPATIBLE_LENIENT, COMPATIBLE_STRICT, compatible_set, message
from serde.errors import SchemaParseError
from serde.schemas.json_schema import JSON_SCHEMA, MODERN_DRAFTS, JsonParsedSchema, dumps

__all__ = ["COMPATIBLE_LENIENT", "COMPATIBLE_STRICT", "check_json", "diff", "load_tree"]

_MAX_PASSES = 50


def load_tree(schema: JsonParsedSchema) -> Node:
    """The everit-like tree Confluent would build for this schema's draft."""
    resolver = schema.resolver
    if schema.draft in MODERN_DRAFTS:
        loader: ModernLoader | LegacyLoader = ModernLoader(resolver)
    else:
        loader = LegacyLoader(resolver, schema.draft)
    root = loader.load(schema.schema, resolver.root_base)
    _settle(root)
    return root


def _settle(root: Node) -> None:
    """Load every `$ref` target, key what the walk will key, and fingerprint, iteratively.

    Doing this before the walk keeps loading and keying out of the recursive
    comparison, so a deep comparison does not also carry their stack frames.
    Only the subschemas of combined nodes (and what is inside them) are keyed:
    `_unique` is the walk's one use of `structural_key`.
    """
    order: list[Node] = []
    edges: dict[int, list[Node]] = {}
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        inside = children(node)
        if node.kind == "ref":
            target = node.target
            stack.append(target)
            edges[id(node)] = inside + [target]
        else:
            edges[id(node)] = inside
        stack.extend(inside)
    keyed = _inside_combined(order)
    for node in reversed(order):  # children first, so each key reuses its children's
        if id(node) in keyed:
            structural_key(node)
    fingerprint_all(order, edges)


def _inside_combined(order: list[Node]) -> set[int]:
    """Ids of the subschemas of combined nodes and of every node within them (not via `$ref`)."""
    stack = [sub for node in order if node.kind == "combined" for sub in node.subschemas]
    found: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) not in found:
            found.add(id(node))
            stack.extend(children(node))
    return found


def _as_parsed(schema: Any) -> JsonParsedSchema:
    if isinstance(schema, JsonParsedSchema):
        return schema
    return JSON_SCHEMA.parse(dumps(schema), {}, validate=False)


def _path_text(path: tuple[str, ...]) -> str:
    return "#/" + "/".join(path)


def diff(original: Any, update: Any, *, policy: str = "STRICT") -> list[tuple[str, str]]:
    """Every difference `(TYPE, "#/json/path")` from `original` to `update`.

    Accepts parsed schemas or plain JSON values. Recursive cycles count as
    compatible; the walk repeats with the pairs found incompatible fed back until
    the set of incompatible pairs stops growing, so that optimism cannot hide a
    real incompatibility reached through a memoised sibling.
    """
    compatible = compatible_set(policy)
    try:
        return _diff(original, update, compatible)
    except RecursionError:
        pass
    try:
        return run_deep(lambda: _diff(original, update, compatible))
    except RecursionError:
        raise SchemaParseError(
            "Invalid schema: nested too deeply (through $ref chains) to check compatibility"
        ) from None


def _tree(schema: Any) -> Node:
    """The loaded tree, kept on the parsed schema: trees never change after loading, and a
    transitive check compares one new schema with many old ones."""
    parsed = _as_parsed(schema)
    tree = parsed.__dict__.get("_compat_tree")
    if tree is None:
        tree = parsed.__dict__["_compat_tree"] = load_tree(parsed)
    return tree


def _diff(original: Any, update: Any, compatible: frozenset[str]) -> list[tuple[str, str]]:
    old_tree = _tree(original)
    new_tree = _tree(update)
    top = (id(deref(old_tree)), id(deref(new_tree)))
    seed: dict[tuple[int, int], list] = {}
    for _ in range(_MAX_PASSES):
        shared = SharedState(compatible, seed, top)
        ctx = Context(shared)
        compare(ctx, old_tree, new_tree)
        failing = {
            key: diffs for key, diffs in shared.memo.items()
            if any(kind not in compatible for kind, _ in diffs)
        }
        if not shared.optimistic or failing.keys() == seed.keys():
            break
        seed = failing
    return [(kind, _path_text(path)) for kind, path in ctx.diffs]


def check_json(
    reader: Any,
    writer: Any,
    *,
    reader_label: str,
    writer_label: str,
    policy: str = "STRICT",
) -> list[Incompatibility]:
    """Why `reader` cannot read what `writer` wrote, one entry per incompatible difference."""
    compatible = compatible_set(policy)
    out = []
    for kind, path in diff(writer, reader, policy=policy):
        if kind not in compatible:
            out.append(Incompatibility(kind, path, message(kind, path, reader_label, writer_label)))
    return out

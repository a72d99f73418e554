"""The difference walk: what changed between an original (writer) and an update (reader).

Follows Confluent's SchemaDiff: compare schema classes first (with the sum and
product type special cases), then the attributes of that class. Each pair of
nodes is compared once and memoised with paths relative to the pair; a pair met
again while it is still being compared is a recursive cycle and counts as
compatible. Because that optimism can leak into memoised siblings, the whole walk
is repeated with the pairs found incompatible fed back until nothing changes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from registry.compat.json_schema.identity import keep_pair, pair_diffs
from registry.compat.json_schema.matching import best_matching
from registry.compat.json_schema.model import Node, structural_key

Path = tuple[str, ...]
Diff = tuple[str, Path]


class SharedState:
    """State shared by every context of one pass: memo, pairs in progress, fed-back failures."""

    def __init__(self, compatible: frozenset[str], seed: dict[tuple[int, int], list[Diff]],
                 top: tuple[int, int] | None = None) -> None:
        self.compatible = compatible
        self.top = top  # the two whole schemas' pair, whose result is not worth keeping
        self.memo: dict[tuple[int, int], list[Diff]] = {}
        self.keep: list[Node] = []  # keeps ids in the memo valid for the pass
        self.in_progress: set[tuple[int, int]] = set()
        self.seed = seed
        self.optimistic = False


class Context:
    """Where we are (a JSON path) and what we found there."""

    def __init__(self, shared: SharedState, path: Path = ()) -> None:
        self.shared = shared
        self.path = path
        self.diffs: list[Diff] = []

    def sub(self, *segments: str) -> "Context":
        """A fresh context for a tentative comparison whose findings the caller may discard."""
        return Context(self.shared, self.path + segments)

    def at(self, *segments: str) -> "Context":
        """A view one level down that records into this context."""
        view = Context(self.shared, self.path + segments)
        view.diffs = self.diffs
        return view

    def add(self, kind: str, *segments: str) -> None:
        self.diffs.append((kind, self.path + segments))

    def extend(self, diffs: list[Diff]) -> None:
        self.diffs.extend(diffs)

    def compatible(self) -> bool:
        return all(kind in self.shared.compatible for kind, _ in self.diffs)


def deref(node: Node) -> Node:
    seen = 0
    while node.kind == "ref" and seen < 1000:
        node = node.target
        seen += 1
    return node


def compare(ctx: Context, original: Node | None, update: Node | None) -> None:
    """Record the differences between two (possibly absent) schemas at `ctx`."""
    if original is None and update is None:
        return
    if original is None:
        ctx.add("SCHEMA_ADDED")
        return
    if update is None:
        ctx.add("SCHEMA_REMOVED")
        return
    o, u = deref(original), deref(update)
    key = (id(o), id(u))
    shared = ctx.shared
    cached = shared.memo.get(key)
    if cached is None:
        token, other = o._fp, u._fp  # kept results for alike subtrees and pairs: see identity.py
        if token is None or other is None:
            token = None
        elif token is other:
            cached = token.diffs.get(shared.compatible)
        else:
            cached = pair_diffs(token, other, shared.compatible)
    if cached is None:
        if key in shared.in_progress:
            seeded = shared.seed.get(key)
            if seeded is None:
                shared.optimistic = True
                return
            cached = seeded
        else:
            shared.in_progress.add(key)
            try:
                inner = Context(shared)
                compare_types(inner, o, u)
            finally:
                shared.in_progress.discard(key)
            cached = inner.diffs
            shared.memo[key] = cached
            shared.keep.extend((o, u))
            if token is not None and token is other:
                token.diffs[shared.compatible] = tuple(cached)
            elif token is not None and key != shared.top:
                keep_pair(token, other, shared.compatible, tuple(cached))
    ctx.diffs.extend((kind, ctx.path + rel) for kind, rel in cached)


def _first_compatible(ctx: Context, pairs: list[tuple[Node, Node]], marker: str) -> bool:
    for a, b in pairs:
        sub = ctx.sub()
        compare(sub, a, b)
        if sub.compatible():
            ctx.extend(sub.diffs)
            if marker:
                ctx.add(marker)
            return True
    return False


def compare_types(ctx: Context, o: Node, u: Node) -> None:
    if o.kind != "combined" and u.kind == "combined":
        if len(u.subschemas) == 1:
            if _first_compatible(ctx, [(o, u.subschemas[0])], ""):
                return
        elif u.criterion in ("anyOf", "oneOf"):
            if _first_compatible(ctx, [(o, s) for s in u.subschemas], "SUM_TYPE_EXTENDED"):
                return
    elif o.kind == "combined" and u.kind != "combined":
        if len(o.subschemas) == 1:
            if _first_compatible(ctx, [(o.subschemas[0], u)], ""):
                return
        elif o.criterion == "allOf":
            if _first_compatible(ctx, [(s, u) for s in o.subschemas], "PRODUCT_TYPE_NARROWED"):
                return

    if o.kind != u.kind:
        if o.kind == "false" or u.is_empty:
            return
        if o.unprocessed.get("connect.type") == "bytes" == u.unprocessed.get("connect.type"):
            return
        ctx.add("TYPE_CHANGED")
        return

    if o.id != u.id:
        ctx.add("ID_CHANGED")
    if o.title != u.title:
        ctx.add("TITLE_CHANGED")
    if o.description != u.description:
        ctx.add("DESCRIPTION_CHANGED")
    if not json_equal(o.default, u.default):
        ctx.add("DEFAULT_CHANGED")

    kind = o.kind
    if kind == "string":
        _limits(ctx, o, u, (("max_length", "maxLength", "MAX_LENGTH"), ("min_length", "minLength", "MIN_LENGTH")))
        if o.pattern is None and u.pattern is not None:
            ctx.add("PATTERN_ADDED", "pattern")
        elif o.pattern is not None and u.pattern is None:
            ctx.add("PATTERN_REMOVED", "pattern")
        elif o.pattern != u.pattern:
            ctx.add("PATTERN_CHANGED", "pattern")
    elif kind == "number":
        _compare_number(ctx, o, u)
    elif kind == "const":
        if not json_equal(o.value, u.value):
            ctx.add("ENUM_ARRAY_CHANGED", "const")
    elif kind == "enum":
        _compare_enum(ctx, o, u)
    elif kind == "combined":
        _compare_combined(ctx, o, u)
    elif kind == "not":
        sub = ctx.sub("not")
        compare(sub, u.inner, o.inner)  # reversed: a narrower `not` accepts more
        ctx.add("NOT_TYPE_NARROWED" if sub.compatible() else "NOT_TYPE_EXTENDED", "not")
    elif kind == "object":
        compare_object(ctx, o, u)
    elif kind == "array":
        compare_array(ctx, o, u)


def limit(ctx: Context, name: str, family: str, old: Any, new: Any) -> None:
    """One numeric keyword: added, removed, increased or decreased."""
    if old is None and new is None:
        return
    if old is None:
        ctx.add(f"{family}_ADDED", name)
    elif new is None:
        ctx.add(f"{family}_REMOVED", name)
    elif _num(old) < _num(new):
        ctx.add(f"{family}_INCREASED", name)
    elif _num(old) > _num(new):
        ctx.add(f"{family}_DECREASED", name)


def _limits(ctx: Context, o: Node, u: Node, specs: tuple[tuple[str, str, str], ...]) -> None:
    for attr, name, family in specs:
        limit(ctx, name, family, getattr(o, attr), getattr(u, attr))


def _compare_number(ctx: Context, o: Node, u: Node) -> None:
    _limits(ctx, o, u, (
        ("maximum", "maximum", "MAXIMUM"),
        ("minimum", "minimum", "MINIMUM"),
        ("exclusive_maximum", "exclusiveMaximum", "EXCLUSIVE_MAXIMUM"),
        ("exclusive_minimum", "exclusiveMinimum", "EXCLUSIVE_MINIMUM"),
    ))
    old, new = _decimal(o.multiple_of), _decimal(u.multiple_of)
    if old != new:
        if old is None:
            ctx.add("MULTIPLE_OF_ADDED", "multipleOf")
        elif new is None:
            ctx.add("MULTIPLE_OF_REMOVED", "multipleOf")
        elif old != 0 and new % old == 0:
            ctx.add("MULTIPLE_OF_EXPANDED", "multipleOf")
        elif new != 0 and old % new == 0:
            ctx.add("MULTIPLE_OF_REDUCED", "multipleOf")
        else:
            ctx.add("MULTIPLE_OF_CHANGED", "multipleOf")
    if o.requires_integer != u.requires_integer:
        ctx.add("TYPE_EXTENDED" if o.requires_integer else "TYPE_NARROWED")


def _compare_enum(ctx: Context, o: Node, u: Node) -> None:
    old = {value_key(v) for v in o.values}
    new = {value_key(v) for v in u.values}
    if old == new:
        return
    if new >= old:
        ctx.add("ENUM_ARRAY_EXTENDED", "enum")
    elif old >= new:
        ctx.add("ENUM_ARRAY_NARROWED", "enum")
    else:
        ctx.add("ENUM_ARRAY_CHANGED", "enum")


def _criteria_change(o: Node, u: Node) -> str | None:
    if o.criterion == u.criterion:
        return None
    single_o, single_u = len(o.subschemas) == 1, len(u.subschemas) == 1
    if (u.criterion == "anyOf" or (single_o and single_u)
            or (single_o and u.criterion == "oneOf") or (single_u and o.criterion == "allOf")):
        return "COMBINED_TYPE_EXTENDED"
    return "COMBINED_TYPE_CHANGED"


def _unique(nodes: list[Node]) -> list[Node]:
    seen: dict[str, Node] = {}
    for n in nodes:
        seen.setdefault(structural_key(n), n)
    return list(seen.values())


def _compare_combined(ctx: Context, o: Node, u: Node) -> None:
    change = _criteria_change(o, u)
    if change:
        ctx.add(change)
    if change == "COMBINED_TYPE_CHANGED":
        return
    olds, news = _unique(o.subschemas), _unique(u.subschemas)
    if len(olds) < len(news):
        ctx.add("PRODUCT_TYPE_EXTENDED" if u.criterion == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(olds) > len(news):
        ctx.add("SUM_TYPE_NARROWED" if o.criterion in ("anyOf", "oneOf") else "PRODUCT_TYPE_NARROWED")
    edges: dict[tuple[int, int], list[Diff]] = {}
    for i, old in enumerate(olds):
        for j, new in enumerate(news):
            sub = ctx.sub(f"{o.criterion}/{i}")
            compare(sub, old, new)
            if sub.compatible():
                edges[(i, j)] = sub.diffs
    matched = best_matching(len(olds), len(news), {k: len(v) for k, v in edges.items()})
    for pair in matched:
        ctx.extend(edges[pair])
    if len(matched) < min(len(olds), len(news)):
        ctx.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(getattr(value, "text", None) or str(value))
    except InvalidOperation:
        return None


def value_key(value: Any) -> Any:
    """A hashable key for a JSON value; numbers by value, booleans apart from numbers."""
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", float(value)) if isinstance(value, float) and not float(value).is_integer() else ("n", int(value))
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list):
        return ("l", tuple(value_key(v) for v in value))
    if isinstance(value, dict):
        return ("d", tuple(sorted((k, value_key(v)) for k, v in value.items())))
    return ("o", repr(value))


def json_equal(a: Any, b: Any) -> bool:
    from registry.compat.json_schema.model import MISSING

    if a is MISSING or b is MISSING:
        return a is b
    return value_key(a) == value_key(b)


# Object and array rules live in their own module and call back into `compare`.
from registry.compat.json_schema.objects import compare_array, compare_object  # noqa: E402

"""Fingerprints of loaded subtrees, so a pair of identical subtrees is walked once, not per check.

A transitive check compares one new schema with many stored versions that mostly agree,
property by property, and every comparison used to walk each of those equal pairs again.

Two nodes get the same `Token` when they have the same kind, keyword values that are equal
and of the same Python types (so every test the walk makes on them comes out the same),
children with the same tokens, and, for a `$ref`, the same reference text and a target with
the same token. The difference walk then does exactly the same thing on any such pair, so
`compare(a, b)` is the same for every pair of nodes sharing a token; the first walk's result
is kept on the token (`Token.diffs`, relative paths, never changed afterwards) and reused by
every later comparison, in any tree that shares the token. It is kept per compatibility
policy: which nested differences count as compatible steers the walk through combined and
`not` schemas, so the same pair may report differently under STRICT and LENIENT.

Only nodes whose expansion through `$ref`s is finite (no cycle below them) get a token: the
walk of such a pair never meets a pair still in progress, so its result is exact, not the
optimistic answer a recursive cycle gets, and does not depend on which pass of `diff` runs
it. A value the walk might treat unlike itself (NaN) or that we do not know how to spell
exactly leaves the node, and every node above it, without a token: those are walked as before.

Tokens are interned in a weak table keyed by the node's signature (its values spelled exactly,
children by their token's id), so equal subtrees of different schemas share one token, and a
token lives exactly as long as some loaded tree uses it.

By the same argument the comparison of two different tokens is the same for every pair of
nodes carrying them: a stored version's changed property meets the same unchanged property
of every candidate. Such a result is kept on the original's token, weakly keyed by the
update's (`pair_diffs`), so it goes when either token does: kept results cost memory only
while both schemas are loaded, and each token keeps the last PAIRS_PER_TOKEN of them (the
comparison of two whole schemas, which hardly recurs, is not kept at all: see compare).
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from dataclasses import fields
from typing import Any

from registry.compat.json_schema.model import MISSING, Node
from serde.schemas.json_schema import JsonNumber

Diffs = tuple[tuple[str, tuple[str, ...]], ...]


class Token:
    """Shared by every node with one signature; `diffs[compatible set]` is their walk's result,
    `pairs[other token][compatible set]` the result against nodes with that other token."""

    __slots__ = ("diffs", "pairs", "__weakref__")

    def __init__(self) -> None:
        self.diffs: dict[frozenset[str], Diffs] = {}
        self.pairs: weakref.WeakKeyDictionary[Token, dict[frozenset[str], Diffs]] | None = None


_TABLE: weakref.WeakValueDictionary[str, Token] = weakref.WeakValueDictionary()
_LOCK = threading.Lock()
PAIRS_PER_TOKEN = 32
# Every attribute the walk may read, with its default (left out of a signature when the value
# is that default exactly: same type, equal); the reference machinery is spelled separately.
_FIELDS = tuple(
    (f.name, f.default if f.default_factory is dataclasses.MISSING else f.default_factory())
    for f in fields(Node) if f.name not in ("resolve", "_target", "_key", "_fp", "_props")
)


def pair_diffs(original: Token, update: Token, compatible: frozenset[str]) -> Diffs | None:
    """The kept result of comparing nodes with these two (different) tokens, if any."""
    pairs = original.pairs
    if pairs is None:
        return None
    found = pairs.get(update)
    return None if found is None else found.get(compatible)


def keep_pair(original: Token, update: Token, compatible: frozenset[str], diffs: Diffs) -> None:
    """Keep a pair's result; the oldest other token's results go first beyond PAIRS_PER_TOKEN."""
    with _LOCK:
        pairs = original.pairs
        if pairs is None:
            pairs = original.pairs = weakref.WeakKeyDictionary()
        if update not in pairs and len(pairs) >= PAIRS_PER_TOKEN:
            del pairs[next(iter(pairs))]
        pairs.setdefault(update, {})[compatible] = diffs


def fingerprint_all(order: list[Node], edges: dict[int, list[Node]]) -> None:
    """Give every node of a settled tree its token, or None.

    `order` holds each node once and `edges[id(node)]` its children and, for a `$ref`,
    its target. Iterative post-order, so deep trees cost no stack; a child still on the
    DFS stack means a cycle, and neither it nor anything above it gets a token.
    """
    state: dict[int, int] = {}  # id -> 1 on the stack, 2 done
    for start in order:
        if id(start) in state:
            continue
        state[id(start)] = 1
        stack = [(start, edges[id(start)], [0])]
        while stack:
            node, out, position = stack[-1]
            while position[0] < len(out):
                child = out[position[0]]
                position[0] += 1
                if id(child) not in state:
                    state[id(child)] = 1
                    stack.append((child, edges[id(child)], [0]))
                    break
            else:
                stack.pop()
                state[id(node)] = 2
                node._fp = _token(node, out, state)


def _token(node: Node, out: list[Node], state: dict[int, int]) -> Token | None:
    for child in out:
        if state[id(child)] != 2 or child._fp is None:
            return None
    values = node.__dict__
    parts = []
    for name, default in _FIELDS:
        value = values[name]
        if value is default or (type(value) is type(default) and value == default):
            continue
        text = _exact(value)
        if text is None:
            return None
        parts.append(f"{name}={text}")
    if node.kind == "ref":
        parts.append(f"@{id(out[-1]._fp)}")  # the target, last of its edges
    signature = ";".join(parts)
    with _LOCK:
        token = _TABLE.get(signature)
        if token is None:
            token = _TABLE[signature] = Token()
    return token


def _exact(value: Any) -> str | None:
    """An injective spelling of a value: equal spellings mean equal values of equal types."""
    kind = type(value)
    if value is None:
        return "N"
    if value is MISSING:
        return "M"
    if kind is bool:
        return "T" if value else "F"
    if kind is str:
        return repr(value)  # round-trips, so distinct strings never spell alike
    if kind is int:
        return f"i{value!r}"
    if kind is float:
        return None if value != value else f"f{value!r}"
    if kind is JsonNumber:
        return None if value != value else f"j{value.text}/{float(value)!r}"
    if kind is Node:
        token = value._fp
        return None if token is None else f"#{id(token)}"
    if kind is list or kind is tuple:
        items = [_exact(v) for v in value]
        if None in items:
            return None
        return ("[" if kind is list else "(") + ",".join(items) + ("]" if kind is list else ")")
    if kind is dict:
        items = []
        for k, v in value.items():
            text = _exact(v)
            if type(k) is not str or text is None:
                return None
            items.append(repr(k) + ":" + text)
        return "{" + ",".join(items) + "}"
    if kind is set or kind is frozenset:
        items = [_exact(v) for v in value]
        if None in items:
            return None
        return "<" + ",".join(sorted(items)) + ">"
    return None

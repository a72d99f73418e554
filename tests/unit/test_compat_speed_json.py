"""JSON Schema checks reuse per-schema work (loaded trees, fingerprints, results of alike pairs).

What is kept must never leak from one comparison into another: every result here is compared
with the result for freshly parsed schemas, which share nothing with earlier checks.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest

from registry.compat.json_schema import check_json, diff, load_tree
from registry.compat.json_schema.compare import deref
from serde.schemas.json_schema import JSON_SCHEMA

SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
    {"type": "object", "properties": {"a": {"type": "string", "description": "x"}, "b": {"type": "integer"}},
     "required": ["a"], "additionalProperties": False},
    {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
     "additionalProperties": False},
    {"type": "object", "properties": {"a": {"not": {"type": "string"}}, "b": {"enum": [1, 2]}}},
    {"type": "object", "properties": {"a": {"not": {"type": "string"}}, "b": {"enum": [1, 2.0]}}},
    {"type": "object", "properties": {"a": {"not": {"type": "integer"}}, "b": {"enum": [1, True]}}},
    {"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}, {"not": {}}]}, "b": {"const": 1.0}}},
    {"type": "object", "properties": {"a": {"oneOf": [{"not": {}}, {"type": "string"}]}, "b": {"const": 1}}},
    {"definitions": {"n": {"type": "object", "properties": {"next": {"$ref": "#/definitions/n"}}}},
     "type": "object", "properties": {"a": {"$ref": "#/definitions/n"}, "b": {"type": "integer"}}},
    {"definitions": {"n": {"type": "object", "properties": {"next": {"$ref": "#/definitions/n"},
                                                           "v": {"type": "string"}}}},
     "type": "object", "properties": {"a": {"$ref": "#/definitions/n"}, "b": {"type": "integer"}}},
    {"definitions": {"s": {"type": "string", "maxLength": 3}},
     "type": "object", "properties": {"a": {"$ref": "#/definitions/s"}, "b": {"$ref": "#/definitions/s"}}},
    {"definitions": {"s": {"type": "string", "maxLength": 4}},
     "type": "object", "properties": {"a": {"$ref": "#/definitions/s"}, "b": {"$ref": "#/definitions/s"}}},
    {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
     "properties": {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}},
     "unevaluatedProperties": False},
    # as text: numbers JSON can spell but Python's json.dumps cannot (1e400 is infinite as a float)
    '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"multipleOf": 1e400, "maxContains": 1e400}}}',
    '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"multipleOf": 1.0E400}}}',
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer", "maximum": 10**400}}},
    # the `not` pair below reports NOT_TYPE_EXTENDED under STRICT but NOT_TYPE_NARROWED under LENIENT
    {"type": "object", "properties": {"a": {"not": {"type": "object", "properties": {"x": {"type": "string"}},
                                                    "additionalProperties": False}}, "b": {"type": "integer"}}},
    {"type": "object", "properties": {"a": {"not": {"type": "object", "properties": {
        "x": {"type": "string"}, "y": {"type": "string"}}, "additionalProperties": False}}, "b": {"type": "integer"}}},
]


def _parse(schema: object):
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return JSON_SCHEMA.parse(text, {}, validate=False)


def _outcome(original, update, policy: str):
    """Everything a caller can see: the change list and both directions' messages, or the error."""
    try:
        return (
            diff(original, update, policy=policy),
            [i.message for i in check_json(update, original, reader_label="new", writer_label="old",
                                           policy=policy)],
            [i.message for i in check_json(original, update, reader_label="old", writer_label="new",
                                           policy=policy)],
        )
    except Exception as exc:  # noqa: BLE001 - a failing pair must fail the same way every time
        return (type(exc).__name__, str(exc))


def _fresh(i: int, j: int, policy: str):
    return _outcome(_parse(SCHEMAS[i]), _parse(SCHEMAS[j]), policy)


def test_kept_schemas_answer_like_fresh_ones_in_any_order() -> None:
    """Stored schemas are parsed once and checked against many candidates, both ways."""
    kept = [_parse(s) for s in SCHEMAS]
    pairs = list(itertools.product(range(len(SCHEMAS)), repeat=2)) * 2
    random.Random(7).shuffle(pairs)
    for i, j in pairs:
        for policy in ("STRICT", "LENIENT"):
            assert _outcome(kept[i], kept[j], policy) == _fresh(i, j, policy), (SCHEMAS[i], SCHEMAS[j])


def test_one_stored_schema_against_two_candidates_both_ways() -> None:
    stored = _parse(SCHEMAS[3])
    for candidate in (4, 5, 4, 3, 5):
        new = _parse(SCHEMAS[candidate])
        assert _outcome(stored, new, "STRICT") == _fresh(3, candidate, "STRICT")
        assert _outcome(new, stored, "STRICT") == _fresh(candidate, 3, "STRICT")


def test_a_schema_against_itself_keeps_its_compatible_changes() -> None:
    """An identical `not` reports NOT_TYPE_NARROWED: alike pairs are not simply 'no changes'."""
    schema = _parse(SCHEMAS[3])
    expected = [("NOT_TYPE_NARROWED", "#/properties/a/not")]
    assert diff(schema, schema) == expected
    assert diff(schema, _parse(SCHEMAS[3])) == expected
    assert diff(_parse(SCHEMAS[3]), schema) == expected


@pytest.mark.parametrize(("left", "right"), [
    ({"enum": [1, 2]}, {"enum": [1, 2.0]}),
    ({"enum": [1]}, {"enum": [True]}),
    ({"const": "1"}, {"const": 1}),
    ({"default": 1}, {"default": 1.0}),
    ('{"maximum": 1.0}', '{"maximum": 1.00}'),
    ('{"maximum": 1}', '{"maximum": 1.0}'),
    ({"type": "string", "title": "a"}, {"type": "string", "title": "b"}),
])
def test_values_of_other_types_or_spellings_are_not_alike(left: object, right: object) -> None:
    a, b = load_tree(_parse(left)), load_tree(_parse(right))
    assert a._fp is not None and b._fp is not None
    assert a._fp is not b._fp


def test_equal_subtrees_of_different_schemas_share_a_token() -> None:
    a, b = load_tree(_parse(SCHEMAS[0])), load_tree(_parse(SCHEMAS[2]))
    assert a.properties["b"]._fp is b.properties["b"]._fp
    assert a.properties["a"]._fp is not b.properties["a"]._fp


def test_recursive_references_get_no_token() -> None:
    """A walk through a cycle may be optimistic, so such results are never kept."""
    tree = load_tree(_parse(SCHEMAS[8]))
    assert deref(tree.properties["a"])._fp is None
    assert tree._fp is None
    assert tree.properties["b"]._fp is not None


def test_references_to_different_targets_are_not_alike() -> None:
    a, b = load_tree(_parse(SCHEMAS[10])), load_tree(_parse(SCHEMAS[11]))
    assert a.properties["a"].ref == b.properties["a"].ref
    assert a.properties["a"]._fp is not b.properties["a"]._fp
    assert diff(_parse(SCHEMAS[10]), _parse(SCHEMAS[11])) == [
        ("MAX_LENGTH_INCREASED", "#/properties/a/maxLength"),
        ("MAX_LENGTH_INCREASED", "#/properties/b/maxLength"),
    ]


def test_nothing_of_a_dropped_candidate_is_kept() -> None:
    """Kept results hang off tokens, weakly keyed by the other side: a candidate that is no
    longer referenced leaves no token and no kept pair behind."""
    import gc

    from registry.compat.json_schema import identity

    stored = _parse(SCHEMAS[1])
    root = load_tree(stored)
    check_json(_parse(SCHEMAS[0]), stored, reader_label="new", writer_label="old")
    gc.collect()
    before = len(identity._TABLE)
    for n in range(5):
        candidate = _parse({**SCHEMAS[1], "description": f"candidate {n}"})
        check_json(candidate, stored, reader_label="new", writer_label="old")
        check_json(stored, candidate, reader_label="old", writer_label="new")
        assert len(identity._TABLE) > before
        del candidate
    gc.collect()
    assert len(identity._TABLE) <= before
    assert not root._fp.pairs


def test_kept_results_depend_on_the_policy() -> None:
    """The same pair walks differently under STRICT and LENIENT, so results are kept per policy."""
    old, new = _parse(SCHEMAS[-2]), _parse(SCHEMAS[-1])
    assert diff(old, new, policy="STRICT") == [("NOT_TYPE_EXTENDED", "#/properties/a/not")]
    assert diff(old, new, policy="LENIENT") == [("NOT_TYPE_NARROWED", "#/properties/a/not")]
    assert diff(old, new, policy="STRICT") == [("NOT_TYPE_EXTENDED", "#/properties/a/not")]


def test_kept_pair_results_are_bounded() -> None:
    """Two whole schemas' pair is not kept, and a token keeps at most PAIRS_PER_TOKEN others."""
    from registry.compat.json_schema import identity

    stored = _parse({"type": "object", "properties": {"a": {"type": "string", "description": "stored"}}})
    stored_a = load_tree(stored).properties["a"]
    candidates = [_parse({"type": "object", "properties": {"a": {"type": "string", "description": f"c{n}"}}})
                  for n in range(identity.PAIRS_PER_TOKEN + 8)]
    for candidate in candidates:
        assert diff(stored, candidate) == [("DESCRIPTION_CHANGED", "#/properties/a")]
    assert not load_tree(stored)._fp.pairs
    assert len(stored_a._fp.pairs) == identity.PAIRS_PER_TOKEN
    for candidate in candidates:  # the same answers once some results have gone
        assert diff(stored, candidate) == [("DESCRIPTION_CHANGED", "#/properties/a")]

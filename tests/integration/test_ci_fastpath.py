"""The Avro fast path never calls a pair compatible that Apache Avro's checker (as the registry runs it) rejects."""

from __future__ import annotations

import json

import pytest

from registry.types import default_types
from schemawire.ci.fastpath import level_proven, provably_compatible

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

AVRO = default_types()["AVRO"]
PRIMS = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]


def parse(schema: dict):
    return AVRO.schema_type.parse(json.dumps(schema), {}, validate=False)


def checker_says_compatible(reader, writer) -> bool:
    return not AVRO.check(reader, writer, reader_label="new", writer_label="old")


field_types = st.one_of(
    st.sampled_from(PRIMS),
    st.lists(st.sampled_from(PRIMS), min_size=1, max_size=3, unique=True),
    st.builds(lambda t: {"type": "array", "items": t}, st.sampled_from(PRIMS)),
    st.builds(lambda t: {"type": "map", "values": t}, st.sampled_from(PRIMS)),
    st.builds(lambda s: {"type": "enum", "name": "E", "symbols": s},
              st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True)),
)


@st.composite
def records(draw, name: str = "R") -> dict:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=5, unique=True))
    fields, enum_used = [], False
    for n in names:
        t = draw(field_types)
        if isinstance(t, dict) and t.get("type") == "enum":
            if enum_used:
                t = "string"
            enum_used = True
        field = {"name": n, "type": t}
        if draw(st.booleans()):
            first = t[0] if isinstance(t, list) else t
            field["default"] = {"null": None, "boolean": False, "int": 0, "long": 0, "float": 0.0,
                                "double": 0.0, "bytes": "", "string": ""}.get(first, None) \
                if isinstance(first, str) else ([] if first["type"] == "array" else
                                                {} if first["type"] == "map" else first["symbols"][0])
        fields.append(field)
    return {"type": "record", "name": name, "namespace": "ns", "fields": fields}


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(records(), records())
def test_fast_path_agrees_with_the_checker(reader, writer):
    r, w = parse(reader), parse(writer)
    if provably_compatible(r, w):
        assert checker_says_compatible(r, w), (reader, writer)


unnamed_types = st.one_of(
    st.sampled_from(PRIMS),
    st.lists(st.sampled_from(PRIMS), min_size=1, max_size=3, unique=True),
    st.builds(lambda t: {"type": "array", "items": t}, st.sampled_from(["int", "long", "float", "string", "bytes"])),
    st.builds(lambda t: {"type": "map", "values": t}, st.sampled_from(["int", "long", "double"])),
    st.just({"type": "int", "logicalType": "date"}),
    st.just({"type": "long", "logicalType": "timestamp-millis"}),
)


@st.composite
def same_fields(draw) -> tuple[dict, dict]:
    """Two records with the same field names and independently drawn unnamed types."""
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    rec = lambda types: {"type": "record", "name": "R", "namespace": "ns",  # noqa: E731
                         "fields": [{"name": n, "type": t} for n, t in zip(names, types)]}
    return rec([draw(unnamed_types) for _ in names]), rec([draw(unnamed_types) for _ in names])


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(same_fields())
def test_standalone_field_checks_agree_with_the_whole_record_check(pair):
    reader, writer = pair
    r, w = parse(reader), parse(writer)
    if provably_compatible(r, w):
        assert checker_says_compatible(r, w), (reader, writer)
    else:
        assert not checker_says_compatible(r, w), (reader, writer)   # nothing named: the proof is complete


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(records(), records(), st.sampled_from(["BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE"]))
def test_unparsed_proof_agrees_with_the_checker(new, old, level):
    if level_proven(level, json.dumps(new), json.dumps(old)):
        n, o = parse(new), parse(old)
        if level.startswith(("BACKWARD", "FULL")):
            assert checker_says_compatible(n, o), (new, old)
        if level.startswith(("FORWARD", "FULL")):
            assert checker_says_compatible(o, n), (new, old)


def test_unparsed_proof_needs_a_real_level_and_json():
    text = json.dumps({"type": "record", "name": "R", "fields": []})
    assert level_proven("FULL_TRANSITIVE", text, text)
    assert not level_proven("NONE", text, text)
    assert not level_proven("BACKWARD", text, "{not json")


def test_fast_path_handles_the_common_case():
    old = parse({"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]})
    new = parse({"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "string"}, {"name": "b", "type": ["null", "long"], "default": None}]})
    assert provably_compatible(new, old)
    assert not provably_compatible(old, new) or checker_says_compatible(old, new)


@pytest.mark.parametrize("reader, writer", [
    # named reference: equal text may mean different definitions
    ({"type": "record", "name": "R", "fields": [
        {"name": "m", "type": {"type": "fixed", "name": "F", "size": 4}}, {"name": "n", "type": "F"}]},
     {"type": "record", "name": "R", "fields": [
         {"name": "m", "type": {"type": "fixed", "name": "F", "size": 8}}, {"name": "n", "type": "F"}]}),
    # aliases change which writer field is read
    ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", "aliases": ["b"], "default": 0}]},
     {"type": "record", "name": "R", "fields": [{"name": "b", "type": "string"}]}),
    # different record names
    ({"type": "record", "name": "R", "fields": []}, {"type": "record", "name": "S", "fields": []}),
    # missing default
    ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]},
     {"type": "record", "name": "R", "fields": []}),
])
def test_fast_path_defers_to_the_checker(reader, writer):
    assert not provably_compatible(parse(reader), parse(writer))

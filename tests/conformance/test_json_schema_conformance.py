"""Confluent's own JSON Schema diff examples, run against our checker.

Every case's `compatible` verdict (STRICT) and `compatible_lenient` verdict
(LENIENT, defaulting to `compatible`) must match exactly. The reported change
lists are compared as multisets too; the few known to differ only in the
changes (never the verdict) are listed in KNOWN_CHANGE_DIFFERENCES.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from registry.compat.json_schema import check_json, diff
from serde.schemas.json_schema import JSON_SCHEMA

ROOT = Path(__file__).resolve().parents[3] / "shared" / "conformance"
SNAPSHOTS = ("confluent-v7.9.9", "confluent-master")
FILES = (
    "json-schema-provider__diff-schema-examples.json",
    "json-schema-provider__diff-schema-examples-2020-12.json",
    "json-schema-provider__diff-combined-schema-examples.json",
    "json-schema-provider__diff-combined-schema-examples-2020-12.json",
)
# 7.x reported an optional property added to an open content model under its old name.
RENAMED = {"PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"}

# (file, index) -> why our change list differs from upstream's while the verdict matches.
KNOWN_CHANGE_DIFFERENCES: dict[tuple[str, int], str] = {}


def _load(path: Path) -> list[dict]:
    text = re.sub(r",(\s*[\]}])", r"\1", path.read_text(encoding="utf-8"))
    return json.loads(text)


def _cases() -> list:
    params = []
    for snapshot in SNAPSHOTS:
        for name in FILES:
            path = ROOT / snapshot / name
            if not path.exists():
                continue
            for index, case in enumerate(_load(path)):
                params.append(pytest.param(snapshot, name, index, case,
                                           id=f"{snapshot}/{name.split('__')[1][:-5]}/{index}"))
    return params


CASES = _cases()


def _case_key(name: str, case: dict) -> str:
    return json.dumps([name, case["original_schema"], case["update_schema"]], sort_keys=True)


def _lenient_verdicts() -> dict[str, bool]:
    """LENIENT exists only from 8.x, so master's `compatible_lenient` also rules the 7.9.9 copies."""
    out = {}
    for name in FILES:
        path = ROOT / "confluent-master" / name
        if path.exists():
            for case in _load(path):
                if "compatible_lenient" in case:
                    out[_case_key(name, case)] = case["compatible_lenient"]
    return out


LENIENT = _lenient_verdicts()


def _parse(schema: object):
    return JSON_SCHEMA.parse(json.dumps(schema), {})


def test_data_is_present() -> None:
    assert len(CASES) >= 490


@pytest.mark.parametrize(("snapshot", "name", "index", "case"), CASES)
def test_compatible_strict(snapshot: str, name: str, index: int, case: dict) -> None:
    old, new = _parse(case["original_schema"]), _parse(case["update_schema"])
    problems = check_json(new, old, reader_label="new", writer_label="old", policy="STRICT")
    assert (not problems) == case["compatible"], (case["description"], problems)


@pytest.mark.parametrize(("snapshot", "name", "index", "case"), CASES)
def test_compatible_lenient(snapshot: str, name: str, index: int, case: dict) -> None:
    old, new = _parse(case["original_schema"]), _parse(case["update_schema"])
    expected = case.get("compatible_lenient", LENIENT.get(_case_key(name, case), case["compatible"]))
    problems = check_json(new, old, reader_label="new", writer_label="old", policy="LENIENT")
    assert (not problems) == expected, (case["description"], problems)


@pytest.mark.parametrize(("snapshot", "name", "index", "case"), CASES)
def test_changes(snapshot: str, name: str, index: int, case: dict, request: pytest.FixtureRequest) -> None:
    reason = KNOWN_CHANGE_DIFFERENCES.get((name, index))
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))
    found = Counter(f"{kind} {path}" for kind, path in diff(case["original_schema"], case["update_schema"]))
    expected = Counter(
        " ".join([RENAMED.get(change.split(" ", 1)[0], change.split(" ", 1)[0])] + change.split(" ", 1)[1:])
        for change in case["changes"]
    )
    assert found == expected, case["description"]


# --- beyond the upstream data: wording, direction, policy, references, recursion ---------


def _check(new: object, old: object, **kw: str) -> list:
    return check_json(_parse(new), _parse(old), reader_label="new", writer_label="old", **kw)


def test_message_is_rendered_like_confluent() -> None:
    old = {"properties": {"a": {"type": "integer"}}}
    new = {"properties": {"a": {"type": "string"}}}
    [problem] = _check(new, old)
    assert problem.error_type == "TYPE_CHANGED"
    assert problem.path == "#/properties/a"
    assert problem.message == (
        '{errorType:"TYPE_CHANGED", description:"A type at path \'#/properties/a\' '
        "is different between the new schema and the old schema'}"
    )


def test_labels_follow_the_direction() -> None:
    old, new = _parse({"type": "integer"}), _parse({"type": "number"})
    assert check_json(new, old, reader_label="new", writer_label="old") == []
    [problem] = check_json(old, new, reader_label="old", writer_label="new")
    assert problem.error_type == "TYPE_NARROWED"
    assert "between the old schema and the new schema" in problem.message


def test_keyword_added_wording() -> None:
    [problem] = _check({"type": "string", "maxLength": 3}, {"type": "string"})
    assert problem.message == (
        '{errorType:"MAX_LENGTH_ADDED", description:"The keyword at path \'#/maxLength\' in the new '
        "schema is not present in the old schema'}"
    )


def test_policy_decides_open_content_model_additions() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    [problem] = _check(new, old)
    assert problem.error_type == "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    assert _check(new, old, policy="LENIENT") == []
    required = dict(new, required=["b"])
    assert [p.error_type for p in _check(required, old, policy="LENIENT")] == [
        "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]


def test_changes_inside_a_dependency_are_found() -> None:
    text = json.dumps({"type": "object", "properties": {"x": {"$ref": "dep.json"}}})
    old = JSON_SCHEMA.parse(text, {"dep.json": '{"type": "string"}'})
    new = JSON_SCHEMA.parse(text, {"dep.json": '{"type": "integer"}'})
    assert [(p.error_type, p.path) for p in check_json(new, old, reader_label="new", writer_label="old")] == [
        ("TYPE_CHANGED", "#/properties/x")]


RECURSIVE = {
    "$ref": "#/definitions/node",
    "definitions": {"node": {"type": "object", "properties": {
        "value": {"type": "integer"},
        "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
    }}},
}


def test_recursive_schemas_terminate_and_compare() -> None:
    assert diff(RECURSIVE, json.loads(json.dumps(RECURSIVE))) == []
    widened = json.loads(json.dumps(RECURSIVE))
    widened["definitions"]["node"]["properties"]["value"] = {"type": "number"}
    assert _check(widened, RECURSIVE) == []
    problems = _check(RECURSIVE, widened)
    assert {p.error_type for p in problems} == {"TYPE_NARROWED"}
    assert "#/properties/value" in {p.path for p in problems}


def test_connect_bytes_types_are_interchangeable() -> None:
    old = {"type": "string", "connect.type": "bytes"}
    new = {"type": "number", "connect.type": "bytes"}
    assert _check(new, old) == []
    assert _check({"type": "number"}, {"type": "string"})


def test_ref_siblings_are_ignored_before_2019_but_kept_after() -> None:
    d7_old = {"$ref": "#/definitions/s", "definitions": {"s": {"type": "string"}}}
    d7_new = dict(d7_old, maxLength=3)
    assert diff(d7_old, d7_new) == []
    draft = "https://json-schema.org/draft/2020-12/schema"
    old = {"$schema": draft, "$ref": "#/$defs/s", "$defs": {"s": {"type": "string"}}}
    new = dict(old, maxLength=3)
    assert _check(new, old)
    assert _check(old, new) == []


def test_wide_unions_stay_fast() -> None:
    import time

    branches = [{"type": "object", "properties": {f"f{i}": {"type": "string"}}, "required": [f"f{i}"]}
                for i in range(40)]
    old = {"oneOf": branches}
    new = {"oneOf": list(reversed(branches)) + [{"type": "null"}]}
    start = time.monotonic()
    assert _check(new, old) == []
    assert [p.error_type for p in _check(old, new)] == ["SUM_TYPE_NARROWED"]
    assert time.monotonic() - start < 5


def test_fractional_multiple_of() -> None:
    assert diff({"type": "number", "multipleOf": 0.5}, {"type": "number", "multipleOf": 10}) == [
        ("MULTIPLE_OF_EXPANDED", "#/multipleOf")]
    assert diff({"type": "number", "multipleOf": 0.5}, {"type": "number", "multipleOf": 0.50}) == []
    assert diff({"type": "number", "multipleOf": 0.3}, {"type": "number", "multipleOf": 0.1}) == [
        ("MULTIPLE_OF_REDUCED", "#/multipleOf")]


def test_empty_schema_to_object_schema_is_a_type_change() -> None:
    assert diff({}, {"properties": {}}) == [("TYPE_CHANGED", "#/")]


def _linked(id_type: str, target: str) -> dict:
    return {"type": "object", "additionalProperties": True, "properties": {
        "id": {"type": id_type}, "ref": {"oneOf": [{"$ref": f"#/definitions/{target}"}]}}}


def _cycle_behind_union(t0: str, t1: str) -> dict:
    # T0 -> T2 -> T0 is a cycle; the root union compares T0 and T1 against it.
    return {"type": "object", "definitions": {
        "T0": _linked(t0, "T2"), "T1": _linked(t1, "T2"), "T2": _linked("integer", "T0")},
        "properties": {"root": {"oneOf": [{"$ref": "#/definitions/T0"}, {"$ref": "#/definitions/T1"}]}}}


def test_memoised_cycles_do_not_mask_an_incompatibility() -> None:
    assert _check(_cycle_behind_union("boolean", "number"), _cycle_behind_union("integer", "boolean"))
    assert _check(_cycle_behind_union("integer", "boolean"), _cycle_behind_union("integer", "boolean")) == []


KINDS = ("Asset", "Basket", "Swap", "Bond", "Option", "Future", "Forward", "Loan", "Repo",
         "Equity", "Index", "CommodityLeg")


def _trade(asset_id: str = "string") -> dict:
    def union() -> dict:
        return {"oneOf": [{"$ref": f"#/definitions/{k}"} for k in KINDS]}

    definitions = {k: {"type": "object", "properties": {
        "id": {"type": "string"}, "underlying": union(), "referenceProduct": union()}} for k in KINDS}
    definitions["Asset"]["properties"]["id"] = {"type": asset_id}
    return {"type": "object", "definitions": definitions,
            "properties": {"tradeId": {"type": "string"}, "product": union()}}


def test_mutually_recursive_unions_terminate_and_detect_changes() -> None:
    assert diff(_trade(), _trade()) == []
    assert _check(_trade("number"), _trade())


def test_long_reference_chains_are_compared() -> None:
    def chain(leaf: str) -> dict:
        defs = {f"d{i}": {"type": "object", "properties": {"x": {"$ref": f"#/definitions/d{i + 1}"}}}
                for i in range(1500)}
        defs["d1500"] = {"type": "string" if leaf == "s" else "number"}
        return {"$ref": "#/definitions/d0", "definitions": defs}

    [problem] = _check(chain("n"), chain("s"))
    assert problem.error_type == "TYPE_CHANGED"
    assert problem.path == "#" + "/properties/x" * 1500

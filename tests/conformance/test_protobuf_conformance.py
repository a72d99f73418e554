"""Confluent's own Protobuf compatibility examples, both snapshots.

`compatible` is the BACKWARD answer with original_schema as the registered (old)
schema; every case must match. `changes` lists Confluent's difference types and
paths; we compare them as multisets. The v7.9.9 snapshot predates DGS-24604 (the
per-tag oneof rework backported to 7.9.x), so a few of its change lists differ
from ours while the verdict is the same; those are marked xfail with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from registry.compat.protobuf import check_protobuf, diff, is_compatible
from serde.schemas.protobuf import PROTOBUF

DATA = Path(__file__).resolve().parents[3] / "shared" / "conformance"
SNAPSHOTS = ("confluent-v7.9.9", "confluent-master")
FILE = "protobuf-provider__diff-schema-examples.json"

# v7.9.9 reports these with its pre-DGS-24604 oneof rules; 7.9.x and master (which we
# follow) report them per tag. Same verdict either way.
OLD_ONEOF_REPORTING = {
    ("confluent-v7.9.9", "Detect compatible field to oneof change"):
        "7.9.9 omits ONEOF_FIELD_ADDED for a brand-new member of a new oneof",
    ("confluent-v7.9.9", "Detect incompatible field to oneof change"):
        "7.9.9 omits ONEOF_FIELD_ADDED for a brand-new member of a new oneof",
    ("confluent-v7.9.9", "Detect incompatible move field to oneof"):
        "7.9.9 also reports ONEOF_FIELD_ADDED for a field moved into an existing oneof",
}


def _cases() -> list:
    params = []
    for snap in SNAPSHOTS:
        cases = json.loads((DATA / snap / FILE).read_text())
        for i, case in enumerate(cases):
            params.append(pytest.param(snap, case, id=f"{snap}-{i}-{case['description'][:50]}"))
    return params


def _parse(case: dict, side: str):
    deps = {d["name"]: d["dependency"] for d in case.get(f"{side}_dependencies", [])}
    return PROTOBUF.parse(case[f"{side}_schema"], deps)


@pytest.mark.parametrize("snapshot,case", _cases())
def test_verdict(snapshot: str, case: dict) -> None:
    original, update = _parse(case, "original"), _parse(case, "update")
    problems = check_protobuf(update, original, reader_label="new", writer_label="old")
    assert (not problems) == case["compatible"], [p.message for p in problems]
    assert is_compatible(diff(original, update)) == case["compatible"]


@pytest.mark.parametrize("snapshot,case", _cases())
def test_changes(snapshot: str, case: dict, request: pytest.FixtureRequest) -> None:
    reason = OLD_ONEOF_REPORTING.get((snapshot, case["description"]))
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    original, update = _parse(case, "original"), _parse(case, "update")
    got = Counter(f"{kind} {path}" for kind, path in diff(original, update))
    assert got == Counter(case["changes"])


def test_snapshot_sizes() -> None:
    """Guard against silently loading fewer cases than the snapshots hold."""
    counts = {s: len(json.loads((DATA / s / FILE).read_text())) for s in SNAPSHOTS}
    assert counts == {"confluent-v7.9.9": 43, "confluent-master": 54}


def test_incompatibility_message_wording() -> None:
    old = PROTOBUF.parse('syntax = "proto3";\nmessage T {\n  int32 a = 1;\n}\n', {})
    new = PROTOBUF.parse('syntax = "proto3";\nmessage T {\n  string a = 1;\n}\n', {})
    [problem] = check_protobuf(new, old, reader_label="new", writer_label="old")
    assert problem.error_type == "FIELD_SCALAR_KIND_CHANGED"
    assert problem.path == "#/T/1"
    assert problem.message == (
        '{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at '
        "path '#/T/1' in the new schema does not match its kind in the old schema\"}"
    )


# -- beyond the snapshots: the same rules on inputs the snapshots do not cover -----------

RECURSIVE_DEP = (
    'syntax = "proto3";\npackage dep;\nmessage Node {\n  string name = 1;\n'
    "  repeated Node children = 2;\n}\n"
)


def test_text_and_descriptor_forms_of_one_schema_have_no_differences() -> None:
    text = PROTOBUF.parse(
        'syntax = "proto3";\npackage p;\nmessage A {\n  map<string, B> m = 1;\n  oneof o {\n'
        "    string s = 2;\n    B b = 3;\n  }\n  optional int32 x = 4;\n}\nmessage B {}\n", {})
    descriptor = PROTOBUF.parse(text.formatted("serialized"), {})
    assert diff(text, descriptor) == []
    assert diff(descriptor, text) == []


def test_recursive_imported_message_is_compared_once() -> None:
    root = 'syntax = "proto3";\nimport "dep.proto";\nmessage R {\n  dep.Node n = 1;\n}\n'
    old = PROTOBUF.parse(root, {"dep.proto": RECURSIVE_DEP})
    new = PROTOBUF.parse(root, {"dep.proto": RECURSIVE_DEP.replace("string name", "int64 name")})
    assert sorted(diff(old, new)) == [
        ("FIELD_NAMED_TYPE_CHANGED", "#/R/1"),
        ("FIELD_SCALAR_KIND_CHANGED", "#/Node/1"),
    ]


def test_unchanged_import_is_not_reported() -> None:
    root = 'syntax = "proto3";\nimport "dep.proto";\nmessage R {\n  dep.Node n = 1;\n}\n'
    old = PROTOBUF.parse(root, {"dep.proto": RECURSIVE_DEP})
    new = PROTOBUF.parse(root.replace("}\n", "  int32 extra = 2;\n}\n"),
                         {"dep.proto": RECURSIVE_DEP})
    assert diff(old, new) == [("FIELD_ADDED", "#/R/2")]


def test_map_value_and_enum_rules() -> None:
    old = PROTOBUF.parse(
        'syntax = "proto3";\nmessage M {\n  map<string, int32> m = 1;\n  E e = 2;\n}\n'
        "enum E { A = 0; B = 1; }\n", {})
    new = PROTOBUF.parse(
        'syntax = "proto3";\nmessage M {\n  map<string, string> m = 1;\n  int64 e = 2;\n}\n'
        "enum E { A = 0; C = 1; D = 2; }\n", {})
    assert sorted(diff(old, new)) == [
        ("ENUM_CONST_ADDED", "#/E/2"),
        ("ENUM_CONST_CHANGED", "#/E/1"),
        ("FIELD_SCALAR_KIND_CHANGED", "#/M/1"),
    ]
    problems = check_protobuf(new, old, reader_label="new", writer_label="old")
    assert [p.error_type for p in problems] == ["FIELD_SCALAR_KIND_CHANGED"]


def test_forward_direction_swaps_roles_and_labels() -> None:
    old = PROTOBUF.parse('syntax = "proto3";\nmessage M {}\nmessage Gone {}\n', {})
    new = PROTOBUF.parse('syntax = "proto3";\nmessage M {}\n', {})
    backward = check_protobuf(new, old, reader_label="new", writer_label="old")
    assert [p.error_type for p in backward] == ["MESSAGE_REMOVED"]
    assert "The new schema is missing a MESSAGE type at path '#/Gone' in the old schema" \
        in backward[0].message
    forward = check_protobuf(old, new, reader_label="old", writer_label="new")
    assert forward == []


def test_other_schema_types_are_incompatible_like_confluent() -> None:
    proto = PROTOBUF.parse('syntax = "proto3";\nmessage M {}\n', {})
    [problem] = check_protobuf(proto, object(), reader_label="new", writer_label="old")
    assert problem.message == "Incompatible because of different schema type"

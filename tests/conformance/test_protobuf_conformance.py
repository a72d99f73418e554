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

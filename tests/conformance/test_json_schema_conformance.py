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

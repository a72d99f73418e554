"""The CI's level composition gives the registry's verdicts and messages (registry/compat/levels.py)."""

from __future__ import annotations

import json

import pytest

from registry.compat.levels import LEVELS, Previous, check
from registry.types import default_types
from schemawire.ci.compare import OldVersion, check_level

AVRO = default_types()["AVRO"]


def rec(*fields: dict) -> str:
    return json.dumps({"type": "record", "name": "R", "namespace": "ns", "fields": list(fields)})


VERSIONS = [
    rec({"name": "id", "type": "int"}),
    rec({"name": "id", "type": "long"}),
    rec({"name": "id", "type": "long"}, {"name": "n", "type": "string", "default": ""}),
    rec({"name": "id", "type": "long"}, {"name": "n", "type": "string"}),
    rec({"name": "id", "type": "string"}),
    rec({"name": "n", "type": ["null", "string"], "default": None}),
]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("new_index", range(len(VERSIONS)))
def test_same_verdict_and_messages_as_the_registry(level, new_index):
    new_text = VERSIONS[new_index]
    new = AVRO.schema_type.parse(new_text, {}, validate=False)
    history = [t for i, t in enumerate(VERSIONS) if i != new_index]
    parsed = [AVRO.schema_type.parse(t, {}, validate=False) for t in history]
    registry = check(level, new, AVRO.check, [Previous(i + 1, p, AVRO.check) for i, p in enumerate(parsed)],
                     append_schema=False)
    ours = check_level(level, new, (new_text, ()),
                       [OldVersion(f"v{i + 1}", p, (t, ())) for i, (p, t) in enumerate(zip(parsed, history))])
    assert bool(ours) == bool(registry)
    if registry:
        assert [r.incompatibility.message for r in ours] == registry[:-1]   # minus the level trailer

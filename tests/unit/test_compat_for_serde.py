"""serde's in-memory registry with the registry's real compatibility rules."""

from __future__ import annotations

import json

import pytest

from registry.compat.for_serde import serde_checker
from serde.client import Schema
from serde.errors import IncompatibleSchema
from serde.memory import InMemorySchemaRegistry


def record(*fields):
    return Schema(json.dumps({"type": "record", "name": "R", "fields": list(fields)}))


def test_in_memory_registry_refuses_what_the_registry_refuses():
    reg = InMemorySchemaRegistry(compatibility_checker=serde_checker())
    reg.register_schema("t-value", record({"name": "a", "type": "string"}))
    ok = record({"name": "a", "type": "string"}, {"name": "b", "type": "int", "default": 0})
    assert reg.register_schema("t-value", ok) == 2
    with pytest.raises(IncompatibleSchema) as err:
        reg.register_schema("t-value", record({"name": "a", "type": "string"}, {"name": "c", "type": "int"}))
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in str(err.value)


def test_transitive_levels_see_every_previous_schema():
    check = serde_checker()
    v1 = record({"name": "a", "type": "string"})
    v2 = record({"name": "a", "type": "string"}, {"name": "b", "type": "int", "default": 0})
    v3 = record({"name": "a", "type": "string"}, {"name": "b", "type": "int"})
    assert check(v3, [v2], "BACKWARD") == []
    messages = check(v3, [v2, v1], "BACKWARD_TRANSITIVE")
    assert messages and "{oldSchemaVersion: 1}" in messages

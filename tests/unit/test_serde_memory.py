"""The in-memory registry dedupes ids and versions like a real registry."""

from __future__ import annotations

import asyncio

import pytest

from serde.client import Schema
from serde.errors import (
    IncompatibleSchema,
    SchemaNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    VersionNotFound,
)
from serde.memory import AsyncInMemorySchemaRegistry, InMemorySchemaRegistry

A = '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}'
A_COMPACT = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'
B = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}'


def test_identical_schemas_share_one_global_id_across_subjects():
    r = InMemorySchemaRegistry()
    assert r.register_schema("a-value", Schema(A)) == 1
    assert r.register_schema("b-value", Schema(A_COMPACT)) == 1
    assert r.register_schema("a-value", Schema(A)) == 1  # same subject, same schema: no new version
    assert r.get_versions("a-value") == [1]
    assert r.register_schema("a-value", Schema(B)) == 2
    assert r.get_versions("a-value") == [1, 2]
    assert r.get_latest_version("a-value").schema_id == 2
    assert r.get_schema_versions(1) == [{"subject": "a-value", "version": 1}, {"subject": "b-value", "version": 1}]
    assert r.get_schema_by_guid(r.get_version("a-value", 1).guid) == Schema(A)


def test_lookup_and_not_found_errors():
    r = InMemorySchemaRegistry()
    r.register_schema("s", Schema(A))
    assert r.lookup_schema("s", Schema(A_COMPACT)).version == 1
    with pytest.raises(SchemaNotFound):
        r.lookup_schema("s", Schema(B))
    with pytest.raises(SubjectNotFound):
        r.lookup_schema("t", Schema(A))
    with pytest.raises(VersionNotFound):
        r.get_version("s", 5)
    with pytest.raises(SchemaNotFound) as info:
        r.get_schema(99)
    assert info.value.error_code == 40403


def test_compatibility_checker_is_consulted():
    calls = []

    def checker(new, previous, level):
        calls.append((new.schema_str, [p.schema_str for p in previous], level))
        return ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"] if "y" in new.schema_str else []

    r = InMemorySchemaRegistry(compatibility_checker=checker)
    r.register_schema("s", Schema(A))
    result = r.test_compatibility("s", Schema(B))
    assert not result and result.messages == ("READER_FIELD_MISSING_DEFAULT_VALUE /fields/1",)
    with pytest.raises(IncompatibleSchema) as info:
        r.register_schema("s", Schema(B))
    assert info.value.reasons == ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]
    assert calls[-1] == (B, [A], "BACKWARD")
    r.set_compatibility("s", "NONE")
    assert r.register_schema("s", Schema(B)) == 2


def test_soft_then_hard_delete():
    r = InMemorySchemaRegistry()
    r.register_schema("s", Schema(A))
    with pytest.raises(SubjectNotSoftDeleted):
        r.delete_subject("s", permanent=True)
    assert r.delete_subject("s") == [1]
    assert r.get_subjects() == [] and r.get_subjects(deleted=True) == ["s"]
    assert r.delete_subject("s", permanent=True) == [1]
    assert r.get_schema(1) == Schema(A)  # ids are never reused
    assert r.register_schema("s", Schema(B)) == 2


def test_async_wrapper():
    r = AsyncInMemorySchemaRegistry()

    async def main():
        sid = await r.register_schema("s", Schema(A))
        return sid, await r.get_schema(sid)

    assert asyncio.run(main()) == (1, Schema(A))

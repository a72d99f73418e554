"""Metadata semantics over HTTP: confluent:version, inheritance, config defaults and
overrides, semantic lookup (canLookup) and reserved fields (spec sections 3.4, 5.2, 5.3, 5.6).

Behaviour follows Confluent's AbstractSchemaRegistry/KafkaSchemaRegistry (7.9.10 and master
agree on all of it).
"""

from __future__ import annotations

from tests.integration.registry_helpers import assert_error, canon, check, ok, reg_id, register

S1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
S2 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"},
                                                 {"name": "b", "type": "string", "default": ""}]}
ADDRESS = {"type": "record", "name": "Address", "namespace": "acme", "fields": [{"name": "street", "type": "string"}]}
PERSON = {"type": "record", "name": "Person", "namespace": "acme", "fields": [{"name": "home", "type": "Address"}]}
PERSON_INLINED = {**PERSON, "fields": [{"name": "home", "type": ADDRESS}]}
CV = "confluent:version"


def props(sr, subject, version):
    return ok(sr.get(f"/subjects/{subject}/versions/{version}")).get("metadata", {}).get("properties")


def test_confluent_version_is_a_lookup_wildcard_on_either_side(sr):
    i = reg_id(sr, "s", S1, version=1)
    assert props(sr, "s", 1) == {CV: "1"}
    # no confluent:version sent: matches the stored one by the semantic lookup, no new version
    assert reg_id(sr, "s", S1) == i
    assert ok(sr.post("/subjects/s", json={"schema": canon(S1)}))["version"] == 1
    # the right version sent: the identity hash itself matches
    assert ok(sr.post("/subjects/s", json={"schema": canon(S1), "metadata": {"properties": {CV: "1"}}}))["id"] == i
    # a wrong one does not
    assert_error(sr.post("/subjects/s", json={"schema": canon(S1), "metadata": {"properties": {CV: "7"}}}),
                 404, 40403, "Schema not found")


def test_sent_confluent_version_must_name_the_stored_version(sr):
    i = reg_id(sr, "s", S1)  # stored without confluent:version
    found = ok(sr.post("/subjects/s", json={"schema": canon(S1), "metadata": {"properties": {CV: "1"}}}))
    assert (found["id"], found["version"]) == (i, 1)
    assert_error(sr.post("/subjects/s", json={"schema": canon(S1), "metadata": {"properties": {CV: "2"}}}),
                 404, 40403)


def test_wrong_explicit_version_is_42201_even_for_the_same_schema(sr):
    reg_id(sr, "s", S1, version=1)
    # version 1 again: confluent:version becomes 2 (the next version), which is not the one asked for
    assert_error(register(sr, "s", S1, version=1), 422, 42201, "Version is not one more than previous version")
    assert ok(sr.get("/subjects/s/versions")) == [1]


def test_metadata_is_inherited_and_confluent_version_follows(sr):
    reg_id(sr, "s", S1, metadata={"properties": {"owner": "a", CV: "1"}})
    reg_id(sr, "s", S2)
    assert props(sr, "s", 2) == {"owner": "a", CV: "2"}


def test_defaults_and_overrides_skip_the_early_lookup_but_stay_idempotent(sr):
    i = reg_id(sr, "s", S1)
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert reg_id(sr, "s", S1) == i  # the early lookup: before the mode check
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    ok(sr.put("/config/s", json={"overrideMetadata": {"properties": {"tier": "gold"}}}))
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    # with an override in the config the early lookup is skipped, so the mode check answers
    r = register(sr, "s", S1)
    assert_error(r, 422, 42205)
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    j = reg_id(sr, "s", S1)
    assert j != i and props(sr, "s", 2) == {"tier": "gold"}
    assert reg_id(sr, "s", S1) == j
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]


def test_lookup_applies_inherited_metadata_and_config(sr):
    ok(sr.put("/config/s", json={"defaultMetadata": {"properties": {"team": "x"}}}))
    i = reg_id(sr, "s", S1)
    assert props(sr, "s", 1) == {"team": "x"}
    # the lookup misses by the request's own (absent) metadata, then finds it with the config's
    assert ok(sr.post("/subjects/s", json={"schema": canon(S1)}))["id"] == i


def test_config_metadata_must_have_metadata_shape(sr):
    r = sr.put("/config/s", json={"defaultMetadata": {"properties": {"a": 1}}})
    assert r.status_code == 400
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "BACKWARD"}


def test_inlined_references_find_the_version_on_register_and_lookup(sr):
    reg_id(sr, "address", ADDRESS)
    p = reg_id(sr, "person", PERSON, references=[{"name": "acme.Address", "subject": "address", "version": 1}])
    assert reg_id(sr, "person", PERSON_INLINED) == p
    assert ok(sr.get("/subjects/person/versions")) == [1]
    assert ok(sr.post("/subjects/person", json={"schema": canon(PERSON_INLINED)}))["id"] == p


def test_latest_reference_is_pinned_before_the_lookup(sr):
    reg_id(sr, "address", ADDRESS)
    refs = [{"name": "acme.Address", "subject": "address", "version": 1}]
    p = reg_id(sr, "person", PERSON, references=refs)
    latest = [{"name": "acme.Address", "subject": "address", "version": -1}]
    assert reg_id(sr, "person", PERSON, references=latest) == p


def test_json_schema_inlined_is_a_different_schema(sr):
    # only Avro compares resolved schemas; JSON Schema and Protobuf compare canonical text
    ok(sr.put("/config/j", json={"compatibility": "NONE"}))
    reg_id(sr, "addr", '{"type":"object"}', schemaType="JSON")
    with_ref = '{"type":"object","properties":{"a":{"$ref":"addr.json"}}}'
    i = reg_id(sr, "j", with_ref, schemaType="JSON", references=[{"name": "addr.json", "subject": "addr", "version": 1}])
    j = reg_id(sr, "j", '{"type":"object","properties":{"a":{"type":"object"}}}', schemaType="JSON")
    assert i != j


def test_reserved_fields_with_level_none_and_no_previous_version(sr):
    ok(sr.put("/config/s", json={"validateFields": True, "compatibility": "NONE"}))
    r = register(sr, "s", S1, metadata={"properties": {"confluent:reserved": " a , zz"}})
    assert_error(r, 409, 409)
    assert r.json()["message"].endswith(
        "details: [The new schema has field that conflicts with the reserved field a., "
        "{validateFields: 'true', compatibility: 'NONE'}]")
    assert ok(check(sr, "s", S1, verbose="true", metadata={"properties": {"confluent:reserved": "a"}})) == {
        "is_compatible": False,
        "messages": ["The new schema has field that conflicts with the reserved field a.",
                     "{validateFields: 'true', compatibility: 'NONE'}"]}
    reg_id(sr, "s", S1, metadata={"properties": {"confluent:reserved": "zz"}})


def test_reserved_fields_in_json_schema_and_protobuf(sr):
    ok(sr.put("/config", json={"validateFields": True}))
    reserved = {"properties": {"confluent:reserved": "id"}}
    r = register(sr, "j", '{"type":"object","properties":{"id":{"type":"string"}}}', schemaType="JSON",
                 metadata=reserved)
    assert "conflicts with the reserved field id." in r.json()["message"]
    r = register(sr, "p", 'syntax = "proto3"; message M { string id = 1; }', schemaType="PROTOBUF",
                 metadata=reserved)
    assert "conflicts with the reserved field id." in r.json()["message"]
    reg_id(sr, "p", 'syntax = "proto3"; message M { string other = 1; }', schemaType="PROTOBUF", metadata=reserved)


def test_validate_fields_trailer_on_an_incompatible_change(sr):
    ok(sr.put("/config/s", json={"validateFields": True}))
    reg_id(sr, "s", S1)
    msgs = ok(check(sr, "s", {**S1, "fields": [{"name": "z", "type": "int"}]}, verbose="true"))["messages"]
    assert msgs[-1] == "{validateFields: 'true', compatibility: 'BACKWARD'}"
    assert sum(m.startswith("{validateFields") for m in msgs) == 1


def test_empty_metadata_is_kept_and_returned(sr):
    i = reg_id(sr, "s", S1, metadata={})
    assert ok(sr.get("/subjects/s/versions/1"))["metadata"] == {}
    assert reg_id(sr, "t", S1) != i  # no metadata at all hashes differently from {}

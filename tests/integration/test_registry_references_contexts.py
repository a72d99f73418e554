"""Avro schema references and contexts over HTTP, checked against the Confluent spec
(`shared/spec/registry-api.md` §3.7, §3.8-3.9, §3.29, §3.32, §5.1, §5.4, §5.7, §5.8)."""

from __future__ import annotations

import pytest

from tests.integration.registry_helpers import assert_error, body, canon, ok, referenced, reg_id, register


ADDRESS = {"type": "record", "name": "Address", "namespace": "com.geo",
           "fields": [{"name": "street", "type": "string"}]}
ADDRESS2 = {"type": "record", "name": "Address", "namespace": "com.geo",
            "fields": [{"name": "street", "type": "string"}, {"name": "zip", "type": "string", "default": ""}]}
PERSON = {"type": "record", "name": "Person", "namespace": "com.acme",
          "fields": [{"name": "home", "type": "com.geo.Address"}]}
PERSON_RESOLVED = {"type": "record", "name": "Person", "namespace": "com.acme",
                   "fields": [{"name": "home", "type": ADDRESS}]}


def ref(subject="address", version=1, name="com.geo.Address"):
    return {"name": name, "subject": subject, "version": version}


# ---------------------------------------------------------------- references

def test_register_with_reference_and_read_back(sr):
    a = reg_id(sr, "address", ADDRESS)
    p = reg_id(sr, "person", PERSON, references=[ref()])
    assert p != a
    assert ok(sr.get("/subjects/person/versions/1")) == {
        "subject": "person", "version": 1, "id": p, "references": [ref()], "schema": canon(PERSON)}
    assert ok(sr.get(f"/schemas/ids/{p}")) == {"schema": canon(PERSON), "references": [ref()]}
    assert sr.get("/subjects/person/versions/1/schema").text == canon(PERSON)
    # lookup with the same references finds it
    r = sr.post("/subjects/person", json=body(PERSON, references=[ref()]))
    assert ok(r)["id"] == p
    # re-register is idempotent
    assert reg_id(sr, "person", PERSON, references=[ref()]) == p
    assert ok(sr.get("/subjects/person/versions")) == [1]


def test_same_namespace_reference_canonical_text(sr):
    # Java toString() writes a known named type relative to the enclosing namespace
    addr = {"type": "record", "name": "Address", "namespace": "com.acme",
            "fields": [{"name": "street", "type": "string"}]}
    person = {"type": "record", "name": "Person", "namespace": "com.acme",
              "fields": [{"name": "home", "type": "com.acme.Address"}]}
    reg_id(sr, "address", addr)
    reg_id(sr, "person", person, references=[ref(name="com.acme.Address")])
    assert ok(sr.get("/subjects/person/versions/1"))["schema"] == (
        '{"type":"record","name":"Person","namespace":"com.acme",'
        '"fields":[{"name":"home","type":"Address"}]}')


def test_reference_version_minus_one_is_pinned(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "address", ADDRESS2)
    p = reg_id(sr, "person", PERSON, references=[ref(version=-1)])
    assert ok(sr.get("/subjects/person/versions/1"))["references"] == [ref(version=2)]
    assert ok(sr.get(f"/schemas/ids/{p}"))["references"] == [ref(version=2)]
    # address v3 does not move the pin
    reg_id(sr, "address", {**ADDRESS2, "doc": "v3"})
    assert ok(sr.get("/subjects/person/versions/1"))["references"] == [ref(version=2)]
    assert ok(sr.get("/subjects/address/versions/2/referencedby")) == [p]
    assert ok(sr.get("/subjects/address/versions/3/referencedby")) == []


def test_same_text_different_reference_is_new_id(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "address", ADDRESS2)
    p1 = reg_id(sr, "p1", PERSON, references=[ref(version=1)])
    p2 = reg_id(sr, "p2", PERSON, references=[ref(version=2)])
    assert p1 != p2
    assert reg_id(sr, "p3", PERSON, references=[ref(version=1)]) == p1


@pytest.mark.parametrize("bad_ref", [
    ref(version=9),
    ref(subject="nope"),
    {"name": "com.geo.Address", "subject": "address"},
    {"subject": "address", "version": 1},
    {"name": "com.geo.Address", "version": 1},
])
def test_missing_reference_target_is_42201(sr, bad_ref):
    reg_id(sr, "address", ADDRESS)
    r = register(sr, "person", PERSON, references=[bad_ref])
    assert_error(r, 422, 42201)
    assert ok(sr.get("/subjects")) == ["address"]


def test_missing_reference_message_names_subject_and_version(sr):
    reg_id(sr, "address", ADDRESS)
    r = register(sr, "person", PERSON, references=[ref(version=9)])
    assert_error(r, 422, 42201)
    assert 'No schema reference found for subject "address" and version 9' in r.json()["message"]


def test_named_type_without_reference_is_42201(sr):
    reg_id(sr, "address", ADDRESS)
    assert_error(register(sr, "person", PERSON), 422, 42201)


def test_soft_deleted_reference_target_not_allowed_on_register(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "address", ADDRESS2)
    ok(sr.delete("/subjects/address/versions/1"))
    assert_error(register(sr, "person", PERSON, references=[ref(version=1)]), 422, 42201)
    reg_id(sr, "person", PERSON, references=[ref(version=2)])


def test_recursive_references(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "person", PERSON, references=[ref()])
    team = {"type": "record", "name": "Team", "namespace": "com.acme",
            "fields": [{"name": "lead", "type": "com.acme.Person"}]}
    t = reg_id(sr, "team", team, references=[ref("person", 1, "com.acme.Person")])
    assert ok(sr.get(f"/schemas/ids/{t}"))["references"] == [ref("person", 1, "com.acme.Person")]
    resolved = ok(sr.get("/subjects/team/versions/1", params={"format": "resolved"}))["schema"]
    assert resolved == canon({"type": "record", "name": "Team", "namespace": "com.acme",
                              "fields": [{"name": "lead", "type": {
                                  "type": "record", "name": "Person",
                                  "fields": [{"name": "home", "type": ADDRESS}]}}]})


def test_format_resolved_inlines_references(sr):
    reg_id(sr, "address", ADDRESS)
    p = reg_id(sr, "person", PERSON, references=[ref()])
    out = ok(sr.get("/subjects/person/versions/1", params={"format": "resolved"}))
    assert out["schema"] == canon(PERSON_RESOLVED)
    assert sr.get("/subjects/person/versions/1/schema", params={"format": "resolved"}).text == canon(PERSON_RESOLVED)
    assert ok(sr.get(f"/schemas/ids/{p}", params={"format": "resolved"}))["schema"] == canon(PERSON_RESOLVED)
    # unknown formats are ignored
    assert ok(sr.get("/subjects/person/versions/1", params={"format": "bogus"}))["schema"] == canon(PERSON)


def test_referencedby(sr):
    reg_id(sr, "address", ADDRESS)
    assert ok(sr.get("/subjects/address/versions/1/referencedby")) == []
    p1 = reg_id(sr, "person", PERSON, references=[ref()])
    other = {"type": "record", "name": "Shop", "namespace": "com.acme",
             "fields": [{"name": "at", "type": "com.geo.Address"}]}
    p2 = reg_id(sr, "shop", other, references=[ref()])
    assert ok(sr.get("/subjects/address/versions/1/referencedby")) == sorted([p1, p2])
    assert ok(sr.get("/subjects/address/versions/latest/referencedby")) == sorted([p1, p2])
    # soft-deleted referrers are left out unless deleted=true
    ok(sr.delete("/subjects/shop"))
    assert ok(sr.get("/subjects/address/versions/1/referencedby")) == [p1]
    assert ok(sr.get("/subjects/address/versions/1/referencedby", params={"deleted": "true"})) == sorted([p1, p2])


def test_referencedby_errors(sr):
    assert_error(sr.get("/subjects/nope/versions/1/referencedby"), 404, 40401, "Subject 'nope' not found.")
    reg_id(sr, "address", ADDRESS)
    assert_error(sr.get("/subjects/address/versions/5/referencedby"), 404, 40402, "Version 5 not found.")
    assert_error(sr.get("/subjects/address/versions/0/referencedby"), 422, 42202)


def test_referencedby_resolves_soft_deleted_version(sr):
    # resolves the version with deleted=true
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "address", ADDRESS2)
    ok(sr.delete("/subjects/address/versions/1"))
    assert ok(sr.get("/subjects/address/versions/1/referencedby")) == []


def test_delete_referenced_version_and_subject_is_42206(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "person", PERSON, references=[ref()])
    assert_error(sr.delete("/subjects/address/versions/1"), 422, 42206, referenced("address", 1))
    assert_error(sr.delete("/subjects/address"), 422, 42206, referenced("address", 1))
    assert ok(sr.get("/subjects/address/versions")) == [1]
    # the referrer can go
    assert ok(sr.delete("/subjects/person")) == [1]
    assert ok(sr.delete("/subjects/address")) == [1]
    # permanent delete still sees the soft-deleted referrer
    assert_error(sr.delete("/subjects/address", params={"permanent": "true"}), 422, 42206,
                 referenced("address", 1))
    ok(sr.delete("/subjects/person", params={"permanent": "true"}))
    assert ok(sr.delete("/subjects/address", params={"permanent": "true"})) == [1]


def test_delete_subject_ignores_self_references(sr):
    ok(sr.put("/config/both", json={"compatibility": "NONE"}))
    reg_id(sr, "both", ADDRESS)
    reg_id(sr, "both", PERSON, references=[ref("both", 1)])
    assert_error(sr.delete("/subjects/both/versions/1"), 422, 42206, referenced("both", 1))
    assert ok(sr.delete("/subjects/both")) == [1, 2]


# ---------------------------------------------------------------- contexts

S1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
S2 = {"type": "record", "name": "Q", "fields": [{"name": "b", "type": "string"}]}


def test_context_has_its_own_id_space(sr):
    assert reg_id(sr, "a", S1) == 1
    assert reg_id(sr, "a2", S2) == 2
    # testRegisterDiffContext: the first schema in a context gets id 1 again
    assert reg_id(sr, ":.ctx:b", S2) == 1
    assert reg_id(sr, ":.ctx:c", S1) == 2
    assert ok(sr.get("/schemas/ids/1")) == {"schema": canon(S1)}
    assert ok(sr.get("/schemas/ids/1", params={"subject": ":.ctx:b"})) == {"schema": canon(S2)}
    assert ok(sr.get("/schemas/ids/1", params={"subject": ":.ctx:"})) == {"schema": canon(S2)}
    assert ok(sr.get("/subjects/:.ctx:b/versions/1")) == {
        "subject": ":.ctx:b", "version": 1, "id": 1, "schema": canon(S2)}
    assert ok(sr.get("/schemas/ids/2", params={"subject": ":.ctx:", "fetchMaxId": "true"}))["maxId"] == 2


def test_ids_in_context_subjects(sr):
    reg_id(sr, ":.ctx:b", S1)
    reg_id(sr, ":.ctx:c", S1)
    assert ok(sr.get("/schemas/ids/1/subjects", params={"subject": ":.ctx:"})) == [":.ctx:b", ":.ctx:c"]


def test_contexts_listing(sr):
    assert ok(sr.get("/contexts")) == ["."]
    reg_id(sr, ":.one:x", S1)
    reg_id(sr, ":.two:y", S1)
    reg_id(sr, "plain", S1)
    contexts = ok(sr.get("/contexts"))
    assert contexts[0] == "."
    assert sorted(contexts[1:]) == [".one", ".two"]


def test_subject_prefix_per_context(sr):
    reg_id(sr, "a", S1)
    reg_id(sr, ":.ctx:b", S1)
    reg_id(sr, ":.ctx:c", S1)
    reg_id(sr, ":.other:d", S1)
    assert ok(sr.get("/subjects", params={"subjectPrefix": ":.ctx:"})) == [":.ctx:b", ":.ctx:c"]
    assert ok(sr.get("/subjects")) == [":.ctx:b", ":.ctx:c", ":.other:d", "a"]
    assert ok(sr.get("/subjects", params={"subjectPrefix": ":.ctx:b"})) == [":.ctx:b"]


@pytest.mark.parametrize("ctx", [".ctx", "ctx", ":.ctx:"])
def test_context_url_forms(sr, ctx):
    base = f"/contexts/{ctx}"
    r = sr.post(f"{base}/subjects/b/versions", json=body(S2))
    assert ok(r) == {"id": 1}
    assert ok(sr.get("/subjects")) == [":.ctx:b"]
    assert ok(sr.get(f"{base}/subjects")) == [":.ctx:b"]
    assert ok(sr.get(f"{base}/subjects/b/versions")) == [1]
    assert ok(sr.get(f"{base}/subjects/b/versions/1")) == {
        "subject": ":.ctx:b", "version": 1, "id": 1, "schema": canon(S2)}
    assert ok(sr.get(f"{base}/schemas/ids/1")) == {"schema": canon(S2)}
    assert ok(sr.get(f"{base}/config/b", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "BACKWARD"}
    assert ok(sr.put(f"{base}/config/b", json={"compatibility": "FULL"})) == {"compatibility": "FULL"}
    assert ok(sr.get("/config/:.ctx:b")) == {"compatibilityLevel": "FULL"}
    assert ok(sr.put(f"{base}/mode/b", json={"mode": "READONLY"})) == {"mode": "READONLY"}
    assert ok(sr.get("/mode/:.ctx:b")) == {"mode": "READONLY"}
    # the default context is empty
    assert_error(sr.get("/schemas/ids/1"), 404, 40403, "Schema 1 not found")


def test_context_url_default_context(sr):
    reg_id(sr, "a", S1)
    assert ok(sr.get("/contexts/:.:/subjects/a/versions")) == [1]


def test_context_name_with_colon_is_400(sr):
    r = sr.get("/contexts/x:y/subjects")
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == 400
    assert "cannot contain a colon" in r.json()["message"]


def test_context_name_with_colon_exact_message(sr):
    assert_error(sr.get("/contexts/x:y/subjects"), 400, 400, "Context name 'x:y' cannot contain a colon")


def test_same_schema_in_two_contexts_independent(sr):
    assert reg_id(sr, ":.a:s", S1) == 1
    assert reg_id(sr, ":.b:s", S2) == 1
    assert reg_id(sr, ":.b:t", S1) == 2
    assert ok(sr.get("/schemas/ids/1", params={"subject": ":.a:s"})) == {"schema": canon(S1)}
    assert ok(sr.get("/schemas/ids/1", params={"subject": ":.b:s"})) == {"schema": canon(S2)}


def test_unqualified_subject_falls_back_to_contexts(sr):
    # §3.5: an unqualified subject not found in the default context is searched in every context
    reg_id(sr, ":.ctx:only", S1)
    r = sr.get("/subjects/only/versions/1")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == 1


def test_unqualified_lookup_falls_back_to_contexts(sr):
    # §3.10 step 4: for an unqualified subject, try the same subject name in each context
    reg_id(sr, ":.ctx:only", S1)
    r = sr.post("/subjects/only", json=body(S1))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == 1


def test_schema_by_id_with_unqualified_subject_tries_contexts(sr):
    # §3.11: with an unqualified subject that does not contain the id, all contexts are tried
    reg_id(sr, "d", S2)
    ok(sr.put("/config/:.ctx:only", json={"compatibility": "NONE"}))
    reg_id(sr, ":.ctx:only", S1)
    reg_id(sr, ":.ctx:only", S2)
    assert ok(sr.get("/schemas/ids/2", params={"subject": "only"})) == {"schema": canon(S2)}


def test_references_resolve_in_referrers_context(sr):
    # an unqualified reference subject is resolved in the referrer's context
    reg_id(sr, ":.ctx:address", ADDRESS)
    p = reg_id(sr, ":.ctx:person", PERSON, references=[ref("address", 1)])
    assert p == 2
    assert ok(sr.get("/subjects/:.ctx:address/versions/1/referencedby")) == [2]


def test_lookup_with_references_inlined_finds_the_version(sr):
    # §5.3 canLookup fallback (testSchemaNormalization); the spec marks it optional for an MVP
    reg_id(sr, "address", ADDRESS)
    p = reg_id(sr, "person", PERSON, references=[ref()])
    r = sr.post("/subjects/person", json=body(PERSON_RESOLVED))
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["version"]) == (p, 1)


def test_lookup_without_needed_references_is_42201(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "person", PERSON, references=[ref()])
    assert_error(sr.post("/subjects/person", json=body(PERSON)), 422, 42201)


def test_compatibility_check_with_references(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "address", ADDRESS2)
    reg_id(sr, "person", PERSON, references=[ref(version=1)])
    r = sr.post("/compatibility/subjects/person/versions/latest", json=body(PERSON, references=[ref(version=2)]))
    assert ok(r) == {"is_compatible": True}


def test_context_schemas_listing(sr):
    reg_id(sr, "a", S1)
    reg_id(sr, ":.ctx:b", S2)
    assert ok(sr.get("/schemas", params={"subjectPrefix": ":.ctx:"})) == [
        {"subject": ":.ctx:b", "version": 1, "id": 1, "schema": canon(S2)}]
    assert ok(sr.get("/contexts/.ctx/schemas")) == [
        {"subject": ":.ctx:b", "version": 1, "id": 1, "schema": canon(S2)}]


def test_context_subject_delete_and_versions(sr):
    reg_id(sr, ":.ctx:b", S1)
    assert ok(sr.delete("/contexts/.ctx/subjects/b")) == [1]
    assert ok(sr.get("/subjects", params={"deletedOnly": "true"})) == [":.ctx:b"]
    assert_error(sr.get("/subjects/:.ctx:b/versions"), 404, 40401, "Subject ':.ctx:b' not found.")
    assert ok(sr.delete("/subjects/:.ctx:b", params={"permanent": "true"})) == [1]


def test_context_compatibility_url(sr):
    reg_id(sr, ":.ctx:b", S1)
    bad = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    assert ok(sr.post("/contexts/.ctx/compatibility/subjects/b/versions/latest", json=body(bad))) == {
        "is_compatible": False}
    assert ok(sr.post("/compatibility/subjects/:.ctx:b/versions", json=body(bad))) == {"is_compatible": False}


def test_context_level_config_and_mode_urls(sr):
    assert ok(sr.put("/contexts/.ctx/config", json={"compatibility": "NONE"})) == {"compatibility": "NONE"}
    assert ok(sr.get("/config/:.ctx:")) == {"compatibilityLevel": "NONE"}
    assert ok(sr.put("/contexts/.ctx/mode", json={"mode": "READONLY"})) == {"mode": "READONLY"}
    assert ok(sr.get("/mode/:.ctx:")) == {"mode": "READONLY"}
    assert ok(sr.get("/contexts/.ctx/mode")) == {"mode": "READONLY"}
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    assert ok(sr.get("/mode")) == {"mode": "READWRITE"}


def test_referencedby_offset_limit(sr):
    reg_id(sr, "address", ADDRESS)
    ids = []
    for i in range(3):
        rec_ = {"type": "record", "name": f"P{i}", "namespace": "com.acme",
                "fields": [{"name": "home", "type": "com.geo.Address"}]}
        ids.append(reg_id(sr, f"p{i}", rec_, references=[ref()]))
    assert ok(sr.get("/subjects/address/versions/1/referencedby")) == ids
    assert ok(sr.get("/subjects/address/versions/1/referencedby", params={"offset": 1, "limit": 1})) == ids[1:2]


def test_compatibility_resolves_references_of_both_sides(sr):
    ok(sr.put("/config/address", json={"compatibility": "NONE"}))
    reg_id(sr, "address", ADDRESS)
    # address v2 adds a field without a default: a reader of it cannot read v1 data
    addr2 = {"type": "record", "name": "Address", "namespace": "com.geo",
             "fields": [{"name": "street", "type": "string"}, {"name": "zip", "type": "string"}]}
    reg_id(sr, "address", addr2)
    reg_id(sr, "person", PERSON, references=[ref(version=1)])
    r = register(sr, "person", PERSON, references=[ref(version=2)])
    assert_error(r, 409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in r.json()["message"]
    assert "'/fields/0/type/fields/1'" in r.json()["message"]
    ok(sr.put("/config/person", json={"compatibility": "FORWARD"}))
    assert ok(register(sr, "person", PERSON, references=[ref(version=2)]))["id"] > 0


def test_references_in_listings_and_lookup(sr):
    a = reg_id(sr, "address", ADDRESS)
    p = reg_id(sr, "person", PERSON, references=[ref()])
    person_entity = {"subject": "person", "version": 1, "id": p, "references": [ref()], "schema": canon(PERSON)}
    assert ok(sr.get("/schemas")) == [
        {"subject": "address", "version": 1, "id": a, "schema": canon(ADDRESS)}, person_entity]
    assert ok(sr.post("/subjects/person", json=body(PERSON, references=[ref()]))) == person_entity
    # -1 is pinned before hashing, so it finds (and re-registers as) the same schema
    assert ok(sr.post("/subjects/person", json=body(PERSON, references=[ref(version=-1)]))) == person_entity
    assert reg_id(sr, "person", PERSON, references=[ref(version=-1)]) == p
    assert ok(sr.get("/subjects/person/versions")) == [1]
    # a reference to another version is another schema
    assert_error(sr.post("/subjects/person", json=body(PERSON, references=[ref(version=2)])), 422, 42201)

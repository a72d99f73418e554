"""The soft/hard delete state machine, checked against the Confluent spec
(`shared/spec/registry-api.md` §3.8, §3.9, §4, §5.5, §9.4-9.5)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.integration.registry_helpers import assert_error, canon, ok, rec, referenced, reg_id, register


S1 = rec("R", "a")
S2 = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "string"}, {"name": "b", "type": "string", "default": "x"}]}
S3 = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "string"}, {"name": "b", "type": "string", "default": "x"},
    {"name": "c", "type": "int", "default": 0}]}


def del_subject(sr, s, permanent=None):
    params = {} if permanent is None else {"permanent": permanent}
    return sr.delete(f"/subjects/{quote(s, safe='')}", params=params)


def del_version(sr, s, v, permanent=None):
    params = {} if permanent is None else {"permanent": permanent}
    return sr.delete(f"/subjects/{quote(s, safe='')}/versions/{v}", params=params)


def not_found(s):
    return f"Subject '{s}' not found."


def subject_soft_deleted(s):
    return f"Subject '{s}' was soft deleted.Set permanent=true to delete permanently"


def subject_not_soft_deleted(s):
    return f"Subject '{s}' was not deleted first before being permanently deleted"


def version_soft_deleted(s, v):
    return f"Subject '{s}' Version {v} was soft deleted.Set permanent=true to delete permanently"


def version_not_soft_deleted(s, v):
    return f"Subject '{s}' Version {v} was not deleted first before being permanently deleted"


def three_versions(sr, s="s"):
    return [reg_id(sr, s, x) for x in (S1, S2, S3)]


# ---------------------------------------------------------------- DELETE /subjects/{s}

@pytest.mark.parametrize("permanent", [None, "true"])
def test_delete_unknown_subject_is_40401(sr, permanent):
    assert_error(del_subject(sr, "nope", permanent), 404, 40401, not_found("nope"))


def test_soft_delete_subject_returns_live_versions_then_40404(sr):
    three_versions(sr)
    assert ok(del_version(sr, "s", 1)) == 1
    assert ok(del_subject(sr, "s")) == [2, 3]
    assert_error(del_subject(sr, "s"), 404, 40404, subject_soft_deleted("s"))
    assert ok(sr.get("/subjects")) == []
    assert ok(sr.get("/subjects", params={"deleted": "true"})) == ["s"]


def test_permanent_delete_of_live_subject_is_40405(sr):
    three_versions(sr)
    assert_error(del_subject(sr, "s", "true"), 404, 40405, subject_not_soft_deleted("s"))
    # still 40405 when only some versions are soft-deleted
    ok(del_version(sr, "s", 1))
    assert_error(del_subject(sr, "s", "true"), 404, 40405, subject_not_soft_deleted("s"))
    assert ok(sr.get("/subjects/s/versions")) == [2, 3]


def test_permanent_delete_lists_all_versions_then_subject_is_gone(sr):
    ids = three_versions(sr)
    ok(del_version(sr, "s", 2))
    assert ok(del_subject(sr, "s")) == [1, 3]
    assert ok(del_subject(sr, "s", "true")) == [1, 2, 3]
    for p in (None, "true"):
        assert_error(del_subject(sr, "s", p), 404, 40401, not_found("s"))
    assert ok(sr.get("/subjects", params={"deleted": "true"})) == []
    assert_error(sr.get("/subjects/s/versions", params={"deleted": "true"}), 404, 40401, not_found("s"))
    for i in ids:
        assert_error(sr.get(f"/schemas/ids/{i}"), 404, 40403, f"Schema {i} not found")


def test_permanent_is_case_insensitive_true_only(sr):
    reg_id(sr, "s", S1)
    # ?permanent=1 is false: a plain soft delete
    assert ok(del_subject(sr, "s", "1")) == [1]
    assert_error(del_subject(sr, "s", "1"), 404, 40404, subject_soft_deleted("s"))
    assert_error(del_subject(sr, "s", "yes"), 404, 40404, subject_soft_deleted("s"))
    assert ok(del_subject(sr, "s", "TRUE")) == [1]


# ---------------------------------------------------------------- DELETE /subjects/{s}/versions/{v}

def test_delete_version_returns_number_and_hides_it(sr):
    ids = three_versions(sr)
    assert ok(del_version(sr, "s", 2)) == 2
    assert ok(sr.get("/subjects/s/versions")) == [1, 3]
    assert_error(sr.get("/subjects/s/versions/2"), 404, 40402, "Version 2 not found.")
    # soft-deleted ids stay resolvable
    assert ok(sr.get(f"/schemas/ids/{ids[1]}")) == {"schema": canon(S2)}
    assert sr.get(f"/schemas/ids/{ids[1]}/schema").text == canon(S2)


def test_delete_latest_means_latest_non_deleted(sr):
    three_versions(sr)
    assert ok(del_version(sr, "s", "latest")) == 3
    assert ok(del_version(sr, "s", "-1")) == 2
    assert ok(sr.get("/subjects/s/versions")) == [1]
    assert ok(sr.get("/subjects/s/versions/latest"))["version"] == 1


def test_soft_delete_twice_is_40406(sr):
    three_versions(sr)
    ok(del_version(sr, "s", 2))
    assert_error(del_version(sr, "s", 2), 404, 40406, version_soft_deleted("s", 2))
    # ?permanent=1 is false, so this is a soft delete again
    assert_error(del_version(sr, "s", 2, "1"), 404, 40406, version_soft_deleted("s", 2))


def test_permanent_delete_of_live_version_is_40407(sr):
    three_versions(sr)
    assert_error(del_version(sr, "s", 2, "true"), 404, 40407, version_not_soft_deleted("s", 2))
    assert ok(sr.get("/subjects/s/versions")) == [1, 2, 3]


def test_permanent_delete_latest_hits_40407(sr):
    three_versions(sr)
    assert_error(del_version(sr, "s", "latest", "true"), 404, 40407, version_not_soft_deleted("s", 3))


def test_delete_latest_when_all_soft_deleted_is_version_minus_one_not_found(sr):
    reg_id(sr, "s", S1)
    ok(del_subject(sr, "s"))
    assert_error(del_version(sr, "s", "latest", "true"), 404, 40402, "Version -1 not found.")


def test_hard_delete_version_then_again_is_40402(sr):
    ids = three_versions(sr)
    ok(del_version(sr, "s", 2))
    assert ok(del_version(sr, "s", 2, "true")) == 2
    assert_error(del_version(sr, "s", 2, "true"), 404, 40402, "Version 2 not found.")
    assert_error(del_version(sr, "s", 2), 404, 40402, "Version 2 not found.")
    assert_error(sr.get("/subjects/s/versions/2", params={"deleted": "true"}), 404, 40402,
                 "Version 2 not found.")
    assert ok(sr.get("/subjects/s/versions", params={"deleted": "true"})) == [1, 3]
    # no other holder: the id is gone
    assert_error(sr.get(f"/schemas/ids/{ids[1]}"), 404, 40403, f"Schema {ids[1]} not found")
    assert_error(sr.get(f"/schemas/ids/{ids[1]}/subjects"), 404, 40403, "Schema not found")


def test_delete_missing_version_40402_and_unknown_subject_40401(sr):
    assert_error(del_version(sr, "nope", 1), 404, 40401, not_found("nope"))
    assert_error(del_version(sr, "nope", 1, "true"), 404, 40401, not_found("nope"))
    assert_error(del_version(sr, "nope", "latest"), 404, 40401, not_found("nope"))
    reg_id(sr, "s", S1)
    assert_error(del_version(sr, "s", 5), 404, 40402, "Version 5 not found.")
    assert_error(del_version(sr, "s", 5, "true"), 404, 40402, "Version 5 not found.")


def test_delete_version_of_fully_soft_deleted_subject_still_finds_versions(sr):
    # the subject still has (deleted) versions, so it is 40406/40402, not 40401
    reg_id(sr, "s", S1)
    ok(del_subject(sr, "s"))
    assert_error(del_version(sr, "s", 1), 404, 40406, version_soft_deleted("s", 1))
    assert_error(del_version(sr, "s", 2), 404, 40402, "Version 2 not found.")
    assert ok(del_version(sr, "s", 1, "true")) == 1
    assert_error(del_version(sr, "s", 1), 404, 40401, not_found("s"))


@pytest.mark.parametrize("bad", ["0", "-2", "abc", "2147483648"])
def test_delete_bad_version_is_42202_first(sr, bad):
    msg = (f"The specified version '{bad}' is not a valid version id. "
           'Allowed values are between [1, 2^31-1] and the string "latest"')
    assert_error(del_version(sr, "nope", bad), 422, 42202, msg)
    assert_error(del_version(sr, "nope", bad, "true"), 422, 42202, msg)


# ---------------------------------------------------------------- ids survive soft deletes

def test_hard_delete_keeps_id_while_another_subject_holds_it(sr):
    i = reg_id(sr, "a", S1)
    assert reg_id(sr, "b", S1) == i
    ok(del_subject(sr, "a"))
    ok(del_subject(sr, "a", "true"))
    assert ok(sr.get(f"/schemas/ids/{i}")) == {"schema": canon(S1)}
    assert ok(sr.get(f"/schemas/ids/{i}/subjects")) == ["b"]


def test_soft_deleted_everywhere_id_still_resolves(sr):
    i = reg_id(sr, "a", S1)
    ok(del_subject(sr, "a"))
    assert ok(sr.get(f"/schemas/ids/{i}")) == {"schema": canon(S1)}
    assert ok(sr.get(f"/schemas/ids/{i}/versions", params={"deleted": "true"})) == [{"subject": "a", "version": 1}]


def test_ids_never_reused_after_hard_delete(sr):
    i1 = reg_id(sr, "a", S1)
    ok(del_subject(sr, "a"))
    ok(del_subject(sr, "a", "true"))
    i2 = reg_id(sr, "b", rec("Other", "x"))
    assert i2 > i1
    # the same schema registered again after a hard delete may get its old id back
    # (the spec does not say); it must never get an id held by another schema
    i3 = reg_id(sr, "a", S1)
    assert i3 != i2
    assert ok(sr.get(f"/schemas/ids/{i3}")) == {"schema": canon(S1)}
    assert ok(sr.get(f"/schemas/ids/{i2}")) == {"schema": canon(rec("Other", "x"))}


def test_soft_deleted_versions_take_no_part_in_compatibility(sr):
    # testIncompatibleSchemaLookupBySubjectAfterDelete (§5.2)
    reg_id(sr, "s", S1)
    incompatible = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    r = register(sr, "s", incompatible)
    assert_error(r, 409, 409)
    ok(del_version(sr, "s", 1))
    reg_id(sr, "s", incompatible)
    assert ok(sr.get("/subjects/s/versions")) == [2]


# ---------------------------------------------------------------- config / mode lifetime

def test_soft_delete_keeps_config_and_mode(sr):
    reg_id(sr, "s", S1)
    ok(sr.put("/config/s", json={"compatibility": "FULL"}))
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    ok(del_subject(sr, "s"))
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": "FULL"}
    assert ok(sr.get("/mode/s")) == {"mode": "READWRITE"}


def test_permanent_delete_removes_config_and_mode(sr):
    reg_id(sr, "s", S1)
    ok(sr.put("/config/s", json={"compatibility": "FULL"}))
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    ok(del_subject(sr, "s"))
    ok(del_subject(sr, "s", "true"))
    assert_error(sr.get("/config/s"), 404, 40408,
                 "Subject 's' does not have subject-level compatibility configured")
    assert_error(sr.get("/mode/s"), 404, 40409, "Subject 's' does not have subject-level mode configured")


def test_hard_deleting_last_version_removes_config_and_mode(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    ok(sr.put("/config/s", json={"compatibility": "FULL"}))
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    ok(del_version(sr, "s", 1))
    ok(del_version(sr, "s", 1, "true"))
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": "FULL"}
    ok(del_version(sr, "s", 2))
    ok(del_version(sr, "s", 2, "true"))
    assert_error(sr.get("/config/s"), 404, 40408)
    assert_error(sr.get("/mode/s"), 404, 40409)


# ---------------------------------------------------------------- read-only and references

def test_readonly_blocks_deletes_after_existence_checks(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    ok(del_version(sr, "s", 1))
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    ro = "Subject s in context  is in read-only mode"
    assert_error(del_version(sr, "s", 2), 422, 42205, ro)
    assert_error(del_version(sr, "s", 1, "true"), 422, 42205, ro)
    assert_error(del_subject(sr, "s"), 422, 42205, ro)
    # the existence/state checks come first
    assert_error(del_version(sr, "s", 9), 404, 40402, "Version 9 not found.")
    assert_error(del_version(sr, "s", 1), 404, 40406, version_soft_deleted("s", 1))
    assert ok(sr.get("/subjects/s/versions", params={"deleted": "true"})) == [1, 2]


def test_global_readonly_blocks_delete(sr):
    reg_id(sr, "s", S1)
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert_error(del_subject(sr, "s"), 422, 42205, "Subject s in context  is in read-only mode")
    assert_error(del_subject(sr, "nope"), 404, 40401, not_found("nope"))


ADDRESS = {"type": "record", "name": "Address", "namespace": "com.acme",
           "fields": [{"name": "street", "type": "string"}]}
PERSON = {"type": "record", "name": "Person", "namespace": "com.acme",
          "fields": [{"name": "home", "type": "com.acme.Address"}]}


def test_referenced_version_cannot_be_deleted(sr):
    reg_id(sr, "address", ADDRESS)
    reg_id(sr, "person", PERSON, references=[{"name": "com.acme.Address", "subject": "address", "version": 1}])
    assert_error(del_version(sr, "address", 1), 422, 42206, referenced("address", 1))
    assert_error(del_subject(sr, "address"), 422, 42206, referenced("address", 1))
    # soft-deleting the referrer frees a soft delete, not a hard delete
    ok(del_subject(sr, "person"))
    assert ok(del_version(sr, "address", 1)) == 1
    assert_error(del_version(sr, "address", 1, "true"), 422, 42206, referenced("address", 1))
    ok(del_subject(sr, "person", "true"))
    assert ok(del_version(sr, "address", 1, "true")) == 1


def test_reregister_does_not_tombstone_a_referenced_soft_deleted_version(sr):
    # §3.4 step 14: the soft-deleted copy is hard-deleted "unless something references it"
    a = reg_id(sr, "address", ADDRESS)
    reg_id(sr, "person", PERSON, references=[{"name": "com.acme.Address", "subject": "address", "version": 1}])
    ok(del_subject(sr, "person"))
    ok(del_version(sr, "address", 1))
    assert reg_id(sr, "address", ADDRESS) == a
    assert ok(sr.get("/subjects/address/versions", params={"deleted": "true"})) == [1, 2]
    assert ok(sr.get("/subjects/address/versions")) == [2]


def test_delete_latest_permanent_targets_latest_live_version(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    ok(del_version(sr, "s", 2))
    assert_error(del_version(sr, "s", "latest", "true"), 404, 40407, version_not_soft_deleted("s", 1))

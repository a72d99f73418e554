"""Subjects, versions, lookup, numbering and /schemas listings, checked against
the Confluent spec (`shared/spec/registry-api.md` §3.2-3.15, §5.1, §5.6, §9).

Written from the spec, not from the implementation: every status, error_code
and message text below comes from the spec.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.integration.registry_helpers import assert_error, body, canon, ok, rec, reg_id, register

# ---------------------------------------------------------------- helpers

S1 = rec("R", "a")
S2 = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "string"}, {"name": "b", "type": "string", "default": "x"}]}
S3 = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "string"}, {"name": "b", "type": "string", "default": "x"},
    {"name": "c", "type": "int", "default": 0}]}
OTHER = rec("Other", "z")


def lookup(sr, subject, schema, params=None, **extra):
    return sr.post(f"/subjects/{quote(subject, safe='')}", json=body(schema, **extra), params=params)


def subject_not_found(s: str) -> str:
    return f"Subject '{s}' not found."


BAD_VERSION = ("The specified version '{}' is not a valid version id. "
               'Allowed values are between [1, 2^31-1] and the string "latest"')


def soft_delete(sr, subject, version):
    return ok(sr.delete(f"/subjects/{quote(subject, safe='')}/versions/{version}"))


def hard_delete(sr, subject, version):
    return ok(sr.delete(f"/subjects/{quote(subject, safe='')}/versions/{version}",
                        params={"permanent": "true"}))


# ---------------------------------------------------------------- GET /subjects

def test_subjects_empty_and_sorted_by_plain_string_order(sr):
    assert ok(sr.get("/subjects")) == []
    for s in ["beta", "Alpha", "alpha", "a-b", "a_b", "a.b", "zeta", "10", "9"]:
        reg_id(sr, s, S1)
    names = ["beta", "Alpha", "alpha", "a-b", "a_b", "a.b", "zeta", "10", "9"]
    assert ok(sr.get("/subjects")) == sorted(names)


def test_subjects_sorted_like_java_strings(sr):
    # Java String.compareTo compares UTF-16 code units: a surrogate pair (U+D83D...) sorts
    # before U+FF01, while Python's code-point order puts U+1F600 after it
    for s in ["\U0001F600", "\uFF01", "a"]:
        reg_id(sr, s, S1)
    assert ok(sr.get("/subjects")) == ["a", "\U0001F600", "\uFF01"]


def test_subjects_deleted_and_deleted_only(sr):
    reg_id(sr, "live", S1)
    reg_id(sr, "half", S1)
    reg_id(sr, "half", S2)
    reg_id(sr, "gone", S1)
    reg_id(sr, "hard", S1)
    soft_delete(sr, "half", 1)
    assert ok(sr.delete("/subjects/gone")) == [1]
    assert ok(sr.delete("/subjects/hard")) == [1]
    assert ok(sr.delete("/subjects/hard", params={"permanent": "true"})) == [1]

    assert ok(sr.get("/subjects")) == ["half", "live"]
    assert ok(sr.get("/subjects", params={"deleted": "true"})) == ["gone", "half", "live"]
    assert ok(sr.get("/subjects", params={"deletedOnly": "true"})) == ["gone"]
    # deletedOnly wins over deleted
    assert ok(sr.get("/subjects", params={"deleted": "true", "deletedOnly": "true"})) == ["gone"]
    # Boolean.valueOf: only "true" (any case) is true
    assert ok(sr.get("/subjects", params={"deleted": "TRUE"})) == ["gone", "half", "live"]
    assert ok(sr.get("/subjects", params={"deleted": "1"})) == ["half", "live"]
    assert ok(sr.get("/subjects", params={"deletedOnly": "yes"})) == ["half", "live"]


def test_subjects_subject_prefix(sr):
    for s in ["orders-key", "orders-value", "payments-value"]:
        reg_id(sr, s, S1)
    reg_id(sr, ":.ctx:orders-value", S1)
    assert ok(sr.get("/subjects", params={"subjectPrefix": "orders"})) == ["orders-key", "orders-value"]
    assert ok(sr.get("/subjects", params={"subjectPrefix": "nothing"})) == []
    # default spans every context; ':' sorts before letters
    assert ok(sr.get("/subjects")) == [":.ctx:orders-value", "orders-key", "orders-value", "payments-value"]
    assert ok(sr.get("/subjects", params={"subjectPrefix": ":*:"})) == [
        ":.ctx:orders-value", "orders-key", "orders-value", "payments-value"]
    assert ok(sr.get("/subjects", params={"subjectPrefix": ":.ctx:"})) == [":.ctx:orders-value"]


def test_subjects_empty_prefix_means_default_context_only(sr):
    reg_id(sr, "a", S1)
    reg_id(sr, ":.ctx:b", S1)
    assert ok(sr.get("/subjects", params={"subjectPrefix": ""})) == ["a"]


# ---------------------------------------------------------------- versions listing

def test_versions_listing_and_flags(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    reg_id(sr, "s", S3)
    assert ok(sr.get("/subjects/s/versions")) == [1, 2, 3]
    soft_delete(sr, "s", 2)
    assert ok(sr.get("/subjects/s/versions")) == [1, 3]
    assert ok(sr.get("/subjects/s/versions", params={"deleted": "true"})) == [1, 2, 3]
    assert ok(sr.get("/subjects/s/versions", params={"deletedOnly": "true"})) == [2]
    assert ok(sr.get("/subjects/s/versions", params={"deleted": "1"})) == [1, 3]


def test_versions_deleted_as_negative(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    reg_id(sr, "s", S3)
    soft_delete(sr, "s", 2)
    assert ok(sr.get("/subjects/s/versions", params={"deletedAsNegative": "true"})) == [1, -2, 3]


def test_versions_unknown_or_all_soft_deleted_subject_is_40401(sr):
    assert_error(sr.get("/subjects/nope/versions"), 404, 40401, subject_not_found("nope"))
    reg_id(sr, "s", S1)
    ok(sr.delete("/subjects/s"))
    assert_error(sr.get("/subjects/s/versions"), 404, 40401, subject_not_found("s"))
    assert ok(sr.get("/subjects/s/versions", params={"deleted": "true"})) == [1]
    assert ok(sr.get("/subjects/s/versions", params={"deletedOnly": "true"})) == [1]


def test_versions_deleted_only_with_nothing_deleted_is_40401(sr):
    reg_id(sr, "s", S1)
    assert_error(sr.get("/subjects/s/versions", params={"deletedOnly": "true"}), 404, 40401,
                 subject_not_found("s"))


# ---------------------------------------------------------------- GET version

def test_get_version_latest_and_minus_one(sr):
    i1 = reg_id(sr, "s", S1)
    i2 = reg_id(sr, "s", S2)
    expected = {"subject": "s", "version": 2, "id": i2, "schema": canon(S2)}
    for v in ["latest", "LATEST", "Latest", "-1", "2"]:
        assert ok(sr.get(f"/subjects/s/versions/{v}")) == expected, v
    assert ok(sr.get("/subjects/s/versions/1")) == {"subject": "s", "version": 1, "id": i1, "schema": canon(S1)}
    # no schemaType for AVRO, no empty references (7.x wire format, NON_EMPTY)
    assert "schemaType" not in ok(sr.get("/subjects/s/versions/1"))
    assert sr.get("/subjects/s/versions/latest/schema").text == canon(S2)
    assert sr.get("/subjects/s/versions/-1/schema").text == canon(S2)


def test_get_version_latest_trimmed(sr):
    reg_id(sr, "s", S1)
    assert ok(sr.get("/subjects/s/versions/%20latest%20"))["version"] == 1


@pytest.mark.parametrize("bad", ["0", "-2", "abc", "1.5", "2147483648", "99999999999999999999"])
def test_bad_version_is_42202_before_subject(sr, bad):
    # the subject does not exist: the version syntax error still wins
    assert_error(sr.get(f"/subjects/nope/versions/{bad}"), 422, 42202, BAD_VERSION.format(bad))
    assert_error(sr.get(f"/subjects/nope/versions/{bad}/schema"), 422, 42202, BAD_VERSION.format(bad))
    reg_id(sr, "s", S1)
    assert_error(sr.get(f"/subjects/s/versions/{bad}"), 422, 42202, BAD_VERSION.format(bad))


def test_max_int_version_is_valid_syntax(sr):
    reg_id(sr, "s", S1)
    assert_error(sr.get("/subjects/s/versions/2147483647"), 404, 40402, "Version 2147483647 not found.")


def test_get_version_40401_vs_40402(sr):
    assert_error(sr.get("/subjects/nope/versions/1"), 404, 40401, subject_not_found("nope"))
    assert_error(sr.get("/subjects/nope/versions/latest"), 404, 40401, subject_not_found("nope"))
    reg_id(sr, "s", S1)
    assert_error(sr.get("/subjects/s/versions/7"), 404, 40402, "Version 7 not found.")
    assert_error(sr.get("/subjects/s/versions/7/schema"), 404, 40402, "Version 7 not found.")


def test_get_soft_deleted_version(sr):
    i1 = reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    soft_delete(sr, "s", 1)
    assert_error(sr.get("/subjects/s/versions/1"), 404, 40402, "Version 1 not found.")
    assert ok(sr.get("/subjects/s/versions/1", params={"deleted": "true"})) == {
        "subject": "s", "version": 1, "id": i1, "schema": canon(S1)}
    assert sr.get("/subjects/s/versions/1/schema", params={"deleted": "true"}).text == canon(S1)
    # latest is the latest non-deleted even with deleted=true
    soft_delete(sr, "s", 2)
    ok(register(sr, "s", S3))
    assert ok(sr.get("/subjects/s/versions/latest", params={"deleted": "true"}))["version"] == 3


def test_get_version_of_fully_soft_deleted_subject_is_40401(sr):
    reg_id(sr, "s", S1)
    ok(sr.delete("/subjects/s"))
    assert_error(sr.get("/subjects/s/versions/1"), 404, 40401, subject_not_found("s"))
    assert_error(sr.get("/subjects/s/versions/latest"), 404, 40401, subject_not_found("s"))
    assert ok(sr.get("/subjects/s/versions/1", params={"deleted": "true"}))["version"] == 1


# ---------------------------------------------------------------- lookup POST /subjects/{s}

def test_lookup_returns_schema_entity(sr):
    i1 = reg_id(sr, "s", S1)
    i2 = reg_id(sr, "s", S2)
    assert ok(lookup(sr, "s", S1)) == {"subject": "s", "version": 1, "id": i1, "schema": canon(S1)}
    # non-canonical spelling of the same schema is found, canonical text returned
    spelled = json.dumps({"name": "R", "type": "record",
                          "fields": [{"type": {"type": "string"}, "name": "a"}]}, indent=2)
    assert ok(lookup(sr, "s", spelled)) == {"subject": "s", "version": 1, "id": i1, "schema": canon(S1)}
    assert ok(lookup(sr, "s", S2))["version"] == 2
    assert ok(lookup(sr, "s", S2))["id"] == i2


def test_lookup_40401_vs_40403(sr):
    assert_error(lookup(sr, "nope", S1), 404, 40401, subject_not_found("nope"))
    reg_id(sr, "s", S1)
    assert_error(lookup(sr, "s", OTHER), 404, 40403, "Schema not found")
    # registered elsewhere is not "under this subject"
    reg_id(sr, "t", OTHER)
    assert_error(lookup(sr, "s", OTHER), 404, 40403, "Schema not found")


def test_lookup_invalid_schema_is_42201_even_for_unknown_subject(sr):
    r = lookup(sr, "nope", "not json at all")
    assert_error(r, 422, 42201)
    r = lookup(sr, "nope", {"type": "record", "name": "R", "fields": [{"name": "a", "type": "Undefined"}]})
    assert_error(r, 422, 42201)
    assert_error(lookup(sr, "nope", S1, schemaType="XML"), 422, 42201, "Invalid schema type XML")


def test_lookup_does_not_validate_defaults(sr):
    # lookup parses leniently: a bad default is not 42201, it is simply not found
    reg_id(sr, "s", S1)
    bad_default = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string", "default": None}]}
    assert_error(lookup(sr, "s", bad_default), 404, 40403, "Schema not found")


def test_lookup_soft_deleted_needs_deleted_true(sr):
    i1 = reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    soft_delete(sr, "s", 1)
    assert_error(lookup(sr, "s", S1), 404, 40403, "Schema not found")
    assert ok(lookup(sr, "s", S1, params={"deleted": "true"})) == {
        "subject": "s", "version": 1, "id": i1, "schema": canon(S1)}
    ok(sr.delete("/subjects/s"))
    assert_error(lookup(sr, "s", S2), 404, 40401, subject_not_found("s"))
    assert ok(lookup(sr, "s", S2, params={"deleted": "true"}))["version"] == 2


def test_lookup_after_reregister_of_soft_deleted_finds_new_version(sr):
    # testDeleteWithLookup (§5.1)
    i1 = reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    soft_delete(sr, "s", 1)
    assert reg_id(sr, "s", S1) == i1
    assert ok(lookup(sr, "s", S1, params={"deleted": "true"})) == {
        "subject": "s", "version": 3, "id": i1, "schema": canon(S1)}


# ---------------------------------------------------------------- numbering and ids

def test_ids_and_versions_are_assigned_in_order(sr):
    assert reg_id(sr, "a", S1) == 1
    assert reg_id(sr, "a", S2) == 2
    assert reg_id(sr, "b", OTHER) == 3
    ok(sr.put("/config/b", json={"compatibility": "NONE"}))
    assert reg_id(sr, "b", S1) == 1
    assert ok(sr.get("/subjects/b/versions")) == [1, 2]
    assert ok(sr.get("/subjects/b/versions/2"))["id"] == 1


def test_reregister_older_version_returns_existing_id_no_new_version(sr):
    i1 = reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    assert reg_id(sr, "s", S1) == i1
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]


def test_reregister_older_incompatible_version_is_idempotent(sr):
    # Re-registering is checked before compatibility (§5.1, §9.2)
    i1 = reg_id(sr, "s", rec("R", "a"))
    ok(sr.put("/config/s", json={"compatibility": "NONE"}))
    reg_id(sr, "s", rec("R", "x", "y"))
    ok(sr.put("/config/s", json={"compatibility": "FULL_TRANSITIVE"}))
    assert reg_id(sr, "s", rec("R", "a")) == i1
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]


def test_doc_only_change_is_a_new_id_and_version(sr):
    i1 = reg_id(sr, "s", S1)
    with_doc = {"type": "record", "name": "R", "doc": "hello", "fields": [{"name": "a", "type": "string"}]}
    i2 = reg_id(sr, "s", with_doc)
    assert i2 != i1
    assert ok(sr.get("/subjects/s/versions/2"))["schema"] == canon(with_doc)


def test_versions_count_soft_deleted(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    soft_delete(sr, "s", 2)
    reg_id(sr, "s", S3)
    assert ok(sr.get("/subjects/s/versions")) == [1, 3]


def test_version_reused_after_hard_delete_of_top_version(sr):
    # testDeleteSchemaVersionPermanent (§5.1)
    i1 = reg_id(sr, "s", S1)
    i2 = reg_id(sr, "s", S2)
    soft_delete(sr, "s", 2)
    hard_delete(sr, "s", 2)
    soft_delete(sr, "s", 1)
    assert reg_id(sr, "s", S1) == i1
    assert ok(sr.get("/subjects/s/versions")) == [2]
    assert ok(sr.get("/subjects/s/versions/2")) == {"subject": "s", "version": 2, "id": i1, "schema": canon(S1)}
    # the hard-deleted id is never reused
    i3 = reg_id(sr, "s", S3)
    assert i3 > i2


def test_numbering_restarts_at_one_after_everything_is_hard_deleted(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    ok(sr.delete("/subjects/s"))
    ok(sr.delete("/subjects/s", params={"permanent": "true"}))
    reg_id(sr, "s", S3)
    assert ok(sr.get("/subjects/s/versions")) == [1]
    assert ok(sr.get("/subjects/s/versions/1"))["id"] == 3


def test_delete_subject_and_register_again(sr):
    # testDeleteSubjectAndRegister (§3.9): same ids, versions [3, 4]
    i1 = reg_id(sr, "s", S1)
    i2 = reg_id(sr, "s", S2)
    assert ok(sr.delete("/subjects/s")) == [1, 2]
    assert reg_id(sr, "s", S1) == i1
    assert reg_id(sr, "s", S2) == i2
    assert ok(sr.get("/subjects/s/versions")) == [3, 4]
    assert ok(sr.get("/subjects/s/versions/3"))["id"] == i1
    assert ok(sr.get("/subjects/s/versions/4"))["id"] == i2


def test_reregister_tombstones_the_soft_deleted_copy(sr):
    # §3.4 step 14: the soft-deleted version holding the same id is hard-deleted
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    assert ok(sr.delete("/subjects/s")) == [1, 2]
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    assert ok(sr.get("/subjects/s/versions", params={"deleted": "true"})) == [3, 4]


def test_delete_schema_version_basic(sr):
    # testDeleteSchemaVersionBasic (§5.1): delete v2, delete latest (v1), re-register v1 -> [3]
    i1 = reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    assert ok(sr.delete("/subjects/s/versions/2")) == 2
    assert ok(sr.delete("/subjects/s/versions/latest")) == 1
    assert reg_id(sr, "s", S1) == i1
    assert ok(sr.get("/subjects/s/versions")) == [3]


def test_same_id_across_subjects_after_soft_delete(sr):
    i1 = reg_id(sr, "a", S1)
    ok(sr.delete("/subjects/a"))
    assert reg_id(sr, "b", S1) == i1


# ---------------------------------------------------------------- register body "version"

def test_register_with_version_minus_one_is_next(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2, version=-1)
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]
    # idempotent with -1 against the latest
    assert reg_id(sr, "s", S2, version=-1) == ok(sr.get("/subjects/s/versions/2"))["id"]
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]


def test_register_with_explicit_next_version(sr):
    reg_id(sr, "s", S1, version=1)
    reg_id(sr, "s", S2, version=2)
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]
    assert ok(sr.get("/subjects/s/versions/2"))["schema"] == canon(S2)


def test_register_with_explicit_version_zero_is_next(sr):
    reg_id(sr, "s", S1, version=0)
    assert ok(sr.get("/subjects/s/versions")) == [1]


def test_register_with_wrong_explicit_version_is_42201(sr):
    reg_id(sr, "s", S1)
    assert_error(register(sr, "s", S2, version=5), 422, 42201, "Version is not one more than previous version")
    assert_error(register(sr, "t", S2, version=2), 422, 42201, "Version is not one more than previous version")
    assert ok(sr.get("/subjects/s/versions")) == [1]
    assert ok(sr.get("/subjects")) == ["s"]


def test_explicit_version_counts_soft_deleted(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    soft_delete(sr, "s", 2)
    assert_error(register(sr, "s", S3, version=2), 422, 42201, "Version is not one more than previous version")
    reg_id(sr, "s", S3, version=3)
    assert ok(sr.get("/subjects/s/versions")) == [1, 3]


# ---------------------------------------------------------------- metadata

META_A = {"properties": {"owner": "alice"}}
META_B = {"properties": {"owner": "bob"}}


def test_same_text_different_metadata_is_new_id_and_version(sr):
    i1 = reg_id(sr, "s", S1, metadata=META_A)
    i2 = reg_id(sr, "s", S1, metadata=META_B)
    assert i1 != i2
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]
    v1 = ok(sr.get("/subjects/s/versions/1"))
    v2 = ok(sr.get("/subjects/s/versions/2"))
    assert v1["metadata"]["properties"] == {"owner": "alice"}
    assert v2["metadata"]["properties"] == {"owner": "bob"}
    assert ok(sr.get(f"/schemas/ids/{i2}"))["metadata"]["properties"] == {"owner": "bob"}
    # the same text and metadata in another subject shares the id
    assert reg_id(sr, "t", S1, metadata=META_A) == i1


def test_no_metadata_vs_metadata_is_different_id(sr):
    i1 = reg_id(sr, "a", S1)
    i2 = reg_id(sr, "b", S1, metadata=META_A)
    assert i1 != i2


def test_omitted_metadata_is_inherited_from_previous_version(sr):
    # testRegisterWithAndWithoutMetadata (§5.6): same id, no new version
    i1 = reg_id(sr, "s", S1, metadata=META_A)
    assert reg_id(sr, "s", S1) == i1
    assert ok(sr.get("/subjects/s/versions")) == [1]
    # a new schema without metadata inherits the previous version's metadata
    reg_id(sr, "s", S2)
    assert ok(sr.get("/subjects/s/versions/2"))["metadata"]["properties"] == {"owner": "alice"}


# ---------------------------------------------------------------- 42208 subject names

INVALID_SUBJECTS = ["a\nb", "tab\there", "cr\rx", "__GLOBAL", "__EMPTY", ":.__GLOBAL:x"]


@pytest.mark.parametrize("subject", INVALID_SUBJECTS)
def test_invalid_subject_name_is_42208(sr, subject):
    r = register(sr, subject, S1)
    assert_error(r, 422, 42208, f"The specified subject '{subject}' is not a valid.")
    assert ok(sr.get("/subjects", params={"deleted": "true"})) == []


def test_invalid_subject_checked_before_schema(sr):
    r = register(sr, "__GLOBAL", "not a schema")
    assert_error(r, 422, 42208, "The specified subject '__GLOBAL' is not a valid.")


@pytest.mark.parametrize("subject", ["*", "__global", "GLOBAL", "a b", "ünïcode", "x:y", "a/b", "dir/x.proto",
                                     "100%", "q?x=1", "h#frag", "plus+sign", "versions"])
def test_unusual_but_valid_subject_names(sr, subject):
    ok(register(sr, subject, S1))
    assert ok(sr.get(f"/subjects/{quote(subject, safe='')}/versions")) == [1]
    assert subject in ok(sr.get("/subjects"))


# ---------------------------------------------------------------- /schemas listings

def test_get_schemas_listing(sr):
    i1 = reg_id(sr, "b", S1)
    i2 = reg_id(sr, "b", S2)
    i3 = reg_id(sr, "a", OTHER)
    expected = [
        {"subject": "a", "version": 1, "id": i3, "schema": canon(OTHER)},
        {"subject": "b", "version": 1, "id": i1, "schema": canon(S1)},
        {"subject": "b", "version": 2, "id": i2, "schema": canon(S2)},
    ]
    assert ok(sr.get("/schemas")) == expected
    assert ok(sr.get("/schemas", params={"subjectPrefix": "b"})) == expected[1:]
    assert ok(sr.get("/schemas", params={"latestOnly": "true"})) == [expected[0], expected[2]]
    soft_delete(sr, "b", 1)
    assert ok(sr.get("/schemas")) == [expected[0], expected[2]]
    assert ok(sr.get("/schemas", params={"deleted": "true"})) == expected


def test_get_schemas_offset_limit(sr):
    for i, s in enumerate([S1, OTHER, rec("T", "t")]):
        reg_id(sr, f"s{i}", s)
    all_ = ok(sr.get("/schemas"))
    assert [x["subject"] for x in all_] == ["s0", "s1", "s2"]
    assert ok(sr.get("/schemas", params={"offset": 1, "limit": 1})) == all_[1:2]


def test_schema_by_id_and_unknown_id(sr):
    i1 = reg_id(sr, "s", S1)
    assert ok(sr.get(f"/schemas/ids/{i1}")) == {"schema": canon(S1)}
    assert sr.get(f"/schemas/ids/{i1}/schema").text == canon(S1)
    assert_error(sr.get("/schemas/ids/99"), 404, 40403, "Schema 99 not found")
    assert_error(sr.get("/schemas/ids/99/schema"), 404, 40403, "Schema 99 not found")


def test_fetch_max_id(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "s", S2)
    i3 = reg_id(sr, "t", OTHER)
    assert ok(sr.get("/schemas/ids/1", params={"fetchMaxId": "true"})) == {"schema": canon(S1), "maxId": i3}
    assert "maxId" not in ok(sr.get("/schemas/ids/1"))
    assert "maxId" not in ok(sr.get("/schemas/ids/1", params={"fetchMaxId": "false"}))


def test_ids_subjects_and_versions(sr):
    i1 = reg_id(sr, "b", S1)
    reg_id(sr, "a", OTHER)
    ok(sr.put("/config/a", json={"compatibility": "NONE"}))
    reg_id(sr, "a", S1)
    assert ok(sr.get(f"/schemas/ids/{i1}/subjects")) == ["a", "b"]
    assert ok(sr.get(f"/schemas/ids/{i1}/versions")) == [
        {"subject": "a", "version": 2}, {"subject": "b", "version": 1}]
    assert_error(sr.get("/schemas/ids/99/subjects"), 404, 40403, "Schema not found")
    assert_error(sr.get("/schemas/ids/99/versions"), 404, 40403, "Schema not found")


def test_ids_subjects_with_soft_deleted_holders(sr):
    i1 = reg_id(sr, "a", S1)
    reg_id(sr, "b", S1)
    soft_delete(sr, "a", 1)
    assert ok(sr.get(f"/schemas/ids/{i1}/subjects")) == ["b"]
    assert ok(sr.get(f"/schemas/ids/{i1}/subjects", params={"deleted": "true"})) == ["a", "b"]
    assert ok(sr.get(f"/schemas/ids/{i1}/versions", params={"deleted": "true"})) == [
        {"subject": "a", "version": 1}, {"subject": "b", "version": 1}]
    soft_delete(sr, "b", 1)
    # every holder soft-deleted: [] rather than 404
    assert ok(sr.get(f"/schemas/ids/{i1}/subjects")) == []
    assert ok(sr.get(f"/schemas/ids/{i1}/versions")) == []
    assert ok(sr.get(f"/schemas/ids/{i1}")) == {"schema": canon(S1)}


# ---------------------------------------------------------------- normalize

NS_REC = {"type": "record", "name": "R", "namespace": "com.acme", "fields": [{"name": "a", "type": "string"}]}
NS_REC_NORMALIZED = '{"name":"com.acme.R","type":"record","fields":[{"name":"a","type":"string"}]}'


def test_normalize_query_param_stores_normalized_text(sr):
    r = sr.post("/subjects/s/versions", params={"normalize": "true"}, json=body(NS_REC))
    i = ok(r)["id"]
    assert ok(sr.get("/subjects/s/versions/1"))["schema"] == NS_REC_NORMALIZED
    assert ok(sr.get(f"/schemas/ids/{i}")) == {"schema": NS_REC_NORMALIZED}
    found = ok(sr.post("/subjects/s", params={"normalize": "true"}, json=body(NS_REC)))
    assert (found["id"], found["version"], found["schema"]) == (i, 1, NS_REC_NORMALIZED)


def test_normalize_from_subject_config(sr):
    ok(sr.put("/config/s", json={"normalize": True}))
    ok(register(sr, "s", NS_REC))
    assert ok(sr.get("/subjects/s/versions/1"))["schema"] == NS_REC_NORMALIZED
    # without normalize the canonical (Java toString) text is stored
    ok(register(sr, "t", NS_REC))
    assert ok(sr.get("/subjects/t/versions/1"))["schema"] == canon(NS_REC)


# ---------------------------------------------------------------- offset / limit

def test_subjects_and_versions_offset_limit(sr):
    for s in ["a", "b", "c", "d"]:
        reg_id(sr, s, S1)
    assert ok(sr.get("/subjects", params={"offset": 1, "limit": 2})) == ["b", "c"]
    assert ok(sr.get("/subjects", params={"offset": 3})) == ["d"]
    assert ok(sr.get("/subjects", params={"limit": 1})) == ["a"]
    reg_id(sr, "a", S2)
    reg_id(sr, "a", S3)
    assert ok(sr.get("/subjects/a/versions", params={"offset": 1, "limit": 1})) == [2]
    assert ok(sr.get("/subjects/a/versions", params={"offset": 1})) == [2, 3]


# ---------------------------------------------------------------- confluent:version and ruleSet

def test_explicit_version_sets_confluent_version_property(sr):
    # §5.6: an explicit non-zero version sets metadata.properties["confluent:version"]; once it is in
    # the (inherited) metadata, later versions get their own number
    reg_id(sr, "s", S1, version=1)
    assert ok(sr.get("/subjects/s/versions/1"))["metadata"]["properties"] == {"confluent:version": "1"}
    reg_id(sr, "s", S2)
    assert ok(sr.get("/subjects/s/versions/2"))["metadata"]["properties"] == {"confluent:version": "2"}


RULESET = {"domainRules": [{"name": "r1", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}]}


def test_rule_set_is_dropped_or_kept_consistently(sr):
    # §5.6: community edition drops ruleSet; enterprise keeps it. Either way consistently.
    plain = reg_id(sr, "plain", S1)
    i = reg_id(sr, "s", S1, ruleSet=RULESET)
    got = ok(sr.get("/subjects/s/versions/1"))
    if "ruleSet" in got:
        assert got["ruleSet"] == RULESET
        assert i != plain
        dup = {"domainRules": RULESET["domainRules"] * 2}
        assert_error(register(sr, "s", S2, ruleSet=dup), 422, 42210, "Found rule with duplicate name 'r1'")
    else:
        assert i == plain
        assert "ruleSet" not in ok(sr.get(f"/schemas/ids/{i}"))


# ---------------------------------------------------------------- order of checks on register

def test_invalid_subject_before_mode(sr):
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert_error(register(sr, "__EMPTY", S1), 422, 42208, "The specified subject '__EMPTY' is not a valid.")


def test_mode_before_compatibility(sr):
    reg_id(sr, "s", S1)
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    incompatible = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    assert_error(register(sr, "s", incompatible), 422, 42205, "Subject s in context  is in read-only mode")


def test_invalid_schema_before_compatibility(sr):
    reg_id(sr, "s", S1)
    assert_error(register(sr, "s", {"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]}),
                 422, 42201)


def test_lookup_ignores_id_and_version_in_body(sr):
    i1 = reg_id(sr, "s", S1)
    assert ok(lookup(sr, "s", S1, id=999, version=7)) == {"subject": "s", "version": 1, "id": i1, "schema": canon(S1)}


# ---------------------------------------------------------------- canonical text (Java Schema.toString)

def test_canonical_text_of_a_rich_schema(sr):
    # keys deliberately out of order; order ascending dropped; props kept; nested namespace ""
    schema = {
        "fields": [
            {"default": 1.0, "type": "double", "name": "d", "doc": "dd", "order": "ascending"},
            {"type": {"type": "int", "logicalType": "date"}, "name": "dt"},
            {"name": "e", "aliases": ["ee"], "type": {"symbols": ["A", "B"], "name": "E", "type": "enum",
                                                      "default": "A", "doc": "enum doc", "x-prop": 1}},
            {"name": "nested", "type": {"type": "record", "name": "In", "namespace": "",
                                        "fields": [{"name": "z", "type": "long", "order": "descending"}]}},
            {"name": "fx", "type": {"size": 2, "type": "fixed", "name": "F", "namespace": "other.ns"}},
            {"name": "arr", "type": {"items": "E", "type": "array", "p": "q"}},
            {"name": "u", "type": ["null", {"type": "string", "avro.java.string": "String"}], "default": None},
            {"name": "txt", "type": {"type": "string"}, "default": "h\u00e9llo / \u0001"},
        ],
        "doc": "r\u00e9cord", "name": "Rec", "namespace": "com.acme", "type": "record",
        "custom": {"k": [1, 2]}, "aliases": ["Old"],
    }
    expected = (
        '{"type":"record","name":"Rec","namespace":"com.acme","doc":"r\u00e9cord","fields":['
        '{"name":"d","type":"double","doc":"dd","default":1.0},'
        '{"name":"dt","type":{"type":"int","logicalType":"date"}},'
        '{"name":"e","type":{"type":"enum","name":"E","doc":"enum doc","symbols":["A","B"],"default":"A",'
        '"x-prop":1},"aliases":["ee"]},'
        '{"name":"nested","type":{"type":"record","name":"In","namespace":"",'
        '"fields":[{"name":"z","type":"long","order":"descending"}]}},'
        '{"name":"fx","type":{"type":"fixed","name":"F","namespace":"other.ns","size":2}},'
        '{"name":"arr","type":{"type":"array","items":"E","p":"q"}},'
        '{"name":"u","type":["null",{"type":"string","avro.java.string":"String"}],"default":null},'
        '{"name":"txt","type":"string","default":"h\u00e9llo / \\u0001"}],'
        '"custom":{"k":[1,2]},"aliases":["Old"]}')
    i = reg_id(sr, "s", json.dumps(schema, ensure_ascii=False))
    assert sr.get("/subjects/s/versions/1/schema").text == expected
    assert ok(sr.get(f"/schemas/ids/{i}"))["schema"] == expected
    # the same schema spelled with ASCII escapes is the same schema
    assert reg_id(sr, "s", json.dumps(schema, ensure_ascii=True)) == i


def test_schema_by_id_with_subject_param_in_7x_format(sr):
    i = reg_id(sr, "s", S1)
    # 7.x wire format: no subject/version in SchemaString even with ?subject=
    assert ok(sr.get(f"/schemas/ids/{i}", params={"subject": "s"})) == {"schema": canon(S1)}


# ---------------------------------------------------------------- concurrency and restart

def test_concurrent_registrations_get_unique_ids_and_versions(sr, registry_url):
    import concurrent.futures

    import httpx

    ok(sr.put("/config/s", json={"compatibility": "NONE"}))
    schemas = [rec(f"R{i}", "a") for i in range(24)]

    def go(schema):
        with httpx.Client(base_url=registry_url, timeout=30) as c:
            return reg_id(c, "s", schema)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(go, schemas))
    assert len(set(ids)) == 24
    assert ok(sr.get("/subjects/s/versions")) == list(range(1, 25))
    by_version = {ok(sr.get(f"/subjects/s/versions/{v}"))["id"]: v for v in range(1, 25)}
    assert set(by_version) == set(ids)

    # the same schema raced into many subjects gets one id
    same = rec("Same", "x")

    def go_same(i):
        with httpx.Client(base_url=registry_url, timeout=30) as c:
            return reg_id(c, f"t{i}", same)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        same_ids = set(pool.map(go_same, range(16)))
    assert len(same_ids) == 1
    assert ok(sr.get(f"/schemas/ids/{same_ids.pop()}/subjects")) == sorted(f"t{i}" for i in range(16))


def test_state_survives_restart(tmp_path):
    import httpx

    from registry.app import create_app
    from tests.conftest import ServerThread

    data = tmp_path / "reg"
    with ServerThread(create_app(data)) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        i1 = reg_id(c, "a", S1)
        reg_id(c, "a", S2)
        reg_id(c, "b", OTHER)
        ok(c.delete("/subjects/a/versions/1"))
        ok(c.delete("/subjects/b"))
        ok(c.delete("/subjects/b", params={"permanent": "true"}))
        reg_id(c, ":.ctx:c", S3)
        ok(c.put("/config/a", json={"compatibility": "FULL"}))
        ok(c.put("/mode/z", json={"mode": "READONLY"}))
        before = (ok(c.get("/subjects", params={"deleted": "true"})),
                  ok(c.get("/schemas", params={"deleted": "true"})),
                  ok(c.get("/subjects/a/versions", params={"deletedAsNegative": "true"})),
                  ok(c.get("/contexts")))
    with ServerThread(create_app(data)) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        after = (ok(c.get("/subjects", params={"deleted": "true"})),
                 ok(c.get("/schemas", params={"deleted": "true"})),
                 ok(c.get("/subjects/a/versions", params={"deletedAsNegative": "true"})),
                 ok(c.get("/contexts")))
        assert after == before
        assert ok(c.get(f"/schemas/ids/{i1}")) == {"schema": canon(S1)}
        assert ok(c.get("/config/a")) == {"compatibilityLevel": "FULL"}
        assert ok(c.get("/mode/z")) == {"mode": "READONLY"}
        # the hard-deleted id 3 is not handed out again
        assert reg_id(c, "d", rec("New", "n")) == 4
        assert reg_id(c, ":.ctx:e", rec("New", "n")) == 2


# ---------------------------------------------------------------- config default/override metadata (§5.6)

def test_config_default_and_override_metadata_are_merged(sr):
    ok(sr.put("/config/s", json={"defaultMetadata": {"properties": {"owner": "team", "tier": "1"}},
                                 "overrideMetadata": {"properties": {"tier": "gold"}}}))
    r = register(sr, "s", S1, metadata={"properties": {"owner": "me", "tier": "x"}})
    assert r.status_code == 200, r.text
    got = ok(sr.get("/subjects/s/versions/1"))
    # default beneath, request in the middle, override on top
    assert got["metadata"]["properties"] == {"owner": "me", "tier": "gold"}
    reg_id(sr, "t", S1)
    ok(sr.put("/config/u", json={"defaultMetadata": {"properties": {"owner": "team"}}}))
    reg_id(sr, "u", S1)
    assert ok(sr.get("/subjects/u/versions/1"))["metadata"]["properties"] == {"owner": "team"}


def test_cluster_id_shape(sr):
    out = ok(sr.get("/v1/metadata/id"))
    assert out["id"] == ""
    assert out["scope"]["path"] == []
    assert set(out["scope"]["clusters"]) == {"kafka-cluster", "schema-registry-cluster"}
    assert out["scope"]["clusters"]["schema-registry-cluster"] == "schema-registry"


def test_latest_when_every_version_is_soft_deleted(sr):
    reg_id(sr, "s", S1)
    ok(sr.delete("/subjects/s"))
    # the subject qualifies with deleted=true, but latest means latest non-deleted
    assert_error(sr.get("/subjects/s/versions/latest", params={"deleted": "true"}), 404, 40402,
                 "Version -1 not found.")
    assert_error(sr.delete("/subjects/s/versions/latest"), 404, 40402, "Version -1 not found.")


def test_listing_offsets_on_id_endpoints(sr):
    i = reg_id(sr, "a", S1)
    for s in ("b", "c", "d"):
        reg_id(sr, s, S1)
    assert ok(sr.get(f"/schemas/ids/{i}/subjects", params={"offset": 1, "limit": 2})) == ["b", "c"]
    assert ok(sr.get(f"/schemas/ids/{i}/versions", params={"offset": 3})) == [{"subject": "d", "version": 1}]


@pytest.mark.parametrize("spelled", ["+1", "01", "%201%20", "-1", "LaTeSt"])
def test_version_spellings_java_accepts(sr, spelled):
    # Java Integer.valueOf(trimmed) accepts a sign and leading zeros
    reg_id(sr, "s", S1)
    assert ok(sr.get(f"/subjects/s/versions/{spelled}"))["version"] == 1


@pytest.mark.parametrize("bad", ["1_0", "1_000"])
def test_version_with_underscore_is_42202(sr, bad):
    assert_error(sr.get(f"/subjects/s/versions/{bad}"), 422, 42202, BAD_VERSION.format(bad))
    assert_error(sr.delete(f"/subjects/s/versions/{bad}"), 422, 42202, BAD_VERSION.format(bad))
    assert_error(sr.post(f"/compatibility/subjects/s/versions/{bad}", json=body(S1)), 422, 42202,
                 BAD_VERSION.format(bad))


# ---------------------------------------------------------------- metadata shape (§2.1, §5.3)

M_UNSORTED = {"tags": {"f2": ["Z", "A"], "f1": ["PII"]}, "properties": {"b": "2", "a": "1"}, "sensitive": ["y", "x"]}
M_SORTED = {"tags": {"f1": ["PII"], "f2": ["A", "Z"]}, "properties": {"a": "1", "b": "2"}, "sensitive": ["x", "y"]}


def test_metadata_order_does_not_change_identity(sr):
    i = reg_id(sr, "s", S1, metadata=M_UNSORTED)
    assert reg_id(sr, "t", S1, metadata=M_SORTED) == i
    assert reg_id(sr, "s", S1, metadata=M_SORTED) == i
    assert ok(sr.get("/subjects/s/versions")) == [1]


def test_metadata_is_returned_sorted(sr):
    i = reg_id(sr, "s", S1, metadata=M_UNSORTED)
    assert ok(sr.get("/subjects/s/versions/1"))["metadata"] == M_SORTED
    assert ok(sr.get(f"/schemas/ids/{i}"))["metadata"] == M_SORTED


def test_empty_metadata_spellings_are_one_schema(sr):
    a = reg_id(sr, "a", S1, metadata={})
    assert reg_id(sr, "b", S1, metadata={"properties": {}}) == a
    assert reg_id(sr, "c", S1, metadata={"tags": {}, "properties": {}, "sensitive": []}) == a


# ---------------------------------------------------------------- guid = MD5 identity hash (§5.3, §3.17)

def _guid(text, refs=(), meta=None) -> str:
    import hashlib
    import struct
    import uuid

    m = hashlib.md5(text.encode())
    for r in refs:
        m.update(r["name"].encode() + r["subject"].encode() + struct.pack(">i", r["version"]))
    if meta is not None:
        m.update(b"\x01")
        for k in sorted(meta.get("tags", {})):
            m.update(k.encode())
            for v in sorted(meta["tags"][k]):
                m.update(v.encode())
        for k in sorted(meta.get("properties", {})):
            m.update(k.encode() + meta["properties"][k].encode())
        for v in sorted(meta.get("sensitive", [])):
            m.update(v.encode())
    return str(uuid.UUID(bytes=m.digest()))


def test_schema_by_guid(sr):
    i = reg_id(sr, "s", S1)
    assert ok(sr.get(f"/schemas/guids/{_guid(canon(S1))}")) == {"schema": canon(S1)}
    j = reg_id(sr, "t", S1, metadata=M_UNSORTED)
    assert j != i
    got = ok(sr.get(f"/schemas/guids/{_guid(canon(S1), meta=M_UNSORTED)}"))
    assert got["schema"] == canon(S1) and got["metadata"]["properties"] == {"a": "1", "b": "2"}
    addr = rec("Address", "street")
    reg_id(sr, "address", addr)
    person = {"type": "record", "name": "Person", "fields": [{"name": "home", "type": "Address"}]}
    refs = [{"name": "Address", "subject": "address", "version": 1}]
    reg_id(sr, "person", person, references=refs)
    got = ok(sr.get(f"/schemas/guids/{_guid(canon(person), refs=refs)}"))
    assert got == {"schema": canon(person), "references": refs}
    missing = "00000000-0000-0000-0000-000000000000"
    assert_error(sr.get(f"/schemas/guids/{missing}"), 404, 40403, f"Schema {missing} not found")


def test_register_without_normalize_finds_normalized_version(sr):
    i = ok(sr.post("/subjects/s/versions", params={"normalize": "true"}, json=body(NS_REC)))["id"]
    # the stored text is the normalized form; the canonical form is the same Avro schema
    assert reg_id(sr, "s", NS_REC) == i
    assert ok(sr.get("/subjects/s/versions")) == [1]


def test_get_schemas_latest_only_skips_soft_deleted_latest(sr):
    i1 = reg_id(sr, "b", S1)
    reg_id(sr, "b", S2)
    soft_delete(sr, "b", 2)
    assert ok(sr.get("/schemas", params={"latestOnly": "true"})) == [
        {"subject": "b", "version": 1, "id": i1, "schema": canon(S1)}]
    ok(sr.delete("/subjects/b"))
    assert ok(sr.get("/schemas", params={"latestOnly": "true"})) == []
    assert ok(sr.get("/schemas")) == []

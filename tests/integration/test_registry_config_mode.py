"""/config and /mode, checked against the Confluent spec
(`shared/spec/registry-api.md` §2.5, §3.4 step 5, §3.20-3.28, §5.2, §5.9, §9.7, §9.15)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.integration.registry_helpers import assert_error, canon, ok, rec, reg_id, register


S1 = rec("R", "a")
S2 = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "string"}, {"name": "b", "type": "string", "default": "x"}]}
# adding a field without default: BACKWARD-incompatible, FORWARD-compatible
S_NODEFAULT = rec("R", "a", "c")
OTHER = rec("Other", "z")


BAD_LEVEL = ("Invalid compatibility level. Valid values are none, backward, forward, full, "
             "backward_transitive, forward_transitive, and full_transitive")
BAD_MODE = {"Invalid mode. Valid values are READWRITE, READONLY, and IMPORT.",
            "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD."}
LEVELS = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"]


def read_only(s, ctx=""):
    return f"Subject {s} in context {ctx} is in read-only mode"


# ---------------------------------------------------------------- /config

def test_global_config_default_and_put_get_delete(sr):
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    assert ok(sr.put("/config", json={"compatibility": "FULL"})) == {"compatibility": "FULL"}
    assert ok(sr.get("/config")) == {"compatibilityLevel": "FULL"}
    # DELETE returns the old config, then the default is back
    assert ok(sr.delete("/config")) == {"compatibilityLevel": "FULL"}
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    # nothing set: DELETE returns the server default
    assert ok(sr.delete("/config")) == {"compatibilityLevel": "BACKWARD"}


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_case_insensitive(sr, level):
    assert ok(sr.put("/config", json={"compatibility": level.lower()})) == {"compatibility": level}
    assert ok(sr.get("/config")) == {"compatibilityLevel": level}
    mixed = level.capitalize()
    assert ok(sr.put("/config/s", json={"compatibility": mixed})) == {"compatibility": level}
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": level}


@pytest.mark.parametrize("bad", ["FULLY", "", "backward-transitive", "TRANSITIVE"])
def test_invalid_level_is_42203(sr, bad):
    assert_error(sr.put("/config", json={"compatibility": bad}), 422, 42203, BAD_LEVEL)
    assert_error(sr.put("/config/s", json={"compatibility": bad}), 422, 42203, BAD_LEVEL)
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    assert_error(sr.get("/config/s"), 404, 40408)


def test_put_with_compatibility_level_key_is_ignored(sr):
    # GET's key is an unknown property in a PUT body: ignored, nothing changes
    r = sr.put("/config", json={"compatibilityLevel": "FULL"})
    assert r.status_code == 200, r.text
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}


@pytest.mark.parametrize("value", ["bogus", 5])
def test_put_compatibility_level_key_is_not_stored_unvalidated(sr, value):
    r = sr.put("/config", json={"compatibilityLevel": value})
    assert r.status_code == 200, r.text
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    reg_id(sr, "s", S1)
    assert_error(register(sr, "s", S_NODEFAULT), 409, 409)


def test_subject_config_unset_40408_and_default_to_global(sr):
    assert_error(sr.get("/config/s"), 404, 40408,
                 "Subject 's' does not have subject-level compatibility configured")
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "BACKWARD"}
    ok(sr.put("/config", json={"compatibility": "FORWARD"}))
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "FORWARD"}
    ok(sr.put("/config/s", json={"compatibility": "NONE"}))
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "NONE"}
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": "NONE"}
    assert ok(sr.get("/config")) == {"compatibilityLevel": "FORWARD"}


def test_put_config_for_nonexistent_subject_is_stored(sr):
    assert ok(sr.put("/config/ghost", json={"compatibility": "FULL"})) == {"compatibility": "FULL"}
    assert ok(sr.get("/config/ghost")) == {"compatibilityLevel": "FULL"}
    assert ok(sr.get("/subjects")) == []
    # and it applies once the subject exists
    reg_id(sr, "ghost", S1)
    assert_error(register(sr, "ghost", S_NODEFAULT), 409, 409)


def test_delete_subject_config_40401_when_unset_and_returns_old(sr):
    assert_error(sr.delete("/config/s"), 404, 40401, "Subject 's' not found.")
    reg_id(sr, "s", S1)
    assert_error(sr.delete("/config/s"), 404, 40401, "Subject 's' not found.")
    ok(sr.put("/config/s", json={"compatibility": "FULL_TRANSITIVE"}))
    assert ok(sr.delete("/config/s")) == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert_error(sr.get("/config/s"), 404, 40408)
    assert_error(sr.delete("/config/s"), 404, 40401, "Subject 's' not found.")


@pytest.mark.parametrize("subject", ["a\nb", "__GLOBAL", "__EMPTY"])
def test_put_config_invalid_subject_is_42208(sr, subject):
    r = sr.put(f"/config/{quote(subject, safe='')}", json={"compatibility": "FULL"})
    assert_error(r, 422, 42208, f"The specified subject '{subject}' is not a valid.")


def test_config_updates_are_partial(sr):
    ok(sr.put("/config/s", json={"compatibility": "FULL"}))
    ok(sr.put("/config/s", json={"normalize": True}))
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": "FULL", "normalize": True}


def test_config_applies_subject_over_global(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "t", S1)
    ok(sr.put("/config", json={"compatibility": "NONE"}))
    ok(sr.put("/config/s", json={"compatibility": "BACKWARD"}))
    assert_error(register(sr, "s", S_NODEFAULT), 409, 409)
    ok(register(sr, "t", S_NODEFAULT))


def test_context_config_is_inherited(sr):
    ok(sr.put("/config/:.ctx:", json={"compatibility": "FULL"}))
    assert ok(sr.get("/config/:.ctx:s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "FULL"}
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "BACKWARD"}


def test_global_context_config_fallback(sr):
    # :.__GLOBAL: is consulted after the global config (§3.20, §5.2)
    ok(sr.put("/config/:.__GLOBAL:", json={"compatibility": "NONE"}))
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    assert ok(sr.get("/config", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "NONE"}
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "NONE"}
    reg_id(sr, "s", S1)
    ok(register(sr, "s", OTHER))


def test_global_readonly_blocks_config_put(sr):
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert_error(sr.put("/config", json={"compatibility": "FULL"}), 422, 42205)
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}


# ---------------------------------------------------------------- /mode basics

def test_mode_defaults(sr):
    assert ok(sr.get("/mode")) == {"mode": "READWRITE"}
    assert_error(sr.get("/mode/s"), 404, 40409, "Subject 's' does not have subject-level mode configured")
    assert ok(sr.get("/mode/s", params={"defaultToGlobal": "true"})) == {"mode": "READWRITE"}


@pytest.mark.parametrize("mode", ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"])
def test_put_mode_echoes_body(sr, mode):
    assert ok(sr.put("/mode", json={"mode": mode})) == {"mode": mode}
    assert ok(sr.get("/mode")) == {"mode": mode}
    assert ok(sr.put("/mode/s", json={"mode": mode})) == {"mode": mode}
    assert ok(sr.get("/mode/s")) == {"mode": mode}


def test_put_mode_case_insensitive(sr):
    r = sr.put("/mode/s", json={"mode": "readonly"})
    assert r.status_code == 200, r.text
    assert ok(sr.get("/mode/s")) == {"mode": "READONLY"}


def test_subject_mode_default_to_global(sr):
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert ok(sr.get("/mode/s", params={"defaultToGlobal": "true"})) == {"mode": "READONLY"}
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    assert ok(sr.get("/mode/s", params={"defaultToGlobal": "true"})) == {"mode": "READWRITE"}


@pytest.mark.parametrize("bad", ["WRITEONLY", "", "READ_WRITE"])
def test_invalid_mode_is_42204(sr, bad):
    for path in ("/mode", "/mode/s"):
        r = sr.put(path, json={"mode": bad})
        assert_error(r, 422, 42204)
        assert r.json()["message"] in BAD_MODE
    assert ok(sr.get("/mode")) == {"mode": "READWRITE"}
    assert_error(sr.get("/mode/s"), 404, 40409)


def test_put_mode_invalid_subject_is_42208(sr):
    assert_error(sr.put("/mode/a%0Ab", json={"mode": "READONLY"}), 422, 42208,
                 "The specified subject 'a\nb' is not a valid.")


def test_delete_subject_mode(sr):
    assert_error(sr.delete("/mode/s"), 404, 40401, "Subject 's' not found.")
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert ok(sr.delete("/mode/s")) == {"mode": "READONLY"}
    assert_error(sr.get("/mode/s"), 404, 40409)
    ok(register(sr, "s", S1))


# ---------------------------------------------------------------- READONLY

def test_global_readonly_blocks_register_but_not_identical_reregister(sr):
    i1 = reg_id(sr, "s", S1)
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert_error(register(sr, "s", S2), 422, 42205, read_only("s"))
    assert_error(register(sr, "new", S1), 422, 42205, read_only("new"))
    assert reg_id(sr, "s", S1) == i1
    assert ok(sr.get("/subjects/s/versions")) == [1]
    assert ok(sr.get("/subjects")) == ["s"]


def test_subject_readonly_blocks_only_that_subject(sr):
    reg_id(sr, "s", S1)
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert_error(register(sr, "s", S2), 422, 42205, read_only("s"))
    ok(register(sr, "t", S2))


def test_readonly_checked_before_schema_validation(sr):
    # §3.4: mode check (step 5) precedes parsing as new (step 7)
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert_error(register(sr, "s", {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "string", "default": None}]}), 422, 42205, read_only("s"))


def test_global_readwrite_subject_override(sr):
    # testGlobalMode: plain READONLY at global level can be overridden by a subject READWRITE
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    ok(register(sr, "s", S1))
    assert_error(register(sr, "t", S1), 422, 42205, read_only("t"))


def test_global_readonly_override_beats_subject_mode(sr):
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    ok(sr.put("/mode", json={"mode": "READONLY_OVERRIDE"}))
    assert_error(register(sr, "s", S1), 422, 42205, read_only("s"))
    assert_error(sr.delete("/subjects/s"), 404, 40401)


def test_subject_readonly_override_blocks(sr):
    ok(sr.put("/mode/s", json={"mode": "READONLY_OVERRIDE"}))
    assert_error(register(sr, "s", S1), 422, 42205, read_only("s"))


def test_readonly_blocks_subject_config_put(sr):
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert_error(sr.put("/config/s", json={"compatibility": "NONE"}), 422, 42205)


# ---------------------------------------------------------------- IMPORT

def test_import_requires_ids(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    r = register(sr, "s", S1)
    assert_error(r, 422, 42205, "Subject s in context  is not in read-write mode")
    assert ok(sr.get("/subjects")) == []


def test_import_with_explicit_id_and_version(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    assert ok(register(sr, "s", S1, id=100, version=3)) == {"id": 100}
    assert ok(register(sr, "s", S_NODEFAULT, id=7, version=9)) == {"id": 7}  # no compatibility check
    assert ok(sr.get("/subjects/s/versions")) == [3, 9]
    assert ok(sr.get("/subjects/s/versions/3")) == {"subject": "s", "version": 3, "id": 100, "schema": canon(S1)}
    assert ok(sr.get("/schemas/ids/100")) == {"schema": canon(S1)}
    assert ok(sr.get("/schemas/ids/7")) == {"schema": canon(S_NODEFAULT)}
    # back to READWRITE: new ids continue after the max imported id
    ok(sr.put("/mode", json={"mode": "READWRITE"}))
    assert reg_id(sr, "other", OTHER) == 101
    ok(sr.put("/config/s", json={"compatibility": "NONE"}))
    reg_id(sr, "s", S2)
    assert ok(sr.get("/subjects/s/versions")) == [3, 9, 10]


def test_import_id_clash_is_42205(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "s", S1, id=5, version=1))
    r = register(sr, "t", OTHER, id=5, version=1)
    assert_error(r, 422, 42205)
    assert r.json()["message"].startswith("Overwrite new schema with id 5 in context ")
    assert r.json()["message"].endswith(" is not permitted.")
    assert ok(sr.get("/schemas/ids/5")) == {"schema": canon(S1)}
    assert ok(sr.get("/subjects")) == ["s"]


def test_import_same_schema_under_different_ids(sr):
    # testImportModeWithSameSchemaDifferentId (§5.9)
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "a", S1, id=1, version=1))
    ok(register(sr, "b", S1, id=2, version=1))
    assert ok(sr.get("/schemas/ids/1")) == {"schema": canon(S1)}
    assert ok(sr.get("/schemas/ids/2")) == {"schema": canon(S1)}
    assert ok(sr.get("/subjects/b/versions/1"))["id"] == 2


def test_import_same_schema_same_id_is_idempotent(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "a", S1, id=10, version=1))
    assert ok(register(sr, "a", S1, id=10, version=1)) == {"id": 10}
    assert ok(sr.get("/subjects/a/versions")) == [1]


def test_register_with_id_outside_import_is_42205(sr):
    r = register(sr, "s", S1, id=50)
    assert_error(r, 422, 42205)
    assert r.json()["message"] in {"Subject s in context  is not in import mode",
                                   "Subject s is not in import or forward mode"}
    assert ok(sr.get("/subjects")) == []


def test_register_with_matching_id_outside_import_is_idempotent(sr):
    i1 = reg_id(sr, "s", S1)
    assert ok(register(sr, "s", S1, id=i1)) == {"id": i1}


def test_switch_to_import_with_live_subjects_needs_force(sr):
    reg_id(sr, "s", S1)
    msg = "Cannot import since found existing subjects"
    assert_error(sr.put("/mode", json={"mode": "IMPORT"}), 422, 42205, msg)
    assert ok(sr.get("/mode")) == {"mode": "READWRITE"}
    assert_error(sr.put("/mode/s", json={"mode": "IMPORT"}), 422, 42205, msg)
    assert_error(sr.get("/mode/s"), 404, 40409)
    # another (empty) subject may switch
    assert ok(sr.put("/mode/t", json={"mode": "IMPORT"})) == {"mode": "IMPORT"}
    assert ok(sr.put("/mode", json={"mode": "IMPORT"}, params={"force": "true"})) == {"mode": "IMPORT"}
    assert ok(sr.get("/mode")) == {"mode": "IMPORT"}
    assert ok(sr.get("/subjects")) == ["s"]


def test_switch_to_import_hard_deletes_soft_deleted_versions(sr):
    reg_id(sr, "s", S1)
    ok(sr.delete("/subjects/s"))
    assert ok(sr.put("/mode", json={"mode": "IMPORT"})) == {"mode": "IMPORT"}
    assert ok(sr.get("/subjects", params={"deleted": "true"})) == []
    assert_error(sr.get("/schemas/ids/1"), 404, 40403)


def test_import_to_import_needs_no_force(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "s", S1, id=1, version=1))
    assert ok(sr.put("/mode", json={"mode": "IMPORT"})) == {"mode": "IMPORT"}


def test_subject_import_mode(sr):
    ok(sr.put("/mode/s", json={"mode": "IMPORT"}))
    assert ok(register(sr, "s", S1, id=42, version=1)) == {"id": 42}
    assert_error(register(sr, "t", S1, id=43, version=1), 422, 42205)
    assert reg_id(sr, "t", OTHER) == 43


# ---------------------------------------------------------------- null clears, reads in READONLY

def test_config_null_clears_a_key(sr):
    ok(sr.put("/config/s", json={"compatibility": "FULL", "normalize": True}))
    ok(sr.put("/config/s", json={"normalize": None}))
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": "FULL"}


def test_mode_null_clears_subject_mode(sr):
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    r = sr.put("/mode/s", json={"mode": None})
    assert r.status_code == 200, r.text
    assert_error(sr.get("/mode/s"), 404, 40409)
    ok(register(sr, "s", S1))


def test_reads_allowed_in_readonly(sr):
    i1 = reg_id(sr, "s", S1)
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert ok(sr.post("/subjects/s", json={"schema": json.dumps(S1)}))["id"] == i1
    assert ok(sr.post("/compatibility/subjects/s/versions/latest", json={"schema": json.dumps(S2)})) == {
        "is_compatible": True}
    assert ok(sr.get("/subjects")) == ["s"]


# ---------------------------------------------------------------- more IMPORT

def test_switch_subject_to_import_hard_deletes_its_soft_deleted_versions(sr):
    reg_id(sr, "s", S1)
    reg_id(sr, "t", OTHER)
    ok(sr.delete("/subjects/s"))
    ok(sr.delete("/subjects/t"))
    assert ok(sr.put("/mode/s", json={"mode": "IMPORT"})) == {"mode": "IMPORT"}
    assert ok(sr.get("/subjects", params={"deleted": "true"})) == ["t"]


def test_switch_to_import_with_referenced_soft_deleted_version_is_42206(sr):
    addr = {"type": "record", "name": "Address", "fields": [{"name": "street", "type": "string"}]}
    person = {"type": "record", "name": "Person", "fields": [{"name": "home", "type": "Address"}]}
    reg_id(sr, "address", addr)
    reg_id(sr, "person", person, references=[{"name": "Address", "subject": "address", "version": 1}])
    ok(sr.delete("/subjects/person"))
    ok(sr.delete("/subjects/address"))
    r = sr.put("/mode", json={"mode": "IMPORT"})
    assert_error(r, 422, 42206)
    assert ok(sr.get("/mode")) == {"mode": "READWRITE"}


def test_import_ignores_normalize(sr):
    ns = {"type": "record", "name": "R", "namespace": "com.acme", "fields": [{"name": "a", "type": "string"}]}
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    r = sr.post("/subjects/s/versions", params={"normalize": "true"}, json={"schema": json.dumps(ns), "id": 3, "version": 1})
    assert ok(r) == {"id": 3}
    assert ok(sr.get("/schemas/ids/3")) == {"schema": canon(ns)}


def test_import_ids_per_context(sr):
    reg_id(sr, "plain", OTHER)  # id 1 in the default context
    ok(sr.put("/mode/:.ctx:", json={"mode": "IMPORT"}))
    assert ok(register(sr, ":.ctx:s", S1, id=1, version=1)) == {"id": 1}
    assert ok(sr.get("/schemas/ids/1")) == {"schema": canon(OTHER)}
    assert ok(sr.get("/schemas/ids/1", params={"subject": ":.ctx:s"})) == {"schema": canon(S1)}
    assert_error(register(sr, "plain2", S1, id=9, version=1), 422, 42205)


# ---------------------------------------------------------------- contexts and the top level

def test_default_context_subject_is_top_level_config(sr):
    ok(sr.put("/config", json={"compatibility": "FULL"}))
    assert ok(sr.get("/config/:.:")) == {"compatibilityLevel": "FULL"}


def test_context_config_applies_to_register(sr):
    ok(sr.put("/config/:.ctx:", json={"compatibility": "NONE"}))
    reg_id(sr, ":.ctx:s", S1)
    ok(register(sr, ":.ctx:s", OTHER))
    reg_id(sr, "s", S1)
    assert_error(register(sr, "s", OTHER), 409, 409)


def test_context_mode_applies_to_its_subjects(sr):
    ok(sr.put("/mode/:.ctx:", json={"mode": "READONLY"}))
    assert ok(sr.get("/mode/:.ctx:s", params={"defaultToGlobal": "true"})) == {"mode": "READONLY"}
    assert_error(register(sr, ":.ctx:s", S1), 422, 42205)
    ok(register(sr, "s", S1))


def test_global_readonly_applies_to_contexts(sr):
    ok(sr.put("/mode", json={"mode": "READONLY"}))
    assert_error(register(sr, ":.ctx:s", S1), 422, 42205)


def test_import_any_version_order_then_readwrite_continues(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "s", S1, id=10, version=5))
    ok(register(sr, "s", S2, id=11, version=2))
    assert ok(sr.get("/subjects/s/versions")) == [2, 5]
    assert ok(sr.get("/subjects/s/versions/latest"))["version"] == 5
    ok(sr.put("/mode", json={"mode": "READWRITE"}))
    ok(sr.put("/config/s", json={"compatibility": "NONE"}))
    assert reg_id(sr, "s", OTHER) == 12
    assert ok(sr.get("/subjects/s/versions")) == [2, 5, 6]


def test_import_without_version_takes_next(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "s", S1, id=10))
    ok(register(sr, "s", S2, id=11))
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]


def test_subject_readwrite_overrides_global_import(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    assert reg_id(sr, "s", S1) == 1
    assert_error(register(sr, "t", S1), 422, 42205, "Subject t in context  is not in read-write mode")


def test_import_mode_identical_reregister_without_id_is_200(sr):
    ok(sr.put("/mode", json={"mode": "IMPORT"}))
    ok(register(sr, "s", S1, id=10, version=1))
    assert ok(register(sr, "s", S1)) == {"id": 10}
    assert_error(register(sr, "s", S2), 422, 42205, "Subject s in context  is not in read-write mode")


def test_readonly_with_id_is_42205(sr):
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert_error(register(sr, "s", S1, id=5), 422, 42205)


def test_readonly_version_minus_one_compares_latest_only(sr):
    # §3.4 step 4: with "version": -1 only the latest version takes the fast path, so an older
    # identical schema reaches the mode check in READONLY
    i1 = reg_id(sr, "s", S1)
    i2 = reg_id(sr, "s", S2)
    ok(sr.put("/mode/s", json={"mode": "READONLY"}))
    assert_error(register(sr, "s", S1, version=-1), 422, 42205, read_only("s"))
    assert ok(register(sr, "s", S2, version=-1)) == {"id": i2}
    assert ok(register(sr, "s", S1)) == {"id": i1}
    ok(sr.put("/mode/s", json={"mode": "READWRITE"}))
    # In READWRITE a version other than 0 makes the register stamp confluent:version with the
    # new version number (maybeSetMetadataRuleSet, 7.9.10 and master alike), so the schema is
    # new metadata-wise: version 3 with its own id, not version 1 again.
    i3 = ok(register(sr, "s", S1, version=-1))["id"]
    assert i3 not in (i1, i2)
    assert ok(sr.get("/subjects/s/versions")) == [1, 2, 3]
    assert ok(sr.get("/subjects/s/versions/3"))["metadata"] == {"properties": {"confluent:version": "3"}}
    # ...and the same request again finds version 3, the latest, by the lookup that ignores
    # a confluent:version on the stored side only
    assert ok(register(sr, "s", S1, version=-1)) == {"id": i3}


def test_subject_config_without_level_reads_server_default(sr):
    # §5.2 quirk (7.x): a stored config without a level gets the server default, not the global level
    ok(sr.put("/config", json={"compatibility": "FULL"}))
    ok(sr.put("/config/s", json={"normalize": True}))
    expected = {"compatibilityLevel": "BACKWARD", "normalize": True}
    assert ok(sr.get("/config/s")) == expected
    assert ok(sr.get("/config/s", params={"defaultToGlobal": "true"})) == expected
    assert ok(sr.delete("/config/s")) == expected


def test_delete_global_config_returns_all_keys(sr):
    ok(sr.put("/config", json={"compatibility": "FULL", "normalize": True, "compatibilityGroup": "g"}))
    assert ok(sr.delete("/config")) == {"compatibilityLevel": "FULL", "normalize": True, "compatibilityGroup": "g"}
    assert ok(sr.get("/config")) == {"compatibilityLevel": "BACKWARD"}

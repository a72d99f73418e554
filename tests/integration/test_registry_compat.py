"""Avro compatibility over HTTP at all seven levels, checked against the Confluent spec
(`shared/spec/registry-api.md` §3.4 step 10, §3.18-3.19, §5.2, §6.1, §6.4, §9.8-9.10)."""

from __future__ import annotations

import json

import pytest

from tests.integration.registry_helpers import assert_error, body, canon, check, ok, reg_id, register, set_level


def record(*fields, name="R") -> dict:
    return {"type": "record", "name": name, "fields": list(fields)}


def field(name, type_, **kw) -> dict:
    return {"name": name, "type": type_, **kw}


def enum(symbols, default=None) -> dict:
    out = {"type": "enum", "name": "E", "symbols": symbols}
    if default is not None:
        out["default"] = default
    return out


INCOMPATIBLE_PREFIX = 'Schema being registered is incompatible with an earlier schema for subject "{}", details: '

# (name, old, new, {level: compatible})  -- from the table in spec §6.1
B, F, FU = "BACKWARD", "FORWARD", "FULL"
CHANGES = [
    ("add_field_with_default",
     record(field("a", "string")),
     record(field("a", "string"), field("b", "string", default="x")),
     {B: True, F: True, FU: True}),
    ("add_field_without_default",
     record(field("a", "string")),
     record(field("a", "string"), field("b", "string")),
     {B: False, F: True, FU: False}),
    ("remove_field_with_default",
     record(field("a", "string"), field("b", "string", default="x")),
     record(field("a", "string")),
     {B: True, F: True, FU: True}),
    ("remove_field_without_default",
     record(field("a", "string"), field("b", "string")),
     record(field("a", "string")),
     {B: True, F: False, FU: False}),
    ("int_to_long",
     record(field("n", "int")),
     record(field("n", "long")),
     {B: True, F: False, FU: False}),
    ("long_to_int",
     record(field("n", "long")),
     record(field("n", "int")),
     {B: False, F: True, FU: False}),
    ("string_to_bytes",
     record(field("s", "string")),
     record(field("s", "bytes")),
     {B: True, F: True, FU: True}),
    ("int_to_string",
     record(field("n", "int")),
     record(field("n", "string")),
     {B: False, F: False, FU: False}),
    ("add_enum_symbol",
     record(field("e", enum(["A", "B"]))),
     record(field("e", enum(["A", "B", "C"]))),
     {B: True, F: False, FU: False}),
    ("add_enum_symbol_old_has_default",
     record(field("e", enum(["A", "B"], default="A"))),
     record(field("e", enum(["A", "B", "C"], default="A"))),
     {B: True, F: True, FU: True}),
    ("remove_enum_symbol",
     record(field("e", enum(["A", "B", "C"]))),
     record(field("e", enum(["A", "B"]))),
     {B: False, F: True, FU: False}),
    ("remove_enum_symbol_new_has_default",
     record(field("e", enum(["A", "B", "C"]))),
     record(field("e", enum(["A", "B"], default="A"))),
     {B: True, F: True, FU: True}),
    ("make_nullable",
     record(field("s", "string")),
     record(field("s", ["null", "string"], default=None)),
     {B: True, F: False, FU: False}),
    ("add_union_branch",
     record(field("u", ["null", "string"])),
     record(field("u", ["null", "string", "int"])),
     {B: True, F: False, FU: False}),
    ("remove_union_branch",
     record(field("u", ["null", "string", "int"])),
     record(field("u", ["null", "string"])),
     {B: False, F: True, FU: False}),
    ("rename_field_with_alias",
     record(field("a", "string")),
     record(field("b", "string", aliases=["a"])),
     {B: True, F: False, FU: False}),
    ("namespace_only_change",
     record(field("a", "string")),
     {"type": "record", "name": "R", "namespace": "com.other", "fields": [field("a", "string")]},
     {B: True, F: True, FU: True}),
    ("record_renamed",
     record(field("a", "string")),
     record(field("a", "string"), name="S"),
     {B: False, F: False, FU: False}),
]

LEVEL_CASES = []
for _name, _old, _new, _expect in CHANGES:
    for _level in ["NONE", B, F, FU, "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"]:
        base = _level.replace("_TRANSITIVE", "")
        expected = True if base == "NONE" else _expect[base]
        LEVEL_CASES.append(pytest.param(_old, _new, _level, expected, id=f"{_name}-{_level}"))


@pytest.mark.parametrize("old,new,level,compatible", LEVEL_CASES)
def test_levels_via_register_and_check(sr, old, new, level, compatible):
    reg_id(sr, "s", old)
    set_level(sr, "s", level)
    assert ok(check(sr, "s", new)) == {"is_compatible": compatible}
    assert ok(check(sr, "s", new, version="latest")) == {"is_compatible": compatible}
    assert ok(check(sr, "s", new, version=1)) == {"is_compatible": compatible}
    r = register(sr, "s", new)
    if compatible:
        assert r.status_code == 200, r.text
        assert ok(sr.get("/subjects/s/versions")) == [1, 2]
    else:
        assert_error(r, 409, 409)
        msg = r.json()["message"]
        assert msg.startswith(INCOMPATIBLE_PREFIX.format("s") + "["), msg
        assert msg.endswith(f"{{validateFields: 'false', compatibility: '{level}'}}]"), msg
        assert "{oldSchemaVersion: 1}" in msg
        assert f"{{oldSchema: '{canon(old)}'}}" in msg
        assert ok(sr.get("/subjects/s/versions")) == [1]


# ---------------------------------------------------------------- exact message shapes

def test_409_exact_message_for_missing_default_example(sr):
    # the example from spec §6.4, verbatim
    v1 = record(field("f1", "string"), name="myrecord")
    v2 = record(field("f1", "string"), field("f2", "string"), name="myrecord")
    reg_id(sr, "t", v1)
    r = register(sr, "t", v2)
    assert r.status_code == 409
    assert r.json() == {"error_code": 409, "message": (
        'Schema being registered is incompatible with an earlier schema for subject "t", details: '
        "[{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' "
        "in the new schema has no default value and is missing in the old schema', additionalInfo:'f2'}, "
        "{oldSchemaVersion: 1}, "
        "{oldSchema: '{\"type\":\"record\",\"name\":\"myrecord\",\"fields\":[{\"name\":\"f1\",\"type\":\"string\"}]}'}, "
        "{validateFields: 'false', compatibility: 'BACKWARD'}]")}


def test_verbose_messages_match_register_details(sr):
    v1 = record(field("f1", "string"), name="myrecord")
    v2 = record(field("f1", "string"), field("f2", "string"), name="myrecord")
    reg_id(sr, "t", v1)
    assert ok(check(sr, "t", v2, verbose="true")) == {"is_compatible": False, "messages": [
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' "
        "in the new schema has no default value and is missing in the old schema', additionalInfo:'f2'}",
        "{oldSchemaVersion: 1}",
        "{oldSchema: '" + canon(v1) + "'}",
        "{validateFields: 'false', compatibility: 'BACKWARD'}",
    ]}
    assert ok(check(sr, "t", v2, version=1, verbose="true"))["messages"][0].startswith(
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'")


def test_forward_message_uses_old_as_reader(sr):
    v1 = record(field("a", "string"), field("b", "string"))
    v2 = record(field("a", "string"))
    reg_id(sr, "s", v1)
    set_level(sr, "s", "FORWARD")
    assert ok(check(sr, "s", v2, verbose="true"))["messages"] == [
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' "
        "in the old schema has no default value and is missing in the new schema', additionalInfo:'b'}",
        "{oldSchemaVersion: 1}",
        "{oldSchema: '" + canon(v1) + "'}",
        "{validateFields: 'false', compatibility: 'FORWARD'}",
    ]


def test_type_mismatch_message(sr):
    reg_id(sr, "s", record(field("n", "long")))
    msgs = ok(check(sr, "s", record(field("n", "int")), verbose="true"))["messages"]
    assert msgs[0] == ("{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field "
                       "in the new schema does not match with the old schema', "
                       "additionalInfo:'reader type: INT not compatible with writer type: LONG'}")


def test_missing_enum_symbols_message(sr):
    reg_id(sr, "s", record(field("e", enum(["A", "B", "C"]))))
    msgs = ok(check(sr, "s", record(field("e", enum(["A", "B"]))), verbose="true"))["messages"]
    assert msgs[0] == ("{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols "
                       "'[C]' at path '/fields/0/type/symbols' in the old schema', additionalInfo:'[C]'}")


def test_missing_union_branch_error_type(sr):
    reg_id(sr, "s", record(field("u", ["null", "string", "int"])))
    msgs = ok(check(sr, "s", record(field("u", ["null", "string"])), verbose="true"))["messages"]
    assert msgs[0].startswith("{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type "
                              "inside a union field at path '")
    assert "reader union lacking writer type: INT" in msgs[0]


def test_register_409_details_record_name_and_field_both_reported(sr):
    # the crossing depends on set iteration order, so try 20 different name pairs
    for i in range(20):
        subject, old_name, fname = f"a{i}", f"Other{i}", f"fld{i}"
        old = record(field("z", "string"), name=old_name)
        reg_id(sr, subject, old)
        r = register(sr, subject, record(field(fname, "string")))
        assert r.json() == {"error_code": 409, "message": (
            f'Schema being registered is incompatible with an earlier schema for subject "{subject}", details: '
            "[{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/name')', "
            f"additionalInfo:'expected: {old_name}'}}, "
            f"{{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field '{fname}' at path "
            "'/fields/0' in the new schema has no default value and is missing in the old schema', "
            f"additionalInfo:'{fname}'}}, "
            "{oldSchemaVersion: 1}, {oldSchema: '" + canon(old) + "'}, "
            "{validateFields: 'false', compatibility: 'BACKWARD'}]")}


def test_full_appends_old_schema_once(sr):
    old = record(field("a", "string"))
    reg_id(sr, "s", old)
    set_level(sr, "s", "FULL")
    # incompatible both ways
    msgs = ok(check(sr, "s", record(field("a", "int")), verbose="true"))["messages"]
    assert sum(m.startswith("{oldSchema: ") for m in msgs) == 1
    assert sum(m.startswith("{oldSchemaVersion: ") for m in msgs) == 1
    assert msgs[-1] == "{validateFields: 'false', compatibility: 'FULL'}"
    assert sum(m.startswith("{errorType:'TYPE_MISMATCH'") for m in msgs) == 2


# ---------------------------------------------------------------- transitive vs not

V1 = record(field("f1", "string"))
V2 = record(field("f1", "string"), field("f2", "string", default="foo"))
V3 = record(field("f1", "string"), field("f2", "string"))  # ok vs V2, not vs V1 (BACKWARD)


@pytest.mark.parametrize("level,compatible", [
    ("BACKWARD", True), ("BACKWARD_TRANSITIVE", False), ("FULL", True), ("FULL_TRANSITIVE", False),
    ("FORWARD", True), ("FORWARD_TRANSITIVE", True), ("NONE", True)])
def test_transitive_checks_all_versions(sr, level, compatible):
    reg_id(sr, "s", V1)
    reg_id(sr, "s", V2)
    set_level(sr, "s", level)
    assert ok(check(sr, "s", V3)) == {"is_compatible": compatible}
    r = register(sr, "s", V3)
    if compatible:
        ok(r)
    else:
        assert_error(r, 409, 409)
        assert "{oldSchemaVersion: 1}" in r.json()["message"]
        assert "{oldSchemaVersion: 2}" not in r.json()["message"]


def test_forward_transitive(sr):
    w1 = record(field("f1", "string"), field("f2", "string", default="x"))
    w2 = record(field("f1", "string"))
    w3 = record(field("f1", "string"), field("f2", "int"))  # old reader w1 cannot read int as string
    reg_id(sr, "s", w1)
    set_level(sr, "s", "FORWARD")
    reg_id(sr, "s", w2)
    assert ok(check(sr, "s", w3)) == {"is_compatible": True}
    set_level(sr, "s", "FORWARD_TRANSITIVE")
    assert ok(check(sr, "s", w3)) == {"is_compatible": False}
    assert_error(register(sr, "s", w3), 409, 409)


def test_transitive_reports_newest_failure_only(sr):
    reg_id(sr, "s", V1)
    reg_id(sr, "s", V2)
    set_level(sr, "s", "BACKWARD_TRANSITIVE")
    bad = record(field("f1", "string"), field("f9", "string"))  # incompatible with both
    msgs = ok(check(sr, "s", bad, verbose="true"))["messages"]
    assert "{oldSchemaVersion: 2}" in msgs
    assert "{oldSchemaVersion: 1}" not in msgs
    assert msgs[-1] == "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"


def test_specific_version_at_transitive_level_checks_only_that_version(sr):
    reg_id(sr, "s", V1)
    reg_id(sr, "s", V2)
    set_level(sr, "s", "BACKWARD_TRANSITIVE")
    assert ok(check(sr, "s", V3, version=2)) == {"is_compatible": True}
    assert ok(check(sr, "s", V3, version="latest")) == {"is_compatible": True}
    assert ok(check(sr, "s", V3, version=1)) == {"is_compatible": False}
    assert ok(check(sr, "s", V3)) == {"is_compatible": False}


def test_non_transitive_checks_latest_only(sr):
    reg_id(sr, "s", V1)
    reg_id(sr, "s", V2)
    # V3 is BACKWARD-incompatible with V1 but that version is not the latest
    assert ok(check(sr, "s", V3)) == {"is_compatible": True}
    assert ok(check(sr, "s", V3, version=1)) == {"is_compatible": False}


# ---------------------------------------------------------------- soft-deleted versions are ignored

def test_soft_deleted_versions_ignored_transitive(sr):
    reg_id(sr, "s", V1)
    reg_id(sr, "s", V2)
    set_level(sr, "s", "BACKWARD_TRANSITIVE")
    assert ok(check(sr, "s", V3)) == {"is_compatible": False}
    ok(sr.delete("/subjects/s/versions/1"))
    assert ok(check(sr, "s", V3)) == {"is_compatible": True}
    assert_error(check(sr, "s", V3, version=1), 404, 40402, "Version 1 not found.")
    reg_id(sr, "s", V3)
    assert ok(sr.get("/subjects/s/versions")) == [2, 3]


def test_soft_deleted_latest_ignored(sr):
    reg_id(sr, "s", V1)
    incompatible = record(field("f1", "int"))
    assert ok(check(sr, "s", incompatible)) == {"is_compatible": False}
    ok(sr.delete("/subjects/s"))
    assert ok(check(sr, "s", incompatible)) == {"is_compatible": True}
    reg_id(sr, "s", incompatible)


# ---------------------------------------------------------------- /compatibility edge cases

def test_unknown_subject_latest_is_compatible(sr):
    assert ok(check(sr, "nope", V1)) == {"is_compatible": True}
    assert ok(check(sr, "nope", V1, version="latest")) == {"is_compatible": True}
    assert ok(check(sr, "nope", V1, version="-1")) == {"is_compatible": True}
    assert ok(check(sr, "nope", V1, verbose="true")) == {"is_compatible": True, "messages": []}


def test_missing_numeric_version_is_40402_even_for_unknown_subject(sr):
    assert_error(check(sr, "nope", V1, version=1), 404, 40402, "Version 1 not found.")
    reg_id(sr, "s", V1)
    assert_error(check(sr, "s", V1, version=2), 404, 40402, "Version 2 not found.")


@pytest.mark.parametrize("bad", ["0", "-2", "abc", "2147483648"])
def test_bad_version_is_42202(sr, bad):
    msg = (f"The specified version '{bad}' is not a valid version id. "
           'Allowed values are between [1, 2^31-1] and the string "latest"')
    assert_error(check(sr, "nope", V1, version=bad), 422, 42202, msg)


def test_invalid_schema_422_or_verbose_200(sr):
    reg_id(sr, "s", V1)
    bad = record(field("a", "Nope"))
    assert_error(check(sr, "s", bad), 422, 42201)
    assert_error(check(sr, "s", "{not json"), 422, 42201)
    out = ok(check(sr, "s", bad, verbose="true"))
    assert out["is_compatible"] is False
    assert len(out["messages"]) >= 1
    assert out["messages"][0].startswith("Invalid schema"), out


def test_verbose_compatible_has_empty_messages(sr):
    reg_id(sr, "s", V1)
    assert ok(check(sr, "s", V2, verbose="true")) == {"is_compatible": True, "messages": []}
    assert ok(check(sr, "s", V2, verbose="false")) == {"is_compatible": True}
    assert ok(check(sr, "s", V3, verbose="false")) == {"is_compatible": False}


def test_compatibility_check_changes_nothing(sr):
    reg_id(sr, "s", V1)
    ok(check(sr, "s", V2))
    ok(check(sr, "new", V2))
    assert ok(sr.get("/subjects")) == ["s"]
    assert ok(sr.get("/subjects/s/versions")) == [1]


def test_compatibility_with_soft_deleted_version_number_is_40402(sr):
    reg_id(sr, "s", V1)
    reg_id(sr, "s", V2)
    ok(sr.delete("/subjects/s/versions/2"))
    assert_error(check(sr, "s", V2, version=2), 404, 40402, "Version 2 not found.")


def test_register_reregister_skips_compat_but_new_schema_is_checked(sr):
    reg_id(sr, "s", V1)
    set_level(sr, "s", "NONE")
    reg_id(sr, "s", record(field("x", "int")))
    set_level(sr, "s", "BACKWARD")
    assert_error(register(sr, "s", record(field("f1", "int"))), 409, 409)
    assert reg_id(sr, "s", V1) == 1


def test_force_skips_compatibility(sr):
    # force is an 8.x param (§3.4): skips the compatibility check
    reg_id(sr, "s", V1)
    r = sr.post("/subjects/s/versions", params={"force": "true"}, json=body(record(field("f1", "int"))))
    assert r.status_code == 200, r.text


def test_global_level_applies(sr):
    ok(sr.put("/config", json={"compatibility": "FORWARD"}))
    reg_id(sr, "s", record(field("a", "string"), field("b", "string")))
    assert_error(register(sr, "s", record(field("a", "string"))), 409, 409)
    ok(register(sr, "s", record(field("a", "string"), field("b", "string"), field("c", "string"))))


def test_subject_config_without_level_uses_server_default(sr):
    # quirk (§5.2): a stored subject config without a level gets the server default BACKWARD,
    # not the global level
    ok(sr.put("/config", json={"compatibility": "NONE"}))
    ok(sr.put("/config/s", json={"normalize": True}))
    reg_id(sr, "s", V1)
    assert_error(register(sr, "s", record(field("f1", "int"))), 409, 409)


# ---------------------------------------------------------------- compatibilityGroup

def test_compatibility_group(sr):
    ok(sr.put("/config/s", json={"compatibility": "BACKWARD", "compatibilityGroup": "application.version"}))
    assert ok(sr.get("/config/s")) == {"compatibilityLevel": "BACKWARD", "compatibilityGroup": "application.version"}
    m1 = {"properties": {"application.version": "1"}}
    m2 = {"properties": {"application.version": "2"}}
    reg_id(sr, "s", V1, metadata=m1)
    breaking = record(field("g", "int"))
    # same group: checked
    assert_error(register(sr, "s", breaking, metadata=m1), 409, 409)
    # new group: not checked against group 1
    reg_id(sr, "s", breaking, metadata=m2)
    # within group 2 checks apply again
    assert_error(register(sr, "s", record(field("h", "int")), metadata=m2), 409, 409)
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]


def test_compatibility_group_via_check_endpoint(sr):
    ok(sr.put("/config/s", json={"compatibilityGroup": "major"}))
    reg_id(sr, "s", V1, metadata={"properties": {"major": "1"}})
    breaking = record(field("g", "int"))
    assert ok(check(sr, "s", breaking, metadata={"properties": {"major": "2"}})) == {"is_compatible": True}
    assert ok(check(sr, "s", breaking, metadata={"properties": {"major": "1"}})) == {"is_compatible": False}


# ---------------------------------------------------------------- more Avro rules and messages

def test_fixed_size_mismatch_message(sr):
    reg_id(sr, "s", record(field("f", {"type": "fixed", "name": "F", "size": 4})))
    msgs = ok(check(sr, "s", record(field("f", {"type": "fixed", "name": "F", "size": 8})), verbose="true"))["messages"]
    assert msgs[0] == ("{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path "
                       "'/fields/0/type/size' in the new schema does not match with the old schema', "
                       "additionalInfo:'expected: 4, found: 8'}")


def test_nested_name_mismatch_message(sr):
    reg_id(sr, "s", record(field("e", enum(["A"]))))
    renamed = {"type": "enum", "name": "Other", "symbols": ["A"]}
    msgs = ok(check(sr, "s", record(field("e", renamed)), verbose="true"))["messages"]
    assert msgs[0] == ("{errorType:'NAME_MISMATCH', description:'The name of the schema has changed "
                       "(path '/fields/0/type/name')', additionalInfo:'expected: E'}")


def test_missing_union_branch_exact_message(sr):
    reg_id(sr, "s", record(field("u", ["null", "string", "int"])))
    msgs = ok(check(sr, "s", record(field("u", ["null", "string"])), verbose="true"))["messages"]
    assert msgs[0] == ("{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a "
                       "union field at path '/fields/0/type/2' in the old schema', "
                       "additionalInfo:'reader union lacking writer type: INT'}")


def test_reader_union_lacking_non_union_writer(sr):
    reg_id(sr, "s", record(field("u", "string")))
    msgs = ok(check(sr, "s", record(field("u", ["null", "int"])), verbose="true"))["messages"]
    assert msgs[0] == ("{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a "
                       "union field at path '/fields/0/type' in the old schema', "
                       "additionalInfo:'reader union lacking writer type: STRING'}")


def test_alias_on_record_name_makes_rename_compatible(sr):
    reg_id(sr, "s", record(field("a", "string"), name="Old"))
    renamed = {"type": "record", "name": "New", "aliases": ["Old"], "fields": [field("a", "string")]}
    assert ok(check(sr, "s", renamed)) == {"is_compatible": True}
    reg_id(sr, "s", renamed)


@pytest.mark.parametrize("old,new,compatible", [
    ({"type": "array", "items": "int"}, {"type": "array", "items": "long"}, True),
    ({"type": "array", "items": "long"}, {"type": "array", "items": "int"}, False),
    ({"type": "map", "values": "string"}, {"type": "map", "values": "bytes"}, True),
    ({"type": "map", "values": "string"}, {"type": "map", "values": "int"}, False),
    ({"type": "array", "items": "int"}, {"type": "map", "values": "int"}, False),
    ("int", "double", True),
    ("float", "long", False),
    ("string", ["null", "string"], True),
    (["null", "string"], "string", False),
])
def test_backward_containers_and_promotions(sr, old, new, compatible):
    reg_id(sr, "s", json.dumps(old))
    assert ok(check(sr, "s", json.dumps(new))) == {"is_compatible": compatible}


def test_recursive_record_evolution(sr):
    node = {"type": "record", "name": "Node", "fields": [
        field("value", "int"), field("next", ["null", "Node"], default=None)]}
    node2 = {"type": "record", "name": "Node", "fields": [
        field("value", "int"), field("next", ["null", "Node"], default=None), field("tag", "string", default="")]}
    node_bad = {"type": "record", "name": "Node", "fields": [
        field("value", "int"), field("next", ["null", "Node"], default=None), field("tag", "string")]}
    reg_id(sr, "s", node)
    set_level(sr, "s", "FULL_TRANSITIVE")
    assert ok(check(sr, "s", node2)) == {"is_compatible": True}
    reg_id(sr, "s", node2)
    assert ok(check(sr, "s", node_bad)) == {"is_compatible": False}


def test_full_transitive_three_versions(sr):
    set_level(sr, "s", "FULL_TRANSITIVE")
    a = record(field("a", "string"))
    b = record(field("a", "string"), field("b", "string", default="x"))
    c = record(field("a", "string"), field("b", "string", default="x"), field("c", "int", default=0))
    for x in (a, b, c):
        reg_id(sr, "s", x)
    # dropping a (no default) breaks FORWARD against every version
    d = record(field("b", "string", default="x"), field("c", "int", default=0))
    msgs = ok(check(sr, "s", d, verbose="true"))["messages"]
    assert "{oldSchemaVersion: 3}" in msgs and "{oldSchemaVersion: 1}" not in msgs
    assert msgs[-1] == "{validateFields: 'false', compatibility: 'FULL_TRANSITIVE'}"


def test_compatibility_group_null_matches_null(sr):
    ok(sr.put("/config/g", json={"compatibilityGroup": "major"}))
    reg_id(sr, "g", V1)
    reg_id(sr, "g", record(field("z", "int")), metadata={"properties": {"major": "2"}})
    # no group value: checked against versions without one (v1) only
    assert ok(check(sr, "g", V2, metadata={"properties": {}})) == {"is_compatible": True}
    assert ok(check(sr, "g", record(field("q", "int")), metadata={"properties": {"major": "3"}})) == {
        "is_compatible": True}


# ---------------------------------------------------------------- validateFields and reserved fields (§5.2, §6.4)

RESERVED = {"properties": {"confluent:reserved": "x,y"}}


def test_validate_fields_trailer(sr):
    ok(sr.put("/config/s", json={"validateFields": True}))
    reg_id(sr, "s", V1)
    msgs = ok(check(sr, "s", V3, verbose="true"))["messages"]
    assert msgs[-1] == "{validateFields: 'true', compatibility: 'BACKWARD'}"


def test_reserved_field_conflict_and_removal(sr):
    ok(sr.put("/config/s", json={"validateFields": True}))
    reg_id(sr, "s", V1, metadata=RESERVED)
    # metadata is inherited, so x is reserved in the new schema too
    with_x = record(field("f1", "string"), field("x", "string", default=""))
    r = register(sr, "s", with_x)
    assert_error(r, 409, 409)
    assert "The new schema has field that conflicts with the reserved field x." in r.json()["message"]
    r = register(sr, "s", V2, metadata={"properties": {"confluent:reserved": "x"}})
    assert_error(r, 409, 409)
    assert ("The new schema has reserved field y removed from its metadata which is present in the old "
            "schema's metadata.") in r.json()["message"]
    # without validateFields none of this is checked
    ok(sr.put("/config/s", json={"validateFields": False}))
    ok(register(sr, "s", with_x))


def test_large_old_schema_is_truncated_in_messages(sr):
    big = record(*[field(f"f{i}", "string", doc="x" * 50) for i in range(300)])
    assert len(canon(big)) > 20 * 1024
    reg_id(sr, "s", big)
    new = record(*big["fields"], field("zz", "int"))
    msgs = ok(check(sr, "s", new, verbose="true"))["messages"]
    old = [m for m in msgs if m.startswith("{oldSchema: ")]
    assert len(old) == 1
    assert old[0].startswith("{oldSchema: <truncated> '" + canon(big)[:1000])
    assert len(old[0]) < 11 * 1024
    r = register(sr, "s", new)
    assert_error(r, 409, 409)
    assert len(r.json()["message"]) < 12 * 1024


def test_forward_enum_and_type_messages(sr):
    set_level(sr, "s", "FORWARD")
    reg_id(sr, "s", record(field("e", enum(["A", "B"])), field("n", "int")))
    new = record(field("e", enum(["A", "B", "C"])), field("n", "long"))
    msgs = ok(check(sr, "s", new, verbose="true"))["messages"]
    assert msgs[:2] == [
        "{errorType:'MISSING_ENUM_SYMBOLS', description:'The old schema is missing enum symbols '[C]' at path "
        "'/fields/0/type/symbols' in the new schema', additionalInfo:'[C]'}",
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type') of a field in the old schema "
        "does not match with the new schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'}",
    ]
    assert msgs[2:] == ["{oldSchemaVersion: 1}", "{oldSchema: '" + canon(record(field("e", enum(["A", "B"])),
                                                                                 field("n", "int"))) + "'}",
                        "{validateFields: 'false', compatibility: 'FORWARD'}"]


def test_missing_enum_symbols_are_sorted_and_joined_like_java(sr):
    reg_id(sr, "s", record(field("e", enum(["D", "A", "C", "B"]))))
    msgs = ok(check(sr, "s", record(field("e", enum(["A"]))), verbose="true"))["messages"]
    assert "additionalInfo:'[B, C, D]'" in msgs[0]


@pytest.mark.parametrize("old,new,compatible", [
    # names compare unqualified, also inside unions
    (["null", {"type": "record", "name": "R", "namespace": "a", "fields": [field("x", "int")]}],
     ["null", {"type": "record", "name": "R", "namespace": "b", "fields": [field("x", "int")]}], True),
    (["null", {"type": "record", "name": "R", "namespace": "a", "fields": [field("x", "int")]}],
     ["null", {"type": "record", "name": "S", "namespace": "a", "fields": [field("x", "int")]}], False),
    # a reader alias must match the writer's full name
    ({"type": "record", "name": "R", "namespace": "a", "fields": []},
     {"type": "record", "name": "S", "namespace": "b", "aliases": ["a.R"], "fields": []}, True),
    ({"type": "record", "name": "R", "namespace": "a", "fields": []},
     {"type": "record", "name": "S", "namespace": "b", "aliases": ["R"], "fields": []}, False),
    # long -> float and long -> double promotions
    ("long", "float", True), ("long", "double", True), ("double", "float", False),
    ({"type": "fixed", "name": "F", "size": 4}, {"type": "fixed", "name": "F", "size": 4, "aliases": ["G"]}, True),
])
def test_backward_name_rules(sr, old, new, compatible):
    reg_id(sr, "s", json.dumps(old))
    assert ok(check(sr, "s", json.dumps(new))) == {"is_compatible": compatible}

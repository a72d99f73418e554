"""JSON Schema and Protobuf through the registry over real HTTP (issue 3).

Spec: ../shared/spec/registry-api.md sections 3.4 (register), 5.3 (canonical
text, normalize), 5.4 (references), 6.2-6.4 (JSON and Protobuf compatibility,
message assembly).
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from google.protobuf import descriptor_pb2

from tests.integration.registry_helpers import assert_error, body, check, ok, register, set_level

V1 = "application/vnd.schemaregistry.v1+json"
PREFIX = 'Schema being registered is incompatible with an earlier schema for subject "{}", details: '


# -- helpers ---------------------------------------------------------------------------------

def latest(sr, subject, **params) -> dict:
    return ok(sr.get(f"/subjects/{quote(subject, safe='')}/versions/latest", params=params))


def nothing_stored(sr, *subjects):
    assert sr.get("/subjects").json() == sorted(subjects)


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def json_msg(error_type: str, description: str) -> str:
    """Confluent's JSON message, with its quirk: opens with \" and closes with '."""
    return f'{{errorType:"{error_type}", description:"{description}\'}}'


def proto_msg(error_type: str, description: str) -> str:
    return f'{{errorType:"{error_type}", description:"{description}"}}'


def trailer(version: int, old_text: str, level: str) -> list[str]:
    return [f"{{oldSchemaVersion: {version}}}", f"{{oldSchema: '{old_text}'}}",
            f"{{validateFields: 'false', compatibility: '{level}'}}"]


def details(messages: list[str]) -> str:
    return "[" + ", ".join(messages) + "]"


# -- JSON Schema: register, canonical text, normalize ----------------------------------------

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name"]}


def test_json_register_returns_compact_canonical_text_keys_in_given_order(sr):
    sent = '{ "type" : "object",\n  "properties": {"zeta": {"type": "string", "description": "ünï"},\n' \
           '  "alpha": {"type": "number", "maximum": 1.50}} }'
    assert ok(register(sr, "people-value", sent, "JSON")) == {"id": 1}
    canonical = ('{"type":"object","properties":{"zeta":{"type":"string","description":"ünï"},'
                 '"alpha":{"type":"number","maximum":1.50}}}')
    assert latest(sr, "people-value") == {
        "subject": "people-value", "version": 1, "id": 1, "schemaType": "JSON", "schema": canonical}
    assert ok(sr.get("/schemas/ids/1")) == {"schemaType": "JSON", "schema": canonical}
    raw = sr.get("/subjects/people-value/versions/1/schema")
    assert raw.status_code == 200 and raw.text == canonical
    # The same schema sent again, differently spaced: same id, no new version.
    assert ok(register(sr, "people-value", canonical, "JSON")) == {"id": 1}
    assert ok(sr.get("/subjects/people-value/versions")) == [1]
    assert ok(sr.get("/schemas/types")) == ["JSON", "PROTOBUF", "AVRO"]


def test_same_text_as_another_type_gets_its_own_id(sr):
    """schemaType is not in the hash (spec 5.3), yet a JSON and an AVRO schema never share an id."""
    assert ok(register(sr, "as-avro", '{"type":"string"}')) == {"id": 1}
    assert ok(register(sr, "as-json", '{"type":"string"}', "JSON")) == {"id": 2}
    assert ok(sr.get("/schemas/ids/1")) == {"schema": '"string"'}
    assert ok(sr.get("/schemas/ids/2")) == {"schemaType": "JSON", "schema": '{"type":"string"}'}


def test_json_lookup_finds_version_with_schema_type(sr):
    ok(register(sr, "p", PERSON, "JSON"))
    found = ok(sr.post("/subjects/p", json=body(PERSON, "JSON")))
    assert found == {"subject": "p", "version": 1, "id": 1, "schemaType": "JSON", "schema": compact(PERSON)}
    # Another schema is not found under this subject; the same text sent as AVRO is not
    # found either (it parses as Avro and fails there: 42201).
    assert_error(sr.post("/subjects/p", json=body({"type": "string"}, "JSON")), 404, 40403)
    assert_error(sr.post("/subjects/p", json=body(PERSON)), 422, 42201)


def test_json_normalize_sorts_keys_recursively(sr):
    messy = {"type": "object", "required": ["b"], "properties": {"b": {"type": "string", "maxLength": 3},
                                                                 "a": {"type": "integer"}}}
    sorted_text = ('{"properties":{"a":{"type":"integer"},"b":{"maxLength":3,"type":"string"}},'
                   '"required":["b"],"type":"object"}')
    assert ok(register(sr, "n", messy, "JSON", params={"normalize": "true"})) == {"id": 1}
    assert latest(sr, "n")["schema"] == sorted_text
    # Without normalize the key order is kept: a different text, a different schema id.
    assert ok(register(sr, "plain", messy, "JSON")) == {"id": 2}
    assert latest(sr, "plain")["schema"] == compact(messy)
    # The sorted text registered plainly is the normalized one: same id.
    assert ok(register(sr, "other", sorted_text, "JSON")) == {"id": 1}
    # normalize through config applies to lookup as well.
    ok(sr.put("/config/n", json={"normalize": True}))
    assert ok(sr.post("/subjects/n", json=body(messy, "JSON")))["id"] == 1
    assert ok(register(sr, "n", messy, "JSON")) == {"id": 1}
    assert ok(sr.get("/subjects/n/versions")) == [1]


# -- JSON Schema: references ---------------------------------------------------------------

ADDRESS = {"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "string"}}}
CUSTOMER = {"type": "object", "properties": {"name": {"type": "string"},
                                             "home": {"$ref": "address.json"}}}


def test_json_ref_to_another_subject_via_references(sr):
    assert ok(register(sr, "address", ADDRESS, "JSON")) == {"id": 1}
    refs = [{"name": "address.json", "subject": "address", "version": 1}]
    assert ok(register(sr, "customer-value", CUSTOMER, "JSON", refs)) == {"id": 2}
    assert latest(sr, "customer-value") == {
        "subject": "customer-value", "version": 1, "id": 2, "schemaType": "JSON",
        "references": refs, "schema": compact(CUSTOMER)}
    assert ok(sr.get("/schemas/ids/2")) == {"schemaType": "JSON", "references": refs, "schema": compact(CUSTOMER)}
    assert ok(sr.get("/subjects/address/versions/1/referencedby")) == [2]
    # A referenced version cannot be deleted.
    assert_error(sr.delete("/subjects/address/versions/1"), 422, 42206)
    # version -1 is pinned to the concrete latest version.
    ok(register(sr, "address", {**ADDRESS, "description": "v2"}, "JSON"))
    refs_latest = [{"name": "address.json", "subject": "address", "version": -1}]
    assert ok(register(sr, "customer2", CUSTOMER, "JSON", refs_latest)) == {"id": 4}
    assert latest(sr, "customer2")["references"] == [
        {"name": "address.json", "subject": "address", "version": 2}]


def test_json_ref_without_reference_is_42201_and_nothing_stored(sr):
    data = assert_error(register(sr, "customer-value", CUSTOMER, "JSON"), 422, 42201)
    assert "address.json" in data["message"]
    refs = [{"name": "address.json", "subject": "address", "version": 1}]
    data = assert_error(register(sr, "customer-value", CUSTOMER, "JSON", refs), 422, 42201)
    assert 'No schema reference found for subject "address" and version 1' in data["message"]
    nothing_stored(sr)


def test_json_compatibility_follows_referenced_schema(sr):
    ok(register(sr, "address", ADDRESS, "JSON"))
    narrowed = {"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "integer"}}}
    ok(register(sr, "address-int", narrowed, "JSON"))
    ok(register(sr, "customer", CUSTOMER, "JSON", [{"name": "address.json", "subject": "address", "version": 1}]))
    refs2 = [{"name": "address.json", "subject": "address-int", "version": 1}]
    r = check(sr, "customer", CUSTOMER, "JSON", refs2, verbose="true")
    got = ok(r)
    assert got["is_compatible"] is False
    assert got["messages"][0] == json_msg(
        "TYPE_CHANGED", "A type at path '#/properties/home/properties/zip' is different between the new "
                        "schema and the old schema")


def test_json_well_known_internal_refs_need_no_reference(sr):
    schema = {"$defs": {"id": {"type": "string", "minLength": 1}},
              "definitions": {"n": {"type": "integer"}},
              "type": "object", "properties": {"a": {"$ref": "#/$defs/id"}, "b": {"$ref": "#/definitions/n"},
                                               "kids": {"type": "array", "items": {"$ref": "#"}}}}
    assert ok(register(sr, "tree", schema, "JSON")) == {"id": 1}


# -- JSON Schema: no network, ever ---------------------------------------------------------

@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, int]]:
    """A listening loopback socket that must never see a connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.5)
    try:
        yield sock, sock.getsockname()[1]
    finally:
        sock.close()


def assert_no_connection(sock: socket.socket) -> None:
    try:
        conn, addr = sock.accept()
    except (TimeoutError, socket.timeout):
        return
    conn.close()
    pytest.fail(f"the registry connected to the listener from {addr}")


def test_http_ref_is_42201_and_never_fetched(sr, listener):
    sock, port = listener
    url = f"http://127.0.0.1:{port}/x.json"
    schema = {"type": "object", "properties": {"a": {"$ref": url}}}
    data = assert_error(register(sr, "remote", schema, "JSON"), 422, 42201)
    assert url in data["message"]
    # Lookup and the compatibility check parse it too: still no connection.
    ok(register(sr, "remote", {"type": "object"}, "JSON"))
    assert_error(check(sr, "remote", schema, "JSON"), 422, 42201)
    assert ok(check(sr, "remote", schema, "JSON", verbose="true"))["is_compatible"] is False
    assert sr.post("/subjects/remote", json=body(schema, "JSON")).status_code == 422
    https = {"$ref": f"https://127.0.0.1:{port}/y.json"}
    assert_error(register(sr, "remote2", https, "JSON"), 422, 42201)
    assert ok(sr.get("/subjects")) == ["remote"]
    assert_no_connection(sock)


def test_relative_ref_against_http_id_is_42201_and_never_fetched(sr, listener):
    sock, port = listener
    schema = {"$id": f"http://127.0.0.1:{port}/root.json", "type": "object",
              "properties": {"a": {"$ref": "other.json"}}}
    assert_error(register(sr, "remote", schema, "JSON"), 422, 42201)
    nothing_stored(sr)
    assert_no_connection(sock)


def test_http_ref_named_by_a_reference_resolves_without_network(sr, listener):
    sock, port = listener
    url = f"http://127.0.0.1:{port}/address.json"
    ok(register(sr, "address", ADDRESS, "JSON"))
    schema = {"type": "object", "properties": {"home": {"$ref": url}}}
    refs = [{"name": url, "subject": "address", "version": 1}]
    assert ok(register(sr, "customer", schema, "JSON", refs)) == {"id": 2}
    assert_no_connection(sock)


# -- JSON Schema: invalid schemas -----------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"type": "object"',                                   # not JSON
    '{"type": "objectx"}',                                 # not a type
    '{"type": "object", "properties": {"a": {"type": 5}}}',
    '{"type": "string", "minLength": -1}',
    '{"type": "array", "items": 7}',
    '{"$schema": "http://json-schema.org/draft-04/schema#", "type": "string", "exclusiveMinimum": 1}',
    '[1, 2]',
    '"just a string"',
    '',
], ids=["truncated", "bad-type", "bad-nested-type", "negative-minLength", "items-number",
        "draft4-numeric-exclusiveMinimum", "array", "string", "empty"])
def test_json_invalid_schema_42201_and_nothing_stored(sr, text):
    r = register(sr, "bad", text, "JSON")
    assert_error(r, 422, 42201)
    nothing_stored(sr)
    assert_error(sr.get("/schemas/ids/1"), 404, 40403)


def test_json_drafts_by_schema_keyword(sr):
    # exclusiveMinimum is a boolean in draft 4, a number from draft 6 on.
    d4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "number", "minimum": 1,
          "exclusiveMinimum": True}
    d7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "number", "exclusiveMinimum": 1}
    d2019 = {"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "number", "exclusiveMinimum": 1}
    d2020 = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
             "prefixItems": [{"type": "string"}]}
    for i, schema in enumerate([d4, d7, d2019, d2020], start=1):
        assert ok(register(sr, f"d{i}", schema, "JSON")) == {"id": i}
    bad7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "number", "exclusiveMinimum": True}
    assert_error(register(sr, "bad7", bad7, "JSON"), 422, 42201)


def test_json_deeply_nested_schema_is_42201_not_500(sr):
    deep = '{"type":"string"}'
    for _ in range(5000):
        deep = '{"type":"array","items":%s}' % deep
    assert_error(register(sr, "deep", deep, "JSON"), 422, 42201)
    nothing_stored(sr)


def test_json_pure_internal_ref_cycle_is_accepted_and_checks_end(sr):
    """A `$ref` chain that only loops (`a -> b -> a`) loads lazily, as in everit: register and the
    check must answer (and quickly), not recurse forever."""
    loop = {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}
    start = time.monotonic()
    assert ok(register(sr, "loop", loop, "JSON")) == {"id": 1}
    assert ok(check(sr, "loop", loop, "JSON", verbose="true")) == {"is_compatible": True, "messages": []}
    got = ok(check(sr, "loop", {"type": "string"}, "JSON", verbose="true"))
    assert got["is_compatible"] is False
    assert time.monotonic() - start < 5


def test_json_ref_name_shadowed_by_its_own_dependency_resolves_like_confluent(sr):
    """Confluent resolves references depth-first, dependencies first, and then puts each name
    (overwriting a dependency's entry of the same name): here `x.json` ends as s's text, a
    `$ref` to itself. Like everit, that loads lazily; it must answer, not hang."""
    ok(register(sr, "t", {"type": "string"}, "JSON"))
    ok(register(sr, "s", {"$ref": "x.json"}, "JSON", [{"name": "x.json", "subject": "t", "version": 1}]))
    start = time.monotonic()
    r = register(sr, "m", {"$ref": "x.json"}, "JSON", [{"name": "x.json", "subject": "s", "version": 1}])
    assert ok(r) == {"id": 3}
    assert time.monotonic() - start < 5


# -- JSON Schema: compatibility --------------------------------------------------------------

def test_json_409_message_is_confluents(sr):
    old = {"type": "object", "properties": {"b": {"type": "string"}}}
    new = {"type": "object", "properties": {"b": {"type": "integer"}}}
    ok(register(sr, "j", old, "JSON"))
    r = register(sr, "j", new, "JSON")
    messages = [json_msg("TYPE_CHANGED", "A type at path '#/properties/b' is different between the new "
                                         "schema and the old schema")] + trailer(1, compact(old), "BACKWARD")
    assert_error(r, 409, 409, PREFIX.format("j") + details(messages))
    assert ok(check(sr, "j", new, "JSON", verbose="true")) == {"is_compatible": False, "messages": messages}
    assert ok(check(sr, "j", new, "JSON")) == {"is_compatible": False}
    assert ok(sr.get("/subjects/j/versions")) == [1]


def test_json_required_added_and_compatible_changes(sr):
    old = {"type": "object", "properties": {"a": {"type": "string"}, "n": {"type": "integer"}},
           "additionalProperties": False}
    ok(register(sr, "j", old, "JSON"))
    required = {**old, "required": ["a"]}
    got = ok(check(sr, "j", required, "JSON", verbose="true"))
    assert got["is_compatible"] is False
    assert got["messages"][0] == json_msg(
        "REQUIRED_ATTRIBUTE_ADDED", "The keyword at path '#/required/a' in the new schema is not present in "
                                    "the old schema")
    # integer -> number widens; an optional property added to a closed model is fine; required
    # with a default is fine.
    wider = {"type": "object", "properties": {"a": {"type": "string", "default": "x"}, "n": {"type": "number"},
                                              "extra": {"type": "string"}},
             "required": ["a"], "additionalProperties": False}
    assert ok(check(sr, "j", wider, "JSON", verbose="true")) == {"is_compatible": True, "messages": []}
    assert ok(register(sr, "j", wider, "JSON")) == {"id": 2}
    # number -> integer narrows again.
    narrower = {**wider, "properties": {**wider["properties"], "n": {"type": "integer"}}}
    got = ok(check(sr, "j", narrower, "JSON", verbose="true"))
    assert got["messages"][0].startswith('{errorType:"TYPE_NARROWED", description:"'), got
    assert "'#/properties/n'" in got["messages"][0]
    assert got["is_compatible"] is False


def test_json_forward_and_full_messages_use_swapped_labels(sr):
    old = {"type": "object", "properties": {"b": {"type": "string"}}}
    new = {"type": "object", "properties": {"b": {"type": "integer"}}}
    ok(register(sr, "j", old, "JSON"))
    set_level(sr, "j", "FULL")
    got = ok(check(sr, "j", new, "JSON", verbose="true"))
    assert got["messages"] == [
        json_msg("TYPE_CHANGED", "A type at path '#/properties/b' is different between the new schema and the "
                                 "old schema"),
        json_msg("TYPE_CHANGED", "A type at path '#/properties/b' is different between the old schema and the "
                                 "new schema"),
    ] + trailer(1, compact(old), "FULL")


OPEN_OLD = {"type": "object", "properties": {"a": {"type": "string"}}}
OPEN_NEW = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}


def test_json_lenient_policy_changes_verdict(sr):
    ok(register(sr, "j", OPEN_OLD, "JSON"))
    got = ok(check(sr, "j", OPEN_NEW, "JSON", verbose="true"))
    assert got["is_compatible"] is False
    assert got["messages"][0].startswith('{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", ')
    assert "#/properties/b" in got["messages"][0]
    assert_error(register(sr, "j", OPEN_NEW, "JSON"), 409, 409)

    assert ok(sr.put("/config", json={"compatibilityPolicy": "LENIENT"})) == {"compatibilityPolicy": "LENIENT"}
    assert ok(sr.get("/config"))["compatibilityPolicy"] == "LENIENT"
    assert ok(check(sr, "j", OPEN_NEW, "JSON", verbose="true")) == {"is_compatible": True, "messages": []}
    assert ok(register(sr, "j", OPEN_NEW, "JSON")) == {"id": 2}
    # A type change stays incompatible under LENIENT.
    bad = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}
    assert ok(check(sr, "j", bad, "JSON"))["is_compatible"] is False
    # Back to STRICT.
    ok(sr.put("/config", json={"compatibilityPolicy": "STRICT"}))
    more = {"type": "object", "properties": {**OPEN_NEW["properties"], "c": {"type": "string"}}}
    assert ok(check(sr, "j", more, "JSON"))["is_compatible"] is False


def test_json_lenient_policy_per_subject(sr):
    ok(register(sr, "lenient", OPEN_OLD, "JSON"))
    ok(register(sr, "strict", OPEN_OLD, "JSON"))
    ok(sr.put("/config/lenient", json={"compatibilityPolicy": "LENIENT"}))
    assert ok(check(sr, "lenient", OPEN_NEW, "JSON"))["is_compatible"] is True
    assert ok(check(sr, "strict", OPEN_NEW, "JSON"))["is_compatible"] is False


def test_bad_compatibility_policy_is_rejected(sr):
    r = sr.put("/config", json={"compatibilityPolicy": "SLOPPY"})
    assert r.status_code == 422 and r.json()["error_code"] == 42203
    assert "compatibilityPolicy" not in ok(sr.get("/config"))


def test_json_transitive_checks_every_version(sr):
    v1 = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    v2 = {"type": "object", "properties": {"a": {"type": "string"}}}
    ok(register(sr, "j", v1, "JSON"))
    ok(register(sr, "j", v2, "JSON"))
    # Closing the model again: ADDITIONAL_PROPERTIES_REMOVED against v2 (incompatible).
    assert ok(check(sr, "j", v1, "JSON"))["is_compatible"] is False
    set_level(sr, "j", "BACKWARD_TRANSITIVE")
    v3 = {"type": "object", "properties": {"a": {"type": "integer"}}}
    got = ok(check(sr, "j", v3, "JSON", verbose="true"))
    assert got["is_compatible"] is False
    assert got["messages"][-3:] == trailer(2, compact(v2), "BACKWARD_TRANSITIVE")


# -- different schema types --------------------------------------------------------------------

DIFFERENT = "Incompatible because of different schema type"


@pytest.mark.parametrize("first,second", [
    (("AVRO", '{"type":"string"}'), ("JSON", '{"type":"string"}')),
    (("JSON", '{"type":"string"}'), ("PROTOBUF", 'syntax = "proto3";\nmessage M {\n  string a = 1;\n}\n')),
    (("PROTOBUF", 'syntax = "proto3";\nmessage M {\n  string a = 1;\n}\n'), ("AVRO", '"string"')),
])
def test_different_schema_type_is_incompatible_unless_none(sr, first, second):
    (t1, s1), (t2, s2) = first, second
    ok(register(sr, "x", s1, t1))
    old_text = latest(sr, "x")["schema"]
    for level in ("BACKWARD", "FORWARD", "FULL", "FULL_TRANSITIVE"):
        set_level(sr, "x", level)
        messages = [DIFFERENT] + trailer(1, old_text, level)
        assert ok(check(sr, "x", s2, t2, verbose="true")) == {"is_compatible": False, "messages": messages}
        assert_error(register(sr, "x", s2, t2), 409, 409, PREFIX.format("x") + details(messages))
    set_level(sr, "x", "NONE")
    assert ok(check(sr, "x", s2, t2)) == {"is_compatible": True}
    assert ok(register(sr, "x", s2, t2)) == {"id": 2}
    got = latest(sr, "x")
    assert got["version"] == 2 and got.get("schemaType", "AVRO") == t2


# -- Protobuf: register and canonical text -----------------------------------------------------

ORDER_PROTO = """syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";

message Order {
  string id = 1;
  repeated Line lines = 2;
  google.protobuf.Timestamp placed = 3;
  map<string, string> tags = 4;
  oneof payment {
    string card = 5;
    string voucher = 6;
  }
  enum Status {
    NEW = 0;
    PAID = 1;
  }
  Status status = 7;
  message Line {
    string sku = 1;
    int32 qty = 2;
  }
}
"""


def test_protobuf_register_returns_confluent_formatted_text(sr):
    sent = ('syntax="proto3"; package shop.v1;   import "google/protobuf/timestamp.proto";'
            'message Order{string id=1;repeated Line lines=2; google.protobuf.Timestamp placed=3;'
            'map<string,string> tags=4; oneof payment{string card=5;string voucher=6;}'
            'enum Status{NEW=0;PAID=1;} Status status=7; message Line{string sku=1;int32 qty=2;}}')
    assert ok(register(sr, "orders-value", sent, "PROTOBUF")) == {"id": 1}
    got = latest(sr, "orders-value")
    assert got["schemaType"] == "PROTOBUF" and got["id"] == 1 and got["version"] == 1
    assert "references" not in got
    text = got["schema"]
    assert text.startswith('syntax = "proto3";\npackage shop.v1;\n\nimport "google/protobuf/timestamp.proto";\n')
    for line in ("message Order {", "  string id = 1;", "  repeated Line lines = 2;",
                 "  google.protobuf.Timestamp placed = 3;", "  map<string, string> tags = 4;",
                 "  oneof payment {", "    string card = 5;", "  enum Status {", "    PAID = 1;",
                 "  message Line {", "    int32 qty = 2;"):
        assert line in text.splitlines(), (line, text)
    assert sr.get("/subjects/orders-value/versions/1/schema").text == text
    # The formatted text and the hand-written one are the same schema.
    assert ok(register(sr, "orders-value", ORDER_PROTO, "PROTOBUF")) == {"id": 1}
    assert ok(register(sr, "orders-value", text, "PROTOBUF")) == {"id": 1}
    assert ok(sr.get("/subjects/orders-value/versions")) == [1]


def test_protobuf_proto2_with_required_extensions_and_reserved(sr):
    proto2 = """syntax = "proto2";
package legacy;

message Old {
  required string id = 1;
  optional int32 n = 2 [default = 7];
  reserved 5, 9 to 11;
  reserved "gone";
  extensions 100 to 199;
}

extend Old {
  optional string note = 100;
}
"""
    assert ok(register(sr, "legacy", proto2, "PROTOBUF")) == {"id": 1}
    text = latest(sr, "legacy")["schema"]
    assert text.startswith('syntax = "proto2";\npackage legacy;\n')
    assert "  required string id = 1;" in text.splitlines()


def test_protobuf_no_syntax_defaults_and_text_is_stable(sr):
    ok(register(sr, "p", "message M { optional string a = 1; }", "PROTOBUF"))
    text = latest(sr, "p")["schema"]
    assert ok(register(sr, "q", text, "PROTOBUF")) == {"id": 1}


def test_protobuf_normalize_sorts_imports_and_options(sr):
    messy = """syntax = "proto3";
package x;

import "google/protobuf/timestamp.proto";
import "google/protobuf/any.proto";

option java_package = "b";
option go_package = "a";

message M {
  string a = 1;
  google.protobuf.Timestamp t = 2;
  google.protobuf.Any any = 3;
}
"""
    assert ok(register(sr, "n", messy, "PROTOBUF", params={"normalize": "true"})) == {"id": 1}
    text = latest(sr, "n")["schema"]
    lines = text.splitlines()
    assert lines.index('import "google/protobuf/any.proto";') < lines.index('import "google/protobuf/timestamp.proto";')
    assert lines.index('option go_package = "a";') < lines.index('option java_package = "b";')
    # Plain registration keeps the order: another schema.
    assert ok(register(sr, "plain", messy, "PROTOBUF")) == {"id": 2}
    plain = latest(sr, "plain")["schema"].splitlines()
    assert plain.index('import "google/protobuf/timestamp.proto";') < plain.index('import "google/protobuf/any.proto";')
    # The normalized text, registered plainly, is the normalized schema.
    assert ok(register(sr, "again", text, "PROTOBUF")) == {"id": 1}
    # Lookup with normalize finds the normalized version from the messy text.
    assert ok(sr.post("/subjects/n", params={"normalize": "true"}, json=body(messy, "PROTOBUF")))["id"] == 1


# -- Protobuf: imports via references; well-known imports ---------------------------------------

COMMON = """syntax = "proto3";
package shop;

message Money {
  int64 units = 1;
  string currency = 2;
}
"""
ORDER_WITH_IMPORT = """syntax = "proto3";
package shop;

import "shop/common.proto";

message Order {
  string id = 1;
  Money total = 2;
}
"""
COMMON_REF = [{"name": "shop/common.proto", "subject": "shop/common.proto", "version": 1}]


def test_protobuf_import_through_references_subject_with_slash(sr):
    assert ok(register(sr, "shop/common.proto", COMMON, "PROTOBUF")) == {"id": 1}
    assert ok(sr.get("/subjects")) == ["shop/common.proto"]
    assert latest(sr, "shop/common.proto")["subject"] == "shop/common.proto"
    assert ok(sr.get("/subjects/shop%2Fcommon.proto/versions")) == [1]
    assert ok(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", COMMON_REF)) == {"id": 2}
    got = latest(sr, "orders-value")
    assert got == {"subject": "orders-value", "version": 1, "id": 2, "schemaType": "PROTOBUF",
                   "references": COMMON_REF, "schema": ORDER_WITH_IMPORT}
    assert ok(sr.get("/subjects/shop%2Fcommon.proto/versions/1/referencedby")) == [2]
    assert_error(sr.delete("/subjects/shop%2Fcommon.proto/versions/1"), 422, 42206)


def test_protobuf_import_without_reference_is_42201(sr):
    data = assert_error(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF"), 422, 42201)
    assert "shop/common.proto" in data["message"]
    nothing_stored(sr)


def test_protobuf_missing_reference_target_is_42201(sr):
    data = assert_error(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", COMMON_REF), 422, 42201)
    assert 'No schema reference found for subject "shop/common.proto" and version 1' in data["message"]
    nothing_stored(sr)


def test_protobuf_soft_deleted_reference_target_is_42201_on_register(sr):
    ok(register(sr, "shop/common.proto", COMMON, "PROTOBUF"))
    ok(sr.delete("/subjects/shop%2Fcommon.proto/versions/1"))
    assert_error(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", COMMON_REF), 422, 42201)
    assert ok(sr.get("/subjects")) == []


@pytest.mark.parametrize("path,type_", [
    ("google/protobuf/timestamp.proto", "google.protobuf.Timestamp"),
    ("google/protobuf/duration.proto", "google.protobuf.Duration"),
    ("google/protobuf/any.proto", "google.protobuf.Any"),
    ("google/protobuf/struct.proto", "google.protobuf.Struct"),
    ("google/protobuf/wrappers.proto", "google.protobuf.StringValue"),
    ("google/protobuf/empty.proto", "google.protobuf.Empty"),
    ("google/protobuf/descriptor.proto", "google.protobuf.FileDescriptorProto"),
    ("google/type/date.proto", "google.type.Date"),
    ("google/type/money.proto", "google.type.Money"),
    ("google/type/decimal.proto", "google.type.Decimal"),
])
def test_protobuf_well_known_imports_need_no_reference(sr, path, type_):
    schema = f'syntax = "proto3";\npackage x;\n\nimport "{path}";\n\nmessage M {{\n  {type_} v = 1;\n}}\n'
    assert ok(register(sr, "wk", schema, "PROTOBUF")) == {"id": 1}
    assert latest(sr, "wk")["schema"] == schema


def test_protobuf_confluent_meta_import_needs_no_reference(sr):
    schema = ('syntax = "proto3";\npackage x;\n\nimport "confluent/meta.proto";\n\n'
              'message M {\n  string v = 1 [(confluent.field_meta) = {\n    doc: "a doc"\n  }];\n}\n')
    assert ok(register(sr, "meta", schema, "PROTOBUF")) == {"id": 1}
    assert 'import "confluent/meta.proto";' in latest(sr, "meta")["schema"]


def test_protobuf_import_cycle_through_references_is_42201(sr):
    ok(register(sr, "pt", 'syntax = "proto3";\npackage t;\nmessage T { string a = 1; }', "PROTOBUF"))
    s = 'syntax = "proto3";\npackage s;\nimport "a.proto";\nmessage S { t.T t = 1; }'
    ok(register(sr, "ps", s, "PROTOBUF", [{"name": "a.proto", "subject": "pt", "version": 1}]))
    # "a.proto" now names ps, which imports "a.proto": itself.
    m = 'syntax = "proto3";\npackage m;\nimport "a.proto";\nmessage M { s.S s = 1; }'
    start = time.monotonic()
    data = assert_error(register(sr, "pm", m, "PROTOBUF", [{"name": "a.proto", "subject": "ps", "version": 1}]),
                        422, 42201)
    assert time.monotonic() - start < 5
    assert "recursively imports itself" in data["message"]
    assert ok(sr.get("/subjects")) == ["ps", "pt"]


# -- Protobuf: base64 FileDescriptorProto and format=serialized ---------------------------------

def test_protobuf_format_serialized_is_base64_file_descriptor(sr):
    ok(register(sr, "o", ORDER_PROTO, "PROTOBUF"))
    got = latest(sr, "o", format="serialized")
    assert got["schemaType"] == "PROTOBUF" and got["id"] == 1
    fd = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(got["schema"], validate=True))
    assert fd.package == "shop.v1"
    assert fd.syntax == "proto3"
    assert list(fd.dependency) == ["google/protobuf/timestamp.proto"]
    order = fd.message_type[0]
    assert order.name == "Order"
    assert sorted((f.number, f.name) for f in order.field) == [
        (1, "id"), (2, "lines"), (3, "placed"), (4, "tags"), (5, "card"), (6, "voucher"), (7, "status")]
    assert {f.name: f.oneof_index for f in order.field if f.HasField("oneof_index")} == {"card": 0, "voucher": 0}
    assert sorted(n.name for n in order.nested_type) == ["Line", "TagsEntry"]
    assert next(n for n in order.nested_type if n.name == "TagsEntry").options.map_entry is True
    assert [o.name for o in order.oneof_decl] == ["payment"]
    # format=serialized on the other reads as well.
    by_id = ok(sr.get("/schemas/ids/1", params={"format": "serialized"}))
    assert by_id["schema"] == got["schema"]
    raw = sr.get("/subjects/o/versions/1/schema", params={"format": "serialized"})
    assert raw.status_code == 200 and raw.text == got["schema"]
    # Without format: the text.
    assert ok(sr.get("/schemas/ids/1"))["schema"].startswith('syntax = "proto3";')
    # An unknown format is ignored; serialized on a JSON schema is ignored.
    assert latest(sr, "o", format="bogus")["schema"].startswith('syntax = "proto3";')
    ok(register(sr, "j", PERSON, "JSON"))
    assert latest(sr, "j", format="serialized")["schema"] == compact(PERSON)


def test_protobuf_register_base64_descriptor_like_the_python_serializer(sr):
    fd = descriptor_pb2.FileDescriptorProto(name="orders.proto", package="shop", syntax="proto3")
    msg = fd.message_type.add(name="Order")
    msg.field.add(name="id", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                  label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    msg.field.add(name="qty", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
                  label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
    b64 = base64.b64encode(fd.SerializeToString()).decode()
    assert ok(register(sr, "o", b64, "PROTOBUF")) == {"id": 1}
    text = latest(sr, "o")["schema"]
    assert text.startswith('syntax = "proto3";\npackage shop;\n')
    assert "  string id = 1;" in text.splitlines() and "  repeated int32 qty = 2;" in text.splitlines()
    # The same schema as .proto text is the same schema (stored as canonical text).
    same = 'syntax = "proto3";\npackage shop;\nmessage Order { string id = 1; repeated int32 qty = 2; }'
    assert ok(register(sr, "o", same, "PROTOBUF")) == {"id": 1}
    assert ok(sr.post("/subjects/o", json=body(b64, "PROTOBUF")))["version"] == 1


def test_protobuf_base64_descriptor_with_import_via_references(sr):
    ok(register(sr, "shop/common.proto", COMMON, "PROTOBUF"))
    ok(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", COMMON_REF))
    b64 = latest(sr, "orders-value", format="serialized")["schema"]
    fd = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(b64))
    assert list(fd.dependency) == ["shop/common.proto"]
    r = register(sr, "orders-copy", b64, "PROTOBUF", COMMON_REF)
    assert r.status_code == 200, r.text
    got = latest(sr, "orders-copy")
    assert got["references"] == COMMON_REF
    assert "message Order {" in got["schema"]
    # Without the reference the descriptor's import does not resolve.
    assert_error(register(sr, "orders-bad", b64, "PROTOBUF"), 422, 42201)


def test_protobuf_base64_garbage_is_42201(sr):
    # A descriptor whose first field claims 5 bytes and carries 2: corrupt wire format.
    truncated = base64.b64encode(b"\x0a\x05ab").decode()
    assert_error(register(sr, "o", truncated, "PROTOBUF"), 422, 42201)
    # Valid base64 that is no descriptor at all.
    assert_error(register(sr, "o", base64.b64encode(b"hello world").decode(), "PROTOBUF"), 422, 42201)
    nothing_stored(sr)


# -- Protobuf: invalid schemas -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    'syntax = "proto3";\nmessage M { int32 a = 1 }',                 # missing ;
    'syntax = "proto3";\nmessage M { int32 a = 1; string b = 1; }',  # duplicate number
    'syntax = "proto3";\nmessage M { Unknown u = 1; }',              # undefined type
    'syntax = "proto3";\nmessage M { required int32 a = 1; }',       # required in proto3
    'syntax = "proto4";\nmessage M { int32 a = 1; }',
    'syntax = "proto3";\nmessage M { int32 a = 0; }',                # field number 0
    'syntax = "proto3";\nenum E { A = 1; }\nmessage M { E e = 1; }',  # proto3 enum must start at 0
    'syntax = "proto3";\nimport "nowhere.proto";\nmessage M { int32 a = 1; }',
    'message {',
    '{"type": "string"}',
    '',
], ids=["missing-semicolon", "duplicate-number", "undefined-type", "required-proto3", "proto4",
        "number-zero", "enum-not-zero", "missing-import", "truncated", "json", "empty"])
def test_protobuf_invalid_schema_42201_and_nothing_stored(sr, text):
    assert_error(register(sr, "bad", text, "PROTOBUF"), 422, 42201)
    nothing_stored(sr)
    assert_error(sr.get("/schemas/ids/1"), 404, 40403)


def test_protobuf_invalid_message_names_the_position(sr):
    data = assert_error(register(sr, "bad", 'syntax = "proto3";\nmessage M { int32 a = 1 }', "PROTOBUF"),
                        422, 42201)
    assert data["message"].startswith("Invalid schema ")
    assert "of type PROTOBUF, details: " in data["message"]
    assert ":2:" in data["message"]


def test_protobuf_deeply_nested_is_42201(sr):
    inner = "int32 a = 1;"
    for i in range(400):
        inner = f"message N{i} {{ {inner} }}"
    assert_error(register(sr, "deep", 'syntax = "proto3";\nmessage M { ' + inner + " }", "PROTOBUF"), 422, 42201)
    nothing_stored(sr)


def test_unknown_schema_type_is_42201(sr):
    assert_error(register(sr, "x", '{"type":"string"}', "XML"), 422, 42201, "Invalid schema type XML")
    nothing_stored(sr)


# -- Protobuf: compatibility ------------------------------------------------------------------------

def proto(body_text: str, package: str = "x") -> str:
    return f'syntax = "proto3";\npackage {package};\n\nmessage M {{\n{body_text}}}\n'


def test_protobuf_409_message_is_confluents(sr):
    old = proto("  string a = 1;\n")
    new = proto("  int32 a = 1;\n")
    ok(register(sr, "p", old, "PROTOBUF"))
    messages = [proto_msg("FIELD_SCALAR_KIND_CHANGED", "The kind of a SCALAR field at path '#/M/1' in the new "
                                                       "schema does not match its kind in the old schema")]
    messages += trailer(1, old, "BACKWARD")
    assert_error(register(sr, "p", new, "PROTOBUF"), 409, 409, PREFIX.format("p") + details(messages))
    assert ok(check(sr, "p", new, "PROTOBUF", verbose="true")) == {"is_compatible": False, "messages": messages}
    assert ok(sr.get("/subjects/p/versions")) == [1]


@pytest.mark.parametrize("old,new,compatible,error_type", [
    ("  string a = 1;\n", "  string a = 1;\n  int32 b = 2;\n", True, None),           # FIELD_ADDED
    ("  string a = 1;\n  int32 b = 2;\n", "  string a = 1;\n", True, None),           # FIELD_REMOVED
    ("  string a = 1;\n", "  string renamed = 1;\n", True, None),                      # FIELD_NAME_CHANGED
    ("  int32 a = 1;\n", "  int64 a = 1;\n", True, None),                              # same scalar group
    ("  string a = 1;\n", "  bytes a = 1;\n", True, None),
    ("  sint32 a = 1;\n", "  sint64 a = 1;\n", True, None),
    ("  fixed32 a = 1;\n", "  sfixed32 a = 1;\n", True, None),
    ("  int32 a = 1;\n", "  sint32 a = 1;\n", False, "FIELD_SCALAR_KIND_CHANGED"),
    ("  float a = 1;\n", "  double a = 1;\n", False, "FIELD_SCALAR_KIND_CHANGED"),
    ("  optional int32 a = 1;\n", "  repeated int32 a = 1;\n", False, "FIELD_NUMERIC_LABEL_CHANGED"),
    # Confluent compares labels only when both fields carry one: proto3's implicit label does not.
    ("  int32 a = 1;\n", "  repeated int32 a = 1;\n", True, None),
    ("  optional string a = 1;\n", "  repeated string a = 1;\n", True, None),  # STRING_OR_BYTES_LABEL
    ("  string a = 1;\n", "  map<string, string> a = 1;\n", False, "FIELD_KIND_CHANGED"),
    ("  string a = 1;\n", "  oneof o {\n    string a = 1;\n  }\n", True, None),
    ("  string a = 1;\n  string b = 2;\n", "  oneof o {\n    string a = 1;\n    string b = 2;\n  }\n",
     False, "MULTIPLE_FIELDS_MOVED_TO_ONEOF"),
])
def test_protobuf_compatibility_rules(sr, old, new, compatible, error_type):
    ok(register(sr, "p", proto(old), "PROTOBUF"))
    got = ok(check(sr, "p", proto(new), "PROTOBUF", verbose="true"))
    assert got["is_compatible"] is compatible, got
    if compatible:
        assert got["messages"] == []
        assert ok(register(sr, "p", proto(new), "PROTOBUF")) == {"id": 2}
    else:
        assert got["messages"][0].startswith(f'{{errorType:"{error_type}", description:"'), got
        assert got["messages"][-3:] == trailer(1, proto(old), "BACKWARD")
        assert_error(register(sr, "p", proto(new), "PROTOBUF"), 409, 409)


def test_protobuf_message_removed_and_package_changed_are_incompatible(sr):
    two = 'syntax = "proto3";\npackage x;\n\nmessage A {\n  string a = 1;\n}\nmessage B {\n  string b = 1;\n}\n'
    ok(register(sr, "p", two, "PROTOBUF"))
    one = 'syntax = "proto3";\npackage x;\n\nmessage A {\n  string a = 1;\n}\n'
    got = ok(check(sr, "p", one, "PROTOBUF", verbose="true"))
    assert got["is_compatible"] is False
    assert got["messages"][0].startswith('{errorType:"MESSAGE_REMOVED", description:"')
    moved = two.replace("package x;", "package y;")
    got = ok(check(sr, "p", moved, "PROTOBUF", verbose="true"))
    assert got["is_compatible"] is False
    assert any(m.startswith('{errorType:"PACKAGE_CHANGED"') for m in got["messages"]), got
    # Reordering messages is compatible (MESSAGE_MOVED).
    swapped = 'syntax = "proto3";\npackage x;\n\nmessage B {\n  string b = 1;\n}\nmessage A {\n  string a = 1;\n}\n'
    assert ok(check(sr, "p", swapped, "PROTOBUF")) == {"is_compatible": True}


def test_protobuf_forward_and_full(sr):
    ok(register(sr, "p", proto("  string a = 1;\n"), "PROTOBUF"))
    set_level(sr, "p", "FORWARD")
    new = proto("  int32 a = 1;\n")
    got = ok(check(sr, "p", new, "PROTOBUF", verbose="true"))
    assert got["messages"][0] == proto_msg(
        "FIELD_SCALAR_KIND_CHANGED", "The kind of a SCALAR field at path '#/M/1' in the old schema does not "
                                     "match its kind in the new schema")
    set_level(sr, "p", "FULL")
    got = ok(check(sr, "p", new, "PROTOBUF", verbose="true"))
    assert len(got["messages"]) == 2 + 3


def test_protobuf_compatibility_through_imported_message(sr):
    ok(register(sr, "shop/common.proto", COMMON, "PROTOBUF"))
    changed = COMMON.replace("int64 units = 1;", "string units = 1;")
    set_level(sr, "shop/common.proto", "NONE")
    assert ok(register(sr, "shop/common.proto", changed, "PROTOBUF")) == {"id": 2}
    ok(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", COMMON_REF))
    refs2 = [{"name": "shop/common.proto", "subject": "shop/common.proto", "version": 2}]
    got = ok(check(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", refs2, verbose="true"))
    assert got["is_compatible"] is False
    assert got["messages"][0].startswith('{errorType:"FIELD_SCALAR_KIND_CHANGED"') or \
        got["messages"][0].startswith('{errorType:"FIELD_NAMED_TYPE_CHANGED"'), got
    assert_error(register(sr, "orders-value", ORDER_WITH_IMPORT, "PROTOBUF", refs2), 409, 409)


def test_protobuf_full_transitive_against_many_versions(sr):
    set_level(sr, "p", "FULL_TRANSITIVE")
    fields = ""
    for i in range(1, 6):
        fields += f"  string f{i} = {i};\n"
        assert ok(register(sr, "p", proto(fields), "PROTOBUF")) == {"id": i}
    got = ok(check(sr, "p", proto(fields.replace("string f1 = 1", "double f1 = 1")), "PROTOBUF", verbose="true"))
    assert got["is_compatible"] is False
    assert got["messages"][-3] == "{oldSchemaVersion: 5}"
    assert ok(sr.get("/subjects/p/versions")) == [1, 2, 3, 4, 5]

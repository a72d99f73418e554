"""The JSON schema type: parsing, canonical text, references, limits and record validation."""

from __future__ import annotations

import json
import socket

import pytest

from serde.errors import RecordValidationError, SchemaParseError, SerializationError
from serde.schemas.json_schema import JSON_SCHEMA, MAX_DEPTH, JsonParsedSchema


def parse(text: str, deps: dict[str, str] | None = None, **kw: object) -> JsonParsedSchema:
    return JSON_SCHEMA.parse(text, deps or {}, **kw)


# --- canonical and normalised text ------------------------------------------------------


def test_names() -> None:
    assert JSON_SCHEMA.name == "JSON"
    assert parse('{"type":"string"}').schema_type == "JSON"


def test_canonical_is_compact_in_given_order() -> None:
    text = '{ "type" : "object",\n  "properties": {"b": {"type": "string"}, "a": {"type": "integer"}} }'
    assert parse(text).canonical() == '{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}'


@pytest.mark.parametrize("number", ["1.0", "0.10", "12345678901234567890", "0", "-7", "3.141592653589793238"])
def test_canonical_keeps_numbers_as_written(number: str) -> None:
    assert parse(f'{{"maximum": {number}}}').canonical() == f'{{"maximum":{number}}}'


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("1e5", "1E+5"), ("1.0e5", "1.0E+5"), ("-2.50E-3", "-0.00250"), ("1E-7", "1E-7"), ("-0", "0"), ("-0.0", "0.0")],
)
def test_canonical_writes_decimals_like_java_bigdecimal(written: str, canonical: str) -> None:
    assert parse(f'{{"maximum": {written}}}').canonical() == f'{{"maximum":{canonical}}}'


def test_canonical_keeps_non_ascii_and_escapes_quotes() -> None:
    text = '{"title": "caf\\u00e9 \\"x\\" \\u2603", "description": "tab\\there"}'
    assert parse(text).canonical() == '{"title":"café \\"x\\" ☃","description":"tab\\there"}'


def test_normalize_sorts_keys_recursively() -> None:
    parsed = parse('{"type":"object","properties":{"z":{"type":"string","title":"t"},"a":{"maximum":1.0}}}')
    normal = parsed.normalize()
    assert normal.canonical() == (
        '{"properties":{"a":{"maximum":1.0},"z":{"title":"t","type":"string"}},"type":"object"}'
    )
    assert parsed.canonical() != normal.canonical()
    assert normal.schema_type == "JSON"


def test_formatted_knows_no_formats() -> None:
    assert parse("{}").formatted("serialized") is None


@pytest.mark.parametrize("text", ["true", "false"])
def test_boolean_schemas(text: str) -> None:
    assert parse(text).canonical() == text


# --- invalid schemas --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "Invalid JSON"),
        ("[1, 2]", "object or boolean"),
        ("42", "object or boolean"),
        ('"string"', "object or boolean"),
        ('{"type": "strin"}', "#/type"),
        ('{"minLength": -1}', "#/minLength"),
        ('{"properties": {"a": {"type": 5}}}', "#/properties/a/type"),
        ('{"required": "a"}', "#/required"),
        ('{"maximum": NaN}', "Invalid JSON"),
    ],
)
def test_invalid_schemas_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        parse(text)
    assert fragment in str(info.value)


def test_metaschema_of_the_declared_draft_is_used() -> None:
    # `exclusiveMinimum` is a boolean in draft 4 and a number from draft 6 on.
    parse('{"$schema": "http://json-schema.org/draft-04/schema#", "minimum": 1, "exclusiveMinimum": true}')
    with pytest.raises(SchemaParseError):
        parse('{"$schema": "http://json-schema.org/draft-07/schema#", "exclusiveMinimum": true}')
    with pytest.raises(SchemaParseError):
        parse('{"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": {}}')


def test_lenient_parse_skips_the_metaschema_check() -> None:
    assert parse('{"minLength": -1}', validate=False).canonical() == '{"minLength":-1}'


def _nested(levels: int) -> str:
    return '{"not":' * (levels - 1) + "{}" + "}" * (levels - 1)


def test_nesting_limit() -> None:
    parse(_nested(MAX_DEPTH))
    with pytest.raises(SchemaParseError, match="nesting"):
        parse(_nested(MAX_DEPTH + 1))


def test_absurd_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(SchemaParseError, match="nesting"):
        parse("[" * 100_000 + "]" * 100_000)


# --- references ---------------------------------------------------------------------------


def test_internal_references_resolve() -> None:
    parse('{"properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"x": {"type": "string"}}}')
    parse('{"$schema": "https://json-schema.org/draft/2020-12/schema",'
          ' "properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"type": "string"}}}')
    parse('{"$schema": "https://json-schema.org/draft/2020-12/schema",'
          ' "properties": {"a": {"$ref": "#thing"}}, "$defs": {"x": {"$anchor": "thing"}}}')
    parse('{"properties": {"a": {"$ref": "#thing"}}, "definitions": {"x": {"$id": "#thing"}}}')
    parse('{"$id": "http://example.com/root.json", "properties": {"a": {"$ref": "item.json"}},'
          ' "definitions": {"x": {"$id": "item.json", "type": "string"}}}')


def test_definitions_and_defs_are_bridged_like_confluent() -> None:
    parse('{"properties": {"a": {"$ref": "#/$defs/x"}}, "definitions": {"x": {"type": "string"}}}')


@pytest.mark.parametrize(
    "ref", ["#/definitions/missing", "#nowhere", "other.json", "http://example.com/schema.json"]
)
def test_unresolvable_references_are_rejected(ref: str) -> None:
    with pytest.raises(SchemaParseError, match="unresolvable"):
        parse(json.dumps({"properties": {"a": {"$ref": ref}}, "definitions": {}}))


def test_references_resolve_from_dependencies() -> None:
    deps = {
        "address.json": '{"type": "object", "properties": {"zip": {"$ref": "zip.json"}}, "required": ["zip"]}',
        "zip.json": '{"type": "string", "pattern": "^[0-9]{5}$"}',
    }
    parsed = parse('{"type": "object", "properties": {"home": {"$ref": "address.json"}}}', deps)
    parsed.validate({"home": {"zip": "12345"}})
    with pytest.raises(RecordValidationError) as info:
        parsed.validate({"home": {"zip": "12"}})
    assert info.value.path == "#/home/zip"


def test_reference_into_a_dependency_fragment() -> None:
    deps = {"common.json": '{"definitions": {"id": {"type": "integer"}}}'}
    parsed = parse('{"$ref": "common.json#/definitions/id"}', deps)
    parsed.validate(7)
    with pytest.raises(RecordValidationError):
        parsed.validate("seven")


def test_a_property_named_ref_is_not_a_reference() -> None:
    parse('{"properties": {"$ref": {"type": "string"}}}')


def test_cyclic_references_do_not_hang() -> None:
    parsed = parse('{"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"},'
                   ' "b": {"$ref": "#/definitions/a"}}}')
    parsed.validate(1)
    tree = parse('{"type": "object", "properties": {"next": {"$ref": "#"}, "v": {"type": "integer"}}}')
    tree.validate({"v": 1, "next": {"v": 2, "next": {}}})
    with pytest.raises(RecordValidationError) as info:
        tree.validate({"v": 1, "next": {"v": "x"}})
    assert info.value.path == "#/next/v"


def test_metaschema_references_resolve_without_the_network() -> None:
    parse('{"properties": {"s": {"$ref": "http://json-schema.org/draft-07/schema#"}}}')


def test_remote_references_are_never_fetched() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}/schema.json"
    try:
        for text in (
            json.dumps({"$ref": url}),
            json.dumps({"properties": {"a": {"$ref": url + "#/definitions/x"}}}),
            json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": url}),
        ):
            with pytest.raises(SchemaParseError, match="unresolvable"):
                parse(text)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


# --- record validation ----------------------------------------------------------------------


RECORD = json.dumps({
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    },
    "required": ["name"],
})


def test_valid_records_pass() -> None:
    parsed = parse(RECORD)
    parsed.validate({"name": "x", "tags": [{"n": 1}]})
    assert parsed.validator is parsed.validator  # compiled once


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"name": 3}, "#/name"),
        ({"name": "x", "tags": [{"n": 1}, {"n": "two"}]}, "#/tags/1/n"),
        ({}, "#/"),
        ("not an object", "#/"),
    ],
)
def test_invalid_records_carry_the_path(record: object, path: str) -> None:
    with pytest.raises(RecordValidationError) as info:
        parse(RECORD).validate(record)
    assert info.value.path == path
    assert isinstance(info.value, SerializationError)
    assert "does not match" in str(info.value)


def test_validation_follows_the_declared_draft() -> None:
    parsed = parse('{"$schema": "https://json-schema.org/draft/2020-12/schema",'
                   ' "prefixItems": [{"type": "string"}], "items": false}')
    parsed.validate(["a"])
    with pytest.raises(RecordValidationError):
        parsed.validate(["a", "b"])


def test_equal_texts_give_equal_parsed_schemas() -> None:
    assert parse('{"type": "string"}') == parse('{ "type":"string" }')
    assert parse('{"type": "string"}') != parse('{"type": "number"}')


def test_metaschema_references_validate_without_the_network() -> None:
    parsed = parse('{"properties": {"s": {"$ref": "http://json-schema.org/draft-07/schema#"}}}')
    parsed.validate({"s": {"type": "string"}})
    with pytest.raises(RecordValidationError) as info:
        parsed.validate({"s": {"type": 5}})
    assert info.value.path == "#/s/type"


def test_a_leniently_parsed_broken_schema_cannot_validate_records() -> None:
    parsed = parse('{"minLength": -1}', validate=False)
    with pytest.raises(SchemaParseError, match="validator"):
        parsed.validate("x")


def test_pure_python_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # import now fails
    parsed = parse(RECORD)
    assert type(parsed.validator).__module__.startswith("jsonschema.")
    parsed.validate({"name": "x"})
    with pytest.raises(RecordValidationError) as info:
        parsed.validate({"name": "x", "tags": [{"n": "two"}]})
    assert info.value.path == "#/tags/0/n"
    deps = {"x.json": '{"type": "string"}'}
    with pytest.raises(RecordValidationError):
        parse('{"properties": {"a": {"$ref": "x.json"}}}', deps).validate({"a": 1})


@pytest.mark.parametrize("dialect", ["http://example.com/my-dialect", "http://json-schema.org/schema#"])
def test_unknown_dialects_are_treated_as_draft_7(dialect: str) -> None:
    parsed = parse(json.dumps({"$schema": dialect, "type": "string"}))
    assert parsed.draft == "draft7"
    parsed.validate("x")
    with pytest.raises(RecordValidationError):
        parsed.validate(1)


def test_dialect_must_be_a_string() -> None:
    with pytest.raises(SchemaParseError, match=r"\$schema"):
        parse('{"$schema": 5}')


@pytest.mark.parametrize(
    ("dialect", "draft"),
    [
        ("http://json-schema.org/draft-04/schema#", "draft4"),
        ("http://json-schema.org/draft-06/schema#", "draft6"),
        ("https://json-schema.org/draft-07/schema", "draft7"),
        ("https://json-schema.org/draft/2019-09/schema", "2019-09"),
        ("https://json-schema.org/draft/2020-12/schema", "2020-12"),
    ],
)
def test_known_dialects(dialect: str, draft: str) -> None:
    assert parse(json.dumps({"$schema": dialect})).draft == draft


def _nested_list(levels: int) -> list:
    outer: list = []
    current = outer
    for _ in range(levels - 1):
        inner: list = []
        current.append(inner)
        current = inner
    return outer


def test_absurdly_deep_records_are_refused_for_recursive_schemas() -> None:
    from serde.schemas.json_schema import MAX_RECORD_DEPTH

    recursive = parse('{"type": "array", "items": {"$ref": "#"}}')
    recursive.validate(_nested_list(MAX_RECORD_DEPTH))
    with pytest.raises(RecordValidationError, match="deeper"):
        recursive.validate(_nested_list(100_000))
    parse('{"type": "array"}').validate(_nested_list(100_000))  # nothing walks it


def test_new_schemas_may_not_use_the_reserved_field_prefix() -> None:
    text = '{"type": "object", "properties": {"$$meta": {"type": "string"}}}'
    with pytest.raises(SchemaParseError, match=r"\$\$ prefix"):
        parse(text)
    assert parse(text, validate=False).canonical() == '{"type":"object","properties":{"$$meta":{"type":"string"}}}'

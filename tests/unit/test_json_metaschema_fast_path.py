"""The compiled metaschema check may only ever say "valid" where `jsonschema` agrees."""

from __future__ import annotations

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from serde.schemas.json_schema import _surely_valid

KEYWORDS = ["type", "properties", "items", "minLength", "maxLength", "minimum", "exclusiveMinimum",
            "required", "enum", "additionalProperties", "$ref", "$defs", "definitions", "allOf", "anyOf",
            "not", "format", "pattern", "dependencies", "dependentRequired", "prefixItems", "const", "$id"]
DIALECTS = [None, "http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-06/schema",
            "http://json-schema.org/draft-07/schema#", "https://json-schema.org/draft/2019-09/schema",
            "https://json-schema.org/draft/2020-12/schema", "http://example.invalid/dialect"]
scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.sampled_from(
    ["string", "object", "array", "integer", "#/$defs/a", "a", "[", "email"])
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(
    st.sampled_from(KEYWORDS + ["a", "b"]), c, max_size=3), max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYWORDS), values, max_size=4), st.sampled_from(DIALECTS))
def test_fast_valid_implies_jsonschema_valid(schema: dict, dialect: str | None) -> None:
    if dialect is not None:
        schema = {**schema, "$schema": dialect}
    if _surely_valid(schema):
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        assert cls(cls.META_SCHEMA).is_valid(schema)


def test_unknown_dialects_and_draft7_specifics_take_the_slow_path() -> None:
    assert not _surely_valid({"$schema": "http://example.invalid/dialect", "type": "string"})
    assert not _surely_valid({"minLength": -1})
    assert _surely_valid({"items": [{"type": "string"}]})  # draft 7 tuple form, the default draft

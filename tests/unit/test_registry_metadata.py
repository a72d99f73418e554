"""registry.metadata: Confluent's Metadata value semantics, part by part."""

from __future__ import annotations

from registry import metadata as md


def test_canonical_drops_empty_parts_but_keeps_empty_metadata() -> None:
    assert md.canonical(None) is None
    assert md.canonical({}) == {}
    assert md.canonical({"tags": {}, "properties": {}, "sensitive": []}) == {}
    assert md.canonical({"sensitive": ["b", "a", "a"], "tags": {"f": ["y", "x"]}}) == {
        "tags": {"f": ["x", "y"]}, "sensitive": ["a", "b"]}


def test_merge_puts_new_entries_over_old_ones() -> None:
    old = {"tags": {"f": ["a"]}, "properties": {"x": "1", "y": "1"}, "sensitive": ["s"]}
    new = {"tags": {"f": ["b"]}, "properties": {"y": "2"}, "sensitive": ["t"]}
    assert md.merge(old, new) == {"tags": {"f": ["b"]}, "properties": {"x": "1", "y": "2"}, "sensitive": ["s", "t"]}
    assert md.merge(None, new) is new and md.merge(old, None) is old


def test_with_config_layers_default_request_override() -> None:
    config = {"defaultMetadata": {"properties": {"a": "d", "b": "d"}}, "overrideMetadata": {"properties": {"b": "o"}}}
    assert md.with_config(config, {"properties": {"a": "r", "b": "r"}}) == {"properties": {"a": "r", "b": "o"}}
    assert md.with_config({}, None) is None


def test_confluent_version_on_one_side_is_a_wildcard() -> None:
    stored = {"properties": {md.VERSION: "3", "k": "v"}}
    assert md.same_for_lookup({"properties": {"k": "v"}}, stored, 3)
    assert not md.same_for_lookup(None, stored, 3)  # None is compared as {}: 'k' differs
    assert md.same_for_lookup({"properties": {md.VERSION: "3"}}, None, 3)
    assert not md.same_for_lookup({"properties": {md.VERSION: "2"}}, None, 3)
    assert not md.same_for_lookup({"properties": {md.VERSION: "2"}}, {"properties": {md.VERSION: "3"}}, 3)
    assert not md.same_for_lookup({}, None, 1)  # no version on either side: plain equality


def test_reserved_fields_are_trimmed_and_non_empty() -> None:
    assert md.reserved_fields({"properties": {md.RESERVED: " a, ,b "}}) == {"a", "b"}
    assert md.reserved_fields(None) == set()

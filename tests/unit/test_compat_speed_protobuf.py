"""Protobuf checks keep per-schema tables on the parsed schema and skip fields that cannot differ.

What is kept must never leak from one comparison into another: every result here is compared
with the result for freshly parsed schemas, which share nothing with earlier checks.
"""

from __future__ import annotations

import itertools
import random

from registry.compat.protobuf import check_protobuf, diff
from serde.schemas.protobuf import PROTOBUF

IMPORT_V1 = 'syntax = "proto3";\npackage dep;\nmessage Inner {\n  int32 a = 1;\n  string b = 2;\n}\n'
IMPORT_V2 = 'syntax = "proto3";\npackage dep;\nmessage Inner {\n  double a = 1;\n  bytes b = 2;\n  bool c = 3;\n}\n'


def _schema(body: str, *, package: str = "p", imports: bool = False) -> str:
    head = f'syntax = "proto3";\npackage {package};\n'
    if imports:
        head += 'import "dep.proto";\n'
    return head + body


SCHEMAS: list[tuple[str, dict[str, str]]] = [
    (_schema("message M {\n  string a = 1;\n  int32 b = 2;\n  N n = 3;\n}\nmessage N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message M {\n  bytes a = 1;\n  int64 b = 2;\n  N n = 3;\n}\nmessage N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message M {\n  string a = 1;\n  sint32 b = 2;\n  N n = 3;\n}\nmessage N {\n  string x = 1;\n}\n"), {}),
    (_schema("message M {\n  string a2 = 1;\n  repeated int32 b = 2;\n  N n = 3;\n}\nmessage N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message N {\n  int32 x = 1;\n}\nmessage M {\n  string a = 1;\n  int32 b = 2;\n  N n = 3;\n}\n"), {}),
    (_schema("message M {\n  oneof o {\n    string a = 1;\n    int32 b = 2;\n  }\n  N n = 3;\n}\n"
             "message N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message M {\n  string a = 1;\n  oneof o {\n    int32 b = 2;\n    N n = 3;\n  }\n}\n"
             "message N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message M {\n  map<string, N> a = 1;\n  int32 b = 2;\n}\nmessage N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message M {\n  map<string, int32> a = 1;\n  int32 b = 2;\n}\nmessage N {\n  int32 x = 1;\n}\n"), {}),
    (_schema("message M {\n  string a = 1;\n  int32 b = 2;\n  N n = 3;\n}\nmessage N {\n  int32 x = 1;\n}\n",
             package="q"), {}),
    (_schema("message M {\n  string a = 1;\n  dep.Inner i = 2;\n}\n", imports=True), {"dep.proto": IMPORT_V1}),
    (_schema("message M {\n  string a = 1;\n  dep.Inner i = 2;\n}\n", imports=True), {"dep.proto": IMPORT_V2}),
    (_schema("message M {\n  string a = 1;\n  map<string, dep.Inner> i = 2;\n}\n", imports=True),
     {"dep.proto": IMPORT_V2}),
    ('syntax = "proto2";\npackage p;\nmessage M {\n  required string a = 1;\n  optional int32 b = 2;\n}\n', {}),
    ('syntax = "proto2";\npackage p;\nmessage M {\n  optional string a = 1;\n  required int32 b = 2;\n}\n', {}),
]


def _parse(i: int):
    text, deps = SCHEMAS[i]
    return PROTOBUF.parse(text, deps)


def _outcome(original, update):
    return (
        diff(original, update),
        [i.message for i in check_protobuf(update, original, reader_label="new", writer_label="old")],
        [i.message for i in check_protobuf(original, update, reader_label="old", writer_label="new")],
    )


def test_kept_schemas_answer_like_fresh_ones_in_any_order() -> None:
    """Stored schemas are parsed once and checked against many candidates, both ways."""
    kept = [_parse(i) for i in range(len(SCHEMAS))]
    fresh = {(i, j): _outcome(_parse(i), _parse(j))
             for i, j in itertools.product(range(len(SCHEMAS)), repeat=2)}
    pairs = list(fresh) * 2
    random.Random(3).shuffle(pairs)
    for i, j in pairs:
        assert _outcome(kept[i], kept[j]) == fresh[(i, j)], (SCHEMAS[i][0], SCHEMAS[j][0])


def test_one_stored_schema_against_two_candidates_both_ways() -> None:
    stored = _parse(10)
    for candidate in (11, 12, 11, 10):
        new = _parse(candidate)
        assert _outcome(stored, new) == _outcome(_parse(10), _parse(candidate))
        assert _outcome(new, stored) == _outcome(_parse(candidate), _parse(10))


def test_a_changed_import_is_looked_into() -> None:
    """Same field text, but the imported message changed: the field is not skipped."""
    assert diff(_parse(10), _parse(11)) == [
        ("FIELD_SCALAR_KIND_CHANGED", "#/Inner/1"),
        ("FIELD_ADDED", "#/Inner/3"),
        ("FIELD_NAMED_TYPE_CHANGED", "#/M/2"),
    ]


def test_identical_schemas_have_no_differences() -> None:
    assert diff(_parse(0), _parse(0)) == []
    assert diff(_parse(10), _parse(10)) == []
    assert diff(_parse(0), _parse(9)) == [("PACKAGE_CHANGED", "#/")]

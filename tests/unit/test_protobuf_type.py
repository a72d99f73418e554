"""The PROTOBUF schema type: parsing, canonical text, normalized form, message indexes."""

from __future__ import annotations

import base64
import time

import pytest
from google.protobuf import descriptor_pb2, timestamp_pb2

from serde.errors import SchemaParseError
from serde.schemas.protobuf import PROTOBUF, ProtobufSchema

PROTO3 = """\
syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";

option java_package = "com.example.shop";

message Order {
  reserved 9, 20 to 30;
  reserved "legacy";
  string id = 1;
  google.protobuf.Timestamp   placed_at = 2;
  map<string, Line> lines = 3;
  optional int64 total_cents = 4 [deprecated = true];
  repeated Status history = 5;
  oneof payment {
    string card = 6;
    Voucher voucher = 7;
  }
  message Line { int32 qty = 1; }
  message Voucher { string code = 1; }
  enum Status { UNKNOWN = 0; PLACED = 1; }
}
message Refund {
  .shop.v1.Order order = 1;
}
"""

PROTO3_CANONICAL = """\
syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";

option java_package = "com.example.shop";

message Order {
  reserved 9, 20 to 30;
  reserved "legacy";

  string id = 1;
  google.protobuf.Timestamp placed_at = 2;
  map<string, Line> lines = 3;
  optional int64 total_cents = 4 [deprecated = true];
  repeated Status history = 5;

  oneof payment {
    string card = 6;
    Voucher voucher = 7;
  }

  message Line {
    int32 qty = 1;
  }
  message Voucher {
    string code = 1;
  }
  enum Status {
    UNKNOWN = 0;
    PLACED = 1;
  }
}
message Refund {
  .shop.v1.Order order = 1;
}
"""

PROTO2 = """\
syntax = "proto2";
package legacy;

message Item {
  required string name = 1;
  optional int32 count = 2 [default = 7];
  optional string note = 3 [default = "n/a"];
  repeated Kind kinds = 4;
  extensions 100 to max;
  enum Kind { A = 1; B = 2; }
}
extend Item {
  optional bool flagged = 100;
}
"""

PROTO2_CANONICAL = """\
syntax = "proto2";
package legacy;

message Item {
  required string name = 1;
  optional int32 count = 2 [default = 7];
  optional string note = 3 [default = "n/a"];
  repeated Kind kinds = 4;

  extensions 100 to max;

  enum Kind {
    A = 1;
    B = 2;
  }
}

extend Item {
  optional bool flagged = 100;
}
"""

NESTED = """\
syntax = "proto3";
package idx;
message First { int32 a = 1; }
message Second {
  message Inner { message Deep { int32 z = 1; } }
  message Other {}
  Inner inner = 1;
}
"""


def parse(text: str, deps: dict[str, str] | None = None) -> ProtobufSchema:
    return PROTOBUF.parse(text, deps or {})


def b64(fdp: descriptor_pb2.FileDescriptorProto) -> str:
    return base64.b64encode(fdp.SerializeToString()).decode()


# -- parsing and canonical text ------------------------------------------------------


def test_type_name() -> None:
    assert PROTOBUF.name == "PROTOBUF"
    assert parse(PROTO3).schema_type == "PROTOBUF"


def test_proto3_canonical_text_follows_confluent_layout() -> None:
    schema = parse(PROTO3)
    assert schema.canonical() == PROTO3_CANONICAL


def test_proto2_labels_defaults_extensions() -> None:
    schema = parse(PROTO2)
    assert schema.canonical() == PROTO2_CANONICAL
    fields = {f.name: f for f in schema.file_descriptor.message_type[0].field}
    assert fields["name"].label == descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED
    assert fields["count"].default_value == "7"


def test_spec_example_is_returned_verbatim() -> None:
    text = 'syntax = "proto3";\npackage x;\n\nmessage M {\n  string a = 1;\n}\n'
    assert parse(text).canonical() == text


@pytest.mark.parametrize("text", [PROTO3, PROTO2, NESTED, "message Empty {}\n", ""])
def test_canonical_text_is_stable(text: str) -> None:
    once = parse(text).canonical()
    assert parse(once).canonical() == once


def test_whitespace_and_comments_do_not_change_canonical_text() -> None:
    a = parse('syntax = "proto3"; message M { string a = 1; }')
    b = parse('syntax="proto3";\n// c\nmessage   M {\n\tstring a=1; /* x */\n}\n')
    assert a.canonical() == b.canonical()


def test_type_names_are_kept_as_written() -> None:
    a = parse('syntax = "proto3";\npackage p;\nmessage M { N n = 1; }\nmessage N {}\n')
    b = parse('syntax = "proto3";\npackage p;\nmessage M { .p.N n = 1; }\nmessage N {}\n')
    assert "  N n = 1;" in a.canonical()
    assert "  .p.N n = 1;" in b.canonical()
    assert a.normalize().canonical() == b.normalize().canonical()


# -- base64 FileDescriptorProto form -------------------------------------------------


def test_base64_descriptor_is_accepted() -> None:
    text_schema = parse(PROTO3)
    schema = parse(text_schema.formatted("serialized"))
    assert not schema.from_text and text_schema.from_text
    assert [m.name for m in schema.file_descriptor.message_type] == ["Order", "Refund"]
    # descriptor input has fully qualified names, like Confluent's descriptor conversion
    assert "  .google.protobuf.Timestamp placed_at = 2;" in schema.canonical()
    assert "  map<string, .shop.v1.Order.Line> lines = 3;" in schema.canonical()
    assert parse(schema.canonical()).canonical() == schema.canonical()


def test_serialized_round_trip() -> None:
    schema = parse(PROTO3)
    serialized = schema.formatted("serialized")
    fdp = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    assert fdp == schema.file_descriptor
    assert not fdp.HasField("source_code_info")
    assert parse(serialized).formatted("serialized") == serialized


def test_generated_code_descriptor_as_sent_by_confluent_kafka() -> None:
    fdp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(fdp)
    schema = parse(b64(fdp))
    assert schema.file_descriptor.name == "google/protobuf/timestamp.proto"
    assert schema.message_descriptor([0]).full_name == "google.protobuf.Timestamp"


def test_unknown_formats_are_none() -> None:
    schema = parse(PROTO3)
    assert schema.formatted("ignore_extensions_please") is None
    assert schema.formatted("default") == schema.canonical()


# -- references (imports) ------------------------------------------------------------

COMMON = 'syntax = "proto3";\npackage shop.common;\nmessage Money { int64 cents = 1; }\n'
USES_COMMON = (
    'syntax = "proto3";\npackage shop;\nimport "shop/common.proto";\n'
    "message Order { shop.common.Money total = 1; }\n"
)


def test_imports_resolve_through_dependencies() -> None:
    schema = parse(USES_COMMON, {"shop/common.proto": COMMON})
    field = schema.message_descriptor([0]).fields_by_name["total"]
    assert field.message_type.full_name == "shop.common.Money"
    assert [f.name for f in schema.files] == ["shop/common.proto", "default"]


def test_dependency_may_be_a_base64_descriptor() -> None:
    dep = parse(COMMON).file_descriptor
    dep.name = "shop/common.proto"
    schema = parse(USES_COMMON, {"shop/common.proto": b64(dep)})
    assert schema.pool.FindMessageTypeByName("shop.common.Money").fields[0].name == "cents"


def test_transitive_dependencies() -> None:
    base = 'syntax = "proto3";\npackage b;\nmessage Base { string s = 1; }\n'
    mid = 'syntax = "proto3";\npackage m;\nimport "b.proto";\nmessage Mid { b.Base base = 1; }\n'
    top = 'syntax = "proto3";\nimport "m.proto";\nmessage Top { m.Mid mid = 1; }\n'
    schema = parse(top, {"b.proto": base, "m.proto": mid})
    assert schema.pool.FindMessageTypeByName("b.Base") is not None


def test_root_and_base64_root_both_read_text_dependencies() -> None:
    text = parse(USES_COMMON, {"shop/common.proto": COMMON})
    again = parse(text.formatted("serialized"), {"shop/common.proto": COMMON})
    assert again.file_descriptor == text.file_descriptor


@pytest.mark.parametrize("imp,type_name", [
    ("google/protobuf/timestamp.proto", "google.protobuf.Timestamp"),
    ("google/protobuf/wrappers.proto", "google.protobuf.StringValue"),
    ("google/type/date.proto", "google.type.Date"),
    ("google/type/money.proto", "google.type.Money"),
    ("confluent/type/decimal.proto", "confluent.type.Decimal"),
])
def test_well_known_imports_need_no_reference(imp: str, type_name: str) -> None:
    schema = parse(f'syntax = "proto3";\nimport "{imp}";\nmessage M {{ {type_name} v = 1; }}\n')
    assert schema.message_descriptor([0]).fields[0].message_type.full_name == type_name


def test_confluent_meta_option_is_rendered() -> None:
    schema = parse(
        'syntax = "proto3";\nimport "confluent/meta.proto";\n'
        'message M {\n  string ssn = 1 [(confluent.field_meta) = { tags: ["PII"] }];\n}\n'
    )
    assert schema.canonical().endswith(
        "message M {\n"
        "  string ssn = 1 [(confluent.field_meta) = {\n"
        "    tags: [\n"
        '      "PII"\n'
        "    ]\n"
        "  }];\n"
        "}\n"
    )
    assert parse(schema.canonical()).canonical() == schema.canonical()


# -- normalized form ----------------------------------------------------------------


def test_normalize_sorts_and_qualifies() -> None:
    text = (
        'syntax = "proto3";\npackage n;\nimport "google/protobuf/wrappers.proto";\n'
        'import "google/protobuf/timestamp.proto";\n'
        "message M {\n  string b = 2;\n  Sub a = 1;\n  oneof o { int32 y = 9; int32 x = 8; }\n"
        "  message Sub {}\n  enum E { Z = 0; B = 2; A = 1; }\n}\n"
    )
    norm = parse(text).normalize()
    assert norm.canonical() == (
        'syntax = "proto3";\npackage n;\n\n'
        'import "google/protobuf/timestamp.proto";\nimport "google/protobuf/wrappers.proto";\n\n'
        "message M {\n  .n.M.Sub a = 1;\n  string b = 2;\n\n"
        "  oneof o {\n    int32 x = 8;\n    int32 y = 9;\n  }\n\n"
        "  message Sub {}\n  enum E {\n    Z = 0;\n    A = 1;\n    B = 2;\n  }\n}\n"
    )
    assert norm.normalize().canonical() == norm.canonical()


def test_normalize_drops_proto2_syntax_line_like_confluent() -> None:
    norm = parse(PROTO2).normalize().canonical()
    assert not norm.startswith("syntax")
    assert norm.startswith("package legacy;\n")


def test_differently_ordered_schemas_normalize_to_the_same_text() -> None:
    a = parse('syntax = "proto3";\nmessage M { int32 a = 1; string b = 2; }\n')
    b = parse('syntax = "proto3";\nmessage M { string b = 2; int32 a = 1; }\n')
    assert a.canonical() != b.canonical()
    assert a.normalize().canonical() == b.normalize().canonical()


# -- message indexes -----------------------------------------------------------------


def test_message_descriptor_by_index_path() -> None:
    schema = parse(NESTED)
    assert schema.message_descriptor([0]).full_name == "idx.First"
    assert schema.message_descriptor([]).full_name == "idx.First"
    assert schema.message_descriptor([1]).full_name == "idx.Second"
    assert schema.message_descriptor([1, 0]).full_name == "idx.Second.Inner"
    assert schema.message_descriptor([1, 0, 0]).full_name == "idx.Second.Inner.Deep"
    assert schema.message_descriptor([1, 1]).full_name == "idx.Second.Other"
    with pytest.raises(IndexError):
        schema.message_descriptor([2])
    with pytest.raises(IndexError):
        schema.message_descriptor([0, 0])


def test_index_path_is_the_inverse() -> None:
    schema = parse(NESTED)
    for path in ([0], [1], [1, 0], [1, 0, 0], [1, 1]):
        assert schema.index_path(schema.message_descriptor(path).full_name) == path
    assert schema.index_path(".idx.Second.Inner") == [1, 0]
    with pytest.raises(KeyError):
        schema.index_path("idx.Missing")


def test_message_class_builds_and_round_trips_messages() -> None:
    schema = parse(PROTO3)
    cls = schema.message_class("shop.v1.Order")
    msg = cls(id="o-1", card="visa")
    msg.lines["a"].qty = 2
    again = cls.FromString(msg.SerializeToString())
    assert again.lines["a"].qty == 2 and again.WhichOneof("payment") == "card"


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("text,deps,needle", [
    ('syntax = "proto3";\nmessage M { int32 = 1; }\n', {}, "2:"),
    ('syntax = "proto3";\nmessage M { Missing m = 1; }\n', {}, '"Missing" is not defined'),
    ('syntax = "proto3";\nimport "nowhere.proto";\nmessage M {}\n', {}, "nowhere.proto"),
    ('syntax = "proto3";\nimport "a.proto";\nmessage M {}\n',
     {"a.proto": 'syntax = "proto3";\nimport "b.proto";\n',
      "b.proto": 'syntax = "proto3";\nimport "a.proto";\n'}, "recursively imports"),
    ('syntax = "proto3";\nmessage M { int32 a = 1; int32 b = 1; }\n', {}, "has already been used"),
    ("not a schema at all", {}, "Invalid Protobuf schema"),
    ('syntax = "proto3";\nmessage M {}\n', {"../etc/passwd": "x"}, "import path"),
])
def test_bad_input_is_a_schema_parse_error(text: str, deps: dict, needle: str) -> None:
    started = time.monotonic()
    with pytest.raises(SchemaParseError) as info:
        parse(text, deps)
    assert needle in str(info.value)
    assert time.monotonic() - started < 5


def test_parse_error_reports_line_and_column() -> None:
    with pytest.raises(SchemaParseError, match=r"default:3:9: "):
        parse('syntax = "proto3";\nmessage M {\n  int32 = 1;\n}\n')


def test_deep_nesting_fails_fast_instead_of_crashing() -> None:
    depth = 50_000
    text = 'syntax = "proto3";\n' + "message A {" * depth + "}" * depth
    started = time.monotonic()
    with pytest.raises(SchemaParseError):
        parse(text)
    assert time.monotonic() - started < 10


def test_base64_garbage_is_rejected() -> None:
    with pytest.raises(SchemaParseError):
        parse("AAAAAAAA")


def test_reserved_and_extensions_statements_keep_their_written_grouping() -> None:
    text = (
        'syntax = "proto2";\nmessage M {\n  reserved 2, 15, 9 to 11, 20 to 20;\n'
        '  reserved "foo", "bar";\n  optional int32 a = 1;\n  extensions 100 to 199, 300;\n'
        "  enum E { reserved 3, 5 to 7; E0 = 0; }\n}\n"
    )
    schema = parse(text)
    assert schema.canonical() == (
        'syntax = "proto2";\n\nmessage M {\n  reserved 2, 15, 9 to 11, 20 to 20;\n'
        '  reserved "foo", "bar";\n\n  optional int32 a = 1;\n\n'
        "  extensions 100 to 199, 300;\n\n"
        "  enum E {\n    reserved 3, 5 to 7;\n    E0 = 0;\n  }\n}\n"
    )
    normalized = schema.normalize().canonical()
    assert "  reserved 2;\n  reserved 9 to 11;\n  reserved 15;\n  reserved 20;\n" in normalized
    assert '  reserved "bar";\n  reserved "foo";\n' in normalized


def test_type_positions_survive_tabs_multibyte_comments_and_crlf() -> None:
    text = (
        'syntax = "proto3";\r\npackage p;\r\nmessage M {\r\n\t/* éé€ */ \tN\t n = 1; '
        "/* ü */ map< string ,\r\n N > m = 2;\r\n}\r\nmessage N {}\r\n"
    )
    assert parse(text).canonical() == (
        'syntax = "proto3";\npackage p;\n\nmessage M {\n  N n = 1;\n  map<string, N> m = 2;\n}\n'
        "message N {}\n"
    )


JAVA_STYLE_MAP = """\
syntax = "proto3";
package j;

message TestMap {
  repeated .j.TestMap.TestMapEntry test_map = 1;
  Inner inner = 2;

  message TestMapEntry {
    option map_entry = true;
  
    string key = 1;
    .j.TestMap.Inner value = 2;
  }
  message Inner {
    int32 x = 1;
  }
}
"""


def test_descriptor_style_text_with_explicit_map_entry_is_accepted() -> None:
    """Confluent's Java serializer registers map fields as explicit *Entry messages."""
    schema = parse(JAVA_STYLE_MAP)
    assert "  map<string, .j.TestMap.Inner> test_map = 1;\n" in schema.canonical()
    assert "TestMapEntry" not in schema.canonical()
    cls = schema.message_class("j.TestMap")
    assert cls(test_map={"k": {"x": 3}}).test_map["k"].x == 3
    plain = parse(
        'syntax = "proto3";\npackage j;\nmessage TestMap {\n  map<string, Inner> test_map = 1;\n'
        "  Inner inner = 2;\n  message Inner { int32 x = 1; }\n}\n"
    )
    assert plain.normalize().canonical() == schema.normalize().canonical()


def test_explicit_map_entry_in_a_text_dependency() -> None:
    dep = JAVA_STYLE_MAP
    schema = parse('syntax = "proto3";\nimport "j.proto";\nmessage U { j.TestMap m = 1; }\n',
                   {"j.proto": dep})
    entry = schema.pool.FindMessageTypeByName("j.TestMap.TestMapEntry")
    assert entry.GetOptions().map_entry


def test_options_keep_written_order_and_names() -> None:
    text = (
        'syntax = "proto3";\npackage acme;\nimport "google/protobuf/descriptor.proto";\n'
        'option java_outer_classname = "X";\noption (fopt) = 5;\noption java_package = "y";\n'
        "extend google.protobuf.FileOptions { int32 fopt = 50002; }\n"
        "extend google.protobuf.FieldOptions { int32 my_opt = 50001; }\n"
        "message M {\n  int32 a = 1 [(my_opt) = 3, deprecated = true];\n}\n"
    )
    schema = parse(text)
    canonical = schema.canonical()
    assert 'option java_outer_classname = "X";\noption (fopt) = 5;\noption java_package = "y";\n' \
        in canonical
    assert "  int32 a = 1 [\n    (my_opt) = 3,\n    deprecated = true\n  ];\n" in canonical
    normalized = schema.normalize().canonical()
    assert 'option (acme.fopt) = 5;\noption java_outer_classname = "X";\n' in normalized
    assert "    (acme.my_opt) = 3,\n    deprecated = true\n" in normalized
    assert parse(canonical).canonical() == canonical


def test_json_name_is_kept_only_when_written() -> None:
    schema = parse(
        'syntax = "proto3";\nmessage M {\n  int32 foo_bar = 1 [json_name = "fooBar"];\n'
        '  int32 baz_q = 2;\n  int32 c = 3 [json_name = "see"];\n}\n'
    )
    assert schema.canonical().endswith(
        '  int32 foo_bar = 1 [json_name = "fooBar"];\n  int32 baz_q = 2;\n'
        '  int32 c = 3 [json_name = "see"];\n}\n'
    )
    fields = schema.file_descriptor.message_type[0].field
    assert [f.HasField("json_name") for f in fields] == [True, False, True]


def test_message_valued_custom_options_with_maps_render_and_reparse() -> None:
    text = (
        'syntax = "proto3";\npackage a;\nimport "confluent/meta.proto";\n'
        "message M {\n"
        '  option (confluent.message_meta) = { doc: "hi", params: [{key: "scale", value: "2"}] };\n'
        '  int32 x = 1 [(confluent.field_meta).params = {key: "k", value: "v"}];\n}\n'
    )
    schema = parse(text)
    canonical = schema.canonical()
    assert (
        "  option (confluent.message_meta) = {\n    doc: \"hi\",\n    params: [\n      {\n"
        '        value: "2",\n        key: "scale"\n      }\n    ]\n  };\n'
    ) in canonical
    assert parse(canonical).canonical() == canonical
    normalized = schema.normalize().canonical()
    assert '    params: {\n      key: "k",\n      value: "v"\n    }\n' in normalized


def test_ignore_extensions_format_drops_custom_options_and_extensions() -> None:
    text = (
        'syntax = "proto2";\npackage x;\nimport "google/protobuf/descriptor.proto";\n'
        'import "confluent/meta.proto";\n'
        "extend google.protobuf.FieldOptions { optional int32 mine = 50001; }\n"
        "message Base {\n  extensions 100 to 200;\n"
        '  optional int32 a = 1 [(mine) = 4, (confluent.field_meta).doc = "kept", deprecated = true];\n'
        "}\nextend Base { optional string more = 100; }\n"
    )
    schema = parse(text)
    full = schema.canonical()
    assert "extensions 100 to 200;" in full and "(mine) = 4" in full and "extend Base" in full
    stripped = schema.formatted("ignore_extensions")
    assert stripped is not None
    assert "extensions" not in stripped and "(mine)" not in stripped and "extend " not in stripped
    assert '    (confluent.field_meta).doc = "kept",\n    deprecated = true\n' in stripped
    assert "deprecated = true" in stripped
    assert parse(stripped).formatted("ignore_extensions") == stripped


def test_confluent_kafka_client_payloads_and_indexes_agree() -> None:
    """What confluent-kafka's ProtobufSerializer sends: base64 files and descriptor indexes."""
    from confluent_kafka.schema_registry.common.protobuf import (
        _create_index_array,
        _schema_to_str,
    )

    dep_text = 'syntax = "proto3";\npackage shop.common;\nmessage Money { int64 cents = 1; }\n'
    root_text = (
        'syntax = "proto3";\npackage shop;\nimport "shop/common.proto";\n'
        "message Order {\n  map<string, Line> lines = 1;\n  message Line { shop.common.Money price = 1; }\n"
        "  message Note { string text = 1; }\n}\n"
    )
    built = parse(root_text, {"shop/common.proto": dep_text})
    line_cls = built.message_class("shop.Order.Note")
    file_desc = line_cls.DESCRIPTOR.file
    dep_b64 = _schema_to_str(file_desc.dependencies[0])
    schema = parse(_schema_to_str(file_desc), {"shop/common.proto": dep_b64})
    for desc in (line_cls.DESCRIPTOR, line_cls.DESCRIPTOR.containing_type,
                 built.message_class("shop.Order.Line").DESCRIPTOR):
        index = _create_index_array(desc)
        assert schema.message_descriptor(index).full_name == desc.full_name
        assert schema.index_path(desc.full_name) == index


def test_data_contract_tags_keep_their_written_statements() -> None:
    """`(confluent.field_meta).tags = "PII"` stays one statement per tag, as Confluent keeps it."""
    schema = parse(
        'syntax = "proto3";\nimport "confluent/meta.proto";\nmessage Customer {\n'
        "  string ssn = 1 [(confluent.field_meta).tags = \"PII\", "
        "(confluent.field_meta).tags = 'SENSITIVE'];\n"
        '  string name = 2 [(confluent.field_meta) . doc = "full name"];\n}\n'
    )
    canonical = schema.canonical()
    assert (
        "  string ssn = 1 [\n"
        '    (confluent.field_meta).tags = "PII",\n'
        '    (confluent.field_meta).tags = "SENSITIVE"\n'
        "  ];\n"
        '  string name = 2 [(confluent.field_meta).doc = "full name"];\n'
    ) in canonical
    assert parse(canonical).canonical() == canonical
    normalized = schema.normalize().canonical()
    assert '  string ssn = 1 [(confluent.field_meta) = {\n    tags: [\n      "PII",\n' in normalized
    tags = schema.message_descriptor([0]).fields[0].GetOptions()
    assert tags.ByteSize() > 0


KITCHEN_SINK = r"""syntax = "proto2";
package k.s;
import "google/protobuf/descriptor.proto";
import public "google/protobuf/empty.proto";
option optimize_for = SPEED;
option java_multiple_files = true;
message Req {
  optional bytes b = 1 [default = "\001\002ab\"c"];
  optional float f = 2 [default = inf];
  optional double d = 3 [default = -1.5e10];
  optional Color c = 4 [default = RED];
  optional string s = 5 [default = "tab\there"];
  repeated int32 packed_ints = 6 [packed = true];
  optional int64 big = 7 [default = -9223372036854775808, jstype = JS_STRING];
  extensions 1000 to 1999;
  extend google.protobuf.MessageOptions { optional string nested_ext = 51000; }
  optional group Grp = 8 { optional int32 g = 9; }
  enum Color { RED = 1; GREEN = 2; }
}
extend Req { repeated string tags = 1000; }
service Svc {
  option deprecated = true;
  rpc Get (Req) returns (Req);
  rpc Stream (stream Req) returns (stream .google.protobuf.Empty) { option deprecated = true; option idempotency_level = NO_SIDE_EFFECTS; }
}
"""


def test_kitchen_sink_proto2_is_stable_in_every_form() -> None:
    schema = parse(KITCHEN_SINK)
    canonical = schema.canonical()
    assert '  optional bytes b = 1 [default = "\\001\\002ab\\"c"];\n' in canonical
    assert "  optional group Grp = 8 {\n    optional int32 g = 9;\n  }\n" in canonical
    assert "  optional double d = 3 [default = -1.5e10];\n" in canonical
    assert "  rpc Get (Req) returns (Req);\n" in canonical
    assert "  rpc Stream (stream Req) returns (stream .google.protobuf.Empty) {\n" in canonical
    again = parse(canonical)
    assert again.canonical() == canonical
    assert again.file_descriptor == schema.file_descriptor
    from_descriptor = parse(schema.formatted("serialized"))
    assert parse(from_descriptor.canonical()).file_descriptor == schema.file_descriptor
    normalized = schema.normalize()
    assert normalized.normalize().canonical() == normalized.canonical()

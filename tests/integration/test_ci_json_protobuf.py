"""`schemawire check` / `validate` offline on JSON Schema and Protobuf files in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_ci_support import GitRepo, config, run_cli


def obj(properties: dict, required: list[str] | None = None, closed: bool = True) -> str:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return json.dumps(schema, indent=2) + "\n"


def proto(*fields: str, package: str = "acme", extra: str = "") -> str:
    body = "\n".join(f"  {f}" for f in fields)
    return f'syntax = "proto3";\npackage {package};\n{extra}\nmessage Order {{\n{body}\n}}\n'


@pytest.fixture
def cli(capsys, monkeypatch):
    return lambda repo, *args: run_cli(capsys, monkeypatch, repo.root, *args)


# --- JSON Schema ---------------------------------------------------------------------------


@pytest.fixture
def json_repo(tmp_path: Path) -> GitRepo:
    pytest.importorskip("serde.schemas.json_schema")
    r = GitRepo(tmp_path / "json")
    r.commit("v1", **{"schemawire.toml": config('topic = "orders"\nfile = "schemas/order.json"'),
                      "schemas__order.json": obj({"id": {"type": "string"}})})
    r.branch("feature")
    return r


def test_json_compatible_change(json_repo, cli):
    json_repo.write("schemas/order.json", obj({"id": {"type": "string"}, "note": {"type": "string"}}))
    run = cli(json_repo, "check", "--format", "json")
    assert run.code == 0, run.out
    assert run.json()["subjects"][0]["schema_type"] == "JSON"


def test_json_breaking_change_has_confluent_difference_type_and_line(json_repo, cli):
    json_repo.write("schemas/order.json", obj({"id": {"type": "integer"}}))
    run = cli(json_repo, "check", "--format", "json")
    assert run.code == 1
    [finding] = run.json()["findings"]
    assert finding["rule"] == "TYPE_CHANGED"
    assert finding["path"] == "#/properties/id"
    assert finding["line"] == 4          # "id": {...} inside "properties"
    junit = cli(json_repo, "check", "--format", "junit").junit()
    assert junit.find("testsuite/testcase/failure").get("type") == "TYPE_CHANGED"
    github = cli(json_repo, "check", "--format", "github")
    assert github.code == 1 and github.out.startswith("::error file=schemas/order.json,line=4,")


def test_json_required_property_added(json_repo, cli):
    json_repo.write("schemas/order.json", obj({"id": {"type": "string"}, "n": {"type": "string"}}, ["n"]))
    rules = [f["rule"] for f in cli(json_repo, "check", "--format", "json").json()["findings"]]
    assert rules == ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"]


def test_json_invalid_schema_located(json_repo, cli):
    json_repo.write("schemas/order.json", '{"type": "object",\n "properties": {"a": {"type": 5}}}')
    run = cli(json_repo, "validate", "--format", "json")
    assert run.code == 1
    [finding] = run.json()["findings"]
    assert finding["rule"] == "INVALID_SCHEMA" and finding["line"] == 2


def test_json_references_resolve_locally(json_repo, cli):
    cfg = config('topic = "orders"\nfile = "schemas/order.json"\n'
                 'references = [{ name = "money.json", subject = "money-value" }]',
                 'subject = "money-value"\nfile = "schemas/money.json"')
    json_repo.git("checkout", "-q", "main")
    json_repo.commit("refs", **{"schemawire.toml": cfg,
                                "schemas__money.json": obj({"cents": {"type": "integer"}}),
                                "schemas__order.json": obj({"total": {"$ref": "money.json"}})})
    json_repo.git("checkout", "-q", "-B", "feature")
    assert cli(json_repo, "check").code == 0
    json_repo.write("schemas/money.json", obj({"cents": {"type": "string"}}))
    data = cli(json_repo, "check", "--format", "json").json()
    assert data["exit_code"] == 1
    assert {f["subject"] for f in data["findings"]} == {"money-value", "orders-value"}


# --- Protobuf ------------------------------------------------------------------------------


@pytest.fixture
def proto_repo(tmp_path: Path) -> GitRepo:
    pytest.importorskip("serde.schemas.protobuf")
    r = GitRepo(tmp_path / "proto")
    r.commit("v1", **{"schemawire.toml": config('topic = "orders"\nfile = "schemas/order.proto"'),
                      "schemas__order.proto": proto("string id = 1;", "int64 amount = 2;")})
    r.branch("feature")
    return r


def test_proto_compatible_change(proto_repo, cli):
    proto_repo.write("schemas/order.proto", proto("string id = 1;", "int64 amount = 2;", "string note = 3;"))
    run = cli(proto_repo, "check")
    assert run.code == 0, run.out


def test_proto_breaking_change_rule_and_line(proto_repo, cli):
    proto_repo.write("schemas/order.proto", proto("string id = 1;", "string amount = 2;"))
    run = cli(proto_repo, "check", "--format", "json")
    assert run.code == 1
    [finding] = run.json()["findings"]
    assert finding["rule"] == "FIELD_SCALAR_KIND_CHANGED"
    assert finding["path"] == "#/Order/2"
    assert (finding["line"], finding["column"]) == (6, 3)
    text = cli(proto_repo, "check")
    assert "schemas/order.proto:6:3: error: orders-value: FIELD_SCALAR_KIND_CHANGED" in text.out


def test_proto_package_change_and_junit(proto_repo, cli):
    proto_repo.write("schemas/order.proto", proto("string id = 1;", "int64 amount = 2;", package="other"))
    root = cli(proto_repo, "check", "--format", "junit").junit()
    assert root.get("failures") == "1"
    assert root.find("testsuite/testcase/failure").get("type") == "PACKAGE_CHANGED"
    [finding] = cli(proto_repo, "check", "--format", "json").json()["findings"]
    assert (finding["line"], finding["column"]) == (2, 1)      # the package statement


def test_proto_invalid_schema_has_position(proto_repo, cli):
    proto_repo.write("schemas/order.proto", proto("strin id = 1;"))
    run = cli(proto_repo, "validate", "--format", "json")
    assert run.code == 1
    [finding] = run.json()["findings"]
    assert finding["rule"] == "INVALID_SCHEMA"
    assert finding["line"] == 5


def test_proto_imports_resolve_locally(proto_repo, cli):
    money = 'syntax = "proto3";\npackage acme;\nmessage Money {\n  int64 cents = 1;\n}\n'
    cfg = config('topic = "orders"\nfile = "schemas/order.proto"\n'
                 'references = [{ name = "money.proto", subject = "money-value" }]',
                 'subject = "money-value"\nfile = "schemas/money.proto"')
    proto_repo.git("checkout", "-q", "main")
    proto_repo.commit("refs", **{
        "schemawire.toml": cfg, "schemas__money.proto": money,
        "schemas__order.proto": proto("string id = 1;", "Money total = 2;", extra='import "money.proto";')})
    proto_repo.git("checkout", "-q", "-B", "feature")
    assert cli(proto_repo, "validate").code == 0
    assert cli(proto_repo, "check").code == 0
    proto_repo.write("schemas/money.proto", money.replace("int64 cents", "string cents"))
    data = cli(proto_repo, "check", "--format", "json").json()
    assert data["exit_code"] == 1
    assert "money-value" in {f["subject"] for f in data["findings"]}


def test_all_three_formats_in_one_file_set(tmp_path, cli):
    pytest.importorskip("serde.schemas.json_schema")
    pytest.importorskip("serde.schemas.protobuf")
    r = GitRepo(tmp_path / "mixed")
    cfg = config('topic = "a"\nfile = "a.avsc"', 'topic = "j"\nfile = "j.json"', 'topic = "p"\nfile = "p.proto"')
    r.commit("v1", **{"schemawire.toml": cfg,
                      "a.avsc": '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}',
                      "j.json": obj({"x": {"type": "integer"}}),
                      "p.proto": proto("int32 x = 1;")})
    r.branch("feature")
    r.write("a.avsc", '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "string"}]}')
    r.write("j.json", obj({"x": {"type": "string"}}))
    r.write("p.proto", proto("string x = 1;"))
    data = cli(r, "check", "--format", "json").json()
    assert data["exit_code"] == 1
    assert {(s["schema_type"], s["status"]) for s in data["subjects"]} == {
        ("AVRO", "incompatible"), ("JSON", "incompatible"), ("PROTOBUF", "incompatible")}

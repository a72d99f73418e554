"""`check --against URL`, `register` and `download` against a real schemawire registry on a loopback port."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.test_ci_support import GitRepo, config, record, run_cli
from tests.ports import refused_port

ID = '{"name": "id", "type": "string"}'
NOTE = '{"name": "note", "type": "string"}'
NOTE_DEFAULT = '{"name": "note", "type": "string", "default": ""}'
MONEY = record("Money", '{"name": "cents", "type": "long"}')
ORDER = record("Order", ID, '{"name": "total", "type": "com.acme.Money"}')


@pytest.fixture
def repo(tmp_path: Path, registry_url: str) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    cfg = config('topic = "orders"\nfile = "schemas/order.avsc"\n'
                 'references = [{ name = "com.acme.Money", subject = "money-value" }]',
                 'subject = "money-value"\nfile = "schemas/money.avsc"',
                 extra=f'[registry]\nurl = "{registry_url}"')
    r.commit("v1", **{"schemawire.toml": cfg, "schemas__money.avsc": MONEY, "schemas__order.avsc": ORDER})
    return r


@pytest.fixture
def cli(capsys, monkeypatch, repo):
    return lambda *args: run_cli(capsys, monkeypatch, repo.root, *args)


def subjects(url: str) -> list[str]:
    return httpx.get(f"{url}/subjects").json()


def test_register_dry_run_then_register_in_dependency_order_idempotently(cli, registry_url):
    plan = cli("register", "--dry-run", "--format", "json")
    assert plan.code == 0, plan.err
    assert [(s["subject"], s["status"]) for s in plan.json()["subjects"]] == [
        ("money-value", "would-register"), ("orders-value", "would-register")]
    assert subjects(registry_url) == []

    done = cli("register", "--format", "json")
    assert done.code == 0, done.err
    assert [(s["subject"], s["status"]) for s in done.json()["subjects"]] == [
        ("money-value", "registered"), ("orders-value", "registered")]
    order = httpx.get(f"{registry_url}/subjects/orders-value/versions/1").json()
    assert order["references"] == [{"name": "com.acme.Money", "subject": "money-value", "version": 1}]

    again = cli("register", "--format", "json")
    assert again.code == 0
    assert {s["status"] for s in again.json()["subjects"]} == {"unchanged"}
    assert httpx.get(f"{registry_url}/subjects/orders-value/versions").json() == [1]


def test_check_against_registry_uses_verbose_reasons(cli, repo, registry_url):
    assert cli("register").code == 0
    repo.write("schemas/order.avsc", record("Order", ID, '{"name": "total", "type": "com.acme.Money"}',
                                            NOTE_DEFAULT))
    assert cli("check", "--against", registry_url).code == 0
    repo.write("schemas/order.avsc", record("Order", ID, '{"name": "total", "type": "com.acme.Money"}', NOTE))
    run = cli("check", "--against", registry_url, "--format", "json")
    assert run.code == 1
    [finding] = run.json()["findings"]
    assert finding["subject"] == "orders-value"
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert "'note'" in finding["message"]
    assert "oldSchemaVersion: 1" in finding["against"]
    assert (finding["line"], finding["column"]) == (8, 5)      # the `note` field, from the message's path
    # the configured registry, and --registry, mean the same
    assert cli("check", "--against", "registry").code == 1
    assert cli("check", "--registry", registry_url).code == 1
    junit = cli("check", "--against", "registry", "--format", "junit").junit()
    assert junit.find("testsuite/testcase[@name='orders-value']/failure").get("type") == \
        "READER_FIELD_MISSING_DEFAULT_VALUE"


def test_registry_level_wins_over_local_level(cli, repo, registry_url):
    assert cli("register").code == 0
    httpx.put(f"{registry_url}/config/orders-value", json={"compatibility": "NONE"}).raise_for_status()
    repo.write("schemas/order.avsc", record("Order", ID, '{"name": "total", "type": "com.acme.Money"}', NOTE))
    assert cli("check", "--against", "registry").code == 0
    assert cli("check").code == 1       # offline, the configured BACKWARD applies against git HEAD


def test_unregistered_subject_is_compatible_online(cli, registry_url):
    run = cli("check", "--against", registry_url, "--format", "json")
    assert run.code == 0, run.out
    assert {s["status"] for s in run.json()["subjects"]} == {"new"}


def test_register_refused_is_exit_1_with_reasons(cli, repo, registry_url):
    assert cli("register").code == 0
    repo.write("schemas/money.avsc", record("Money", '{"name": "cents", "type": "long"}',
                                             '{"name": "currency", "type": "string"}'))
    plan = cli("register", "--dry-run", "--format", "json")
    assert plan.code == 1
    money = plan.json()["subjects"][0]
    assert money["status"] == "would-be-rejected"
    assert money["findings"][0]["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    run = cli("register", "--format", "json")
    assert run.code == 1
    money = run.json()["subjects"][0]
    assert money["status"] == "rejected"
    assert money["findings"][0]["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert httpx.get(f"{registry_url}/subjects/money-value/versions").json() == [1]


def test_download_then_check_against_the_directory(cli, repo, registry_url, tmp_path):
    assert cli("register").code == 0
    repo.write("schemas/order.avsc", record("Order", ID, '{"name": "total", "type": "com.acme.Money"}',
                                            NOTE_DEFAULT))
    assert cli("register").code == 0                       # orders-value version 2
    out = tmp_path / "downloaded"
    run = cli("download", "--output-dir", str(out), "--format", "json")
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == ["money-value.avsc", "orders-value.avsc"]
    assert "note" in (out / "orders-value.avsc").read_text()
    every = tmp_path / "every"
    run = cli("download", "--output-dir", str(every), "--subject-pattern", "orders-.*", "--versions", "all")
    assert run.code == 0
    assert sorted(p.name for p in (every / "orders-value").iterdir()) == ["v1.avsc", "v2.avsc"]
    # offline check against what was downloaded
    repo.write("schemas/order.avsc", record("Order", ID, '{"name": "total", "type": "com.acme.Money"}', NOTE))
    assert cli("check", "--against", str(out)).code == 0     # note exists in v2: no default needed
    repo.write("schemas/order.avsc", record("Order", '{"name": "id", "type": "int"}',
                                            '{"name": "total", "type": "com.acme.Money"}'))
    run = cli("check", "--against", str(every), "--format", "json")
    assert run.code == 1
    assert run.json()["findings"][0]["rule"] == "TYPE_MISMATCH"
    missing = cli("download", "--output-dir", str(tmp_path / "x"), "--subject-pattern", "orders-value",
                  "--versions", "7")
    assert missing.code == 1 and "VERSION_NOT_FOUND" in missing.out


def test_unreachable_registry_is_exit_2(cli):
    with refused_port() as port:  # bound, never listening: refused, and no other server can take it
        url = f"http://127.0.0.1:{port}"
        for args in (("check", "--against", url), ("register", "--registry", url), ("download", "--registry", url)):
            run = cli(*args)
            assert run.code == 2, (args, run.out)
            assert "unavailable" in run.err or "registry" in run.err


def test_registry_saying_no_without_reasons_still_fails(cli, registry_url, monkeypatch):
    """Karapace answers `{"is_compatible": false}` with no messages; that must not pass (Confluent #2278)."""
    from serde.client import SchemaRegistryClient
    from serde.client.types import CompatibilityResult
    assert cli("register").code == 0
    monkeypatch.setattr(SchemaRegistryClient, "test_compatibility_all_versions",
                        lambda self, *a, **k: CompatibilityResult(False, ()))
    run = cli("check", "--against", "registry", "--format", "json")
    assert run.code == 1
    assert {f["rule"] for f in run.json()["findings"]} == {"INCOMPATIBLE"}


def test_text_plan_and_subject_names_with_slashes(cli, repo, registry_url, tmp_path):
    plan = cli("register", "--dry-run")
    assert plan.code == 0
    assert "money-value: would-register" in plan.out
    assert "orders-value: would-register (after its references: money-value)" in plan.out
    schema = '{"type": "record", "name": "T", "fields": []}'
    httpx.post(f"{registry_url}/subjects/google%2Fprotobuf%2Ft.proto/versions",
               json={"schema": schema}).raise_for_status()
    out = tmp_path / "dl"
    run = cli("download", "--subject-pattern", "google/.*", "--output-dir", str(out))
    assert run.code == 0, run.err
    assert [p.name for p in out.iterdir()] == ["google%2Fprotobuf%2Ft.proto.avsc"]


def test_register_can_set_the_configured_level(cli, repo, registry_url):
    repo.write("schemawire.toml", repo.root.joinpath("schemawire.toml").read_text()
               .replace('file = "schemas/money.avsc"', 'file = "schemas/money.avsc"\ncompatibility = "FULL"'))
    plan = cli("register", "--dry-run", "--set-compatibility", "--format", "json")
    assert plan.code == 0
    money = plan.json()["subjects"][0]
    assert money["findings"][0]["rule"] == "COMPATIBILITY_SET"
    assert "would set compatibility (global) -> FULL" in money["findings"][0]["message"]
    assert httpx.get(f"{registry_url}/config/money-value").status_code == 404
    assert cli("register", "--set-compatibility").code == 0
    assert httpx.get(f"{registry_url}/config/money-value").json()["compatibilityLevel"] == "FULL"
    again = cli("register", "--set-compatibility", "--format", "json").json()
    assert all(s["findings"] == [] for s in again["subjects"])       # idempotent


@pytest.mark.parametrize("module, ext, v1, v2, rule", [
    ("serde.schemas.json_schema", "json",
     '{"type": "object",\n "properties": {"a": {"type": "string"}},\n "additionalProperties": false}',
     '{"type": "object",\n "properties": {"a": {"type": "integer"}},\n "additionalProperties": false}',
     "TYPE_CHANGED"),
    ("serde.schemas.protobuf", "proto",
     'syntax = "proto3";\npackage acme;\nmessage A {\n  string a = 1;\n}\n',
     'syntax = "proto3";\npackage acme;\nmessage A {\n  int64 a = 1;\n}\n',
     "FIELD_SCALAR_KIND_CHANGED"),
])
def test_json_and_protobuf_online(capsys, monkeypatch, tmp_path, registry_url, module, ext, v1, v2, rule):
    pytest.importorskip(module)
    r = GitRepo(tmp_path / ext)
    r.commit("v1", **{"schemawire.toml": config(f'topic = "t"\nfile = "s.{ext}"',
                                                 extra=f'[registry]\nurl = "{registry_url}"'),
                      f"s.{ext}": v1})
    run = lambda *a: run_cli(capsys, monkeypatch, r.root, *a)  # noqa: E731
    assert run("register").code == 0
    assert run("register", "--format", "json").json()["subjects"][0]["status"] == "unchanged"
    r.write(f"s.{ext}", v2)
    data = run("check", "--against", "registry", "--format", "json").json()
    assert data["exit_code"] == 1
    [finding] = data["findings"]
    assert finding["rule"] == rule
    assert finding["line"] in (2, 4)      # the changed property / field, from the message's path
    offline = run("check", "--format", "json").json()           # the same verdict offline, against git
    assert [f["rule"] for f in offline["findings"]] == [rule]

"""`schemawire check` / `validate` offline on Avro schemas in a real git repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_ci_support import GitRepo, config, record, run_cli

ID = '{"name": "id", "type": "string"}'
NOTE = '{"name": "note", "type": "string"}'
NOTE_DEFAULT = '{"name": "note", "type": "string", "default": ""}'
ORDERS = 'topic = "orders"\nfile = "schemas/order.avsc"'


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.commit("v1", **{"schemawire.toml": config(ORDERS), "schemas__order.avsc": record("Order", ID)})
    r.branch("feature")
    return r


@pytest.fixture
def cli(capsys, monkeypatch, repo):
    return lambda *args, cwd=None: run_cli(capsys, monkeypatch, cwd or repo.root, *args)


def test_compatible_change_passes_in_every_format(repo, cli):
    repo.write("schemas/order.avsc", record("Order", ID, NOTE_DEFAULT))
    text = cli("check")
    assert text.code == 0, text.out + text.err
    assert "passed" in text.out
    data = cli("check", "--format", "json").json()
    assert data["ok"] is True and data["findings"] == []
    assert data["subjects"][0]["subject"] == "orders-value"
    assert data["subjects"][0]["status"] == "ok"
    suite = cli("check", "--format", "junit").junit().find("testsuite")
    assert suite.get("failures") == "0" and suite.get("tests") == "1"
    assert suite.find("testcase/failure") is None
    github = cli("check", "--format", "github")
    assert github.code == 0 and "::error" not in github.out


def test_breaking_change_fails_with_rule_location_and_reason(repo, cli):
    repo.write("schemas/order.avsc", record("Order", ID, NOTE))
    text = cli("check")
    assert text.code == 1
    assert "schemas/order.avsc:7:5: error: orders-value: READER_FIELD_MISSING_DEFAULT_VALUE" in text.out
    assert "'note'" in text.out

    data = cli("check", "--format", "json").json()
    assert data["ok"] is False and data["exit_code"] == 1
    [finding] = data["findings"]
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert finding["path"] == "/fields/1"
    assert (finding["line"], finding["column"]) == (7, 5)
    assert finding["file"] == "schemas/order.avsc"
    assert finding["against"].startswith("git:")
    assert "additionalInfo:'note'" in finding["detail"]

    root = cli("check", "--format", "junit").junit()
    suite = root.find("testsuite")
    assert suite.get("failures") == "1"
    failure = suite.find("testcase[@name='orders-value']/failure")
    assert failure.get("type") == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert "schemas/order.avsc:7:5" in failure.text

    gitlab = cli("check", "--format", "gitlab")
    assert gitlab.code == 1
    [issue] = json.loads(gitlab.out)
    assert issue["check_name"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert issue["location"] == {"path": "schemas/order.avsc", "lines": {"begin": 7}}
    assert issue["severity"] == "major" and len(issue["fingerprint"]) == 40

    github = cli("check", "--format", "github")
    assert github.code == 1
    assert github.out.startswith(
        "::error file=schemas/order.avsc,line=7,col=5,title=READER_FIELD_MISSING_DEFAULT_VALUE (orders-value)::")


def test_every_reason_is_reported_not_just_the_first(repo, cli):
    repo.write("schemas/order.avsc", record("Order", '{"name": "id", "type": "int"}', NOTE))
    rules = sorted(f["rule"] for f in cli("check", "--format", "json").json()["findings"])
    assert rules == ["READER_FIELD_MISSING_DEFAULT_VALUE", "TYPE_MISMATCH"]


def test_compares_with_merge_base_not_with_main_tip(repo, cli):
    repo.git("checkout", "-q", "main")
    repo.commit("main moves on: id becomes long", **{"schemas__order.avsc": record("Order", '{"name": "id", "type": "long"}')})
    repo.git("checkout", "-q", "feature")
    repo.write("schemas/order.avsc", record("Order", ID, NOTE_DEFAULT))
    # the default ref is the merge base, where `id` is still a string: compatible
    assert cli("check").code == 0
    # against main's tip, reading a long as a string is not
    run = cli("check", "--against", "git:main", "--format", "json")
    assert run.code == 1 and run.json()["findings"][0]["rule"] == "TYPE_MISMATCH"


def test_forward_level_checks_the_other_direction(repo, cli):
    repo.write("schemawire.toml", config(ORDERS + '\ncompatibility = "FORWARD"'))
    repo.write("schemas/order.avsc", record("Order", ID, NOTE))   # new field: forward-compatible
    assert cli("check").code == 0
    repo.write("schemas/order.avsc", record("Order", NOTE_DEFAULT))  # drops `id`: old reader needs it
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 1
    assert [f["rule"] for f in data["findings"]] == ["READER_FIELD_MISSING_DEFAULT_VALUE"]
    assert "forward check" in data["findings"][0]["message"]
    assert "line" not in data["findings"][0]        # `id` is gone from the new file: no line to point at
    # a type change found by the forward check points at the field in the new file, found by name
    repo.write("schemas/order.avsc", record("Order", NOTE_DEFAULT, '{"name": "id", "type": "int"}'))
    data = cli("check", "--format", "json").json()
    [finding] = [f for f in data["findings"] if "forward" in f["message"]]
    assert finding["rule"] == "TYPE_MISMATCH" and finding["path"] == "/fields/0/type"
    assert finding["line"] == 7                     # `id` is the second field (line 7) of the new file


def test_transitive_level_sees_every_version_in_history(repo, cli):
    # v2 drops `id`, v3 adds it back with a default: each step is BACKWARD-compatible,
    # but reading v1's data needs ... nothing; so use a type change that only v1 had.
    repo.git("checkout", "-q", "main")
    repo.commit("v2", **{"schemas__order.avsc": record("Order", '{"name": "id", "type": "long"}')})
    repo.commit("v3", **{"schemas__order.avsc": record("Order", '{"name": "id", "type": "string"}')})
    repo.git("checkout", "-q", "-B", "feature")
    repo.write("schemas/order.avsc", record("Order", '{"name": "id", "type": "string"}', NOTE_DEFAULT))
    assert cli("check").code == 0                      # BACKWARD: against v3 only
    repo.write("schemawire.toml", config(ORDERS, defaults='compatibility = "BACKWARD_TRANSITIVE"'))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 1
    [finding] = data["findings"]
    assert finding["rule"] == "TYPE_MISMATCH"
    v2 = repo.git("rev-parse", "HEAD~1").strip()
    assert finding["against"] == f"git:{v2[:12]}"
    assert data["subjects"][0]["note"] == "3 previous version(s)"


def test_new_subject_is_compatible(repo, cli):
    repo.write("schemawire.toml", config(ORDERS, 'subject = "refunds-value"\nfile = "schemas/refund.avsc"'))
    repo.write("schemas/refund.avsc", record("Refund", ID))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 0
    assert {s["subject"]: s["status"] for s in data["subjects"]} == {"orders-value": "ok", "refunds-value": "new"}


def test_references_resolve_locally_at_each_version(repo, cli):
    money = record("Money", '{"name": "cents", "type": "long"}')
    order = record("Order", ID, '{"name": "total", "type": "com.acme.Money"}')
    cfg = config(ORDERS + '\nreferences = [{ name = "com.acme.Money", subject = "money-value" }]',
                 'subject = "money-value"\nfile = "schemas/money.avsc"')
    repo.git("checkout", "-q", "main")
    repo.commit("refs", **{"schemawire.toml": cfg, "schemas__money.avsc": money, "schemas__order.avsc": order})
    repo.git("checkout", "-q", "-B", "feature")
    assert cli("validate").code == 0
    assert cli("check").code == 0
    # a breaking change in the referenced schema fails both the reference and its user
    repo.write("schemas/money.avsc", record("Money", '{"name": "cents", "type": "long"}',
                                             '{"name": "currency", "type": "string"}'))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 1
    failing = {f["subject"] for f in data["findings"]}
    assert failing == {"money-value", "orders-value"}
    # dependency order: money-value is reported before orders-value
    assert [s["subject"] for s in data["subjects"]] == ["money-value", "orders-value"]


def test_invalid_schema_is_exit_1_with_position(repo, cli):
    repo.write("schemas/order.avsc", '{"type": "record", "name": "Order", "fields": [\n  {"name": "id"\n]}')
    for command in ("validate", "check"):
        data = cli(command, "--format", "json").json()
        assert data["exit_code"] == 1
        [finding] = data["findings"]
        assert finding["rule"] == "INVALID_SCHEMA"
    bad_type = record("Order", '{"name": "id", "type": "strang"}')
    repo.write("schemas/order.avsc", bad_type)
    run = cli("validate")
    assert run.code == 1 and "INVALID_SCHEMA" in run.out and "strang" in run.out


def test_level_none_checks_nothing(repo, cli):
    repo.write("schemawire.toml", config(ORDERS + '\ncompatibility = "NONE"'))
    repo.write("schemas/order.avsc", record("Order", '{"name": "id", "type": "int"}', NOTE))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 0
    assert data["subjects"][0]["status"] == "ok"
    assert data["subjects"][0]["note"] == "compatibility NONE: nothing to check"


def test_ignored_rule_is_not_reported(repo, cli):
    repo.write("schemawire.toml", config(ORDERS + '\nignore = ["READER_FIELD_MISSING_DEFAULT_VALUE"]'))
    repo.write("schemas/order.avsc", record("Order", ID, NOTE))
    assert cli("check").code == 0


def test_key_subject_and_pyproject_config(repo, cli, tmp_path):
    repo.git("rm", "-q", "schemawire.toml")
    repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.schemawire.defaults]\ncompatibility = "FULL"\n'
                                 '[[tool.schemawire.subjects]]\ntopic = "orders"\nkey = true\n'
                                 'file = "schemas/order.avsc"\n')
    repo.write("schemas/order.avsc", record("Order", ID, NOTE_DEFAULT))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 0
    assert data["subjects"][0]["subject"] == "orders-key"
    assert data["subjects"][0]["compatibility"] == "FULL"


def test_directory_of_previous_versions(repo, cli, tmp_path):
    previous = tmp_path / "previous"
    (previous / "orders-value").mkdir(parents=True)
    (previous / "orders-value" / "v1.avsc").write_text(record("Order", '{"name": "id", "type": "long"}'))
    (previous / "orders-value" / "v2.avsc").write_text(record("Order", ID))
    repo.write("schemas/order.avsc", record("Order", ID, NOTE_DEFAULT))
    assert cli("check", "--against", str(previous)).code == 0
    repo.write("schemawire.toml", config(ORDERS, defaults='compatibility = "BACKWARD_TRANSITIVE"'))
    data = cli("check", "--against", str(previous), "--format", "json").json()
    assert data["exit_code"] == 1
    assert data["findings"][0]["against"].endswith("v1.avsc")
    # a single-file layout: <subject>.avsc
    single = tmp_path / "single"
    single.mkdir()
    (single / "orders-value.avsc").write_text(record("Order", ID))
    repo.write("schemas/order.avsc", record("Order", ID, NOTE))
    assert cli("check", "--against", str(single)).code == 1


@pytest.mark.parametrize("args, needle", [
    (("check", "--against", "git:no-such-ref"), "does not exist"),
    (("check", "--against", "/no/such/dir"), "not a directory"),
    (("check", "--config", "/no/such/schemawire.toml"), "does not exist"),
    (("check", "--format", "yaml"), "invalid choice"),
    (("check", "--subject", "nope-value"), "unknown subject"),
    (("register",), "no registry"),
])
def test_usage_and_config_errors_exit_2(repo, cli, args, needle):
    run = cli(*args)
    assert run.code == 2
    assert needle in run.err


@pytest.mark.parametrize("toml, needle", [
    ('[[subjects]]\ntopic = "o"\nfile = "missing.avsc"', "does not exist"),
    ('[[subjects]]\ntopic = "o"\nfile = "schemas/order.avsc"\ncompatibility = "SIDEWAYS"', "unknown compatibility"),
    ('[[subjects]]\nfile = "schemas/order.avsc"', "`subject` (or `topic`) is required"),
    ('[[subjects]]\ntopic = "o"\nfile = "schemas/order.avsc"\n'
     'references = [{ name = "x.Y", subject = "elsewhere" }]', "not in the file set"),
    ('[[subjects]]\nsubject = "a"\nfile = "schemas/order.avsc"\nreferences = [{ name = "b", subject = "b" }]\n'
     '[[subjects]]\nsubject = "b"\nfile = "schemas/order.avsc"\nreferences = [{ name = "a", subject = "a" }]',
     "circular"),
    ("[[subjects]\n", "invalid TOML"),
    ('[[subject]]\ntopic = "o"\nfile = "schemas/order.avsc"', "unknown key(s) subject"),
    ('[defaults]\ncompatability = "FULL"', "unknown key(s) compatability"),
    ('[[subjects]]\ntopic = "o"\nfile = "schemas/order.avsc"\nrefs = []', "unknown key(s) refs"),
    ('[registry]\nurl = "http://x"', "no [[subjects]]"),
])
def test_bad_config_exits_2(repo, cli, toml, needle):
    repo.write("schemawire.toml", toml)
    run = cli("check")
    assert run.code == 2, run.out
    assert needle in run.err


def test_no_main_branch_needs_explicit_ref(repo, cli):
    repo.git("branch", "-q", "-m", "main", "trunk")
    run = cli("check")
    assert run.code == 2 and "--against git:REF" in run.err
    assert cli("check", "--against", "git:trunk").code == 0


def test_real_entry_point_exit_codes(repo):
    exe = str(Path(sys.executable).with_name("schemawire"))
    repo.write("schemas/order.avsc", record("Order", ID, NOTE))
    proc = subprocess.run([exe, "check", "--format", "github"], cwd=repo.root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "::error file=schemas/order.avsc,line=7" in proc.stdout
    proc = subprocess.run([exe, "validate"], cwd=repo.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_paths_with_spaces_and_unicode(repo, cli):
    name = "schemas/zahlungs ereignis ü.avsc"
    repo.git("checkout", "-q", "main")
    repo.commit("odd name", **{"schemawire.toml": config(f'topic = "pay"\nfile = "{name}"'),
                               name.replace("/", "__"): record("Pay", ID)})
    repo.git("checkout", "-q", "-B", "feature")
    repo.write(name, record("Pay", ID, NOTE))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 1
    assert data["findings"][0]["file"] == name
    assert data["subjects"][0]["status"] == "incompatible"


def test_transitive_history_follows_the_main_line_through_merges(repo, cli):
    """A feature branch's intermediate commits never reached main; its merge result did."""
    repo.write("schemawire.toml", config(ORDERS, defaults='compatibility = "BACKWARD_TRANSITIVE"'))
    repo.commit("transitive")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "feature")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side wip: id as long", **{"schemas__order.avsc": record("Order", '{"name": "id", "type": "long"}')})
    repo.commit("side done: note added", **{"schemas__order.avsc": record("Order", ID, NOTE_DEFAULT)})
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    repo.git("checkout", "-q", "-B", "feature")
    repo.write("schemas/order.avsc", record("Order", ID, NOTE_DEFAULT, '{"name": "x", "type": "int", "default": 0}'))
    data = cli("check", "--format", "json").json()
    assert data["exit_code"] == 0, data["findings"]          # the side branch's `long` id is not a version
    assert data["subjects"][0]["note"] == "2 previous version(s)"
    repo.write("schemas/order.avsc", record("Order", ID))    # drops nothing a reader needs: still fine
    assert cli("check").code == 0
    repo.write("schemas/order.avsc", record("Order", ID, NOTE))  # no default: v1 had no note
    assert cli("check").code == 1


def test_shallow_clone_says_how_to_fix_it(repo, cli, tmp_path):
    repo.commit("feature work", **{"schemas__order.avsc": record("Order", ID, NOTE_DEFAULT)})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo.root}", str(clone)],
                   check=True, capture_output=True)
    run = cli("check", cwd=clone)
    assert run.code == 2
    assert "shallow clone" in run.err and "fetch-depth: 0" in run.err


def test_a_crash_is_exit_2_not_a_finding(repo, cli, monkeypatch):
    import schemawire.ci.offline as offline

    def boom(*a, **k):
        raise RuntimeError("bug")
    monkeypatch.setattr(offline, "run_job", boom)
    run = cli("check")
    assert run.code == 2
    assert "internal error" in run.err and "RuntimeError: bug" in run.err

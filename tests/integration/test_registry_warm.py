"""Slow parses and checks run in the registry's worker thread (`Registry.warm`), so other requests
are answered meanwhile, and the answers are the same as when everything runs on the event loop."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

import registry.app
from registry.compare import Comparing
from registry.types import TypePlugin, default_types
from tests.conftest import ServerThread
from tests.integration.registry_helpers import assert_error, check, ok, reg_id, register

S1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
S2 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "int"}]}
SLOW = {"type": "record", "name": "R", "doc": "slow", "fields": [{"name": "a", "type": "string"}]}


def test_a_read_is_answered_while_a_slow_check_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    plugins = default_types()
    avro = plugins["AVRO"]

    def blocking_check(reader, writer, **kw):
        if "slow" in reader.canonical():
            entered.set()
            assert release.wait(30)
        return avro.check(reader, writer, **kw)

    plugins["AVRO"] = TypePlugin(avro.schema_type, blocking_check)
    monkeypatch.setattr(registry.app, "default_types", lambda: plugins)
    monkeypatch.setattr(Comparing, "worth_warming", lambda self, subject, schema: True)
    with ServerThread(registry.app.create_app(tmp_path)) as server, \
            httpx.Client(base_url=server.url, timeout=30) as c:
        i = reg_id(c, "s", S1)
        answer: list[httpx.Response] = []
        checker = threading.Thread(target=lambda: answer.append(check(c.__class__(base_url=server.url, timeout=30),
                                                                       "s", SLOW)))
        checker.start()
        assert entered.wait(30), "the check never started"
        # the check is stuck in the worker thread; the event loop still serves reads
        assert ok(c.get(f"/schemas/ids/{i}")) == {"schema": json.dumps(S1, separators=(",", ":"))}
        assert not answer
        release.set()
        checker.join(30)
        assert ok(answer[0]) == {"is_compatible": True}


@pytest.fixture
def always_warm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Comparing, "worth_warming", lambda self, subject, schema: True)


def test_answers_are_the_same_when_warmed(always_warm: None, sr: httpx.Client) -> None:
    i = reg_id(sr, "s", S1)
    assert reg_id(sr, "s", S1) == i
    r = register(sr, "s", S2)
    assert_error(r, 409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in r.json()["message"]
    assert ok(check(sr, "s", S2)) == {"is_compatible": False}
    assert ok(check(sr, "s", S2, version="1", verbose="true"))["messages"][-1] == (
        "{validateFields: 'false', compatibility: 'BACKWARD'}")
    assert_error(register(sr, "s", "{not json"), 422, 42201)
    assert_error(register(sr, "s", "{not json"), 422, 42201)  # an error is remembered and given again
    assert ok(sr.post("/subjects/s", json={"schema": json.dumps(S1)}))["id"] == i
    assert_error(sr.post("/subjects/s", json={"schema": json.dumps(S2)}), 404, 40403)
    assert_error(check(sr, "s", S1, version="7"), 404, 40402)
    ok(sr.put("/config/s", json={"compatibility": "NONE"}))
    assert reg_id(sr, "s", S2) != i
    assert ok(sr.get("/subjects/s/versions")) == [1, 2]

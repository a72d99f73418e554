"""`schemawire gateway` and `schemawire serve` as a user runs them: real processes, signals, sockets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import httpx

from tests.integration.test_cli import SCHEMAWIRE, assert_one_line_error, finish, free_port, start_listening
from tests.integration.test_gateway_produce import USER, read_back

V2_AVRO = "application/vnd.kafka.avro.v2+json"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([SCHEMAWIRE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def test_serve_runs_registry_and_gateway_in_one_process(tmp_path: Path) -> None:
    proc, [reg, gwp] = start_listening(
        lambda reg, gwp: run("serve", "--data-dir", str(tmp_path), "--port", str(reg), "--gateway-port", str(gwp)),
        ports=2)
    try:
        r = httpx.post(f"http://127.0.0.1:{reg}/subjects/users-value/versions", json={"schema": USER},
                       headers={"content-type": "application/vnd.schemaregistry.v1+json"})
        sid = r.json()["id"]
        r = httpx.post(f"http://127.0.0.1:{gwp}/topics/users", headers={"content-type": V2_AVRO},
                       content=json.dumps({"value_schema_id": sid, "records": [{"value": {"id": 1, "name": "A"}}]}))
        assert r.json() == {"key_schema_id": None, "value_schema_id": sid, "offsets": [
            {"partition": 0, "offset": 0, "error_code": None, "error": None}]}
        r = httpx.post(f"http://127.0.0.1:{gwp}/topics/users", headers={"content-type": V2_AVRO},
                       content=json.dumps({"value_schema": USER, "records": [{"value": {"id": 2, "name": 3}}]}))
        assert r.status_code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        code, out, err = finish(proc)
    assert code == 0, err
    assert "Traceback" not in err
    assert out.splitlines() == [f"schemawire registry listening on http://127.0.0.1:{reg}",
                                f"schemawire gateway listening on http://127.0.0.1:{gwp}"]
    records = read_back(tmp_path, "users")
    assert len(records) == 1 and records[0].value[:5] == b"\x00" + sid.to_bytes(4, "big")


def test_gateway_on_the_embedded_log_with_env_settings(tmp_path: Path, registry_url: str) -> None:
    proc, [port] = start_listening(
        lambda port: run("gateway", env={"SCHEMAWIRE_PORT": str(port), "SCHEMAWIRE_DATA_DIR": str(tmp_path),
                                         "SCHEMAWIRE_REGISTRY_URL": registry_url,
                                         "SCHEMAWIRE_ADVERTISED_URL": "https://gw.example.com/",
                                         "SCHEMAWIRE_VALUE_SUBJECT_STRATEGY": "record"}))
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/topics/t", headers={"content-type": V2_AVRO},
                       content=json.dumps({"value_schema": USER, "records": [{"value": {"id": 1, "name": "A"}}]}))
        assert r.status_code == 200
        assert httpx.get(f"{registry_url}/subjects").json() == ["com.example.User"]  # the record strategy
        cluster = httpx.get(f"http://127.0.0.1:{port}/v3/clusters").json()["data"][0]
        assert cluster["metadata"]["self"] == "https://gw.example.com/v3/clusters/schemawire"
    finally:
        proc.send_signal(signal.SIGTERM)
        code, out, err = finish(proc)
    assert code == 0, err
    assert len(read_back(tmp_path, "t")) == 1


def test_gateway_start_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = finish(run("gateway", "--port", str(port), "--data-dir", str(tmp_path)))
        assert code == 2
        assert_one_line_error(err, "cannot listen", str(port))
    code, _, err = finish(run("gateway", "--bootstrap-servers", "127.0.0.1:9", "--data-dir", str(tmp_path)))
    assert code == 2
    assert_one_line_error(err, "--bootstrap-servers", "--data-dir")
    code, _, err = finish(run("gateway", "--data-dir", str(tmp_path), "--kafka-option", "acks"))
    assert code == 2
    assert_one_line_error(err, "key=value")
    code, _, err = finish(run("gateway", "--data-dir", str(tmp_path), "--registry-url", "ftp://x"))
    assert code == 2
    assert_one_line_error(err, "--registry-url")
    code, _, err = finish(run("gateway", "--data-dir", str(tmp_path),
                              env={"SCHEMAWIRE_KEY_SUBJECT_STRATEGY": "nope"}))
    assert code == 2
    assert_one_line_error(err, "--key-subject-strategy")
    blocked = tmp_path / "file"
    blocked.write_text("")
    code, _, err = finish(run("gateway", "--data-dir", str(blocked / "sub"), "--port", str(free_port())))
    assert code == 2
    assert_one_line_error(err, "not writable")

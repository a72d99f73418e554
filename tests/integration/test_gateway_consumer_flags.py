"""Every v2 consumer setting can be given on `schemawire gateway`'s command line."""

from __future__ import annotations

import base64
import signal
import time
from pathlib import Path

import httpx

from tests.integration.test_cli import finish, start_listening
from tests.integration.test_gateway_produce_cli import run

V2 = {"content-type": "application/vnd.kafka.v2+json"}
BINARY = {"content-type": "application/vnd.kafka.binary.v2+json"}
ACCEPT = {"accept": "application/vnd.kafka.binary.v2+json"}


def test_max_bytes_request_timeout_and_fetch_min_bytes_flags(tmp_path: Path, registry_url: str) -> None:
    proc, [port] = start_listening(
        lambda port: run("gateway", "--port", str(port), "--data-dir", str(tmp_path), "--registry-url", registry_url,
                         "--consumer-max-bytes", "25", "--consumer-request-timeout-ms", "3000",
                         "--consumer-fetch-min-bytes", "1"))
    base = f"http://127.0.0.1:{port}"
    inst = f"{base}/consumers/g/instances/c"
    try:
        value = base64.b64encode(b"0123456789").decode()  # 10 bytes a record
        r = httpx.post(f"{base}/topics/t", headers=BINARY, json={"records": [{"value": value}] * 4})
        assert r.status_code == 200, r.text
        r = httpx.post(f"{base}/consumers/g", headers=V2,
                       json={"name": "c", "format": "binary", "auto.offset.reset": "earliest"})
        assert r.status_code == 200, r.text
        assert httpx.post(f"{inst}/subscription", headers=V2, json={"topics": ["t"]}).status_code == 204
        # the server's max bytes caps every fetch: two 10-byte records, the third would pass 25
        got: list[int] = []
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            got = [rec["offset"] for rec in httpx.get(f"{inst}/records", headers=ACCEPT, timeout=10).json()]
        assert got == [0, 1]
        # fetch.min.bytes 1 answers as soon as a record is there, well before the 3 s wait
        assert [rec["offset"] for rec in httpx.get(f"{inst}/records", headers=ACCEPT, timeout=10).json()] == [2, 3]
        # nothing left: the fetch waits the configured request timeout (3 s), not the 1 s default
        started = time.monotonic()
        assert httpx.get(f"{inst}/records", headers=ACCEPT, timeout=10).json() == []
        assert time.monotonic() - started >= 2.5
    finally:
        proc.send_signal(signal.SIGTERM)
        code, _, err = finish(proc)
    assert code == 0, err

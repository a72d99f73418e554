"""Consumer settings from `schemawire gateway`'s command line reach the running gateway."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.integration.test_cli import finish, start_listening
from tests.integration.test_gateway_produce_cli import run

V2 = {"content-type": "application/vnd.kafka.v2+json"}


def test_consumer_timeout_flag_expires_idle_instances(tmp_path: Path, registry_url: str) -> None:
    # 2 s: creating the instance and the first look at it must fit in one timeout, even on a slow machine
    proc, [port] = start_listening(
        lambda port: run("gateway", "--port", str(port), "--data-dir", str(tmp_path), "--registry-url", registry_url,
                         "--consumer-timeout-ms", "2000"))
    base = f"http://127.0.0.1:{port}"
    try:
        r = httpx.post(f"{base}/consumers/g", headers=V2, json={"name": "c1", "format": "binary"})
        assert r.status_code == 200, r.text
        assert httpx.get(f"{base}/consumers/g/instances/c1/subscription").status_code == 200
        # Any request refreshes the idle timer, so leave the instance alone for three timeouts
        # (the expiry pass runs every quarter timeout), then look once.
        time.sleep(6)
        r = httpx.get(f"{base}/consumers/g/instances/c1/subscription")
        assert (r.status_code, r.json()) == (404, {"error_code": 40403, "message": "Consumer instance not found."})
    finally:
        proc.send_signal(signal.SIGTERM)
        code, _, err = finish(proc)
    assert code == 0, err

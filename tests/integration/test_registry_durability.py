"""Every acknowledged registration survives SIGKILL of the server in the middle of a stream."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

SCHEMAWIRE = str(Path(sys.executable).with_name("schemawire"))
SUBJECTS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """The registry on a free port, once it answers; its URL. A port probed free is bound only when the
    process gets there, and another process may take it first: then it exits with "cannot listen",
    and starts again on another port."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(
            [SCHEMAWIRE, "registry", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir), *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read()
                if proc.returncode == 2 and "cannot listen" in err:
                    break  # the port was taken: another one
                raise AssertionError(f"registry exited with {proc.returncode}: {err}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    return proc, f"http://127.0.0.1:{port}"
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        else:
            proc.kill()
            raise AssertionError("registry did not answer in time")
    raise AssertionError("no free port in 5 attempts")


def schema_text(n: int) -> str:
    """A distinct record per n, already in Confluent's canonical form (so the stored text is this)."""
    return json.dumps({"type": "record", "name": f"R{n}", "namespace": "dur",
                       "fields": [{"name": f"f{n}", "type": "long"}, {"name": "s", "type": "string"}]},
                      separators=(",", ":"))


class Producer(threading.Thread):
    """Registers distinct schemas round-robin over s0..s19 and records every 200 answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.acked: list[tuple[str, int, int, str]] = []  # (subject, version, id, schema)
        self.failure: BaseException | None = None
        self.unexpected: list[tuple[int, str]] = []

    def run(self) -> None:
        versions = [0] * SUBJECTS
        n = 0
        # a generous timeout: a slow answer must not end the stream (the kill ends it at once)
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while True:
                k = n % SUBJECTS
                subject, text = f"s{k}", schema_text(n)
                try:
                    r = client.post(f"/subjects/{subject}/versions", json={"schema": text})
                except httpx.TransportError as exc:  # the server was killed: the stream ends here
                    self.failure = exc
                    return
                if r.status_code != 200:
                    self.unexpected.append((r.status_code, r.text))
                    return
                versions[k] += 1
                self.acked.append((subject, versions[k], r.json()["id"], text))
                n += 1


@pytest.mark.parametrize("sync", [(), ("--sync", "full")], ids=["default-sync", "sync-full"])
def test_acknowledged_registrations_survive_sigkill(tmp_path: Path, sync: tuple[str, ...]):
    data = tmp_path / "data"
    proc, url = start(data, *sync)
    try:
        assert httpx.put(url + "/config", json={"compatibility": "NONE"}).status_code == 200
        producer = Producer(url)
        producer.start()
        # Kill once the stream is well under way: after ~1 s *and* a few versions per subject,
        # however slow the machine is (the deadline only guards against a stuck producer).
        deadline = time.monotonic() + 60
        time.sleep(1.0)
        while len(producer.acked) < SUBJECTS * 3 and time.monotonic() < deadline and producer.is_alive():
            time.sleep(0.05)
        assert producer.is_alive(), (producer.unexpected, producer.failure)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        producer.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not producer.is_alive()
    assert producer.unexpected == []
    assert isinstance(producer.failure, httpx.TransportError), "the stream ended because the server died"
    acked = producer.acked
    assert len(acked) >= SUBJECTS * 3, f"only {len(acked)} registrations before the kill (stuck producer?)"

    proc, url = start(data, *sync)  # on another port, maybe: what matters is the data directory
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            ids = [a[2] for a in acked]
            assert len(set(ids)) == len(ids), "distinct schemas got distinct ids"
            for subject, version, id_, text in acked:
                r = client.get(f"/subjects/{subject}/versions/{version}")
                assert r.status_code == 200, (subject, version, r.text)
                assert r.json() == {"subject": subject, "version": version, "id": id_, "schema": text}
                assert client.get(f"/schemas/ids/{id_}").json() == {"schema": text}
            # At most the one registration in flight at the kill landed without its answer.
            for k in range(SUBJECTS):
                acked_here = sum(1 for a in acked if a[0] == f"s{k}")
                stored = client.get(f"/subjects/s{k}/versions").json()
                assert stored[:acked_here] == list(range(1, acked_here + 1))
                assert len(stored) <= acked_here + 1
            # The configuration survived too, and ids are never reused after the restart.
            assert client.get("/config").json() == {"compatibilityLevel": "NONE"}
            r = client.post("/subjects/after-restart/versions", json={"schema": schema_text(10**6)})
            assert r.status_code == 200
            assert r.json()["id"] > max(ids)
    finally:
        proc.kill()
        proc.wait()

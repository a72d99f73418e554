"""The `schemawire registry` command as a user runs it: a real process, real signals, real sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

SCHEMAWIRE = str(Path(sys.executable).with_name("schemawire"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [SCHEMAWIRE, "registry", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})})


class PortTaken(AssertionError):
    """The server exited 2 because its port was in use: another process took it after free_port()."""


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read()
            if proc.returncode == 2 and "cannot listen" in err:
                raise PortTaken(f"exited with 2: {err}")
            raise AssertionError(f"exited with {proc.returncode}: {err}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("registry did not answer in time")


def start_listening(launch: Callable[..., subprocess.Popen], ports: int = 1,
                    attempts: int = 5) -> tuple[subprocess.Popen, list[int]]:
    """`launch(*ports)` on free ports, once it answers on each. A port probed free is bound only when
    the process gets there, and another process may take it first: then the server exits with
    "cannot listen", and it is launched again on other ports."""
    for _ in range(attempts):
        chosen = [free_port() for _ in range(ports)]
        proc = launch(*chosen)
        try:
            for port in chosen:
                wait_ready(f"http://127.0.0.1:{port}", proc)
        except PortTaken:
            proc.communicate()
            continue
        except BaseException:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
            raise
        return proc, chosen
    raise AssertionError(f"no free port in {attempts} attempts")


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"did not exit in {timeout}s; stderr: {err}") from None
    return proc.returncode, out, err


def assert_one_line_error(err: str, *words: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("schemawire: ")
    for word in words:
        assert word in lines[0]


def test_port_in_use_is_a_one_line_error_and_exit_code_2(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = finish(start("--port", str(port), "--data-dir", str(tmp_path / "data")))
    assert code == 2
    assert_one_line_error(err, str(port))
    assert "listening" not in out


def test_unwritable_data_dir_is_a_one_line_error_and_exit_code_2(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, out, err = finish(start("--port", str(free_port()), "--data-dir", str(blocker / "data")))
    assert code == 2
    assert_one_line_error(err, str(blocker / "data"))
    assert blocker.read_text() == "not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_data_dir_is_a_one_line_error(tmp_path: Path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    code, _, err = finish(start("--port", str(free_port()), "--data-dir", str(ro)))
    assert code == 2
    assert_one_line_error(err, str(ro))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_prints_its_url_and_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals):
    proc, [port] = start_listening(
        lambda port: start("--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path / "data")))
    url = f"http://127.0.0.1:{port}"
    try:
        r = httpx.put(url + "/config", json={"compatibility": "FULL"})
        assert r.status_code == 200
        proc.send_signal(sig)
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert url in out.splitlines()[0]
    assert "Traceback" not in err
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/", timeout=1)
    assert (tmp_path / "data" / "registry.db").exists()


def test_environment_variables_set_port_and_data_dir(tmp_path: Path):
    data = tmp_path / "from-env"
    proc, [port] = start_listening(lambda port: subprocess.Popen(
        [SCHEMAWIRE, "registry"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path, env={**os.environ, "SCHEMAWIRE_PORT": str(port), "SCHEMAWIRE_DATA_DIR": str(data)}))
    url = f"http://127.0.0.1:{port}"
    try:
        r = httpx.post(url + "/subjects/env-value/versions", json={"schema": '"string"'})
        assert r.json() == {"id": 1}
        proc.terminate()
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert f":{port}" in out
    assert (data / "registry.db").exists()
    assert not (tmp_path / "data").exists(), "the default ./data was not used"


def test_flags_win_over_environment_variables(tmp_path: Path):
    env_port = free_port()
    proc, _ = start_listening(
        lambda flag_port: start("--port", str(flag_port), "--data-dir", str(tmp_path / "flag"),
                                env={"SCHEMAWIRE_PORT": str(env_port), "SCHEMAWIRE_DATA_DIR": str(tmp_path / "env")}))
    try:
        proc.terminate()
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert (tmp_path / "flag" / "registry.db").exists()
    assert not (tmp_path / "env").exists()

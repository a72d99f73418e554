"""Shared fixtures: a real registry over a real socket, on a real SQLite file."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from hypothesis import settings

# CI runs the same examples every time, so a red build is a real regression and is
# reproducible; `HYPOTHESIS_PROFILE=explore pytest ...` searches new examples.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest.register_assert_rewrite("tests.integration.registry_helpers")

from registry.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bound_socket() -> socket.socket:
    """A loopback socket bound to a free port, for a server to listen on: the port is ours from
    now on, unlike a port number probed free."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class ServerThread:
    """uvicorn in a background thread: real HTTP on a loopback port, stopped cleanly."""

    def __init__(self, app, sock: socket.socket | None = None) -> None:
        # The socket is bound first and handed to uvicorn, so no other process can take the port
        # between choosing it and listening on it (uvicorn runs the lifespan before it binds).
        self.sock = sock or bound_socket()
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "registry_api(version): answer in Confluent 7 (default) or 8.x shapes")


@pytest.fixture
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh schemawire registry with its own SQLite file."""
    marker = request.node.get_closest_marker("registry_api")
    api_version = marker.args[0] if marker else 7
    with ServerThread(create_app(tmp_path / "registry", api_version=api_version)) as server:
        yield server.url


@pytest.fixture
def sr(registry_url: str) -> Iterator[httpx.Client]:
    """An HTTP client bound to a fresh registry."""
    with httpx.Client(base_url=registry_url, timeout=10) as client:
        yield client

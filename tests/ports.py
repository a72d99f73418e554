"""Loopback ports for tests, without the race of "find a free port now, bind it later".

A port found free by binding port 0 and closing the socket can be taken by any other process
(another test run on the same machine, a client's outgoing connection) before the server that is
meant to use it binds it. `refused_port` keeps the port bound for the whole test instead.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections while the block runs: bound but never listening, so
    no other server (another test's, a parallel run's) can take it and answer in its place."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]

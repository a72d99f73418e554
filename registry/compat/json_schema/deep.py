"""Run a deeply recursive computation with the headroom a JVM thread would have.

The difference walk recurses once per schema level, and recursive unions
(`oneOf` of `$ref`s that refer back) can keep a few hundred pairs in progress at
once. Java's thread stack absorbs that; CPython's default limit of 1000 frames
does not. Such a walk is retried on a fresh thread with a large C stack and an
interpreter recursion limit of at least DEEP_LIMIT. CPython has one such limit
per process: it is raised only while the worker runs and restored afterwards, so
code on ordinary 8 MiB thread stacks never recurses past what its stack holds (a
segfault, where the default limit gives a RecursionError). Two deep walks at once
may see the limit restored early; the later one then fails with a clean error.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

DEEP_LIMIT = 20_000
STACK_BYTES = 512 * 1024 * 1024  # reserved, not committed, by the OS


def run_deep(fn: Callable[[], T]) -> T:
    """`fn()` on a thread with a big stack and a high recursion limit; re-raises its error."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            outcome["error"] = exc

    limit = sys.getrecursionlimit()
    previous = threading.stack_size()
    threading.stack_size(STACK_BYTES)
    try:
        worker = threading.Thread(target=target, name="json-compat-deep", daemon=True)
        sys.setrecursionlimit(max(limit, DEEP_LIMIT))
        worker.start()
    finally:
        threading.stack_size(previous)
    try:
        worker.join()
    finally:
        sys.setrecursionlimit(limit)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]

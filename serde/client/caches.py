"""Client caches and single-flight de-duplication of concurrent identical lookups.

Ids and GUIDs are immutable in a registry, so id -> schema and
(subject, schema) -> id are kept forever; the latest version of a subject can
change, so it lives in an LRU with an optional TTL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

from cachetools import LRUCache, TTLCache

T = TypeVar("T")


class Caches:
    """All caches of one client, guarded by one lock (cachetools caches are not thread-safe)."""

    def __init__(self, capacity: int = 1000, latest_ttl: float | None = None) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._ttl = latest_ttl
        self.clear()

    def _latest_cache(self) -> LRUCache:
        if self._ttl:
            return TTLCache(self._capacity, self._ttl)
        return LRUCache(self._capacity)

    def clear(self) -> None:
        with self._lock:
            self.by_id: dict[Hashable, Any] = {}
            self.by_guid: dict[Hashable, Any] = {}
            self.registered: dict[Hashable, Any] = {}
            self.versions: dict[Hashable, Any] = {}
            self.latest = self._latest_cache()
            self.latest_meta = self._latest_cache()

    def clear_latest(self) -> None:
        with self._lock:
            self.latest = self._latest_cache()
            self.latest_meta = self._latest_cache()

    def get(self, name: str, key: Hashable) -> Any:
        with self._lock:
            return getattr(self, name).get(key)

    def put(self, name: str, key: Hashable, value: Any) -> None:
        with self._lock:
            getattr(self, name)[key] = value

    def forget_subject(self, subject: str, version: int | None = None) -> None:
        """Drop what a delete made stale: latest and versions of `subject` (and its ids)."""
        with self._lock:
            for name in ("registered", "versions"):
                cache = getattr(self, name)
                for k in [k for k in cache if k[0] == subject and (version is None or name != "versions" or k[1] == version)]:
                    del cache[k]
            for cache in (self.latest, self.latest_meta):
                for k in [k for k in cache if k == subject or (isinstance(k, tuple) and k[0] == subject)]:
                    cache.pop(k, None)


class Flights:
    """Thread-safe single flight: concurrent calls with one key share one execution."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, Future] = {}

    def do(self, key: Hashable, fn: Callable[[], T]) -> T:
        with self._lock:
            fut = self._inflight.get(key)
            leader = fut is None
            if leader:
                fut = self._inflight[key] = Future()
        if not leader:
            return fut.result()
        try:
            result = fn()
        except BaseException as exc:
            fut.set_exception(exc)
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            with self._lock:
                self._inflight.pop(key, None)


class AsyncFlights:
    """asyncio single flight: concurrent awaits with one key share one request."""

    def __init__(self) -> None:
        self._inflight: dict[Hashable, asyncio.Future] = {}

    async def do(self, key: Hashable, fn: Callable[[], Awaitable[T]]) -> T:
        fut = self._inflight.get(key)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            result = await fn()
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: followers (if any) re-raise it themselves
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            self._inflight.pop(key, None)

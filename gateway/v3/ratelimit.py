"""Per-client produce rate limit for v3 (records per second, token bucket), as Confluent's limiters.

A limited record gets a 429 line and is not produced; other clients are unaffected.
"""

from __future__ import annotations

import time

_MAX_CLIENTS = 10_000


class RateLimiter:
    def __init__(self, per_second: float, burst: float | None = None) -> None:
        if per_second <= 0:
            raise ValueError("rate limit must be positive")
        self.rate = float(per_second)
        self.burst = float(burst if burst is not None else per_second)
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str, now: float | None = None) -> bool:
        """Take one token from `client`'s bucket; False when it is empty."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            return False
        if len(self._buckets) >= _MAX_CLIENTS and client not in self._buckets:
            self._buckets.clear()  # forget idle clients rather than grow without bound
        self._buckets[client] = (tokens - 1.0, now)
        return True

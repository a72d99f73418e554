"""What the handlers share, built in the app's lifespan: the log, the schema resolver, the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.log.base import Log
from gateway.schemas import SchemaResolver


@dataclass
class Gateway:
    log: Log
    resolver: SchemaResolver
    max_body: int
    max_records: int
    batch_max: int = 10
    cluster_id: str = "schemawire"
    advertised_url: str | None = None
    limiter: Any = None  # gateway.v3.ratelimit.RateLimiter, or None when off
    extra: dict[str, Any] = field(default_factory=dict)

    def base_url(self, request: Any) -> str:
        """The absolute URL prefix resources link to: --advertised-url, else what the client called."""
        if self.advertised_url:
            return self.advertised_url.rstrip("/")
        return str(request.base_url).rstrip("/")

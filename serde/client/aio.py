"""The asyncio registry client: the same operations as the sync client, awaited natively."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Hashable
from typing import Any

import httpx

from serde.client import ops
from serde.client.api import RegistryAPI
from serde.client.caches import AsyncFlights
from serde.client.failover import attempts, encode_body, headers_for
from serde.errors import SchemaRegistryError


class AsyncSchemaRegistryClient(RegistryAPI):
    """Async client: every method of SchemaRegistryClient, returning awaitables.

    Concurrent first lookups of one id await one shared HTTP request.
    """

    def __init__(self, url_or_conf: Any, **options: Any) -> None:
        super().__init__(url_or_conf, **options)
        self._http = httpx.AsyncClient(**self.options.httpx_kwargs())
        self._flights = AsyncFlights()
        self._rng = random.Random()
        self._good = 0

    @classmethod
    def new_client(cls, url_or_conf: Any, **options: Any) -> Any:
        """Like confluent-kafka's factory: `mock://` gives an AsyncInMemorySchemaRegistry."""
        url = url_or_conf.get("url", "") if isinstance(url_or_conf, dict) else str(url_or_conf)
        if url.startswith("mock://"):
            from serde.memory import AsyncInMemorySchemaRegistry

            return AsyncInMemorySchemaRegistry()
        return cls(url_or_conf, **options)

    async def __aenter__(self) -> "AsyncSchemaRegistryClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    def _value(self, value: Any) -> Any:
        return _ready(value)

    def _call(self, op: ops.Op, flight: Hashable | None = None) -> Any:
        if flight is None:
            return self._run(op)
        return self._flights.do(flight, lambda: self._run(op))

    async def _run(self, op: ops.Op) -> Any:
        try:
            req = next(op)
            while True:
                try:
                    answer = await self._send(req)
                except SchemaRegistryError as exc:
                    req = op.throw(exc)
                else:
                    req = op.send(answer)
        except StopIteration as stop:
            return stop.value

    async def _send(self, req: ops.Request) -> Any:
        urls = self.options.urls
        body = encode_body(req.body)
        headers = headers_for(body)
        steps = attempts(self, urls)
        try:
            step, arg = next(steps)
            while True:
                outcome = None
                if step == "send":
                    try:
                        outcome = await self._http.request(
                            req.method, urls[arg] + req.path, params=req.params, content=body, headers=headers)
                    except httpx.RequestError as exc:
                        outcome = exc
                else:
                    await asyncio.sleep(arg)
                step, arg = steps.send(outcome)
        except StopIteration as stop:
            return stop.value


async def _ready(value: Any) -> Any:
    return value

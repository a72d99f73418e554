"""The blocking registry client: httpx.Client, URL fail-over, retries with back-off."""

from __future__ import annotations

import random
import time
from collections.abc import Hashable
from typing import Any

import httpx

from serde.client import ops
from serde.client.api import RegistryAPI
from serde.client.caches import Flights
from serde.client.failover import attempts, encode_body, headers_for
from serde.errors import SchemaRegistryError

def run_op(op: ops.Op, send: Any) -> Any:
    """Drive an operation with a blocking `send(request) -> json`."""
    try:
        req = next(op)
        while True:
            try:
                answer = send(req)
            except SchemaRegistryError as exc:
                req = op.throw(exc)
            else:
                req = op.send(answer)
    except StopIteration as stop:
        return stop.value


class SchemaRegistryClient(RegistryAPI):
    """Blocking client for a Confluent-compatible schema registry.

    `SchemaRegistryClient("http://a:8081,http://b:8081", basic_auth=("u", "p"))`, or
    confluent-kafka's conf dict. Thread-safe; concurrent first lookups of one id
    make one HTTP request.
    """

    def __init__(self, url_or_conf: Any, **options: Any) -> None:
        super().__init__(url_or_conf, **options)
        self._http = httpx.Client(**self.options.httpx_kwargs())
        self._flights = Flights()
        self._rng = random.Random()
        self._good = 0  # index of the URL that answered last

    @classmethod
    def new_client(cls, url_or_conf: Any, **options: Any) -> Any:
        """Like confluent-kafka's factory: `mock://` gives an InMemorySchemaRegistry."""
        url = url_or_conf.get("url", "") if isinstance(url_or_conf, dict) else str(url_or_conf)
        if url.startswith("mock://"):
            from serde.memory import InMemorySchemaRegistry

            return InMemorySchemaRegistry()
        return cls(url_or_conf, **options)

    def __enter__(self) -> "SchemaRegistryClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, op: ops.Op, flight: Hashable | None = None) -> Any:
        if flight is None:
            return run_op(op, self._send)
        return self._flights.do(flight, lambda: run_op(op, self._send))

    def _send(self, req: ops.Request) -> Any:
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
                        outcome = self._http.request(
                            req.method, urls[arg] + req.path, params=req.params, content=body, headers=headers)
                    except httpx.RequestError as exc:
                        outcome = exc
                else:
                    time.sleep(arg)
                step, arg = steps.send(outcome)
        except StopIteration as stop:
            return stop.value

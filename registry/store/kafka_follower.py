"""Several registry nodes on one `_schemas` topic: one leader writes, followers replay and forward.

The leader is static: a node started with a leader URL is a follower. It serves reads from
its view, replayed by the KafkaStore's tail into `Registry.apply`, and forwards every write
(register, delete, config and mode changes) to the leader over HTTP, as Confluent's
followers do. Lookups (POST /subjects/{s}) and compatibility checks stay local, as in
Confluent. After a forwarded write succeeded the follower waits (bounded) until its tail
reached the topic's end, so a client reads its own write from the same node.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# POST .../subjects/{subject}/versions registers; other POSTs (lookup, compatibility) only read
REGISTER = re.compile(r"^(/contexts/[^/]+)?/subjects/[^/]+/versions/?$")
HOP_HEADERS = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade",
               "te", "trailer", "proxy-authorization", "proxy-authenticate"}


def is_write(method: str, path: str) -> bool:
    return method in ("PUT", "DELETE") or (method == "POST" and REGISTER.match(path) is not None)


class LeaderForwarding:
    """ASGI middleware of a follower: writes go to `leader_url`, everything else to `app`."""

    def __init__(self, app: ASGIApp, leader_url: str, store: Any = None, *, timeout: float = 30.0) -> None:
        self.app = app
        self.leader_url = leader_url.rstrip("/")
        self.store = store
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing(send))
            return
        raw = scope.get("raw_path") or scope.get("path", "").encode()
        path = raw.decode("latin-1")
        if scope["type"] != "http" or not is_write(scope["method"], path):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.leader_url + path + (f"?{query}" if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ())
                   if k.decode("latin-1").lower() not in HOP_HEADERS]
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            resp = await self._client.request(scope["method"], url, content=bytes(body), headers=headers)
        except httpx.HTTPError as exc:
            await _answer(send, 500, json.dumps({
                "error_code": 50003,
                "message": f"Error while forwarding the request to the leader: {exc}"}).encode(),
                [(b"content-type", b"application/vnd.schemaregistry.v1+json")])
            return
        if resp.status_code < 300 and self.store is not None:
            await self.store.caught_up(5.0)
        out_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers.items()
                       if k.lower() not in HOP_HEADERS and k.lower() != "content-encoding"]
        await _answer(send, resp.status_code, resp.content, out_headers)

    def _closing(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete" and self._client is not None:
                await self._client.aclose()
                self._client = None
            await send(message)
        return wrapped


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

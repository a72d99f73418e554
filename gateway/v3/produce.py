"""v3 produce: `POST /v3/clusters/{c}/topics/{t}/records` (a stream) and `.../records:batch`.

The stream endpoint answers 200 as soon as the body starts and then one JSON
line per input record, in input order, each a result or an error (spec §5.5).
Records are processed as they arrive: everything parsed from one chunk is
validated, then appended as one batch, so a bulk body costs one log round
trip per chunk while an interactive client gets each answer at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.errors import (
    BatchError,
    GatewayError,
    PayloadTooLarge,
    RateLimited,
    Unprocessable,
    stream_line,
)
from gateway.http import check_fields, check_length, expect, json_response, parse_json, read_body
from gateway.http import require_json, v3_response_type
from gateway.log.base import LogError
from gateway.state import Gateway
from gateway.v3.records import IsoClock, Prepared, bind, prepare, success
from gateway.v3.stream import ObjectStream, ParseFailure

log = logging.getLogger("schemawire.gateway")
_CRLF = b"\r\n"
_EMPTY = "Request body is empty. Data is required."


async def append_all(gw: Gateway, topic: str, cluster: str, batch: list[Prepared],
                     iso: IsoClock) -> list[dict[str, Any]]:
    """Append prepared records as one batch; a log failure is retried record by record to place it
    (a partition out of range, for one, fails the whole call before anything is written)."""
    try:
        appended = await gw.log.append(topic, [p.record for p in batch])
    except LogError as exc:
        if len(batch) == 1:
            return [{"error_code": exc.error_code, "message": exc.message}]
        out: list[dict[str, Any]] = []
        for p in batch:
            out.extend(await append_all(gw, topic, cluster, [p], iso))
        return out
    return [success(cluster, topic, p, a.partition, a.offset, iso) if a.error_code is None
            else {"error_code": a.error_code, "message": a.error or ""}
            for p, a in zip(batch, appended)]


class _Batch:
    """Result lines of records parsed so far, with the prepared records still to append."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any] | None] = []
        self.pending: list[tuple[int, Prepared]] = []

    def __bool__(self) -> bool:
        return bool(self.lines)


class _RecordStream(Response):
    """The 200 stream of result lines; reads the rest of the body while it writes.

    Pipelined: while one batch is being appended, the next chunks are parsed, validated and
    encoded; at most one append is in flight, so records keep their input order in the log.
    """

    def __init__(self, gw: Gateway, request: Request, body: AsyncIterator[bytes], first: bytes) -> None:
        super().__init__(media_type="application/json")
        self.gw, self.request, self.body, self.first = gw, request, body, first
        self.topic = request.path_params["topic"]
        self.cluster = request.path_params["cluster_id"]
        self.client = request.client.host if request.client else ""
        self.count = 0
        self.size = len(first)
        self.stop = False
        self.iso = IsoClock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        try:
            async for piece in self.lines():
                if piece:
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
        except (OSError, ClientDisconnect):
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _next_chunk(self) -> bytes | None:
        try:
            return await self.body.__anext__()
        except StopAsyncIteration:
            return None

    async def lines(self) -> AsyncIterator[bytes]:
        stream = ObjectStream()
        batch = _Batch()
        await self.prepare(stream.feed(self.first), batch)
        inflight: asyncio.Future[bytes] | None = None
        reading: asyncio.Future[bytes | None] | None = None
        try:
            while True:
                if inflight is None and batch:
                    inflight, batch = asyncio.ensure_future(self.finish(batch)), _Batch()
                if self.stop:
                    break
                if reading is None:
                    reading = asyncio.ensure_future(self._next_chunk())
                waits = {reading} if inflight is None else {reading, inflight}
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                if inflight is not None and inflight in done:
                    yield inflight.result()
                    inflight = None
                if reading in done:
                    chunk, reading = reading.result(), None
                    if chunk is None:
                        await self.prepare(stream.close(), batch)
                        self.stop = True
                        continue
                    self.size += len(chunk)
                    if self.size > self.gw.max_body:
                        batch.lines.append({"error_code": 413, "message":
                                            f"Request body exceeds the limit of {self.gw.max_body} bytes"})
                        self.stop = True
                        continue
                    await self.prepare(stream.feed(chunk), batch)
            if inflight is not None:
                yield await inflight
            if batch:
                yield await self.finish(batch)
        finally:
            for fut in (reading, inflight):
                if fut is not None and not fut.done():
                    fut.cancel()

    async def prepare(self, objs: list[Any], batch: _Batch) -> None:
        """Validate and encode the records in `objs` into `batch`; errors become their lines."""
        gw = self.gw
        lines = batch.lines
        memo: dict[tuple, Any] = {}  # schema resolutions shared by this chunk's records
        for obj in objs:
            if self.stop:
                break
            if isinstance(obj, ParseFailure):
                lines.append({"error_code": 400, "message": obj.message})
                self.stop = True
                break
            self.count += 1
            if self.count > gw.max_records:
                lines.append({"error_code": 413, "message":
                              f"Request has more than {gw.max_records} records; the rest is not read."})
                self.stop = True
                break
            if gw.limiter is not None and not gw.limiter.allow(self.client):
                lines.append(stream_line(RateLimited()))
                continue
            try:
                prep = await prepare(gw, self.topic, bind(obj), memo)
            except GatewayError as exc:
                lines.append(stream_line(exc))
                continue
            except Exception:  # a bug must not cut the stream short: this record's line says so
                log.exception("unexpected error preparing a v3 record")
                lines.append({"error_code": 500, "message": "Internal Server Error"})
                continue
            batch.pending.append((len(lines), prep))
            lines.append(None)

    async def finish(self, batch: _Batch) -> bytes:
        """Append the batch's records as one log call; its lines, in order."""
        lines = batch.lines
        if batch.pending:
            results = await append_all(self.gw, self.topic, self.cluster, [p for _, p in batch.pending], self.iso)
            for (i, _), result in zip(batch.pending, results):
                lines[i] = result
        dumps = orjson.dumps
        return b"".join(dumps(x) + _CRLF for x in lines)


async def produce(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    require_json(request.headers.get("content-type"))
    v3_response_type(request.headers.get("accept"))
    check_length(request, gw.max_body)
    body = request.stream().__aiter__()
    first = b""
    try:
        while not first.strip():
            first += await body.__anext__()
            if len(first) > gw.max_body:
                break
    except StopAsyncIteration:
        pass
    if not first.strip():
        raise Unprocessable(f"Payload error. {_EMPTY}")
    if request.headers.get("content-length") is not None:
        # The whole body is already on its way (not an interactive chunked stream): take it all
        # so its records are validated together and appended in one log call.
        chunks, size = [first], len(first)
        async for chunk in body:
            chunks.append(chunk)
            size += len(chunk)
            if size > gw.max_body:
                raise PayloadTooLarge(f"Request body exceeds the limit of {gw.max_body} bytes")
        first, body = b"".join(chunks), _nothing()
    return _RecordStream(gw, request, body, first)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover  (an empty async generator)


_BATCH = "io.confluent.kafkarest.entities.v3.AutoValue_ProduceBatchRequest$Builder"


def _bind_batch(body: Any, batch_max: int) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        expect(body, dict, "", _BATCH)
    check_fields(body, ("entries",), _BATCH)
    entries = body.get("entries")
    if entries is None:
        raise BatchError(_EMPTY)
    expect(entries, list, "entries", "java.util.List<ProduceBatchRequestEntry>")
    if not entries:
        raise BatchError("Empty batch.")
    if len(entries) > batch_max:
        raise BatchError("Too many entries in batch.")
    ids = []
    for entry in entries:
        bind(entry, ("id",))
        eid = entry.get("id")
        if not isinstance(eid, str) or not 1 <= len(eid) <= 80:
            raise BatchError("Batch entry identifier is not a valid string.")
        ids.append(eid)
    if len(set(ids)) != len(ids):
        raise BatchError("Batch entry IDs are not distinct.")
    return entries


async def produce_batch(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    require_json(request.headers.get("content-type"))
    v3_response_type(request.headers.get("accept"))
    raw = await read_body(request, gw.max_body)
    if not raw.strip():
        raise BatchError(_EMPTY)
    entries = _bind_batch(parse_json(raw), gw.batch_max)
    topic, cluster = request.path_params["topic"], request.path_params["cluster_id"]
    client = request.client.host if request.client else ""
    failures: list[dict[str, Any]] = []
    ready: list[tuple[str, Prepared]] = []
    memo: dict[tuple, Any] = {}
    for entry in entries:
        eid = entry["id"]
        if gw.limiter is not None and not gw.limiter.allow(client):
            failures.append({"id": eid, **stream_line(RateLimited())})
            continue
        try:
            ready.append((eid, await prepare(gw, topic, {k: v for k, v in entry.items() if k != "id"}, memo)))
        except GatewayError as exc:
            failures.append({"id": eid, **stream_line(exc)})
    successes: list[dict[str, Any]] = []
    if ready:
        results = await append_all(gw, topic, cluster, [p for _, p in ready], IsoClock())
        for (eid, _), result in zip(ready, results):
            if result["error_code"] == 200:
                result.pop("error_code")
                successes.append({"id": eid, **result})
            else:
                failures.append({"id": eid, **result})
    return json_response({"successes": successes, "failures": failures}, 207)


__all__ = ["produce", "produce_batch", "append_all"]

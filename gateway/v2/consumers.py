"""v2 consumer endpoints (spec §4): instances, subscription, assignments, positions, offsets, records.

Handlers only parse and check the request and shape the answer; instance state and Kafka
semantics are in gateway.consumers. Errors are Confluent's: 40403 unknown instance, 40902
duplicate, 40903 illegal state, 42204/40001 bad configuration, 40601 Accept mismatch on records.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.consumers.config import parse_create
from gateway.consumers.errors import FormatMismatch, InstanceNotFound
from gateway.consumers.fetch import fetch
from gateway.consumers.instance import BEGINNING, END
from gateway.consumers.manager import manager
from gateway.consumers.routing import new_name, redirect_if_elsewhere
from gateway.errors import MalformedBody, NotAcceptable, PartitionNotFound, Unprocessable, UnsupportedMediaType
from gateway.http import V2_JSON, check_fields, expect, json_response, media_type, parse_json, read_body
from gateway.http import v2_response_type

_BODY_TYPES = {V2_JSON, "application/vnd.kafka+json", "application/json",
               *(f"application/vnd.kafka.{f}.v2+json" for f in ("binary", "json", "avro", "jsonschema", "protobuf"))}
_ENTITY = "io.confluent.kafkarest.entities.v2."
_MAX_BODY = 1024 * 1024


async def _body(request: Request) -> Any:
    """The JSON body, or None when there is none; 415 for a non-v2 Content-Type."""
    raw = await read_body(request, _MAX_BODY)
    ctype = media_type(request.headers.get("content-type"))
    if not raw.strip():
        return None
    if ctype not in _BODY_TYPES:
        raise UnsupportedMediaType()
    return parse_json(raw)


def _object(body: Any, known: tuple[str, ...], entity: str) -> dict[str, Any]:
    if body is None:
        raise Unprocessable("Request body is empty. Data is required.")
    if not isinstance(body, dict):
        raise MalformedBody(f"Cannot deserialize value of type `{entity}` from a non-object")
    check_fields(body, known, _ENTITY + entity)
    return body


def _partitions(items: Any, field: str, extra: tuple[str, ...] = (), entity: str = "TopicPartition"
                ) -> list[dict[str, Any]]:
    if items is None:
        return []
    expect(items, list, field, "java.util.List")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedBody(f"Cannot deserialize value of type `{entity}` from a non-object (field \"{field}\")")
        check_fields(item, ("topic", "partition", *extra), _ENTITY + entity)
        expect(item.get("topic"), str, "topic", "java.lang.String")
        expect(item.get("partition"), int, "partition", "java.lang.Integer")
        out.append(item)
    return out


def _instance(request: Request) -> Any:
    p = request.path_params
    mgr = manager(request.app)
    try:
        return mgr.get(p["group"], p["instance"])
    except InstanceNotFound:
        if mgr.defaults.node_routing:
            redirect_if_elsewhere(request, p["instance"], request.app.state.gateway.base_url(request))
        raise


def _no_content() -> Response:
    return Response(status_code=204)


# ---- instances ---------------------------------------------------------------------------------

async def create(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    group = request.path_params["group"]
    mgr = manager(request.app)
    base = request.app.state.gateway.base_url(request)
    cfg = parse_create(await _body(request), mgr.defaults, new_name(base) if mgr.defaults.node_routing else None)
    await mgr.create(group, cfg)
    return json_response({"instance_id": cfg.name,
                          "base_uri": f"{base}/consumers/{group}/instances/{cfg.name}"}, 200, media)


async def delete(request: Request) -> Response:
    v2_response_type(request.headers.get("accept"))
    p = request.path_params
    inst = _instance(request)
    await manager(request.app).delete(p["group"], inst.name)
    return _no_content()


# ---- subscription and assignments -------------------------------------------------------------

async def subscribe(request: Request) -> Response:
    v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    body = _object(await _body(request), ("topics", "topic_pattern"), "ConsumerSubscriptionRecord")
    topics, pattern = body.get("topics"), body.get("topic_pattern")
    if topics is not None:
        expect(topics, list, "topics", "java.util.List")
        for t in topics:
            expect(t, str, "topics", "java.lang.String")
    if pattern is not None:
        expect(pattern, str, "topic_pattern", "java.lang.String")
    async with inst.lock:
        await inst.subscribe(topics, None if topics is not None else pattern)
    return _no_content()


async def get_subscription(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    async with inst.lock:
        return json_response({"topics": await inst.subscription()}, 200, media)


async def unsubscribe(request: Request) -> Response:
    v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    async with inst.lock:
        await inst.unsubscribe()
    return _no_content()


async def assign(request: Request) -> Response:
    v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    body = _object(await _body(request), ("partitions",), "ConsumerAssignmentRequest")
    parts = [(i["topic"], i["partition"]) for i in _partitions(body.get("partitions"), "partitions")]
    async with inst.lock:
        await inst.assign_manual(parts)
    return _no_content()


async def get_assignments(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    return json_response({"partitions": [{"topic": t, "partition": p} for t, p in inst.assigned]}, 200, media)


# ---- positions ------------------------------------------------------------------------------------

def _timestamp(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    expect(value, str, "timestamp", "java.time.Instant")
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedBody(f"Cannot deserialize value of type `java.time.Instant` from String \"{value}\"") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return int(ts.timestamp() * 1000)


async def seek(request: Request) -> Response:
    v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    body = _object(await _body(request), ("offsets", "timestamps"), "ConsumerSeekRequest")
    offsets = _partitions(body.get("offsets"), "offsets", ("offset", "metadata"), "ConsumerSeekRequest$PartitionOffset")
    stamps = _partitions(body.get("timestamps"), "timestamps", ("timestamp", "metadata"),
                         "ConsumerSeekRequest$PartitionTimestamp")
    for o in offsets:
        expect(o.get("offset"), int, "offset", "java.lang.Long")
        if o["offset"] < 0:
            raise MalformedBody("seek offset must not be a negative number")
    times = [((t["topic"], t["partition"]), _timestamp(t.get("timestamp"))) for t in stamps]
    async with inst.lock:
        for o in offsets:
            inst.seek((o["topic"], o["partition"]), o["offset"])
        for tp, ts in times:
            await inst.seek_time(tp, ts)
    return _no_content()


async def _seek_edge(request: Request, where: int) -> Response:
    v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    body = _object(await _body(request), ("partitions",), "ConsumerSeekToRequest")
    parts = [(i["topic"], i["partition"]) for i in _partitions(body.get("partitions"), "partitions")]
    async with inst.lock:
        await inst.seek_edge(parts, where)
    return _no_content()


async def seek_beginning(request: Request) -> Response:
    return await _seek_edge(request, BEGINNING)


async def seek_end(request: Request) -> Response:
    return await _seek_edge(request, END)


# ---- offsets ---------------------------------------------------------------------------------------

async def commit(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    raw = await _body(request)
    offsets = None
    if raw is not None:
        body = _object(raw, ("offsets",), "ConsumerOffsetCommitRequest")
        items = _partitions(body.get("offsets"), "offsets", ("offset", "metadata"), "TopicPartitionOffsetMetadata")
        for o in items:
            expect(o.get("offset"), int, "offset", "java.lang.Long")
        offsets = {(o["topic"], o["partition"]): o["offset"] + 1 for o in items}  # the offset + 1 rule
    async with inst.lock:
        await inst.commit(offsets)
    return json_response([], 200, media)


async def committed(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    inst = _instance(request)
    raw = await _body(request)
    if raw is None:
        parts = _query_partitions(request)  # beyond Confluent: for clients that cannot send a GET body
        if not parts:
            raise PartitionNotFound()
    else:
        body = _object(raw, ("partitions",), "ConsumerCommittedRequest")
        parts = [(i["topic"], i["partition"]) for i in _partitions(body.get("partitions"), "partitions")]
    async with inst.lock:
        found = await inst.committed(parts)
    return json_response({"offsets": [{"topic": t, "partition": p, "offset": off, "metadata": ""}
                                      for (t, p), off in found.items() if off is not None]}, 200, media)


def _query_partitions(request: Request) -> list[tuple[str, int]]:
    """`?topic=t&partition=0[&topic=...&partition=...]`, paired in order."""
    topics = request.query_params.getlist("topic")
    partitions = request.query_params.getlist("partition")
    if len(topics) != len(partitions):
        raise PartitionNotFound()
    try:
        return [(t, int(p)) for t, p in zip(topics, partitions)]
    except ValueError:
        raise PartitionNotFound() from None


# ---- records ---------------------------------------------------------------------------------------

_RECORD_TYPES = {
    "application/vnd.kafka.binary.v2+json": ("binary", 1.0),
    V2_JSON: ("binary", 1.0),
    "*/*": ("binary", 1.0),
    "application/*": ("binary", 1.0),
    "application/vnd.kafka.json.v2+json": ("json", 0.1),
    "application/vnd.kafka.avro.v2+json": ("schema", 0.1),
    "application/vnd.kafka.jsonschema.v2+json": ("schema", 0.1),
    "application/vnd.kafka.protobuf.v2+json": ("schema", 0.1),
}
_CLASS = {"binary": "binary", "string": "binary", "json": "json", "avro": "schema", "jsonschema": "schema",
          "protobuf": "schema"}
_TYPE_OF = {"binary": "application/vnd.kafka.binary.v2+json", "json": "application/vnd.kafka.json.v2+json"}


def _negotiate(accept: str | None) -> tuple[str, str]:
    """(deserializer class, response type) for Accept, JAX-RS style: q times the format's qs weight."""
    best: tuple[float, str, str] | None = None
    for order, part in enumerate((accept or "*/*").split(",")):
        fields = part.split(";")
        mt = fields[0].strip().lower()
        q = 1.0
        for param in fields[1:]:
            k, _, v = param.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 1.0
        if mt not in _RECORD_TYPES or q <= 0:
            continue
        cls, qs = _RECORD_TYPES[mt]
        rtype = mt if mt.startswith("application/vnd.kafka.") and mt != V2_JSON else _TYPE_OF["binary"]
        score = q * qs
        if best is None or score > best[0]:
            best = (score, cls, rtype)
    if best is None:
        raise NotAcceptable()
    return best[1], best[2]


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise NotFoundQuery(name, raw) from None


class NotFoundQuery(MalformedBody):
    """A non-integer query parameter: JAX-RS answers 404 for a failed @QueryParam conversion."""

    status, error_code = 404, 404

    def __init__(self, name: str, raw: str) -> None:
        super().__init__("HTTP 404 Not Found")


async def records(request: Request) -> Response:
    inst = _instance(request)
    cls, rtype = _negotiate(request.headers.get("accept"))
    if _CLASS[inst.format] != cls:
        raise FormatMismatch()
    mgr = manager(request.app)
    timeout = _query_int(request, "timeout")
    wait = inst.cfg.request_timeout_ms
    if timeout is not None and timeout > 0:
        wait = min(wait, timeout)
    max_bytes = _query_int(request, "max_bytes")
    limit = mgr.defaults.max_bytes if max_bytes is None or max_bytes <= 0 else min(max_bytes, mgr.defaults.max_bytes)
    async with inst.lock:
        body = await fetch(inst, mgr.decoders, timeout_ms=wait, max_bytes=limit, extras=mgr.defaults.record_extras)
    inst.touch()
    return Response(body, status_code=200, media_type=rtype)


_INST = "/consumers/{group}/instances/{instance}"
ROUTES = [
    Route("/consumers/{group}", create, methods=["POST"]),
    Route(_INST, delete, methods=["DELETE"]),
    Route(f"{_INST}/subscription", subscribe, methods=["POST"]),
    Route(f"{_INST}/subscription", get_subscription, methods=["GET"]),
    Route(f"{_INST}/subscription", unsubscribe, methods=["DELETE"]),
    Route(f"{_INST}/assignments", assign, methods=["POST"]),
    Route(f"{_INST}/assignments", get_assignments, methods=["GET"]),
    Route(f"{_INST}/positions", seek, methods=["POST"]),
    Route(f"{_INST}/positions/beginning", seek_beginning, methods=["POST"]),
    Route(f"{_INST}/positions/end", seek_end, methods=["POST"]),
    Route(f"{_INST}/offsets", commit, methods=["POST"]),
    Route(f"{_INST}/offsets", committed, methods=["GET"]),
    Route(f"{_INST}/records", records, methods=["GET"]),
]

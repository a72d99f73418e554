"""v2 metadata: `GET /`, `/brokers`, `/topics`, `/topics/{t}`, `/topics/{t}/partitions[/{p}[/offsets]]` (spec §3)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import NotFound, PartitionNotFound
from gateway.http import json_response, v2_response_type
from gateway.log.base import TopicInfo
from gateway.log.base import TopicNotFound as LogTopicNotFound
from gateway.state import Gateway

_INTERNAL = frozenset({"__consumer_offsets", "__transaction_state"})


async def broker_ids(gw: Gateway) -> list[int]:
    """The log's broker ids; the embedded log is one broker, 0."""
    brokers = getattr(gw.log, "brokers", None)
    if brokers is None:
        return [0]
    ids = brokers()
    if hasattr(ids, "__await__"):
        ids = await ids
    return sorted(int(b) for b in ids) or [0]


def partition_body(p: int, leader: int, info: TopicInfo) -> dict[str, Any]:
    return {"partition": p, "leader": leader,
            "replicas": [{"broker": leader, "leader": True, "in_sync": True}]}


async def _topic(gw: Gateway, name: str, *, generic: bool) -> TopicInfo:
    """The topic; `generic` gives JAX-RS's bare 404 the partition routes answer with (spec §3)."""
    try:
        return await gw.log.topic(name)
    except LogTopicNotFound:
        if generic:
            raise NotFound(f"Topic {name} cannot be found.") from None
        raise


def _partition(info: TopicInfo, p: int) -> int:
    if not 0 <= p < info.partitions:
        raise PartitionNotFound()
    return p


async def root(request: Request) -> Response:
    return json_response({}, 200, v2_response_type(request.headers.get("accept")))


async def brokers(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    return json_response({"brokers": await broker_ids(request.app.state.gateway)}, 200, media)


async def list_topics(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    names = await request.app.state.gateway.log.topics()
    return json_response(sorted(n for n in names if n not in _INTERNAL), 200, media)


async def get_topic(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    info = await _topic(gw, request.path_params["topic"], generic=False)
    leader = (await broker_ids(gw))[0]
    return json_response({
        "name": info.name,
        "configs": dict(info.configs),
        "partitions": [partition_body(p, leader, info) for p in range(info.partitions)],
    }, 200, media)


async def list_partitions(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    info = await _topic(gw, request.path_params["topic"], generic=True)
    leader = (await broker_ids(gw))[0]
    return json_response([partition_body(p, leader, info) for p in range(info.partitions)], 200, media)


async def get_partition(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    info = await _topic(gw, request.path_params["topic"], generic=True)
    p = _partition(info, request.path_params["partition"])
    return json_response(partition_body(p, (await broker_ids(gw))[0], info), 200, media)


async def partition_offsets(request: Request) -> Response:
    media = v2_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    info = await _topic(gw, request.path_params["topic"], generic=True)
    p = _partition(info, request.path_params["partition"])
    return json_response({
        "beginning_offset": await gw.log.earliest(info.name, p),
        "end_offset": await gw.log.latest(info.name, p),
    }, 200, media)

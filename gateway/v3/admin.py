"""v3 topics, partitions and topic configs (spec §5.2-5.4); ROUTES also carries the consumer groups'.

Topic admin goes through the Log protocol (create, delete, topic) and the logs' alter_topic_configs,
so the embedded log and Kafka answer alike; config sources come from gateway.v3.admin_backend.
Unknown topics answer 404/40403 `This server does not host this topic-partition.`, as Kafka's
UnknownTopicOrPartitionException does through REST Proxy's mapper.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.errors import GatewayError, MalformedBody, NotFound, Unprocessable
from gateway.http import check_fields, expect, json_response, parse_json, read_body, require_json
from gateway.http import v3_response_type
from gateway.log.base import TopicExists, TopicInfo, TopicNotFound
from gateway.state import Gateway
from gateway.v3 import consumer_groups
from gateway.v3.admin_backend import Config, admin_view

_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_MAX_BODY = 1024 * 1024


class UnknownTopic(GatewayError):
    status, error_code = 404, 40403

    def __init__(self) -> None:
        super().__init__("This server does not host this topic-partition.")


def cluster(request: Request) -> tuple[Gateway, str]:
    """The gateway and the absolute cluster URL; 404 for another cluster id (spec §5.1)."""
    v3_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    cid = request.path_params["cluster_id"]
    if cid != gw.cluster_id:
        raise NotFound(f"Cluster {cid} cannot be found.")
    return gw, f"{gw.base_url(request)}/v3/clusters/{cid}"


async def body_of(request: Request, *, required: bool = True) -> Any:
    raw = await read_body(request, _MAX_BODY)
    if not raw.strip():
        if required:
            raise Unprocessable("Payload error. Request body is empty. Data is required.", error_code=42206)
        return None
    require_json(request.headers.get("content-type"))
    return parse_json(raw)


async def object_body(request: Request, entity: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """A required JSON object body with only `fields`, refused in Jackson's words for REST Proxy's `entity`."""
    body = await body_of(request)
    if not isinstance(body, dict):
        raise MalformedBody(f"Cannot deserialize value of type `{entity}` from a non-object")
    check_fields(body, fields, f"io.confluent.kafkarest.entities.v3.{entity}")
    return body


async def _topic(gw: Gateway, name: str) -> TopicInfo:
    try:
        return await gw.log.topic(name)
    except TopicNotFound:
        raise UnknownTopic() from None


def topic_body(gw: Gateway, url: str, info: TopicInfo) -> dict[str, Any]:
    self_url = f"{url}/topics/{info.name}"
    return {
        "kind": "KafkaTopic",
        "metadata": {"self": self_url, "resource_name": f"crn:///kafka={gw.cluster_id}/topic={info.name}"},
        "cluster_id": gw.cluster_id,
        "topic_name": info.name,
        "is_internal": info.name.startswith("__"),
        "replication_factor": info.replication_factor,
        "partitions_count": info.partitions,
        "partitions": {"related": f"{self_url}/partitions"},
        "configs": {"related": f"{self_url}/configs"},
        "partition_reassignments": {"related": f"{self_url}/partitions/-/reassignment"},
        "authorized_operations": [],
    }


def _list(kind: str, url: str, data: list[Any]) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"self": url, "next": None}, "data": data}


# ---- topics ------------------------------------------------------------------------------------

async def list_topics(request: Request) -> Response:
    gw, url = cluster(request)
    data = []
    for name in await gw.log.topics():
        try:
            data.append(topic_body(gw, url, await gw.log.topic(name)))
        except TopicNotFound:
            continue
    return json_response(_list("KafkaTopicList", f"{url}/topics", data))


async def create_topic(request: Request) -> Response:
    gw, url = cluster(request)
    body = await object_body(request, "CreateTopicRequest", (
        "topic_name", "partitions_count", "replication_factor", "configs", "validate_only", "replicas_assignments"))
    name = body.get("topic_name")
    if not isinstance(name, str) or not _TOPIC_NAME.fullmatch(name) or name in (".", ".."):
        raise Unprocessable("Payload error. Invalid topic name.", error_code=42206)
    count = body.get("partitions_count")
    factor = body.get("replication_factor")
    assignments = body.get("replicas_assignments")
    if assignments is not None:
        expect(assignments, dict, "replicas_assignments", "java.util.Map")
        count = count or len(assignments)
        factor = factor or max((len(v) for v in assignments.values() if isinstance(v, list)), default=1)
    count = getattr(gw.log, "default_partitions", 1) if count is None else count
    factor = 1 if factor is None else factor
    expect(count, int, "partitions_count", "java.lang.Integer")
    expect(factor, int, "replication_factor", "java.lang.Short")
    configs: dict[str, str] = {}
    for entry in body.get("configs") or []:
        if not isinstance(entry, dict):
            raise MalformedBody("Cannot deserialize value of type `CreateTopicRequest$ConfigEntry` from a non-object")
        check_fields(entry, ("name", "value"), "io.confluent.kafkarest.entities.v3.CreateTopicRequest$ConfigEntry")
        expect(entry.get("name"), str, "name", "java.lang.String")
        configs[entry["name"]] = None if entry.get("value") is None else str(entry["value"])
    if body.get("validate_only"):
        if name in await gw.log.topics():
            raise TopicExists(f"Topic '{name}' already exists.")
        return json_response(topic_body(gw, url, TopicInfo(name, count, configs, factor)), 200)
    info = await gw.log.create_topic(name, count, configs, factor)
    resp = json_response(topic_body(gw, url, info), 201)
    resp.headers["location"] = f"{url}/topics/{name}"
    return resp


async def get_topic(request: Request) -> Response:
    gw, url = cluster(request)
    return json_response(topic_body(gw, url, await _topic(gw, request.path_params["topic"])))


async def update_partitions(request: Request) -> Response:
    """PATCH a topic: `{"partitions_count": N}` grows it to N partitions."""
    gw, url = cluster(request)
    body = await object_body(request, "UpdatePartitionCountRequest", ("partitions_count",))
    count = body.get("partitions_count")
    if count is None:
        raise Unprocessable("Payload error. partitions_count is required.", error_code=42206)
    expect(count, int, "partitions_count", "java.lang.Integer")
    name = request.path_params["topic"]
    try:
        info = await gw.log.add_partitions(name, count)
    except TopicNotFound:
        raise UnknownTopic() from None
    return json_response(topic_body(gw, url, info))


async def delete_topic(request: Request) -> Response:
    gw, _ = cluster(request)
    try:
        await gw.log.delete_topic(request.path_params["topic"])
    except TopicNotFound:
        raise UnknownTopic() from None
    return Response(status_code=204)


# ---- partitions --------------------------------------------------------------------------------

def partition_body(gw: Gateway, url: str, topic: str, p: int) -> dict[str, Any]:
    self_url = f"{url}/topics/{topic}/partitions/{p}"
    return {
        "kind": "KafkaPartition",
        "metadata": {"self": self_url,
                     "resource_name": f"crn:///kafka={gw.cluster_id}/topic={topic}/partition={p}"},
        "cluster_id": gw.cluster_id,
        "topic_name": topic,
        "partition_id": p,
        "leader": {"related": f"{self_url}/replicas/0"},
        "replicas": {"related": f"{self_url}/replicas"},
        "reassignment": {"related": f"{self_url}/reassignment"},
    }


async def list_partitions(request: Request) -> Response:
    gw, url = cluster(request)
    info = await _topic(gw, request.path_params["topic"])
    return json_response(_list("KafkaPartitionList", f"{url}/topics/{info.name}/partitions",
                               [partition_body(gw, url, info.name, p) for p in range(info.partitions)]))


async def get_partition(request: Request) -> Response:
    gw, url = cluster(request)
    info = await _topic(gw, request.path_params["topic"])
    p = request.path_params["partition"]
    if not 0 <= p < info.partitions:
        raise UnknownTopic()
    return json_response(partition_body(gw, url, info.name, p))


# ---- configs -----------------------------------------------------------------------------------

def config_body(gw: Gateway, url: str, topic: str, c: Config) -> dict[str, Any]:
    return {
        "kind": "KafkaTopicConfig",
        "metadata": {"self": f"{url}/topics/{topic}/configs/{c.name}",
                     "resource_name": f"crn:///kafka={gw.cluster_id}/topic={topic}/config={c.name}"},
        "cluster_id": gw.cluster_id,
        "topic_name": topic,
        "name": c.name,
        "value": None if c.is_sensitive else c.value,
        "is_default": c.is_default,
        "is_read_only": c.is_read_only,
        "is_sensitive": c.is_sensitive,
        "source": c.source,
        "synonyms": [{"name": c.name, "value": None if c.is_sensitive else c.value, "source": c.source}],
    }


async def _configs(request: Request, gw: Gateway, topic: str) -> list[Config]:
    try:
        return await admin_view(request.app).configs(topic)
    except TopicNotFound:
        raise UnknownTopic() from None


async def list_configs(request: Request) -> Response:
    gw, url = cluster(request)
    topic = request.path_params["topic"]
    names = await gw.log.topics() if topic == "-" else [(await _topic(gw, topic)).name]
    data = []
    for name in names:
        data.extend(config_body(gw, url, name, c) for c in await _configs(request, gw, name))
    return json_response(_list("KafkaTopicConfigList", f"{url}/topics/{topic}/configs", data))


async def get_config(request: Request) -> Response:
    gw, url = cluster(request)
    topic, name = request.path_params["topic"], request.path_params["name"]
    found = next((c for c in await _configs(request, gw, topic) if c.name == name), None)
    if found is None:
        raise NotFound(f"Config {name} cannot be found for topic {topic}.")
    return json_response(config_body(gw, url, topic, found))


async def _alter(gw: Gateway, topic: str, sets: dict[str, str], deletes: list[str]) -> None:
    await _topic(gw, topic)
    try:
        await gw.log.alter_topic_configs(topic, sets, deletes)
    except TopicNotFound:
        raise UnknownTopic() from None


async def put_config(request: Request) -> Response:
    gw, _ = cluster(request)
    body = await object_body(request, "UpdateTopicConfigRequest", ("value",))
    value = body.get("value")
    await _alter(gw, request.path_params["topic"], {request.path_params["name"]: "" if value is None else str(value)},
                 [])
    return Response(status_code=204)


async def reset_config(request: Request) -> Response:
    gw, _ = cluster(request)
    await _alter(gw, request.path_params["topic"], {}, [request.path_params["name"]])
    return Response(status_code=204)


async def alter_configs(request: Request) -> Response:
    gw, _ = cluster(request)
    body = await object_body(request, "AlterTopicConfigBatchRequest", ("data", "validate_only"))
    sets: dict[str, str] = {}
    deletes: list[str] = []
    for entry in body.get("data") or []:
        if not isinstance(entry, dict):
            raise MalformedBody("Cannot deserialize value of type `AlterConfigCommand` from a non-object")
        check_fields(entry, ("name", "operation", "value"), "io.confluent.kafkarest.entities.v3.AlterConfigCommand")
        expect(entry.get("name"), str, "name", "java.lang.String")
        op = str(entry.get("operation") or "SET").upper()
        if op == "DELETE":
            deletes.append(entry["name"])
        elif op == "SET":
            sets[entry["name"]] = "" if entry.get("value") is None else str(entry["value"])
        else:
            raise MalformedBody(f"Cannot deserialize value of type `AlterConfigCommand$Operation` from String "
                                f"\"{entry.get('operation')}\": not one of the values accepted for Enum class: "
                                "[SET, DELETE]")
    topic = request.path_params["topic"]
    if body.get("validate_only"):
        await _topic(gw, topic)
        return Response(status_code=204)
    await _alter(gw, topic, sets, deletes)
    return Response(status_code=204)


_T = "/v3/clusters/{cluster_id}/topics"
ROUTES = [
    Route(_T, list_topics, methods=["GET"]),
    Route(_T, create_topic, methods=["POST"]),
    Route(_T + "/{topic}", get_topic, methods=["GET"]),
    Route(_T + "/{topic}", update_partitions, methods=["PATCH"]),
    Route(_T + "/{topic}", delete_topic, methods=["DELETE"]),
    Route(_T + "/{topic}/partitions", list_partitions, methods=["GET"]),
    Route(_T + "/{topic}/partitions/{partition:int}", get_partition, methods=["GET"]),
    Route(_T + "/{topic}/configs", list_configs, methods=["GET"]),
    Route(_T + "/{topic}/configs:alter", alter_configs, methods=["POST"]),
    Route(_T + "/{topic}/configs/{name}", get_config, methods=["GET"]),
    Route(_T + "/{topic}/configs/{name}", put_config, methods=["PUT"]),
    Route(_T + "/{topic}/configs/{name}", reset_config, methods=["DELETE"]),
    *consumer_groups.ROUTES,
]

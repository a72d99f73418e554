"""v3 consumer groups, their consumers and assignments, and consumer lag (spec §5.7), read-only.

Groups come from gateway.v3.admin_backend (the embedded coordinator and committed offsets, or
Kafka's admin API); lag is log end offset minus the group's committed offset, per partition with
a committed offset, attributed to the member currently assigned that partition.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.errors import NotFound
from gateway.http import json_response, v3_response_type
from gateway.state import Gateway
from gateway.v3.admin_backend import GroupInfo, MemberInfo, admin_view


def _cluster(request: Request) -> tuple[Gateway, str]:
    v3_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    cid = request.path_params["cluster_id"]
    if cid != gw.cluster_id:
        raise NotFound(f"Cluster {cid} cannot be found.")
    return gw, f"{gw.base_url(request)}/v3/clusters/{cid}"


def _crn(gw: Gateway, *parts: str) -> str:
    return f"crn:///kafka={gw.cluster_id}/" + "/".join(parts)


def _list(kind: str, url: str, data: list[Any]) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"self": url, "next": None}, "data": data}


async def _group(request: Request) -> GroupInfo:
    found = await admin_view(request.app).group(request.path_params["group"])
    if found is None:
        raise NotFound("HTTP 404 Not Found")
    return found


def group_body(gw: Gateway, url: str, g: GroupInfo) -> dict[str, Any]:
    self_url = f"{url}/consumer-groups/{g.group_id}"
    return {
        "kind": "KafkaConsumerGroup",
        "metadata": {"self": self_url, "resource_name": _crn(gw, f"consumer-group={g.group_id}")},
        "cluster_id": gw.cluster_id,
        "consumer_group_id": g.group_id,
        "is_simple": g.is_simple,
        "partition_assignor": g.partition_assignor,
        "state": g.state,
        "type": "CLASSIC",
        "is_mixed_consumer_group": False,
        "coordinator": {"related": f"{url}/brokers/0"},
        "consumers": {"related": f"{self_url}/consumers"},
        "lag_summary": {"related": f"{self_url}/lag-summary"},
    }


def consumer_body(gw: Gateway, url: str, g: GroupInfo, m: MemberInfo) -> dict[str, Any]:
    self_url = f"{url}/consumer-groups/{g.group_id}/consumers/{m.consumer_id}"
    return {
        "kind": "KafkaConsumer",
        "metadata": {"self": self_url,
                     "resource_name": _crn(gw, f"consumer-group={g.group_id}", f"consumer={m.consumer_id}")},
        "cluster_id": gw.cluster_id,
        "consumer_group_id": g.group_id,
        "consumer_id": m.consumer_id,
        "instance_id": m.instance_id,
        "client_id": m.client_id,
        "assignments": {"related": f"{self_url}/assignments"},
    }


def _member(g: GroupInfo, consumer_id: str) -> MemberInfo:
    found = next((m for m in g.members if m.consumer_id == consumer_id), None)
    if found is None:
        raise NotFound("HTTP 404 Not Found")
    return found


async def list_groups(request: Request) -> Response:
    gw, url = _cluster(request)
    groups = await admin_view(request.app).groups()
    return json_response(_list("KafkaConsumerGroupList", f"{url}/consumer-groups",
                               [group_body(gw, url, g) for g in groups]))


async def get_group(request: Request) -> Response:
    gw, url = _cluster(request)
    return json_response(group_body(gw, url, await _group(request)))


async def list_consumers(request: Request) -> Response:
    gw, url = _cluster(request)
    g = await _group(request)
    return json_response(_list("KafkaConsumerList", f"{url}/consumer-groups/{g.group_id}/consumers",
                               [consumer_body(gw, url, g, m) for m in g.members]))


async def get_consumer(request: Request) -> Response:
    gw, url = _cluster(request)
    g = await _group(request)
    return json_response(consumer_body(gw, url, g, _member(g, request.path_params["consumer_id"])))


async def list_assignments(request: Request) -> Response:
    gw, url = _cluster(request)
    g = await _group(request)
    m = _member(g, request.path_params["consumer_id"])
    base = f"{url}/consumer-groups/{g.group_id}/consumers/{m.consumer_id}/assignments"
    data = [{
        "kind": "KafkaConsumerAssignment",
        "metadata": {"self": f"{base}/{t}/partitions/{p}",
                     "resource_name": _crn(gw, f"consumer-group={g.group_id}", f"consumer={m.consumer_id}",
                                           f"assignment={t}-{p}")},
        "cluster_id": gw.cluster_id,
        "consumer_group_id": g.group_id,
        "consumer_id": m.consumer_id,
        "topic_name": t,
        "partition_id": p,
        "partition": {"related": f"{url}/topics/{t}/partitions/{p}"},
        "lag": {"related": f"{url}/consumer-groups/{g.group_id}/lags/{t}/partitions/{p}"},
    } for t, p in m.assignments]
    return json_response(_list("KafkaConsumerAssignmentList", base, data))


async def _lags(request: Request, gw: Gateway, url: str, g: GroupInfo) -> list[dict[str, Any]]:
    offsets = await admin_view(request.app).offsets(g.group_id)
    owner = {tp: m for m in g.members for tp in m.assignments}
    out = []
    for (t, p), current in sorted(offsets.items()):
        end = await gw.log.latest(t, p)
        m = owner.get((t, p))
        out.append({
            "kind": "KafkaConsumerLag",
            "metadata": {"self": f"{url}/consumer-groups/{g.group_id}/lags/{t}/partitions/{p}",
                         "resource_name": _crn(gw, f"consumer-group={g.group_id}", f"lag={t}-{p}")},
            "cluster_id": gw.cluster_id,
            "consumer_group_id": g.group_id,
            "topic_name": t,
            "partition_id": p,
            "consumer_id": m.consumer_id if m else "",
            "instance_id": m.instance_id if m else None,
            "client_id": m.client_id if m else "",
            "current_offset": current,
            "log_end_offset": end,
            "lag": max(0, end - current),
        })
    return out


async def list_lags(request: Request) -> Response:
    gw, url = _cluster(request)
    g = await _group(request)
    return json_response(_list("KafkaConsumerLagList", f"{url}/consumer-groups/{g.group_id}/lags",
                               await _lags(request, gw, url, g)))


async def get_lag(request: Request) -> Response:
    gw, url = _cluster(request)
    g = await _group(request)
    t, p = request.path_params["topic"], request.path_params["partition"]
    found = next((x for x in await _lags(request, gw, url, g) if x["topic_name"] == t and x["partition_id"] == p),
                 None)
    if found is None:
        raise NotFound("HTTP 404 Not Found")
    return json_response(found)


async def lag_summary(request: Request) -> Response:
    gw, url = _cluster(request)
    g = await _group(request)
    lags = await _lags(request, gw, url, g)
    top = max(lags, key=lambda x: x["lag"], default=None)
    base = f"{url}/consumer-groups/{g.group_id}"
    return json_response({
        "kind": "KafkaConsumerGroupLagSummary",
        "metadata": {"self": f"{base}/lag-summary", "resource_name": _crn(gw, f"consumer-group={g.group_id}",
                                                                           "lag-summary")},
        "cluster_id": gw.cluster_id,
        "consumer_group_id": g.group_id,
        "max_lag_consumer_id": top["consumer_id"] if top else "",
        "max_lag_instance_id": top["instance_id"] if top else None,
        "max_lag_client_id": top["client_id"] if top else "",
        "max_lag_topic_name": top["topic_name"] if top else "",
        "max_lag_partition_id": top["partition_id"] if top else 0,
        "max_lag": top["lag"] if top else 0,
        "total_lag": sum(x["lag"] for x in lags),
        "max_lag_consumer": {"related": f"{base}/consumers/{top['consumer_id']}" if top else None},
        "max_lag_partition": {"related": f"{url}/topics/{top['topic_name']}/partitions/{top['partition_id']}"
                              if top else None},
    })


_G = "/v3/clusters/{cluster_id}/consumer-groups"
ROUTES = [
    Route(_G, list_groups, methods=["GET"]),
    Route(_G + "/{group}", get_group, methods=["GET"]),
    Route(_G + "/{group}/consumers", list_consumers, methods=["GET"]),
    Route(_G + "/{group}/consumers/{consumer_id}", get_consumer, methods=["GET"]),
    Route(_G + "/{group}/consumers/{consumer_id}/assignments", list_assignments, methods=["GET"]),
    Route(_G + "/{group}/lag-summary", lag_summary, methods=["GET"]),
    Route(_G + "/{group}/lags", list_lags, methods=["GET"]),
    Route(_G + "/{group}/lags/{topic}/partitions/{partition:int}", get_lag, methods=["GET"]),
]

"""v3 clusters: `GET /v3/clusters` and `GET /v3/clusters/{cluster_id}` (spec §5.1)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import NotFound
from gateway.http import json_response, v3_response_type
from gateway.state import Gateway
from gateway.v2.metadata import broker_ids


def cluster_body(gw: Gateway, base: str, controller: int) -> dict[str, Any]:
    cid = gw.cluster_id
    url = f"{base}/v3/clusters/{cid}"

    def related(path: str) -> dict[str, str]:
        return {"related": f"{url}/{path}"}

    return {
        "kind": "KafkaCluster",
        "metadata": {"self": url, "resource_name": f"crn:///kafka={cid}"},
        "cluster_id": cid,
        "controller": related(f"brokers/{controller}"),
        "acls": related("acls"),
        "brokers": related("brokers"),
        "broker_configs": related("broker-configs"),
        "consumer_groups": related("consumer-groups"),
        "topics": related("topics"),
        "partition_reassignments": related("topics/-/partitions/-/reassignment"),
    }


async def list_clusters(request: Request) -> Response:
    v3_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    base = gw.base_url(request)
    controller = (await broker_ids(gw))[0]
    return json_response({
        "kind": "KafkaClusterList",
        "metadata": {"self": f"{base}/v3/clusters", "next": None},
        "data": [cluster_body(gw, base, controller)],
    })


async def get_cluster(request: Request) -> Response:
    v3_response_type(request.headers.get("accept"))
    gw: Gateway = request.app.state.gateway
    cid = request.path_params["cluster_id"]
    if cid != gw.cluster_id:
        raise NotFound(f"Cluster {cid} cannot be found.")
    return json_response(cluster_body(gw, gw.base_url(request), (await broker_ids(gw))[0]))

"""/, /contexts and /v1/metadata."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from registry.http import endpoint


def root(request: Request, _):
    return {}


def contexts(request: Request, _):
    return request.app.state.registry.list_contexts()


def cluster_id(request: Request, _):
    cid = request.app.state.registry.cluster_id
    return {"id": "", "scope": {"path": [], "clusters": {
        "kafka-cluster": cid, "schema-registry-cluster": "schema-registry"}}}


def server_version(request: Request, _):
    from importlib.metadata import version

    return {"version": version("schemawire"), "commitId": ""}


ROUTES = [
    Route("/", endpoint(root), methods=["GET"]),
    Route("/", endpoint(root, body=True), methods=["POST"]),
    Route("/contexts", endpoint(contexts), methods=["GET"]),
    Route("/v1/metadata/id", endpoint(cluster_id), methods=["GET"]),
    Route("/v1/metadata/version", endpoint(server_version), methods=["GET"]),
]

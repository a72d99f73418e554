"""The gateway's ASGI application: routes, the one error mapping, and the lifespan that owns the log.

`create_app(log, registry_client)` takes any Log (embedded or Kafka) and any
serde registry client (HTTP to our registry or Confluent's, or in-process), so
the same app runs standalone and inside `schemawire serve`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.errors import GatewayError
from gateway.http import JSON, V2_JSON, json_response
from gateway.log.base import Log, LogError
from gateway.schemas import SchemaResolver
from gateway.state import Gateway
from gateway.v2 import metadata, produce as v2_produce
from gateway.v3 import clusters, produce as v3_produce
from gateway.v3.ratelimit import RateLimiter
from gateway import consumers  # issue 8: consume and admin
from gateway.v2 import consumers as v2_consumers  # issue 8
from gateway.v3 import admin as v3_admin  # issue 8

log = logging.getLogger("schemawire.gateway")

DEFAULT_MAX_BODY = 16 * 1024 * 1024
DEFAULT_MAX_RECORDS = 10_000

ROUTES = [
    Route("/topics/{topic}", v2_produce.produce, methods=["POST"]),
    Route("/topics/{topic}/partitions/{partition:int}", v2_produce.produce, methods=["POST"]),
    Route("/v3/clusters/{cluster_id}/topics/{topic}/records", v3_produce.produce, methods=["POST"]),
    Route("/v3/clusters/{cluster_id}/topics/{topic}/records:batch", v3_produce.produce_batch, methods=["POST"]),
    Route("/", metadata.root, methods=["GET", "POST"]),
    Route("/brokers", metadata.brokers, methods=["GET"]),
    Route("/topics", metadata.list_topics, methods=["GET"]),
    Route("/topics/{topic}", metadata.get_topic, methods=["GET"]),
    Route("/topics/{topic}/partitions", metadata.list_partitions, methods=["GET"]),
    Route("/topics/{topic}/partitions/{partition:int}", metadata.get_partition, methods=["GET"]),
    Route("/topics/{topic}/partitions/{partition:int}/offsets", metadata.partition_offsets, methods=["GET"]),
    Route("/v3/clusters", clusters.list_clusters, methods=["GET"]),
    Route("/v3/clusters/{cluster_id}", clusters.get_cluster, methods=["GET"]),
    *v2_consumers.ROUTES,  # issue 8
    *v3_admin.ROUTES,  # issue 8
]

_REASONS = {404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable", 413: "Payload Too Large",
            415: "Unsupported Media Type"}


def _media(request: Request) -> str:
    """Errors use the endpoint's type: JSON on v3, the v2 type elsewhere."""
    return JSON if request.url.path.startswith("/v3") else V2_JSON


async def gateway_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, GatewayError):
        return json_response(exc.body(), exc.status, _media(request))
    if isinstance(exc, LogError):
        return json_response({"error_code": exc.error_code, "message": exc.message}, exc.status, _media(request))
    if isinstance(exc, HTTPException):
        reason = _REASONS.get(exc.status_code, "Error")
        headers = getattr(exc, "headers", None)
        resp = json_response({"error_code": exc.status_code, "message": f"HTTP {exc.status_code} {reason}"},
                             exc.status_code, _media(request))
        if headers:
            resp.headers.update(headers)
        return resp
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return json_response({"error_code": 500, "message": "Internal Server Error"}, 500, _media(request))


async def _cluster_id(the_log: Any) -> str:
    cid = getattr(the_log, "cluster_id", None)
    if callable(cid):
        cid = cid()
    if hasattr(cid, "__await__"):
        cid = await cid
    return str(cid) if cid else "schemawire"


def create_app(
    the_log: Log,
    registry_client: Any,
    *,
    advertised_url: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_records: int = DEFAULT_MAX_RECORDS,
    rate_limit: float | None = None,
    batch_max: int = 10,
    key_subject_strategy: str = "topic",
    value_subject_strategy: str = "topic",
    close_client: bool = False,
    own_log: bool = True,
) -> Starlette:
    """The gateway over `the_log`, resolving schemas through `registry_client` (serde's async interface).

    `rate_limit` is v3 produce records per second per client (None: off). With
    `own_log=False` the caller starts and closes the log (the CLI does, to report a
    log that cannot start as a one-line error).
    """
    resolver = SchemaResolver(registry_client, key_subject_strategy, value_subject_strategy)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if own_log:
            await the_log.start()
        try:
            app.state.gateway = Gateway(
                log=the_log,
                resolver=resolver,
                max_body=max_body,
                max_records=max_records,
                batch_max=batch_max,
                cluster_id=await _cluster_id(the_log),
                advertised_url=advertised_url,
                limiter=RateLimiter(rate_limit) if rate_limit else None,
            )
            yield
        finally:
            await consumers.shutdown(app)  # issue 8: close consumer instances before the log
            if own_log:
                await the_log.close()
            if close_client and hasattr(registry_client, "close"):
                await registry_client.close()

    return Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={GatewayError: gateway_error, LogError: gateway_error, HTTPException: gateway_error,
                            Exception: gateway_error},
    )

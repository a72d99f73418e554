"""The registry's ASGI application: routes, the `/contexts/{ctx}/...` rewrite, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api import schemas, server, settings, subjects
from registry.core import Registry
from registry.errors import HttpError
from registry.http import DEFAULT_MAX_BODY, error_response, http_exception, server_error
from registry.store.base import Store
from registry.store.sqlite import SqliteStore
from registry.types import default_types

# The hot read paths first: Starlette tries routes in order.
ROUTES = [*schemas.ROUTES, *subjects.ROUTES, *settings.ROUTES, *server.ROUTES]


class ContextPaths:
    """Rewrites `/contexts/{ctx}/...` to the qualified-subject form, as Confluent's ContextFilter does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/contexts/"):
            parts = path.split("/")
            ctx = parts[2] if len(parts) > 2 else ""
            if len(parts) > 3:
                name = ctx.strip(":")
                if ":" in name:
                    await error_response(HttpError(400, f"Context name '{name}' cannot contain a colon"))(
                        scope, receive, send)
                    return
                qualified = f":{name if name.startswith('.') else '.' + name}:"
                scope = dict(scope)
                rest, query = parts[3:], scope.get("query_string", b"").decode()
                prefix_param = "subjectPrefix=" + quote(qualified, safe="")
                subject_param = "subject=" + quote(qualified, safe="")
                if rest[0] in ("subjects", "schemas") and len(rest) == 1:
                    query = f"{query}&{prefix_param}" if query else prefix_param
                    new = "/" + rest[0]
                elif rest[0] == "subjects":
                    new = "/subjects/" + qualified + rest[1] + "".join("/" + p for p in rest[2:])
                elif rest[0] in ("config", "mode"):
                    new = f"/{rest[0]}/{qualified}" + (rest[1] if len(rest) > 1 else "")
                elif rest[0] == "compatibility" and len(rest) > 2:
                    new = "/compatibility/subjects/" + qualified + rest[2] + "".join("/" + p for p in rest[3:])
                elif rest[0] == "schemas":
                    query = f"{query}&{subject_param}" if query else subject_param
                    new = "/" + "/".join(rest)
                else:
                    new = "/" + "/".join(rest)
                scope["path"] = new
                scope["raw_path"] = new.encode()
                scope["query_string"] = query.encode()
        await self.app(scope, receive, send)


def create_app(
    data_dir: str | Path | None = None,
    *,
    store: Store | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    default_level: str = "BACKWARD",
    synchronous: str = "NORMAL",
    api_version: int = 7,
) -> ASGIApp:
    """The registry app over `store`, or over SQLite in `data_dir`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = store is None
        the_store = store
        if the_store is None:
            path = Path(data_dir or "data")
            path.mkdir(parents=True, exist_ok=True)
            the_store = SqliteStore(path / "registry.db", synchronous=synchronous)
        app.state.registry = Registry(
            the_store, default_types(), default_level=default_level, api_version=api_version)
        app.state.max_body = max_body
        follow = getattr(the_store, "follow", None)
        if follow is not None:  # a shared store (KafkaStore): replay other nodes' writes into the view
            follow(app.state.registry.apply, asyncio.get_running_loop())
        # one thread for the slow, cacheable part of registering and checking (Registry.warm)
        app.state.warmer = ThreadPoolExecutor(1, thread_name_prefix="registry-warm")
        try:
            yield
        finally:
            app.state.warmer.shutdown(wait=True, cancel_futures=True)
            if own:
                the_store.close()

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
    )
    return ContextPaths(app)

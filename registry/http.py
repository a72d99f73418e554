"""HTTP plumbing shared by every route: content negotiation, bodies, errors.

Confluent's clients depend on the exact media types and error bodies, so all of
that lives here, once; handlers take parsed input and return plain values.
"""

from __future__ import annotations

import asyncio
import functools
import inspect

import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import orjson
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from registry.errors import HttpError, RegistryError

V1 = "application/vnd.schemaregistry.v1+json"
ACCEPTED_CONTENT_TYPES = frozenset(
    {V1, "application/vnd.schemaregistry+json", "application/json", "application/octet-stream"})
PRODUCES = ((V1, 1.0), ("application/vnd.schemaregistry+json", 0.9), ("application/json", 0.5))
DEFAULT_MAX_BODY = 16 * 1024 * 1024


class SubjectConvertor(Convertor[str]):
    """A subject path segment: any characters, '/' and control characters included,
    so that 42208 (not 404) answers an invalid name and import paths route."""

    regex = r"[\s\S]+?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("subject", SubjectConvertor())


class Text(str):
    """A handler result written raw (the `/schema` endpoints), not as a JSON string."""


@lru_cache(maxsize=512)
def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None for 406."""
    if not accept:
        return V1
    ranges = []
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media.strip().lower(), q))
    best, best_score = None, 0.0
    for media, qs in PRODUCES:
        kind = media.split("/")[0]
        q = max((rq for r, rq in ranges if r in (media, f"{kind}/*", "*/*", "*")), default=0.0)
        if q * qs > best_score:
            best, best_score = media, q * qs
    return best


def error_response(exc: RegistryError, media: str = V1) -> Response:
    body = orjson.dumps({"error_code": exc.error_code, "message": exc.message})
    return Response(body, status_code=exc.status, media_type=media)


_REASONS = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
            413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity"}


def framework_error(status: int) -> HttpError:
    return HttpError(status, f"HTTP {status} {_REASONS.get(status, 'Error')}")


async def http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error_response(framework_error(status))


async def server_error(request: Request, exc: Exception) -> Response:
    return error_response(HttpError(500, "Internal Server Error"))


async def read_json(request: Request, max_body: int) -> Any:
    """The request body as JSON, enforcing content type and size before parsing."""
    content_type = request.headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";")[0].strip().lower()
        if media not in ACCEPTED_CONTENT_TYPES:
            raise framework_error(415)
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_body:
        raise HttpError(413, f"Request body of {length} bytes exceeds the limit of {max_body} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise HttpError(413, f"Request body exceeds the limit of {max_body} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:  # Jackson also reads UTF-8 with a BOM and UTF-16/32, telling them apart as RFC 4627 does
            return orjson.loads(raw.decode(json.detect_encoding(raw)).lstrip("\ufeff"))
        except (UnicodeDecodeError, LookupError, orjson.JSONDecodeError):
            raise HttpError(400, f"Unrecognized or malformed JSON: {exc}") from None


def flag(request: Request, name: str) -> bool:
    """Java `Boolean.valueOf`: only a case-insensitive "true" is true."""
    return request.query_params.get(name, "").lower() == "true"


def integer(request: Request, name: str, default: int) -> int:
    """An int query param; one that will not convert is a 404, as JAX-RS answers."""
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise framework_error(404) from None


Handler = Callable[[Request, Any], Any]


def endpoint(fn: Handler, *, body: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler `fn(request, body) -> value` with negotiation and error mapping."""

    async def route(request: Request) -> Response:
        media = negotiate(request.headers.get("accept"))
        if media is None:
            return error_response(framework_error(406))
        try:
            payload = await read_json(request, request.app.state.max_body) if body else None
            result = fn(request, payload)
            if inspect.isawaitable(result):
                result = await result
        except RegistryError as exc:
            return error_response(exc, media)
        if isinstance(result, bytes):
            return Response(result, media_type=media)
        if isinstance(result, Text):
            return Response(result.encode(), media_type=media)
        if isinstance(result, Response):
            return result
        return Response(orjson.dumps(result), media_type=media)

    return route


async def warmed(request: Request, subject: str, req: Any, **options: Any) -> None:
    """Run `Registry.warm` for this call in the app's worker thread, so a slow parse or
    compatibility check does not hold up the requests behind it on the event loop."""
    warmer = getattr(request.app.state, "warmer", None)
    if warmer is not None and request.app.state.registry.worth_warming(subject, getattr(req, "schema", None)):
        work = functools.partial(request.app.state.registry.warm, subject, req, **options)
        await asyncio.get_running_loop().run_in_executor(warmer, work)

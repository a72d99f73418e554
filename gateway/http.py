"""HTTP plumbing shared by v2 and v3: media types, body limits, JSON in and out.

Kept apart from the handlers so negotiation and the Jackson-style 400s are
decided once: a handler gets a parsed body or a GatewayError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import MalformedBody, NotAcceptable, PayloadTooLarge, UnsupportedMediaType

V2_JSON = "application/vnd.kafka.v2+json"
JSON = "application/json"
FORMATS = ("binary", "json", "avro", "jsonschema", "protobuf")
_PRODUCE_TYPES = {f"application/vnd.kafka.{fmt}.v2+json": fmt for fmt in FORMATS}
# What a v2 client may ask for in Accept: the v2 type, the 5.x fallbacks, and the format types.
_V2_ACCEPT = {V2_JSON, "application/vnd.kafka+json", JSON, "*/*", "application/*", *_PRODUCE_TYPES}
_V3_ACCEPT = {JSON, "*/*", "application/*"}


def media_type(header: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type header (parameters such as charset dropped)."""
    if not header:
        return ""
    return header.split(";", 1)[0].strip().lower()


def _accepted(header: str | None) -> Iterable[str]:
    for part in header.split(","):
        fields = part.split(";")
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 1.0
        if q > 0:
            yield fields[0].strip().lower()


def v2_response_type(accept: str | None) -> str:
    """The v2 response type for `Accept`; 406 when nothing acceptable was asked for."""
    if not accept:
        return V2_JSON
    wanted = [m for m in _accepted(accept) if m in _V2_ACCEPT]
    if not wanted:
        raise NotAcceptable()
    return JSON if wanted[0] == JSON else V2_JSON


def v3_response_type(accept: str | None) -> str:
    if accept and not any(m in _V3_ACCEPT for m in _accepted(accept)):
        raise NotAcceptable()
    return JSON


def produce_format(content_type: str | None) -> str:
    """The embedded format a v2 produce Content-Type names; 415 for anything else (as Confluent master)."""
    fmt = _PRODUCE_TYPES.get(media_type(content_type))
    if fmt is None:
        raise UnsupportedMediaType()
    return fmt


def require_json(content_type: str | None) -> None:
    """v3 bodies are `application/json` (any charset parameter)."""
    if media_type(content_type) != JSON:
        raise UnsupportedMediaType()


def check_length(request: Request, max_body: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_body:
        raise PayloadTooLarge(f"Request body of {length} bytes exceeds the limit of {max_body} bytes")


async def read_body(request: Request, max_body: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes `max_body` (declared or streamed)."""
    check_length(request, max_body)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise PayloadTooLarge(f"Request body exceeds the limit of {max_body} bytes")
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# orjson reads integers beyond 64 bits as floats; a body that may hold one is read exactly instead
BIG_INT = re.compile(rb"\d{19,}")


def _no_constants(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def parse_json(body: bytes) -> Any:
    """orjson, with Jackson's wording for an empty body and a short reason for malformed JSON.

    Integers of 19 digits or more go through the stdlib parser, which keeps them exact
    (orjson would turn one past 64 bits into a float and change the data).
    """
    if not body.strip():
        raise MalformedBody("No content to map due to end-of-input")
    if BIG_INT.search(body):
        try:
            return json.loads(body, parse_constant=_no_constants)
        except RecursionError:
            raise MalformedBody("Unexpected character in JSON: nesting too deep") from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
            raise MalformedBody(f"Unexpected character in JSON: {exc}") from None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"Unexpected character in JSON: {exc}") from None


def dumps_exact(value: Any) -> bytes:
    """Compact JSON bytes: orjson, or the stdlib for what orjson refuses (integers past 64 bits).

    Raises TypeError or ValueError for what is not JSON at all (lone surrogates).
    """
    try:
        return orjson.dumps(value)
    except TypeError:
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"string is not valid UTF-8: {exc.reason}") from None


def check_fields(obj: Mapping[str, Any], known: tuple[str, ...], entity: str) -> None:
    """Refuse unknown properties the way Jackson does with FAIL_ON_UNKNOWN_PROPERTIES."""
    for name in obj:
        if name not in known:
            props = ", ".join(f'"{k}"' for k in known)
            raise MalformedBody(
                f'Unrecognized field "{name}" (class {entity}), not marked as ignorable '
                f"({len(known)} known properties: {props}])"
            )


def type_name(value: Any) -> str:
    """Jackson's token name for a JSON value, used in binding errors."""
    if value is None:
        return "VALUE_NULL"
    if value is True:
        return "VALUE_TRUE"
    if value is False:
        return "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, list):
        return "START_ARRAY"
    return "START_OBJECT"


def expect(value: Any, kind: type | tuple[type, ...], field: str, java: str) -> None:
    """A binding error (400) when a request field has the wrong JSON type; bools are not ints."""
    if isinstance(value, bool) and kind is int or not isinstance(value, kind):
        raise MalformedBody(
            f"Cannot deserialize value of type `{java}` from {type_name(value)} (field \"{field}\")"
        )


def json_response(body: Any, status: int = 200, media: str = JSON) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media)

"""URL fail-over and retries with back-off, written once for both clients.

`attempts` does no I/O: it yields ("send", index) or ("sleep", seconds) and is sent
back the response (or the httpx.RequestError) of each send, so the blocking and
the asyncio client each only perform what it asks for.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx
import orjson

from serde.client import ops
from serde.client.options import RETRIABLE_STATUS
from serde.errors import RegistryUnavailable, SchemaRegistryError

ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

Step = tuple[str, Any]


def encode_body(body: Any) -> bytes | None:
    return None if body is None else orjson.dumps(body)


def parse_body(resp: httpx.Response) -> Any:
    if not resp.content:
        return None
    try:
        return orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        return resp.text


def headers_for(body: bytes | None) -> dict[str, str]:
    headers = {"Accept": ACCEPT}
    if body is not None:
        headers["Content-Type"] = CONTENT_TYPE
    return headers


def attempts(client: Any, urls: list[str]) -> Generator[Step, Any, Any]:
    """Try each URL from the last good one, then back off and retry; the decoded answer is returned.

    `client` carries `options` (max_retries, backoff), `_rng` and `_good` (the index
    of the URL that answered last, kept so later requests start there).
    """
    last: Exception | str = "no attempt"
    retries = client.options.max_retries
    for attempt in range(retries + 1):
        for i in range(len(urls)):
            idx = (client._good + i) % len(urls)
            outcome = yield ("send", idx)
            if isinstance(outcome, httpx.RequestError):  # transport failures, redirect loops, bad encodings
                last = outcome
                continue
            client._good = idx
            if outcome.status_code in RETRIABLE_STATUS and attempt < retries:
                last = f"HTTP {outcome.status_code}"
                break
            result = ops.decode(outcome.status_code, parse_body(outcome))
            if isinstance(result, SchemaRegistryError):
                raise result
            return result
        if attempt < retries:
            yield ("sleep", client.options.backoff(attempt, client._rng))
    raise RegistryUnavailable(f"Schema registry unavailable at {', '.join(urls)}: {last}")

"""Opt-in: instance ids that name their node, so a request reaching another node is redirected.

Why: consumer instances live in one gateway process; behind a round-robin load balancer a
request for an instance often lands on another node and gets 40403 (spec §8, the most common
REST Proxy complaint). With `node_routing` on, a generated instance id carries the node's
advertised URL (`rest-consumer-<base32 of the URL>-<uuid>`), and a node that does not own the
instance answers 307 with a Location on the owner, so clients that follow redirects just work.
Names given by the client, and ids of this node's own expired instances, still answer 40403.
"""

from __future__ import annotations

import base64
import binascii
import uuid

from starlette.exceptions import HTTPException
from starlette.requests import Request

_PREFIX = "rest-consumer-"


def new_name(advertised_url: str) -> str:
    token = base64.b32encode(advertised_url.rstrip("/").encode()).decode().rstrip("=").lower()
    return f"{_PREFIX}{token}-{uuid.uuid4()}"


def owner(name: str) -> str | None:
    """The advertised URL a routed instance id names, or None for any other id."""
    if not name.startswith(_PREFIX):
        return None
    token = name[len(_PREFIX):].split("-", 1)[0].upper()
    if not token or len(name[len(_PREFIX):]) <= len(token):
        return None
    try:
        url = base64.b32decode(token + "=" * (-len(token) % 8)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return url if url.startswith(("http://", "https://")) else None


def redirect_if_elsewhere(request: Request, name: str, own_url: str | None) -> None:
    """Raise a 307 to the owning node when `name` is a routed id of another node."""
    url = owner(name)
    if url is None or own_url is None or url == own_url.rstrip("/"):
        return
    target = url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise HTTPException(307, headers={"location": target})

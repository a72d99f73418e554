"""Client options: URLs, auth, TLS, timeouts, retries, cache sizes.

Accepts either keyword options or confluent-kafka's dotted conf dict, so an
existing `SchemaRegistryClient({"url": ...})` call keeps working.
"""

from __future__ import annotations

import os
import random
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from serde.errors import ConfigurationError

RETRIABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})

_CONF_KEYS = {
    "timeout": "timeout",
    "proxy": "proxy",
    "cache.capacity": "cache_capacity",
    "cache.latest.ttl.sec": "latest_ttl",
    "max.retries": "max_retries",
}


@dataclass
class ClientOptions:
    """Everything a client needs besides its caches; built once per client."""

    urls: list[str]
    auth: httpx.Auth | tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    verify: bool | ssl.SSLContext = True
    timeout: float | httpx.Timeout = 30.0
    proxy: str | None = None
    max_retries: int = 3
    retry_wait: float = 1.0
    retry_max_wait: float = 20.0
    cache_capacity: int = 1000
    latest_ttl: float | None = None
    transport: Any = None

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential back-off for retry `attempt` (0-based)."""
        return rng.uniform(0, min(self.retry_max_wait, self.retry_wait * (2**attempt)))

    def httpx_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "auth": self.auth,
            "headers": self.headers,
            "verify": self.verify,
            "timeout": self.timeout,
        }
        if self.proxy:
            kw["proxy"] = self.proxy
        if self.transport is not None:
            kw["transport"] = self.transport
        return kw


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer` from a static token or a callable that returns a fresh one."""

    def __init__(self, token: str | Callable[[], str]) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[override]
        token = self._token() if callable(self._token) else self._token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def build_options(
    url_or_conf: str | Sequence[str] | Mapping[str, Any],
    *,
    basic_auth: tuple[str, str] | str | None = None,
    bearer_token: str | Callable[[], str] | None = None,
    logical_cluster: str | None = None,
    identity_pool_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    verify: bool | str | ssl.SSLContext = True,
    cert: str | None = None,
    key: str | None = None,
    key_password: str | None = None,
    timeout: float | httpx.Timeout = 30.0,
    proxy: str | None = None,
    max_retries: int = 3,
    retry_wait: float = 1.0,
    retry_max_wait: float = 20.0,
    cache_capacity: int = 1000,
    latest_ttl: float | None = None,
    transport: Any = None,
) -> ClientOptions:
    """Validate and normalize client options (keyword form or confluent-kafka conf dict)."""
    if isinstance(url_or_conf, Mapping):
        return build_options(**_from_conf(url_or_conf))
    raw = [url_or_conf] if isinstance(url_or_conf, str) else list(url_or_conf)
    urls: list[str] = []
    for item in raw:
        urls.extend(u.strip() for u in item.split(",") if u.strip())
    if not urls:
        raise ConfigurationError("At least one schema registry URL is required")
    clean, url_auth = [], None
    for u in urls:
        if not u.startswith(("http://", "https://")):
            raise ConfigurationError(f"Invalid schema registry URL {u!r}: must start with http(s)://")
        parts = urlsplit(u)
        if parts.username is not None:
            url_auth = (unquote(parts.username), unquote(parts.password or ""))
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            parts = parts._replace(netloc=netloc)
        clean.append(urlunsplit(parts).rstrip("/"))
    if url_auth and basic_auth:
        raise ConfigurationError("basic_auth and credentials in the URL are mutually exclusive")
    if isinstance(basic_auth, str):
        user, _, pw = basic_auth.partition(":")
        basic_auth = (user, pw)
    auth_value = basic_auth or url_auth
    if auth_value and bearer_token:
        raise ConfigurationError("basic_auth and bearer_token are mutually exclusive")
    hdrs = dict(headers or {})
    if logical_cluster:
        hdrs["target-sr-cluster"] = logical_cluster
    if identity_pool_id:
        hdrs["Confluent-Identity-Pool-Id"] = identity_pool_id
    return ClientOptions(
        urls=clean,
        auth=BearerAuth(bearer_token) if bearer_token else (tuple(auth_value) if auth_value else None),
        headers=hdrs,
        verify=_ssl_context(verify, cert, key, key_password),
        timeout=timeout,
        proxy=proxy,
        max_retries=max_retries,
        retry_wait=retry_wait,
        retry_max_wait=retry_max_wait,
        cache_capacity=cache_capacity,
        latest_ttl=latest_ttl,
        transport=transport,
    )


def _ssl_context(
    verify: bool | str | ssl.SSLContext, cert: str | None, key: str | None, key_password: str | None
) -> bool | ssl.SSLContext:
    try:
        return _make_ssl_context(verify, cert, key, key_password)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"Cannot load TLS files: {exc}") from exc


def _make_ssl_context(
    verify: bool | str | ssl.SSLContext, cert: str | None, key: str | None, key_password: str | None
) -> bool | ssl.SSLContext:
    if key and not cert:
        raise ConfigurationError("A TLS key needs its certificate (cert)")
    if isinstance(verify, ssl.SSLContext):
        ctx = verify
    elif verify is False:
        if not cert:
            return False
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        ctx = ssl.create_default_context(capath=verify) if _isdir(verify) else ssl.create_default_context(cafile=verify)
    else:
        if not cert:
            return True
        ctx = ssl.create_default_context()
    if cert:
        ctx.load_cert_chain(cert, key, key_password)
    return ctx


def _isdir(path: str) -> bool:
    return os.path.isdir(path)


def _from_conf(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Map confluent-kafka's dotted conf keys onto our keyword options."""
    conf = dict(conf)
    out: dict[str, Any] = {"url_or_conf": conf.pop("url", None) or ""}
    for k, name in _CONF_KEYS.items():
        if k in conf:
            out[name] = conf.pop(k)
    if "retries.wait.ms" in conf:
        out["retry_wait"] = conf.pop("retries.wait.ms") / 1000
    if "retries.max.wait.ms" in conf:
        out["retry_max_wait"] = conf.pop("retries.max.wait.ms") / 1000
    conf.pop("basic.auth.credentials.source", None)
    if "basic.auth.user.info" in conf:
        out["basic_auth"] = conf.pop("basic.auth.user.info")
    source = conf.pop("bearer.auth.credentials.source", None)
    if source is not None:
        if source != "STATIC_TOKEN":
            raise ConfigurationError(f"bearer.auth.credentials.source {source!r}: pass bearer_token=callable")
        out["bearer_token"] = conf.pop("bearer.auth.token")
    if "bearer.auth.logical.cluster" in conf:
        out["logical_cluster"] = conf.pop("bearer.auth.logical.cluster")
    if "bearer.auth.identity.pool.id" in conf:
        out["identity_pool_id"] = conf.pop("bearer.auth.identity.pool.id")
    if "ssl.ca.location" in conf:
        out["verify"] = conf.pop("ssl.ca.location")
    if "ssl.certificate.location" in conf:
        out["cert"] = conf.pop("ssl.certificate.location")
    if "ssl.key.location" in conf:
        out["key"] = conf.pop("ssl.key.location")
    if "ssl.key.password" in conf:
        out["key_password"] = conf.pop("ssl.key.password")
    if conf:
        raise ConfigurationError(f"Unrecognized properties: {', '.join(sorted(conf))}")
    return out

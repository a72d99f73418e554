"""The create-instance request (spec §4.1): fields, aliases, defaults and Confluent's validation errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gateway.consumers.errors import ConsumerConfigConstraint, InvalidConsumerConfig
from gateway.errors import MalformedBody, Unprocessable
from gateway.http import check_fields, expect

FORMATS = ("binary", "json", "avro", "jsonschema", "protobuf", "string")
_FIELDS = ("id", "name", "format", "auto.offset.reset", "auto.commit.enable", "fetch.min.bytes",
           "consumer.request.timeout.ms", "responseMinBytes", "requestWaitMs")
_RESETS = ("latest", "earliest", "none")


@dataclass(frozen=True)
class ServerDefaults:
    """The server-side consumer settings (Confluent's `consumer.*` proxy configs)."""

    instance_timeout_ms: int = 300_000   # consumer.instance.timeout.ms
    request_timeout_ms: int = 1000       # consumer.request.timeout.ms
    fetch_min_bytes: int = -1            # fetch.min.bytes (the proxy's, not Kafka's)
    max_bytes: int = 64 * 1024 * 1024    # consumer.request.max.bytes
    auto_offset_reset: str = "latest"    # Kafka's default
    record_extras: bool = False          # opt-in: `timestamp` and `headers` on consumed records
    node_routing: bool = False           # opt-in: generated ids name this node; others redirect (routing.py)


@dataclass(frozen=True)
class InstanceConfig:
    name: str
    format: str
    auto_offset_reset: str
    auto_commit: bool
    fetch_min_bytes: int
    request_timeout_ms: int


def parse_create(body: Any, defaults: ServerDefaults, generated: str | None = None) -> InstanceConfig:
    """The instance settings from a create body (None or {} = defaults); Confluent's 400/422/42204/40001."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise MalformedBody("Cannot deserialize value of type `CreateConsumerInstanceRequest` from a non-object")
    check_fields(body, _FIELDS, "io.confluent.kafkarest.entities.v2.CreateConsumerInstanceRequest")
    name = body.get("id") or body.get("name")
    if name is not None:
        expect(name, str, "name", "java.lang.String")
    fmt = body.get("format") or "binary"
    if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
        raise Unprocessable("Invalid format type.")
    reset = body.get("auto.offset.reset")
    if reset is None:
        reset = defaults.auto_offset_reset
    elif not isinstance(reset, str) or reset not in _RESETS:
        raise InvalidConsumerConfig(f"Invalid value {reset} for configuration auto.offset.reset: "
                                    f"String must be one of: {', '.join(_RESETS)}")
    commit = body.get("auto.commit.enable")
    if commit is None:
        auto_commit = True
    elif isinstance(commit, bool) or str(commit).lower() in ("true", "false"):
        auto_commit = str(commit).lower() == "true"
    else:
        raise InvalidConsumerConfig(f"Invalid value {commit} for configuration enable.auto.commit: "
                                    "Expected value to be either true or false")
    min_bytes = _int(body, ("fetch.min.bytes", "responseMinBytes"), defaults.fetch_min_bytes)
    if min_bytes < -1:
        raise ConsumerConfigConstraint(f"fetch.min.bytes must be >= -1, got {min_bytes}")
    wait = _int(body, ("consumer.request.timeout.ms", "requestWaitMs"), defaults.request_timeout_ms)
    name = name or generated or f"rest-consumer-{uuid.uuid4()}"
    return InstanceConfig(name, fmt.lower(), reset, auto_commit, min_bytes, wait)


def _int(body: dict[str, Any], names: tuple[str, ...], default: int) -> int:
    for n in names:
        v = body.get(n)
        if v is None:
            continue
        if isinstance(v, str) and v.lstrip("-").isdigit():
            return int(v)
        expect(v, int, n, "java.lang.Integer")
        return int(v)
    return default

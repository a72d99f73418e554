"""Kafka-style client settings (as the REST Proxy takes them) mapped to aiokafka keywords and to librdkafka's
configuration."""

from __future__ import annotations

import re
from typing import Any

from aiokafka.helpers import create_ssl_context

# Kafka-style client setting -> (aiokafka keyword, converter); "producer." / "client." prefixes are stripped.
_COMMON = {
    "client.id": ("client_id", str),
    "request.timeout.ms": ("request_timeout_ms", int),
    "metadata.max.age.ms": ("metadata_max_age_ms", int),
    "retry.backoff.ms": ("retry_backoff_ms", int),
    "connections.max.idle.ms": ("connections_max_idle_ms", int),
    "security.protocol": ("security_protocol", str.upper),
    "sasl.mechanism": ("sasl_mechanism", str.upper),
    "sasl.mechanisms": ("sasl_mechanism", str.upper),
    "sasl.username": ("sasl_plain_username", str),
    "sasl.password": ("sasl_plain_password", str),
}
_PRODUCER = {
    "acks": ("acks", lambda v: "all" if v in ("all", "-1") else int(v)),
    "linger.ms": ("linger_ms", int),
    "compression.type": ("compression_type", lambda v: None if v in ("none", "") else v),
    "batch.size": ("max_batch_size", int),
    "max.request.size": ("max_request_size", int),
}
_SSL = {"ssl.ca.location": "cafile", "ssl.truststore.location": "cafile", "ssl.certificate.location": "certfile",
        "ssl.keystore.location": "certfile", "ssl.key.location": "keyfile", "ssl.key.password": "password"}
_OTHER = {"enable.idempotence", "sasl.jaas.config", "ssl.endpoint.identification.algorithm", "bootstrap.servers"}
_JAAS = re.compile(r'(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')


def client_kwargs(options: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any], bool | None]:
    """Kafka-style settings -> (kwargs for every aiokafka client, producer-only kwargs, idempotence or None=auto).

    Raises ValueError naming the first setting it does not know, so a typo fails at startup.
    """
    common: dict[str, Any] = {}
    producer: dict[str, Any] = {}
    ssl_files: dict[str, str] = {}
    idempotence: bool | None = None
    check_hostname = True
    for raw, value in options.items():
        key = raw
        for prefix in ("producer.", "client."):
            if key.startswith(prefix) and key[len(prefix):] in (_COMMON.keys() | _PRODUCER.keys() | _SSL.keys()
                                                                | _OTHER):
                key = key[len(prefix):]
        value = str(value)
        try:
            if key in _COMMON:
                name, conv = _COMMON[key]
                common[name] = conv(value)
            elif key in _PRODUCER:
                name, conv = _PRODUCER[key]
                producer[name] = conv(value)
            elif key in _SSL:
                ssl_files[_SSL[key]] = value
            elif key == "enable.idempotence":
                idempotence = value.lower() == "true"
            elif key == "sasl.jaas.config":
                for field, v in _JAAS.findall(value):
                    common["sasl_plain_username" if field == "username" else "sasl_plain_password"] = v
            elif key == "ssl.endpoint.identification.algorithm":
                check_hostname = value.lower() not in ("", "none")
            elif key != "bootstrap.servers":
                raise ValueError(f"unknown Kafka client setting {raw!r}")
        except (TypeError, ValueError) as exc:
            if "unknown Kafka client setting" in str(exc):
                raise
            raise ValueError(f"invalid value {value!r} for Kafka client setting {raw!r}") from None
    if ssl_files or common.get("security_protocol", "").endswith("SSL"):
        ctx = create_ssl_context(**ssl_files)
        ctx.check_hostname = check_hostname
        common["ssl_context"] = ctx
    if producer.get("acks", "all") != "all":
        idempotence = False
    return common, producer, idempotence


_RDKAFKA_KEYS = {"security.protocol", "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
                 "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
                 "ssl.endpoint.identification.algorithm", "client.id"}


def librdkafka_config(bootstrap_servers: str, options: dict[str, str]) -> dict[str, str]:
    """The connection part of Kafka-style settings, as librdkafka (confluent-kafka) spells it."""
    config = {"bootstrap.servers": bootstrap_servers}
    for raw, value in options.items():
        key = raw.removeprefix("producer.").removeprefix("client.") if raw != "client.id" else raw
        if key in _RDKAFKA_KEYS:
            config[key] = str(value)
        elif key == "sasl.jaas.config":
            for field, v in _JAAS.findall(str(value)):
                config[f"sasl.{field}"] = v
    return config

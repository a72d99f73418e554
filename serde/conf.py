"""Translate confluent-kafka's serializer conf dicts into serde keyword options.

Migration is then `AvroSerializer(client, schema, **from_confluent_conf(conf))`:
the dotted keys keep working, and anything serde does not do (data-contract
rules, the ASSOCIATED strategy) is refused loudly instead of ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serde.errors import ConfigurationError

_RENAMED = {
    "auto.register.schemas": "auto_register",
    "normalize.schemas": "normalize",
    "use.latest.version": "use_latest_version",
    "use.latest.with.metadata": "use_latest_with_metadata",
    "use.schema.id": "use_schema_id",
    "subject.name.strategy": "subject_name_strategy",
    "reference.subject.name.strategy": "reference_subject_name_strategy",
    "skip.known.types": "skip_known_types",
    "use.deprecated.format": "use_deprecated_format",
    "validate": "validate",
    "validate.strict": "validate_strict",
    "validate.strict.allow.default": "validate_strict_allow_default",
}

_FRAMING = {
    "prefix_schema_id_serializer": "prefix",
    "header_schema_id_serializer": "header",
    "dual_schema_id_deserializer": "dual",
    "prefix_schema_id_deserializer": "prefix",
}


def _framing(value: Any) -> str:
    name = value if isinstance(value, str) else getattr(value, "__name__", "")
    try:
        return _FRAMING[name]
    except KeyError:
        raise ConfigurationError(f"Unsupported schema id (de)serializer {value!r}") from None


def from_confluent_conf(conf: Mapping[str, Any] | None) -> dict[str, Any]:
    """serde keyword options equivalent to a confluent-kafka serializer/deserializer conf dict."""
    out: dict[str, Any] = {}
    unknown = []
    for key, value in (conf or {}).items():
        if key in _RENAMED:
            if value is not None:
                out[_RENAMED[key]] = value
        elif key in ("schema.id.serializer", "schema.id.deserializer"):
            out["framing"] = _framing(value)
        elif key == "subject.name.strategy.type":
            if value is None:
                continue
            kind = str(getattr(value, "name", value)).upper()
            if kind not in ("TOPIC", "RECORD", "TOPIC_RECORD"):
                raise ConfigurationError(f"Subject name strategy {kind} is not supported: use TOPIC, RECORD or TOPIC_RECORD")
            out.setdefault("subject_name_strategy", kind.lower())
        elif key == "subject.name.strategy.conf":
            if value:
                raise ConfigurationError("subject.name.strategy.conf is only for the ASSOCIATED strategy, not supported")
        elif key.startswith("validation.rules."):
            if value not in (None, False) and str(getattr(value, "name", value)).upper() != "DISABLED":
                raise ConfigurationError(f"{key}: data-contract rules are not supported")
        else:
            unknown.append(key)
    if unknown:
        raise ConfigurationError(f"Unrecognized properties: {', '.join(sorted(unknown))}")
    return out

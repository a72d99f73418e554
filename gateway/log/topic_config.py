"""Topic names and topic configs as Kafka checks them: the name check both logs make, and the embedded
log's config defaults, the config names it knows, and their checks."""

from __future__ import annotations

import re

from gateway.log.base import LogError

DEFAULT_CONFIGS = {"cleanup.policy": "delete", "retention.ms": "604800000", "retention.bytes": "-1"}
# Kafka topic configs accepted and stored; only the three above change what this log does.
KNOWN_CONFIGS = frozenset(DEFAULT_CONFIGS) | {
    "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
    "index.interval.bytes", "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable",
    "message.format.version", "message.timestamp.difference.max.ms", "message.timestamp.type",
    "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
    "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
    "unclean.leader.election.enable", "local.retention.ms", "local.retention.bytes",
    "message.timestamp.before.max.ms", "message.timestamp.after.max.ms", "remote.storage.enable",
}
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def validate_topic_name(name: str) -> None:
    if not _TOPIC_NAME.fullmatch(name) or name in (".", ".."):
        raise LogError(f"Invalid topic name: {name!r}. Legal characters are [a-zA-Z0-9._-], "
                       "at most 249 of them.", status=400, error_code=40002)


def validate_configs(configs: dict[str, str]) -> dict[str, str]:
    """Kafka's checks for the configs this log enforces; unknown names are refused as Kafka does."""
    out: dict[str, str] = {}
    for k, v in configs.items():
        if k not in KNOWN_CONFIGS:
            raise LogError(f"Unknown topic config name: {k}", status=400, error_code=40002)
        v = str(v)
        if k in ("retention.ms", "retention.bytes", "max.message.bytes"):
            try:
                if int(v) < -1:
                    raise ValueError
            except ValueError:
                raise LogError(f"Invalid value {v} for configuration {k}", status=400, error_code=40002) from None
        elif k == "cleanup.policy" and not set(v.replace(" ", "").split(",")) <= {"delete", "compact"}:
            raise LogError(f"Invalid value {v} for configuration {k}", status=400, error_code=40002)
        out[k] = v
    return out

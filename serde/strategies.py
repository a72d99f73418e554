"""Subject name strategies: which subject a record's schema lives under.

Same names and signatures as confluent-kafka's (`strategy(ctx, record_name)`),
so either library's strategy functions can be passed to either library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serde.errors import ConfigurationError

SubjectNameStrategy = Callable[[Any, "str | None"], str]


def topic_subject_name_strategy(ctx: Any, record_name: str | None) -> str:
    """`{topic}-key` or `{topic}-value`: the default."""
    if ctx is None or getattr(ctx, "topic", None) is None:
        raise ConfigurationError("The topic subject name strategy needs a SerializationContext with a topic")
    return f"{ctx.topic}-{'key' if ctx.field == 'key' else 'value'}"


def record_subject_name_strategy(ctx: Any, record_name: str | None) -> str:
    """The fully qualified record name (Avro namespace.name, Protobuf full name, JSON title)."""
    if not record_name:
        raise ConfigurationError("The record subject name strategy needs a named record type")
    return record_name


def topic_record_subject_name_strategy(ctx: Any, record_name: str | None) -> str:
    """`{topic}-{record name}`."""
    if ctx is None or getattr(ctx, "topic", None) is None:
        raise ConfigurationError("The topic-record subject name strategy needs a SerializationContext")
    return f"{ctx.topic}-{record_subject_name_strategy(ctx, record_name)}"


def reference_subject_name_strategy(ctx: Any, reference: Any) -> str:
    """A Protobuf import registers under its import path (e.g. `shop/common.proto`)."""
    return getattr(reference, "name", reference)


_BY_NAME: dict[str, SubjectNameStrategy] = {
    "topic": topic_subject_name_strategy,
    "record": record_subject_name_strategy,
    "topic_record": topic_record_subject_name_strategy,
}

_BUILTIN = frozenset(_BY_NAME.values())


def resolve_strategy(strategy: str | SubjectNameStrategy) -> tuple[SubjectNameStrategy, bool]:
    """The strategy callable, and whether its answer depends only on (topic, field) and may be cached."""
    if isinstance(strategy, str):
        try:
            fn = _BY_NAME[strategy.lower().replace("-", "_")]
        except KeyError:
            raise ConfigurationError(
                f"Unknown subject name strategy {strategy!r}: use topic, record, topic_record or a callable"
            ) from None
        return fn, True
    if not callable(strategy):
        raise ConfigurationError("subject_name_strategy must be a name or a callable(ctx, record_name)")
    return strategy, strategy in _BUILTIN

"""Ready-made glue for Kafka clients.

Our serializers already have confluent-kafka's calling convention
(`ser(obj, ctx)`), so they plug into its SerializingProducer and
DeserializingConsumer unchanged. aiokafka's `value_serializer` hooks take only
the value, so the topic is bound here; plain confluent-kafka Producer/Consumer
get helpers that also carry header framing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serde.context import MessageField, SerializationContext


def aiokafka_serializer(
    serializer: Callable[[Any, Any], bytes | None], topic: str | None = None, field: MessageField = MessageField.VALUE
) -> Callable[[Any], bytes | None]:
    """`AIOKafkaProducer(value_serializer=aiokafka_serializer(ser, "orders"))`.

    One producer writing several topics with a record strategy can pass topic=None.
    Header framing needs headers, which aiokafka's hook cannot carry: use prefix framing.
    """
    ctx = SerializationContext(topic, field) if topic is not None else None
    return lambda value: serializer(value, ctx)


def aiokafka_deserializer(
    deserializer: Callable[[bytes | None, Any], Any], topic: str | None = None,
    field: MessageField = MessageField.VALUE,
) -> Callable[[bytes | None], Any]:
    """`AIOKafkaConsumer(value_deserializer=aiokafka_deserializer(de, "orders"))`."""
    ctx = SerializationContext(topic, field) if topic is not None else None
    return lambda data: deserializer(data, ctx)


def produce_args(
    topic: str,
    value: Any = None,
    key: Any = None,
    *,
    value_serializer: Callable[[Any, Any], bytes | None] | None = None,
    key_serializer: Callable[[Any, Any], bytes | None] | None = None,
    headers: list[tuple[str, bytes]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Keyword arguments for confluent-kafka's `Producer.produce`, encoded, with any schema-id headers."""
    hdrs = list(headers or [])
    if key_serializer is not None:
        key = key_serializer(key, SerializationContext(topic, MessageField.KEY, hdrs))
    if value_serializer is not None:
        value = value_serializer(value, SerializationContext(topic, MessageField.VALUE, hdrs))
    out = {"topic": topic, "value": value, "key": key, **extra}
    if hdrs:
        out["headers"] = hdrs
    return out


def decode_message(
    msg: Any,
    value_deserializer: Callable[[bytes | None, Any], Any] | None = None,
    key_deserializer: Callable[[bytes | None, Any], Any] | None = None,
) -> tuple[Any, Any]:
    """(key, value) of a confluent-kafka or aiokafka message, decoded with header or prefix framing."""
    topic = msg.topic() if callable(getattr(msg, "topic", None)) else msg.topic
    headers = msg.headers() if callable(getattr(msg, "headers", None)) else getattr(msg, "headers", None)
    key = msg.key() if callable(getattr(msg, "key", None)) else msg.key
    value = msg.value() if callable(getattr(msg, "value", None)) else msg.value
    headers = list(headers) if headers is not None else None
    if key_deserializer is not None:
        key = key_deserializer(key, SerializationContext(topic, MessageField.KEY, headers))
    if value_deserializer is not None:
        value = value_deserializer(value, SerializationContext(topic, MessageField.VALUE, headers))
    return key, value

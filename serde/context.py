"""Where a record is going: topic, key or value, headers.

Serializers only read `.topic`, `.field` and `.headers`, so confluent-kafka's own
SerializationContext works everywhere ours does.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class MessageField(StrEnum):
    """Which part of a Kafka record; equal to confluent-kafka's "key"/"value" strings."""

    NONE = "none"
    KEY = "key"
    VALUE = "value"


class SerializationContext:
    """Topic, field and headers of the record being (de)serialized.

    `headers` is a list of (key, value) pairs or a dict; header framing appends to it.
    """

    __slots__ = ("topic", "field", "headers")

    def __init__(self, topic: str, field: MessageField | str = MessageField.VALUE, headers: Any = None) -> None:
        self.topic = topic
        self.field = field
        self.headers = headers

    def __repr__(self) -> str:
        return f"SerializationContext({self.topic!r}, {str(self.field)!r}, headers={self.headers!r})"


def is_key(ctx: Any) -> bool:
    """True when `ctx` (ours or confluent-kafka's) describes a record key."""
    return ctx is not None and ctx.field == "key"

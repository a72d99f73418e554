"""Protobuf data as proto3 JSON, converted with descriptors built from the registered schema.

No generated classes: the message class comes from the schema's own descriptor
pool (its references included), once per schema id. Records are written with
the message-index list of the schema's first message, as Confluent does.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.message import EncodeError

from gateway.formats import FormatError
from serde.wire import id_prefix


class ProtobufCodec:
    schema_type = "PROTOBUF"

    def __init__(self, schema_id: int, parsed: Any, index: tuple[int, ...] = (0,)) -> None:
        self.schema_id = schema_id
        self.descriptor = parsed.message_descriptor(list(index))
        self.cls = message_factory.GetMessageClass(self.descriptor)
        self.prefix = id_prefix(schema_id, list(index))

    def encode(self, data: Any) -> bytes:
        if not isinstance(data, dict):
            raise FormatError(f"Expected a JSON object for message {self.descriptor.full_name}")
        msg = self.cls()
        try:
            json_format.ParseDict(data, msg)
            return self.prefix + msg.SerializeToString()
        except (json_format.ParseError, EncodeError) as exc:
            raise FormatError(str(exc).split("\n", 1)[0]) from None
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
            raise FormatError(f"Cannot convert JSON to {self.descriptor.full_name}: {exc}") from None

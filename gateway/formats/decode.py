"""Log bytes -> the JSON a v2 consumer gets, one decoder per embedded format.

Why here and not in serde's deserializers: REST Proxy answers Avro in Avro's *JSON encoding*
(unions as {"type": value}, bytes as ISO-8859-1 strings, logical types as their underlying
type) and Protobuf as proto3 JSON, while serde decodes to Python objects. The schema work
(parse, the compiled Avro reader of gateway.formats.avro_read, protobuf message classes) is done
once per schema id in a `Decoders` cache that lives on the consumer manager (so on the app's lifespan).
A record that cannot be decoded fails the request with Confluent's 408/40801, never a traceback.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson

from gateway.errors import GatewayError
from gateway.formats import parse_schema
from serde.client.types import as_schema
from serde.core import adrive, fetch_references
from serde.errors import SchemaRegistryError, SerializationError

Decoder = Callable[[bytes], Any]


class DecodeFailed(GatewayError):
    """Confluent's SerializationException mapping: 408/40801 with the reason."""

    status, error_code = 408, 40801


def binary(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def json_value(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeFailed(f"Error deserializing JSON message: {exc}") from None


# ---- Avro and Protobuf ------------------------------------------------------------------------

def avro_decoder(parsed: Any) -> Callable[[bytes, int], Any]:
    from gateway.formats.avro_read import json_reader

    return json_reader(parsed.resolved_json)


def protobuf_decoder(parsed: Any) -> Callable[[tuple[int, ...], bytes], Any]:
    from google.protobuf import json_format, message_factory

    classes: dict[tuple[int, ...], type] = {}

    def decode(indexes: tuple[int, ...], payload: bytes) -> Any:
        cls = classes.get(indexes)
        if cls is None:
            cls = classes[indexes] = message_factory.GetMessageClass(parsed.message_descriptor(list(indexes)))
        return json_format.MessageToDict(cls.FromString(payload), always_print_fields_with_no_presence=True)

    return decode


class Decoders:
    """Schema-format decoding through the registry, one compiled decoder per schema id."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._by_id: dict[int, tuple[str, Any]] = {}

    async def prepare(self, data: bytes | None) -> None:
        """Fetch and compile the writer schema `data` names, if not yet known (the async part)."""
        if data is None or len(data) < 5 or data[0] != 0:
            return
        sid = int.from_bytes(data[1:5], "big")
        if sid in self._by_id:
            return
        try:
            schema = as_schema(await self.client.get_schema(sid))
            refs = await adrive(fetch_references(schema), self.client)
            parsed = parse_schema(schema.schema_type, schema.schema_str, {n: s.schema_str for n, s in refs.items()})
        except SchemaRegistryError as exc:
            raise DecodeFailed(f"Error retrieving schema for id {sid}: {exc.message}") from None
        except (SerializationError, ValueError, KeyError) as exc:
            raise DecodeFailed(f"Error parsing schema for id {sid}: {exc}") from None
        try:
            if schema.schema_type == "AVRO":
                self._by_id[sid] = ("AVRO", avro_decoder(parsed))
            elif schema.schema_type == "PROTOBUF":
                self._by_id[sid] = ("PROTOBUF", protobuf_decoder(parsed))
            else:
                self._by_id[sid] = ("JSON", None)
        except Exception as exc:  # noqa: BLE001 - a schema this gateway cannot read is the request's 408
            raise DecodeFailed(f"Error building a reader for schema id {sid}: {exc}") from None

    def known(self, data: bytes | None) -> bool:
        return data is None or (len(data) >= 5 and data[0] == 0 and int.from_bytes(data[1:5], "big") in self._by_id)

    def decode(self, data: bytes | None) -> Any:
        """A framed record (schema already prepared) -> its JSON form."""
        if data is None:
            return None
        if len(data) < 5 or data[0] != 0:
            raise DecodeFailed("Error deserializing message: Unknown magic byte!")
        sid = int.from_bytes(data[1:5], "big")
        kind, fn = self._by_id[sid]
        try:
            if kind == "AVRO":
                return fn(data, 5)
            if kind == "JSON":
                return orjson.loads(data[5:])
            from serde.wire import decode_indexes

            indexes, start = decode_indexes(data, 5)
            return fn(tuple(indexes) or (0,), data[start:])
        except DecodeFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a foreign record is the client's 408
            raise DecodeFailed(f"Error deserializing {kind} message for id {sid}: {exc}") from None

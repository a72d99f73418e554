"""Log bytes -> the JSON a v2 consumer gets, one decoder per embedded format.

Why here and not in serde's deserializers: REST Proxy answers Avro in Avro's *JSON encoding*
(unions as {"type": value}, bytes as ISO-8859-1 strings, logical types as their underlying
type) and Protobuf as proto3 JSON, while serde decodes to Python objects. The schema work
(parse, fastavro compile, protobuf message classes, the union-aware converter) is done once per
schema id in a `Decoders` cache that lives on the consumer manager (so on the app's lifespan).
A record that cannot be decoded fails the request with Confluent's 408/40801, never a traceback.
"""

from __future__ import annotations

import base64
import io
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


# ---- Avro -------------------------------------------------------------------------------------

_PRIMS = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _strip_logical(node: Any) -> Any:
    """The schema without logicalType: REST Proxy shows logical values as their underlying type."""
    if isinstance(node, dict):
        return {k: _strip_logical(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_strip_logical(v) for v in node]
    return node


def _latin1(b: bytes) -> str:
    return b.decode("latin-1")


class _AvroJson:
    """Builds, per schema, a converter from fastavro's decoded value to Avro's JSON encoding.

    Returns None for a subschema whose decoded form already is its JSON form (no unions, bytes or
    fixed inside), so most records of union-free schemas pass through untouched.
    """

    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def build(self, schema: Any, space: str | None = None) -> Callable[[Any], Any] | None:
        if isinstance(schema, str):
            if schema in _PRIMS:
                return _latin1 if schema == "bytes" else None
            full = schema if "." in schema or not space else f"{space}.{schema}"
            target = self.named.get(full, self.named.get(schema))
            if target is None:  # a recursive reference still being built: convert lazily
                return lambda v, n=full, s=schema: self._late(n, s)(v)
            return target[1]
        if isinstance(schema, list):
            return self._union(schema, space)
        t = schema.get("type")
        if t in ("record", "error", "enum", "fixed"):
            name = schema["name"]
            ns = schema.get("namespace", space)
            full = name if "." in name or not ns else f"{ns}.{name}"
            if t == "enum":
                self.named[full] = (schema, None)
                return None
            if t == "fixed":
                self.named[full] = (schema, _latin1)
                return _latin1
            self.named[full] = (schema, None)  # provisional, for recursion
            sub_space = full.rsplit(".", 1)[0] if "." in full else ns
            fields = [(f["name"], self.build(f["type"], sub_space)) for f in schema.get("fields", [])]
            conv = [(n, c) for n, c in fields if c is not None]
            fn: Callable[[Any], Any] | None = None
            if conv:
                def fn(v: dict[str, Any], conv: list = conv) -> dict[str, Any]:
                    v = dict(v)
                    for n, c in conv:
                        v[n] = c(v[n])
                    return v
            self.named[full] = (schema, fn)
            return fn
        if t == "array":
            item = self.build(schema["items"], space)
            return None if item is None else (lambda v, c=item: [c(x) for x in v])
        if t == "map":
            val = self.build(schema["values"], space)
            return None if val is None else (lambda v, c=val: {k: c(x) for k, x in v.items()})
        return self.build(t, space)

    def _late(self, full: str, name: str) -> Callable[[Any], Any]:
        target = self.named.get(full, self.named.get(name))
        fn = target[1] if target else None
        return fn if fn is not None else (lambda v: v)

    def _union(self, branches: list[Any], space: str | None) -> Callable[[Any], Any]:
        """fastavro gives named branches as (name, value) (return_named_type); primitives by Python type."""
        by_name: dict[str, Callable[[Any], Any] | None] = {}
        prims: list[str] = []
        for b in branches:
            if isinstance(b, dict) and b.get("type") in ("record", "error", "enum", "fixed"):
                name, ns = b["name"], b.get("namespace", space)
                full = name if "." in name or not ns else f"{ns}.{name}"
                by_name[full] = self.build(b, space)
            elif isinstance(b, dict) and b.get("type") in ("array", "map"):
                by_name[b["type"]] = self.build(b, space)
            elif isinstance(b, str) and b not in _PRIMS:
                full = b if "." in b or not space else f"{space}.{b}"
                by_name[full] = self.build(b, space)
            else:
                prims.append(b if isinstance(b, str) else b.get("type"))

        def pick(v: Any) -> str:
            if isinstance(v, bool):
                return "boolean"
            if isinstance(v, int):
                return next((p for p in prims if p in ("int", "long")), "long")
            if isinstance(v, float):
                return next((p for p in prims if p in ("float", "double")), "double")
            if isinstance(v, str):
                return "string"
            if isinstance(v, bytes):
                return "bytes"
            if isinstance(v, list):
                return "array"
            return "map"

        def convert(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, tuple):
                name, inner = v
                c = by_name.get(name)
                return {name: c(inner) if c is not None else inner}
            kind = pick(v)
            if kind == "bytes":
                return {"bytes": _latin1(v)}
            c = by_name.get(kind)
            return {kind: c(v) if c is not None else v}

        return convert


def avro_decoder(parsed: Any) -> Decoder:
    import fastavro

    root = _strip_logical(parsed.resolved_json)
    compiled = fastavro.parse_schema(root)
    conv = _AvroJson().build(root)
    reader = fastavro.schemaless_reader

    def decode(payload: bytes) -> Any:
        value = reader(io.BytesIO(payload), compiled, None, return_record_name=True,
                       return_record_name_override=True, return_named_type=True, return_named_type_override=True)
        return value if conv is None else conv(value)

    return decode


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
                return fn(data[5:])
            if kind == "JSON":
                return orjson.loads(data[5:])
            from serde.wire import decode_indexes

            indexes, start = decode_indexes(data, 5)
            return fn(tuple(indexes) or (0,), data[start:])
        except DecodeFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a foreign record is the client's 408
            raise DecodeFailed(f"Error deserializing {kind} message for id {sid}: {exc}") from None

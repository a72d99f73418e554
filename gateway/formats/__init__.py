"""Embedded formats: JSON request data -> the bytes written to the log.

One module per format, shared by v2 and v3. Schema formats (avro, jsonschema,
protobuf) build a codec once per registered schema id; the per-record path is
then validate + encode + frame, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class FormatError(Exception):
    """Record data that does not fit its format or schema; `path` names the field, outermost first."""

    def __init__(self, message: str, path: list[str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str | int] = path if path is not None else []

    def where(self) -> str:
        """The field path as `a.b[2].c`, or '' at the top."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out


class SchemaCodec(Protocol):
    """Encodes one format's JSON data for one registered schema, with the Confluent framing."""

    schema_type: str  # the registry's name: AVRO, JSON or PROTOBUF
    schema_id: int

    def encode(self, data: Any) -> bytes: ...


# The registry calls JSON Schema "JSON"; REST Proxy's formats call it "jsonschema".
FORMAT_OF_TYPE = {"AVRO": "avro", "JSON": "jsonschema", "PROTOBUF": "protobuf"}
TYPE_OF_FORMAT = {v: k for k, v in FORMAT_OF_TYPE.items()}
V3_TYPE_OF_SCHEMA = {"AVRO": "AVRO", "JSON": "JSONSCHEMA", "PROTOBUF": "PROTOBUF"}


def parse_schema(schema_type: str, text: str, deps: Mapping[str, str]) -> Any:
    """serde's parsed schema; raises serde's SchemaParseError."""
    if schema_type == "AVRO":
        from serde.schemas.avro import AVRO

        return AVRO.parse(text, deps, validate=False)
    if schema_type == "JSON":
        from serde.schemas.json_schema import JSON_SCHEMA

        return JSON_SCHEMA.parse(text, deps, validate=False)
    if schema_type == "PROTOBUF":
        from serde.schemas.protobuf import PROTOBUF

        return PROTOBUF.parse(text, deps, validate=False)
    raise ValueError(f"unknown schema type {schema_type}")


def build_codec(schema_type: str, schema_id: int, parsed: Any) -> SchemaCodec:
    """The codec for a parsed, registered schema."""
    if schema_type == "AVRO":
        from gateway.formats.avro import AvroCodec

        return AvroCodec(schema_id, parsed)
    if schema_type == "JSON":
        from gateway.formats.jsonschema import JsonSchemaCodec

        return JsonSchemaCodec(schema_id, parsed)
    from gateway.formats.protobuf import ProtobufCodec

    return ProtobufCodec(schema_id, parsed)


def record_name(schema_type: str, parsed: Any) -> str | None:
    """The record name the record and topic-record subject strategies use."""
    if schema_type == "AVRO":
        root = parsed.resolved_json
        if isinstance(root, dict) and "name" in root:
            name, space = root["name"], root.get("namespace")
            return name if "." in name or not space else f"{space}.{name}"
        return None
    if schema_type == "PROTOBUF":
        try:
            return parsed.message_descriptor([0]).full_name
        except (IndexError, KeyError):
            return None
    schema = getattr(parsed, "schema", None)
    title = schema.get("title") if isinstance(schema, dict) else None
    return title if isinstance(title, str) else None

"""Avro serializer and deserializer on fastavro, byte-identical to confluent-kafka's.

The schema is parsed once per schema id (named types from references included);
a record costs one fastavro call plus the framing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from io import BytesIO
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.validation import ValidationError as _FastavroValidationError
from fastavro.validation import validate as _fastavro_validate

from serde.client.types import Schema, schema_arg
from serde.core import Deserializer, Reader, Serializer, Writer
from serde.errors import RecordValidationError, SchemaParseError, SerializationError

_CODEC_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError, IndexError)


def parse_avro(schema: Schema, refs: dict[str, Schema]) -> Any:
    """fastavro's parsed form of `schema`, with its referenced named types (dependencies first)."""
    named: dict[str, Any] = {}
    try:
        for dep in refs.values():
            parse_schema(json.loads(dep.schema_str), named_schemas=named)
        return parse_schema(json.loads(schema.schema_str), named_schemas=named)
    except Exception as exc:  # fastavro raises a zoo of types for bad schemas
        raise SchemaParseError(f"Invalid Avro schema: {exc}") from exc


def record_name(schema_str: str) -> str | None:
    """The full name of a named Avro type (for the record subject strategies)."""
    try:
        d = json.loads(schema_str)
    except ValueError as exc:
        raise SchemaParseError(f"Invalid Avro schema: {exc}") from exc
    if not isinstance(d, dict) or "name" not in d:
        return None
    name = d["name"]
    ns = d.get("namespace")
    return name if "." in name or not ns else f"{ns}.{name}"


def _field_path(exc: Exception, value: Any, parsed: Any) -> str | None:
    """The dotted field path of a fastavro write error, from its message or its validator."""
    msg = str(exc)
    chain = re.findall(r"on field (\S+)", msg)
    missing = re.match(r"no value and no default for (\S+)", msg)
    parts = list(reversed(chain))
    if missing:
        parts.append(missing.group(1))
    if parts:
        return ".".join(parts)
    try:
        _fastavro_validate(value, parsed, raise_errors=True)
    except _FastavroValidationError as verr:
        if verr.errors:
            return str(verr.errors[0].field)
    except Exception:
        return None
    return None


class AvroSerializer(Serializer):
    """`AvroSerializer(client, schema_str, **options)`; call as `ser(record, ctx)`.

    Options: auto_register, normalize, use_latest_version, use_latest_with_metadata,
    use_schema_id, subject_name_strategy, framing ("prefix" | "header"),
    to_dict, validate_strict, validate_strict_allow_default.
    """

    schema_type = "AVRO"

    def __init__(
        self,
        client: Any,
        schema_str: str | Schema | None = None,
        *,
        to_dict: Callable[[Any, Any], Any] | None = None,
        validate_strict: bool = False,
        validate_strict_allow_default: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        if schema_str is None and not self._use_latest and self._use_schema_id is None:
            raise SchemaParseError("AvroSerializer needs a schema unless use_latest_version or use_schema_id")
        self._schema = schema_arg(schema_str, "AVRO") if schema_str is not None else None
        if self._schema is not None:
            self._record_name = record_name(self._schema.schema_str)
            if not self._schema.references:
                parse_avro(self._schema, {})  # fail at construction on a bad schema
        self._to_dict = to_dict
        self._strict = validate_strict or validate_strict_allow_default
        self._strict_allow_default = validate_strict_allow_default
        self._plain = self._strategy_cacheable and to_dict is None and not self._strict

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], schema_id: int, subject: str) -> Any:
        return parse_avro(schema, refs)

    def __call__(self, value: Any, ctx: Any = None) -> bytes | None:
        """Encode `value` for the topic and field in `ctx`; None stays None (tombstones)."""
        if self._plain and value is not None:
            # the hot path inlined: known subject, prefix framing, no hooks
            w = self._by_ctx.get((ctx.topic, ctx.field) if ctx is not None else None)
            if w is not None and w.expires is None and w.header is None:
                buf = BytesIO()
                buf.write(w.prefix)
                try:
                    schemaless_writer(buf, w.codec, value)
                except _CODEC_ERRORS as exc:
                    raise RecordValidationError(
                        str(exc), subject=w.subject, schema_id=w.schema_id, path=_field_path(exc, value, w.codec)
                    ) from exc
                return buf.getvalue()
        return super().__call__(value, ctx)

    def _encode(self, w: Writer, value: Any, ctx: Any) -> bytes:
        if self._to_dict is not None:
            value = self._to_dict(value, ctx)
        buf = BytesIO()
        buf.write(w.prefix)
        try:
            if self._strict:
                schemaless_writer(buf, w.codec, value, strict=True,
                                  strict_allow_default=self._strict_allow_default)
            else:
                schemaless_writer(buf, w.codec, value)
        except _CODEC_ERRORS as exc:
            raise RecordValidationError(
                str(exc), subject=w.subject, schema_id=w.schema_id, path=_field_path(exc, value, w.codec)
            ) from exc
        if w.header is not None:
            self._put_header(w, ctx)
        return buf.getvalue()


class _AvroCodec:
    __slots__ = ("writer", "reader", "name")

    def __init__(self, writer: Any, reader: Any, name: str | None) -> None:
        self.writer = writer
        self.reader = reader
        self.name = name


class AvroDeserializer(Deserializer):
    """`AvroDeserializer(client, reader_schema=None, **options)`; call as `de(data, ctx)`.

    Without a reader schema, records decode with their writer schema. Options:
    from_dict, return_record_name, use_latest_version, use_latest_with_metadata,
    subject_name_strategy, framing ("dual" | "prefix"), envelope.
    """

    def __init__(
        self,
        client: Any,
        reader_schema: str | Schema | None = None,
        *,
        from_dict: Callable[[Any, Any], Any] | None = None,
        return_record_name: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        self._reader_schema = schema_arg(reader_schema, "AVRO") if reader_schema is not None else None
        self._parsed_reader = None
        if self._reader_schema is not None and not self._reader_schema.references:
            self._parsed_reader = parse_avro(self._reader_schema, {})
        self._from_dict = from_dict
        self._return_record_name = return_record_name
        self._plain = self._fast and from_dict is None and not return_record_name

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], reader: Any) -> Any:
        writer = parse_avro(schema, refs)
        parsed_reader = None
        if reader is not None:
            parsed_reader = parse_avro(*reader)
        elif self._reader_schema is not None:
            parsed_reader = self._parsed_reader
            if parsed_reader is None:
                parsed_reader = parse_avro(self._reader_schema, refs)
        if parsed_reader is not None and parsed_reader == writer:
            parsed_reader = None  # same schema: skip fastavro's resolution work per record
        return _AvroCodec(writer, parsed_reader, record_name(schema.schema_str))

    def __call__(self, data: bytes | None, ctx: Any = None) -> Any:
        """Decode one framed record (see Deserializer.__call__)."""
        if self._plain and data is not None and data[:1] == b"\x00" and (
            ctx is None or getattr(ctx, "headers", None) is None
        ):
            # the hot path inlined: prefix framing, a known id, no hooks
            r = self._readers.get(int.from_bytes(data[1:5], "big"))
            if r is not None:
                codec = r.codec
                try:
                    return schemaless_reader(BytesIO(data[5:]), codec.writer, codec.reader)
                except Exception as exc:
                    raise SerializationError(f"Cannot decode Avro record: {exc!r}", schema_id=r.schema_id) from exc
        return super().__call__(data, ctx)

    def _record_name_of(self, r: Reader, ref: Any) -> str | None:
        return r.codec.name

    def _decode(self, r: Reader, data: bytes, start: int, indexes: Any, ctx: Any) -> Any:
        codec = r.codec
        try:
            value = schemaless_reader(
                BytesIO(data[start:] if start else data),
                codec.writer,
                codec.reader,
                return_record_name=self._return_record_name,
            )
        except Exception as exc:
            raise SerializationError(
                f"Cannot decode Avro record: {exc!r}", schema_id=r.schema_id
            ) from exc
        if self._from_dict is not None:
            return self._from_dict(value, ctx)
        return value

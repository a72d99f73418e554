"""Protobuf serializer and deserializer, byte-identical to confluent-kafka's.

The serializer registers the message's file as a base64 FileDescriptorProto
(as confluent-kafka does) after registering each import under its own subject
(the reference subject strategy), and frames records with the message-index
path. The deserializer decodes with a generated class, or without one by
building descriptors from the registered schema and its references.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, EncodeError, Message

from serde.client.types import Schema, SchemaReference
from serde.core import Deserializer, Reader, Resolution, Serializer, Writer, call
from serde.errors import ConfigurationError, RecordValidationError, SchemaParseError, SerializationError
from serde.strategies import reference_subject_name_strategy

KNOWN_TYPE_PREFIXES = ("google/protobuf/", "google/type/", "confluent/")


def message_index(descriptor: Any) -> list[int]:
    """The Confluent message-index path of a message descriptor: positions from the file down."""
    path: list[int] = []
    desc = descriptor
    while desc.containing_type is not None:
        parent = desc.containing_type
        path.append(list(parent.nested_types).index(desc))
        desc = parent
    path.append(list(desc.file.message_types_by_name.values()).index(desc))
    return path[::-1]


def _b64(file_descriptor: Any) -> str:
    return base64.b64encode(file_descriptor.serialized_pb).decode("ascii")


class ProtobufSerializer(Serializer):
    """`ProtobufSerializer(client, message_class, **options)`; call as `ser(message, ctx)`.

    Accepts a message of `message_class` or a dict of its fields. Options:
    reference_subject_name_strategy, skip_known_types, and the common ones.
    """

    schema_type = "PROTOBUF"
    _codec_needs_refs = False

    def __init__(
        self,
        client: Any,
        message_class: type[Message],
        *,
        reference_subject_name_strategy: Callable[[Any, Any], str] = reference_subject_name_strategy,
        skip_known_types: bool = True,
        use_deprecated_format: bool = False,
        **options: Any,
    ) -> None:
        if use_deprecated_format:
            raise ConfigurationError("The pre-1.8.2 unsigned-varint index format is not supported")
        super().__init__(client, **options)
        if not (isinstance(message_class, type) and issubclass(message_class, Message)):
            raise ConfigurationError("message_class must be a generated protobuf message class")
        self._cls = message_class
        desc = message_class.DESCRIPTOR
        self._record_name = desc.full_name
        self._index = message_index(desc)
        self._file = desc.file
        self._ref_strategy = reference_subject_name_strategy
        self._skip_known = skip_known_types
        self._schema: Schema | None = None  # built with its references on first use

    def _registration_schema(self, subject: str, ctx: Any) -> Resolution:
        if self._schema is None:
            refs = yield from self._register_imports(self._file, ctx, {})
            self._schema = Schema(_b64(self._file), "PROTOBUF", refs)
        return self._schema

    def _register_imports(self, file: Any, ctx: Any, done: dict[str, SchemaReference]) -> Resolution:
        """Register each import (depth first) under its reference subject; return the references."""
        refs: list[SchemaReference] = []
        for dep in file.dependencies:
            if self._skip_known and dep.name.startswith(KNOWN_TYPE_PREFIXES):
                continue
            if dep.name not in done:
                dep_refs = yield from self._register_imports(dep, ctx, done)
                subject = self._ref_strategy(ctx, dep)
                schema = Schema(_b64(dep), "PROTOBUF", dep_refs)
                if self._auto_register:
                    yield call("register_schema", subject, schema, normalize_schemas=self._normalize)
                reg = yield call("lookup_schema", subject, schema, normalize_schemas=self._normalize)
                done[dep.name] = SchemaReference(dep.name, subject, reg.version)
            refs.append(done[dep.name])
        return refs

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], schema_id: int, subject: str) -> Any:
        return None

    def _encode(self, w: Writer, value: Any, ctx: Any) -> bytes:
        if type(value) is not self._cls:
            value = self._coerce(w, value)
        try:
            payload = value.SerializeToString()
        except EncodeError as exc:
            raise RecordValidationError(str(exc), subject=w.subject, schema_id=w.schema_id) from exc
        if w.header is not None:
            self._put_header(w, ctx)
            return payload
        return w.prefix + payload

    def _coerce(self, w: Writer, value: Any) -> Message:
        if isinstance(value, self._cls):
            return value
        if isinstance(value, dict):
            try:
                return json_format.ParseDict(value, self._cls())
            except json_format.ParseError as exc:
                raise RecordValidationError(str(exc), subject=w.subject, schema_id=w.schema_id) from exc
        raise RecordValidationError(
            f"Expected {self._cls.DESCRIPTOR.full_name} or a dict, got {type(value).__name__}",
            subject=w.subject, schema_id=w.schema_id,
        )


class _Generic:
    """Descriptors built from a registered schema: message index path -> message class."""

    __slots__ = ("parsed", "classes")

    def __init__(self, schema: Schema, refs: dict[str, Schema]) -> None:
        from serde.schemas.protobuf import PROTOBUF

        self.parsed = PROTOBUF.parse(schema.schema_str, {n: s.schema_str for n, s in refs.items()}, validate=False)
        self.classes: dict[tuple[int, ...], type] = {}

    def message_class(self, indexes: Sequence[int]) -> type:
        key = tuple(indexes or (0,))
        cls = self.classes.get(key)
        if cls is None:
            try:
                desc = self.parsed.message_descriptor(key)
            except IndexError as exc:
                raise SerializationError(f"No message at index path {list(key)}") from exc
            from google.protobuf import message_factory

            cls = self.classes[key] = message_factory.GetMessageClass(desc)
        return cls


class ProtobufDeserializer(Deserializer):
    """`ProtobufDeserializer(client, message_class=None, **options)`; call as `de(data, ctx)`.

    With `message_class` records decode to it; without, to dynamic messages built
    from the registered schema (or dicts with `as_dict=True`). Options: as_dict,
    framing, envelope, subject_name_strategy.
    """

    _protobuf = True

    def __init__(
        self,
        client: Any = None,
        message_class: type[Message] | None = None,
        *,
        as_dict: bool = False,
        use_deprecated_format: bool = False,
        **options: Any,
    ) -> None:
        if use_deprecated_format:
            raise ConfigurationError("The pre-1.8.2 unsigned-varint index format is not supported")
        if client is None and message_class is None:
            raise ConfigurationError("ProtobufDeserializer needs a registry client or a message_class")
        super().__init__(client, **options)
        self._cls = message_class
        self._as_dict = as_dict

    def __call__(self, data: bytes | None, ctx: Any = None) -> Any:
        if self._client is None and data is not None and not self._envelope:
            ref, start = self._frame(data, ctx)  # no registry: a generated class is all we need
            return self._finish(self._parse(self._cls, data, start, ref.id), ctx)
        return super().__call__(data, ctx)

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], reader: Any) -> Any:
        if self._cls is not None:
            return None
        try:
            return _Generic(schema, refs)
        except SchemaParseError:
            raise
        except Exception as exc:  # a schema the runtime cannot load
            raise SchemaParseError(f"Cannot build descriptors for the writer schema: {exc}") from exc

    def _record_name_of(self, r: Reader, ref: Any) -> str | None:
        if self._cls is not None:
            return self._cls.DESCRIPTOR.full_name
        return r.codec.message_class(ref.indexes if ref is not None else (0,)).DESCRIPTOR.full_name

    def _parse(self, cls: type, data: bytes, start: int, schema_id: int | None) -> Any:
        try:
            return cls.FromString(data[start:] if start else data)
        except DecodeError as exc:
            raise SerializationError(f"Cannot decode Protobuf record: {exc}", schema_id=schema_id) from exc

    def _finish(self, msg: Any, ctx: Any) -> Any:
        if self._as_dict:
            return json_format.MessageToDict(msg, preserving_proto_field_name=True)
        return msg

    def _decode(self, r: Reader, data: bytes, start: int, indexes: Any, ctx: Any) -> Any:
        cls = self._cls if self._cls is not None else r.codec.message_class(indexes)
        return self._finish(self._parse(cls, data, start, r.schema_id), ctx)

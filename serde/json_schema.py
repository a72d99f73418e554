"""JSON Schema serializer and deserializer: compact JSON, compiled validation.

Payload bytes equal confluent-kafka's (orjson, compact, non-ASCII kept). The
validator is compiled once per schema id with jsonschema-rs (jsonschema as a
fallback), with referenced schemas registered under their reference names, so
a record costs one validation and one dump or load.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from serde.client.types import Schema, schema_arg
from serde.core import Deserializer, Reader, Serializer, Writer
from serde.errors import RecordValidationError, SchemaParseError, SerializationError

try:  # jsonschema-rs is ~50x faster; keep the pure-Python engine as a fallback
    import jsonschema_rs
except ImportError:  # pragma: no cover
    jsonschema_rs = None


def dumps(value: Any) -> bytes:
    """confluent-kafka's JSON encoding: orjson, or stdlib compact for what orjson refuses."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _load_json(text: str, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SchemaParseError(f"Invalid JSON schema {what}: {exc}") from exc


class _Validator:
    """A compiled validator: `check(value)` raises RecordValidationError with the field path."""

    __slots__ = ("is_valid", "_errors")

    def __init__(self, schema: Schema, refs: dict[str, Schema]) -> None:
        root = _load_json(schema.schema_str, "schema")
        resources = [(name, _load_json(dep.schema_str, name)) for name, dep in refs.items()]
        try:
            if jsonschema_rs is not None:
                kw = {"registry": jsonschema_rs.Registry(resources)} if resources else {}
                v = jsonschema_rs.validator_for(root, **kw)
                self.is_valid = v.is_valid
                self._errors = v.iter_errors
            else:  # pragma: no cover
                self._jsonschema(root, resources)
        except SerializationError:
            raise
        except Exception as exc:
            raise SchemaParseError(f"Invalid JSON schema: {exc}") from exc

    def _jsonschema(self, root: Any, resources: list) -> None:  # pragma: no cover
        from jsonschema.validators import validator_for
        from referencing import Registry, Resource

        registry = Registry().with_resources((n, Resource.from_contents(s)) for n, s in resources)
        cls = validator_for(root)
        cls.check_schema(root)
        v = cls(root, registry=registry)
        self.is_valid = v.is_valid
        self._errors = v.iter_errors

    def first_error(self, value: Any) -> tuple[str, str]:
        for err in self._errors(value):
            path = getattr(err, "instance_path", None)
            if path is None:  # pragma: no cover  (jsonschema's name)
                path = list(err.absolute_path)
            return err.message, ".".join(str(p) for p in path)
        return "invalid", ""  # pragma: no cover


class JSONSerializer(Serializer):
    """`JSONSerializer(client, schema_str, **options)`; call as `ser(obj, ctx)`.

    Options: validate (default True), to_dict, json_encode, and the common ones
    (auto_register, normalize, use_latest_version, use_schema_id,
    subject_name_strategy, framing).
    """

    schema_type = "JSON"

    def __init__(
        self,
        client: Any,
        schema_str: str | Schema | None = None,
        *,
        to_dict: Callable[[Any, Any], Any] | None = None,
        validate: bool = True,
        json_encode: Callable[[Any], bytes | str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        if schema_str is None and not self._use_latest and self._use_schema_id is None:
            raise SchemaParseError("JSONSerializer needs a schema unless use_latest_version or use_schema_id")
        self._schema = schema_arg(schema_str, "JSON") if schema_str is not None else None
        if self._schema is not None:
            doc = _load_json(self._schema.schema_str, "schema")
            self._record_name = doc.get("title") if isinstance(doc, dict) else None
            if validate and not self._schema.references:
                _Validator(self._schema, {})  # fail at construction on a bad schema
        self._to_dict = to_dict
        self._validate = validate
        self._dumps = json_encode or dumps

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], schema_id: int, subject: str) -> Any:
        return _Validator(schema, refs) if self._validate else None

    def _encode(self, w: Writer, value: Any, ctx: Any) -> bytes:
        if self._to_dict is not None:
            value = self._to_dict(value, ctx)
        validator = w.codec
        if validator is not None and not validator.is_valid(value):
            message, path = validator.first_error(value)
            raise RecordValidationError(message, subject=w.subject, schema_id=w.schema_id, path=path)
        try:
            payload = self._dumps(value)
        except (TypeError, ValueError) as exc:
            raise SerializationError(f"Cannot encode JSON: {exc}", subject=w.subject, schema_id=w.schema_id) from exc
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        if w.header is not None:
            self._put_header(w, ctx)
            return payload
        return w.prefix + payload


class JSONDeserializer(Deserializer):
    """`JSONDeserializer(client, **options)`; call as `de(data, ctx)`.

    Validates against the writer schema (or `schema_str` when given). Options:
    validate, from_dict, json_decode, framing, envelope, subject_name_strategy.
    """

    def __init__(
        self,
        client: Any,
        schema_str: str | Schema | None = None,
        *,
        from_dict: Callable[[Any, Any], Any] | None = None,
        validate: bool = True,
        json_decode: Callable[[bytes], Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        self._reader = schema_arg(schema_str, "JSON") if schema_str is not None else None
        self._validate = validate
        self._from_dict = from_dict
        self._loads = json_decode or orjson.loads

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], reader: Any) -> Any:
        if not self._validate:
            return None
        if reader is not None:
            return _Validator(*reader)
        if self._reader is not None:
            return _Validator(self._reader, refs)
        return _Validator(schema, refs)

    def _record_name_of(self, r: Reader, ref: Any) -> str | None:
        try:
            return orjson.loads(r.schema.schema_str).get("title")
        except (orjson.JSONDecodeError, AttributeError):
            return None

    def _decode(self, r: Reader, data: bytes, start: int, indexes: Any, ctx: Any) -> Any:
        try:
            payload = data[start:] if start else data
            value = self._loads(payload)
        except Exception as exc:
            raise SerializationError(f"Cannot decode JSON: {exc}", schema_id=r.schema_id) from exc
        validator = r.codec
        if validator is not None and not validator.is_valid(value):
            message, path = validator.first_error(value)
            raise RecordValidationError(message, schema_id=r.schema_id, path=path)
        if self._from_dict is not None:
            return self._from_dict(value, ctx)
        return value

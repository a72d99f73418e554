"""schemawire serde: Confluent wire-format serializers and a caching registry client.

`from serde import AvroSerializer, SchemaRegistryClient, ...` mirrors
confluent-kafka's names, so switching is a change of imports. Names load on
first use, so `import serde.errors` (as the registry does) stays light; serde
never imports web-server code.

    client = SchemaRegistryClient("http://localhost:8081")
    ser = AvroSerializer(client, schema_str)             # client, schema, options
    data = ser(record, SerializationContext("users", MessageField.VALUE))
    de = AvroDeserializer(client, envelope=True)
    decoded = de(data, SerializationContext("users", MessageField.VALUE))
    decoded.value, decoded.schema_id, decoded.subject, decoded.version

Every failure is a SerializationError (registry errors carry status and
error_code; record errors carry subject, schema id and field path).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "SchemaRegistryClient": "serde.client",
    "AsyncSchemaRegistryClient": "serde.client",
    "Schema": "serde.client",
    "SchemaReference": "serde.client",
    "RegisteredSchema": "serde.client",
    "CompatibilityResult": "serde.client",
    "AvroSerializer": "serde.avro",
    "AvroDeserializer": "serde.avro",
    "JSONSerializer": "serde.json_schema",
    "JSONDeserializer": "serde.json_schema",
    "ProtobufSerializer": "serde.protobuf",
    "ProtobufDeserializer": "serde.protobuf",
    "SerializationContext": "serde.context",
    "MessageField": "serde.context",
    "Decoded": "serde.core",
    "InMemorySchemaRegistry": "serde.memory",
    "from_confluent_conf": "serde.conf",
    "AsyncInMemorySchemaRegistry": "serde.memory",
    "topic_subject_name_strategy": "serde.strategies",
    "record_subject_name_strategy": "serde.strategies",
    "topic_record_subject_name_strategy": "serde.strategies",
    "reference_subject_name_strategy": "serde.strategies",
    "SerializationError": "serde.errors",
    "RecordValidationError": "serde.errors",
    "FramingError": "serde.errors",
    "ConfigurationError": "serde.errors",
    "SchemaRegistryError": "serde.errors",
    "SchemaNotFound": "serde.errors",
    "SubjectNotFound": "serde.errors",
    "VersionNotFound": "serde.errors",
    "IncompatibleSchema": "serde.errors",
    "InvalidSchema": "serde.errors",
    "RegistryUnavailable": "serde.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from serde.avro import AvroDeserializer, AvroSerializer
    from serde.client import AsyncSchemaRegistryClient, Schema, SchemaReference, SchemaRegistryClient
    from serde.context import MessageField, SerializationContext
    from serde.errors import SerializationError
    from serde.json_schema import JSONDeserializer, JSONSerializer
    from serde.protobuf import ProtobufDeserializer, ProtobufSerializer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'serde' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

"""Request bodies: shape checks that Jackson would make, before the core sees them."""

from __future__ import annotations

from typing import Any

from registry.core import SchemaRequest
from registry.errors import HttpError, RegistryError


def _bad(message: str) -> HttpError:
    return HttpError(400, message)


def schema_request(body: Any) -> SchemaRequest:
    if body is None:
        raise RegistryError("The request body is required", status=422, error_code=422)
    if not isinstance(body, dict):
        raise _bad("Cannot deserialize a schema request from a JSON value that is not an object")
    schema = body.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise _bad("Cannot deserialize value of type `java.lang.String` for field 'schema'")
    schema_type = body.get("schemaType")
    if schema_type is None:
        schema_type = "AVRO"
    elif not isinstance(schema_type, str):
        raise _bad("Cannot deserialize value of type `java.lang.String` for field 'schemaType'")
    refs = body.get("references")
    if refs is not None and (not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs)):
        raise _bad("Cannot deserialize field 'references': expected an array of objects")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise _bad("Cannot deserialize field 'metadata': expected an object")
    version, id_ = body.get("version"), body.get("id")
    for name, value in (("version", version), ("id", id_)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _bad(f"Cannot deserialize value of type `java.lang.Integer` for field '{name}'")
    return SchemaRequest(schema, schema_type, refs, metadata or None, version, id_)


def object_body(body: Any) -> dict[str, Any]:
    if body is None:
        raise RegistryError("The request body is required", status=422, error_code=422)
    if not isinstance(body, dict):
        raise _bad("Cannot deserialize a request from a JSON value that is not an object")
    return body

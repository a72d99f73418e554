"""Request bodies: shape checks that Jackson would make, before the core sees them."""

from __future__ import annotations

from typing import Any

from registry import metadata as md
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
    if refs is not None and (not isinstance(refs, list) or not all(_is_reference(r) for r in refs)):
        raise _bad("Cannot deserialize field 'references': expected an array of "
                   "{name: string, subject: string, version: integer}")
    metadata = body.get("metadata")
    if metadata is not None and not md.is_valid(metadata):
        raise _bad("Cannot deserialize field 'metadata': expected {tags: {string: [string]}, "
                   "properties: {string: string}, sensitive: [string]}")
    version, id_ = body.get("version"), body.get("id")
    for name, value in (("version", version), ("id", id_)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _bad(f"Cannot deserialize value of type `java.lang.Integer` for field '{name}'")
    return SchemaRequest(schema, schema_type, refs, md.canonical(metadata), version, id_)


def _is_reference(ref: Any) -> bool:
    return isinstance(ref, dict) and all(
        ref.get(k) is None or isinstance(ref[k], str) for k in ("name", "subject")) and (
        ref.get("version") is None or (isinstance(ref["version"], int) and not isinstance(ref["version"], bool)))


def mode_value(body: Any) -> str | None:
    value = object_body(body).get("mode")
    if value is not None and not isinstance(value, str):
        raise _bad("Cannot deserialize value of type `java.lang.String` for field 'mode'")
    return value


def object_body(body: Any) -> dict[str, Any]:
    if body is None:
        raise RegistryError("The request body is required", status=422, error_code=422)
    if not isinstance(body, dict):
        raise _bad("Cannot deserialize a request from a JSON value that is not an object")
    return body

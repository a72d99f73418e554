"""JSON Schema data: validated with the schema's compiled validator, written as compact JSON."""

from __future__ import annotations

from typing import Any

from gateway.formats import FormatError
from gateway.http import dumps_exact
from serde.errors import SerializationError
from serde.wire import id_prefix


class JsonSchemaCodec:
    """One registered JSON schema: `is_valid` on the hot path, the full error only on failure."""

    schema_type = "JSON"

    def __init__(self, schema_id: int, parsed: Any) -> None:
        self.schema_id = schema_id
        self.prefix = id_prefix(schema_id)
        self.parsed = parsed
        self.validator = parsed.validator  # compiled once per schema id

    def encode(self, data: Any) -> bytes:
        try:
            valid = self.validator.is_valid(data)
        except (ValueError, TypeError, RecursionError, OverflowError):
            valid = False
        if not valid:
            self._explain(data)
        try:
            return self.prefix + dumps_exact(data)
        except (TypeError, ValueError) as exc:
            raise FormatError(f"data is not JSON: {exc}") from None

    def _explain(self, data: Any) -> None:
        """Raise the first validation error with its JSON path."""
        try:
            self.parsed.validate(data)
        except SerializationError as exc:
            path = (exc.path or "#/").removeprefix("#/")
            message = exc.message.removeprefix("JSON record does not match its schema: ")
            raise FormatError(message, [int(p) if p.isdigit() else p for p in path.split("/") if p]) from None
        except (ValueError, TypeError, RecursionError, OverflowError) as exc:
            raise FormatError(f"JSON record cannot be validated: {exc}") from None
        raise FormatError("JSON record does not match its schema")

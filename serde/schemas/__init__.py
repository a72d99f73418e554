"""Schema types: parse, canonical text, normalized form."""

from __future__ import annotations

from serde.schemas.base import ParsedSchema, SchemaType

__all__ = ["ParsedSchema", "SchemaType"]

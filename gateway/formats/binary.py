"""The binary format: key and value are base64 strings (standard alphabet, padding required)."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Any

import orjson

from gateway.formats import FormatError


def encode(data: Any) -> bytes:
    """Decode `data` as Confluent's Guava base64 does; wording as NoSchemaRecordSerializer's."""
    if not isinstance(data, str):
        raise FormatError(f"data={orjson.dumps(data).decode()} is not a base64 string.")
    try:
        return b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"data={orjson.dumps(data).decode()} is not a valid base64 string.") from None

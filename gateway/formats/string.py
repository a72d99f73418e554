"""v3's STRING type: a JSON string written as its UTF-8 bytes."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.formats import FormatError


def encode(data: Any) -> bytes:
    if not isinstance(data, str):
        raise FormatError(f"data={orjson.dumps(data).decode()} is not a string.")
    try:
        return data.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be UTF-8
        raise FormatError("data is not a valid UTF-8 string.") from None

"""The schemaless json format: any JSON value, written as compact UTF-8 JSON."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.formats import FormatError


def encode(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError as exc:  # pragma: no cover - parsed JSON always serializes
        raise FormatError(f"data is not JSON: {exc}") from None

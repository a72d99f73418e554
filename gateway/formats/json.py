"""The schemaless json format: any JSON value, written as compact UTF-8 JSON."""

from __future__ import annotations

from typing import Any

from gateway.formats import FormatError
from gateway.http import dumps_exact


def encode(data: Any) -> bytes:
    try:
        return dumps_exact(data)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"data is not JSON: {exc}") from None

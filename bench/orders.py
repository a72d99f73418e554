"""The record the gateway benchmarks write and read: an Avro `Order` of six fields (~50 bytes encoded)."""

from __future__ import annotations

import json
from typing import Any

SCHEMA = json.dumps({"type": "record", "name": "Order", "namespace": "bench", "fields": [
    {"name": "id", "type": "long"}, {"name": "customer", "type": "string"},
    {"name": "amount", "type": "double"}, {"name": "currency", "type": {"type": "enum", "name": "Cur",
                                                                          "symbols": ["EUR", "USD"]}},
    {"name": "note", "type": ["null", "string"], "default": None},
    {"name": "items", "type": {"type": "array", "items": "string"}}]})


def record(i: int) -> dict[str, Any]:
    """A record as Python (serde's and confluent-kafka's serializers) ..."""
    return {"id": i, "customer": f"customer-{i % 977}", "amount": 12.5 + i % 100, "currency": "EUR",
            "note": "gift" if i % 2 else None, "items": ["sku-1", "sku-22"]}


def record_json(i: int) -> dict[str, Any]:
    """... and in Avro's JSON encoding (REST Proxy produce): unions as {"type": value}."""
    r = record(i)
    r["note"] = {"string": r["note"]} if r["note"] else None
    return r

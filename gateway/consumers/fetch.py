"""One `GET .../records` (spec §4.8): the wait rules, the max_bytes rule and decoding per format.

Timing, as Confluent's KafkaConsumerReadTask: the wait is min(`timeout` query, the instance's
consumer.request.timeout.ms); the request returns when that wait is over, when the next record
would not fit in `max_bytes`, or as soon as the bytes collected reach the instance's
`fetch.min.bytes` (when set, >= 0). Sizes are raw key + value bytes. A record that cannot be
decoded fails the whole request (408/40801), as does a failure of the log, and the positions go
back to where the request started, so nothing is lost.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from gateway.formats.decode import Decoders, json_value
from gateway.formats.decode import binary as _b64
from gateway.groups import TP
from gateway.log.base import StoredRecord


async def _decode(records: list[StoredRecord], fmt: str, decoders: Decoders, extras: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if fmt == "binary":
        for r in records:
            out.append({"topic": r.topic, "key": _b64(r.key), "value": _b64(r.value), "partition": r.partition,
                        "offset": r.offset})
    elif fmt in ("json", "string"):
        for r in records:
            if fmt == "json":
                key, value = json_value(r.key), json_value(r.value)
            else:
                key = None if r.key is None else r.key.decode("utf-8", "replace")
                value = None if r.value is None else r.value.decode("utf-8", "replace")
            out.append({"topic": r.topic, "key": key, "value": value, "partition": r.partition, "offset": r.offset})
    else:
        known, decode, prepare = decoders.known, decoders.decode, decoders.prepare
        for r in records:
            if not known(r.key):
                await prepare(r.key)
            if not known(r.value):
                await prepare(r.value)
            out.append({"topic": r.topic, "key": decode(r.key), "value": decode(r.value),
                        "partition": r.partition, "offset": r.offset})
    if extras:
        for d, r in zip(out, records):
            d["timestamp"] = r.timestamp
            if r.headers:
                d["headers"] = [{"key": k, "value": _b64(v)} for k, v in r.headers]
    return out


async def fetch(inst: Any, decoders: Decoders, *, timeout_ms: int, max_bytes: int | None,
                extras: bool = False) -> bytes:
    """The JSON array body of one records request for `inst` (its lock held by the caller)."""
    min_bytes = inst.cfg.fetch_min_bytes
    deadline = time.monotonic() + timeout_ms / 1000
    body: list[dict[str, Any]] = []
    first: dict[TP, int] = {}
    used = 0
    try:
        while True:
            remaining = max(0, int((deadline - time.monotonic()) * 1000))
            budget = None if max_bytes is None else max_bytes - used
            records, full = await inst.poll(budget, remaining)
            for r in records:
                first.setdefault((r.topic, r.partition), r.offset)
                used += len(r.key or b"") + len(r.value or b"")
            if records:
                body.extend(await _decode(records, inst.format, decoders, extras))
            if full or (min_bytes >= 0 and used >= min_bytes and (body or min_bytes == 0)):
                break
            if time.monotonic() >= deadline:
                break
    except Exception:  # a decode failure (408) or a log failure: nothing of this request was delivered
        inst.rewind(first)
        raise
    return orjson.dumps(body)

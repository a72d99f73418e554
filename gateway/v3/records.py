"""One v3 produce record: bind it, resolve its key/value schemas, encode it (spec §5.5).

Shared by the streaming `records` endpoint and `records:batch`. A record either
becomes a `Prepared` (log record plus what its success line reports) or raises
a GatewayError that becomes its own error line.
"""

from __future__ import annotations

import binascii
import time
from base64 import b64decode
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from gateway.errors import BadRequest, GatewayError, MalformedBody, PartitionNotFound
from gateway.formats import TYPE_OF_FORMAT, V3_TYPE_OF_SCHEMA, FormatError
from gateway.formats import binary as binary_format
from gateway.formats import json as json_format
from gateway.formats import string as string_format
from gateway.http import check_fields, expect
from gateway.log.base import Record
from gateway.schemas import V3_STRATEGIES, Resolved
from gateway.v2.produce import make_record
from gateway.state import Gateway

RECORD_FIELDS = ("partition_id", "headers", "key", "value", "timestamp")
DATA_FIELDS = ("type", "subject", "subject_name_strategy", "schema_id", "schema_version", "schema", "data")
HEADER_FIELDS = ("name", "value")
_RECORD = "io.confluent.kafkarest.entities.v3.AutoValue_ProduceRequest$Builder"
_DATA = "io.confluent.kafkarest.entities.v3.AutoValue_ProduceRequest_ProduceRequestData$Builder"
_HEADER = "io.confluent.kafkarest.entities.v3.AutoValue_ProduceRequest_ProduceRequestHeader$Builder"
_SCHEMALESS = {"BINARY": binary_format.encode, "JSON": json_format.encode, "STRING": string_format.encode}
_SCHEMA_TYPES = {"AVRO", "JSONSCHEMA", "PROTOBUF"}
_TYPES = (*_SCHEMALESS, *_SCHEMA_TYPES)
_SCHEMA_FIELDS = ("subject", "subject_name_strategy", "schema_id", "schema_version", "schema")


@dataclass(slots=True)
class Prepared:
    """A record ready to append, and the key/value descriptions its success line carries."""

    record: Record
    key: dict[str, Any] | None
    value: dict[str, Any] | None
    timestamp: int


def iso_millis(ms: int) -> str:
    """Jackson's Instant: `2021-02-05T19:14:42.134Z`, or without the fraction when it is zero."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    return f"{base}.{ms % 1000:03d}Z" if ms % 1000 else f"{base}Z"


class IsoClock:
    """iso_millis with the seconds part remembered: records of one request share their second."""

    __slots__ = ("sec", "base")

    def __init__(self) -> None:
        self.sec, self.base = -1, ""

    def __call__(self, ms: int) -> str:
        sec, frac = divmod(ms, 1000)
        if sec != self.sec:
            self.sec, self.base = sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        return f"{self.base}.{frac:03d}Z" if frac else f"{self.base}Z"


def _timestamp(value: Any) -> int:
    expect(value, str, "timestamp", "java.time.Instant")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise MalformedBody(f'Cannot deserialize value of type `java.time.Instant` from String "{value}"') from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def _headers(value: Any) -> tuple[tuple[str, bytes | None], ...]:
    expect(value, list, "headers", "java.util.List<ProduceRequestHeader>")
    out = []
    for h in value:
        if not isinstance(h, dict):
            expect(h, dict, "headers", _HEADER)
        check_fields(h, HEADER_FIELDS, _HEADER)
        name, raw = h.get("name"), h.get("value")
        expect(name, str, "name", "java.lang.String")
        if raw is None:
            out.append((name, None))
            continue
        expect(raw, str, "value", "com.google.protobuf.ByteString")
        try:
            out.append((name, b64decode(raw, validate=True)))
        except (binascii.Error, ValueError):
            raise MalformedBody(f'Cannot deserialize value of type `ByteString` from String "{raw}": '
                                "not a valid base64 string") from None
    return tuple(out)


_DATA_SET = frozenset(DATA_FIELDS)
_RECORD_SET = frozenset(RECORD_FIELDS)
_SCHEMA_SET = frozenset(_SCHEMA_FIELDS)
_CHOICE_SET = frozenset(("schema_id", "schema_version", "schema"))


def _check_data(d: Any) -> dict[str, Any]:
    """Bind a key/value object and apply ProduceRequestData.Builder.build's checkState rules."""
    if type(d) is not dict:
        expect(d, dict, "key/value", _DATA)
    keys = d.keys()
    if keys - _DATA_SET:
        check_fields(d, DATA_FIELDS, _DATA)
    if None in d.values():  # null fields count as absent
        d = {k: v for k, v in d.items() if v is not None or k == "data"}
        keys = d.keys()
    kind = d.get("type")
    if kind is not None and (not isinstance(kind, str) or kind not in _TYPES):
        raise MalformedBody(
            f'Cannot deserialize value of type `io.confluent.kafkarest.entities.EmbeddedFormat` from String '
            f'"{kind}": not one of the values accepted for Enum class: [{", ".join(_TYPES)}]')
    given = keys & _SCHEMA_SET
    if not given:
        if kind in _SCHEMA_TYPES:
            raise BadRequest("'schema_version=latest' cannot be used with 'serializer'.")
        return d
    for name in ("subject", "schema"):
        if name in given:
            expect(d[name], str, name, "java.lang.String")
    for name in ("schema_id", "schema_version"):
        if name in given:
            expect(d[name], int, name, "java.lang.Integer")
    strategy = d.get("subject_name_strategy")
    if strategy is not None and (not isinstance(strategy, str) or strategy not in V3_STRATEGIES):
        raise MalformedBody(f'Cannot deserialize value of type `EnumSubjectNameStrategy` from String "{strategy}"')
    if "subject" in given and strategy is not None:
        raise BadRequest("Only one of 'subject' or 'subject_name_strategy' may be set.")
    if len(given & _CHOICE_SET) > 1:
        raise BadRequest("Only one of 'schema_id', 'schema_version' or 'schema' may be set.")
    if kind in _SCHEMALESS:
        first = next(n for n in _SCHEMA_FIELDS if n in given)
        raise BadRequest(f"'type={kind}' cannot be used with '{first}'.")
    if kind in _SCHEMA_TYPES:
        if "schema_id" in given:
            raise BadRequest(f"'schema_id={d['schema_id']}' cannot be used with 'serializer'.")
        if "schema_version" in given:
            raise BadRequest(f"'schema_version={d['schema_version']}' cannot be used with 'serializer'.")
        if "schema" not in given:
            raise BadRequest("'schema_version=latest' cannot be used with 'serializer'.")
    return d


async def _side(gw: Gateway, topic: str, side: str, d: dict[str, Any],
                memo: dict[tuple, Resolved | GatewayError] | None) -> tuple[bytes | None, dict[str, Any]]:
    """Encode one side; returns its bytes and its description for the success line.

    `memo` remembers resolutions for the records of one chunk, so a bulk body resolves its
    schema (even "latest") once, not once per record.
    """
    kind, data = d.get("type"), d.get("data")
    if kind in _SCHEMALESS:
        encoded = None if data is None else _encode(_SCHEMALESS[kind], data, side)
        return encoded, {"type": kind, "size": -1 if encoded is None else len(encoded)}
    key = (side, kind, d.get("subject"), d.get("subject_name_strategy"), d.get("schema_id"),
           d.get("schema_version"), d.get("schema"))
    resolved = memo.get(key) if memo is not None else None
    if resolved is None:
        try:
            resolved = await _resolve(gw, topic, side, d, kind)
        except GatewayError as exc:  # one registry failure (or timeout) per chunk, not one per record
            resolved = exc
        if memo is not None:
            memo[key] = resolved
    if isinstance(resolved, GatewayError):
        raise resolved
    encoded = None if data is None else _encode(resolved.codec.encode, data, side)
    return encoded, {"type": V3_TYPE_OF_SCHEMA[resolved.schema_type], "subject": resolved.subject,
                     "schema_id": resolved.schema_id, "schema_version": resolved.version,
                     "size": -1 if encoded is None else len(encoded)}


async def _resolve(gw: Gateway, topic: str, side: str, d: dict[str, Any], kind: str | None) -> Resolved:
    strategy = V3_STRATEGIES.get(d.get("subject_name_strategy") or "")
    subject = d.get("subject")
    if kind in _SCHEMA_TYPES:
        schema_type = TYPE_OF_FORMAT[kind.lower()]
        return await gw.resolver.by_text(topic, side, schema_type, d["schema"], subject=subject, strategy=strategy)
    if d.get("schema_id") is not None:
        return await gw.resolver.by_id(topic, side, d["schema_id"], subject=subject, strategy=strategy)
    return await gw.resolver.by_version(topic, side, d.get("schema_version"), subject=subject, strategy=strategy)


def _encode(enc: Any, data: Any, side: str) -> bytes:
    try:
        return enc(data)
    except FormatError as exc:
        where = exc.where()
        sep = "" if not where or where.startswith("[") else "."
        raise BadRequest(f"{exc.message} ({side}{sep}{where})") from None


def bind(obj: Any, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Check one record object's shape (Jackson's 400s); `extra` admits the batch entry's `id`."""
    if type(obj) is not dict:
        expect(obj, dict, "", _RECORD)
    if obj.keys() - _RECORD_SET:
        check_fields(obj, RECORD_FIELDS + extra, _RECORD)
    return obj


async def prepare(gw: Gateway, topic: str, obj: dict[str, Any], memo: dict[tuple, Resolved | GatewayError] | None = None) -> Prepared:
    """Resolve, validate and encode one bound record (a partition past the end is the log's to refuse)."""
    p = obj.get("partition_id")
    if p is not None:
        expect(p, int, "partition_id", "java.lang.Integer")
        if p < 0:
            raise PartitionNotFound()
    headers = _headers(obj["headers"]) if obj.get("headers") is not None else ()
    ts = _timestamp(obj["timestamp"]) if obj.get("timestamp") is not None else int(time.time() * 1000)
    key = value = None
    kb = vb = None
    if obj.get("key") is not None:
        kb, key = await _side(gw, topic, "key", _check_data(obj["key"]), memo)
    if obj.get("value") is not None:
        vb, value = await _side(gw, topic, "value", _check_data(obj["value"]), memo)
    return Prepared(make_record(kb, vb, p, headers, ts), key, value, ts)


def success(cluster_id: str, topic: str, prep: Prepared, partition: int | None, offset: int | None,
            iso: Any = iso_millis) -> dict[str, Any]:
    line: dict[str, Any] = {"error_code": 200, "cluster_id": cluster_id, "topic_name": topic,
                            "partition_id": partition, "offset": offset, "timestamp": iso(prep.timestamp)}
    if prep.key is not None:
        line["key"] = prep.key
    if prep.value is not None:
        line["value"] = prep.value
    return line

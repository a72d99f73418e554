"""v2 produce: `POST /topics/{topic}` and `POST /topics/{topic}/partitions/{partition}`.

All or nothing: the body is bound, schemas resolved, every record validated
and encoded before anything is appended; one bad record fails the request with
a message naming its index and field path (spec §2.4). Per-record log failures
come back inside a 200, as Confluent does (spec §2.5/2.6).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import (
    BadRequest,
    KeySchemaMissing,
    PartitionNotFound,
    PayloadTooLarge,
    SerializingFailed,
    Unprocessable,
    ValueSchemaMissing,
)
from gateway.formats import TYPE_OF_FORMAT, FormatError
from gateway.formats import binary as binary_format
from gateway.formats import json as json_format
from gateway.http import check_fields, expect, json_response, parse_json, produce_format, read_body, v2_response_type
from gateway.log.base import Record
from gateway.schemas import Resolved
from gateway.state import Gateway

REQUEST_FIELDS = ("key_schema", "key_schema_id", "value_schema", "value_schema_id", "records")
RECORD_FIELDS = ("key", "value", "partition")
_REQUEST = "io.confluent.kafkarest.entities.v2.ProduceRequest"
_RECORD = "io.confluent.kafkarest.entities.v2.ProduceRequest$ProduceRecord"
_SCHEMALESS = {"binary": binary_format.encode, "json": json_format.encode}


def _plain_record(key: bytes | None, value: bytes | None, partition: int | None,
                  headers: tuple = (), timestamp: int | None = None) -> Record:
    """Record(...) without the frozen dataclass's per-field __setattr__ (a third of the cost); same object."""
    r = _new(Record)
    r.__dict__.update(key=key, value=value, headers=headers, timestamp=timestamp, partition=partition)
    return r


def _checked_record(key: bytes | None, value: bytes | None, partition: int | None,
                    headers: tuple = (), timestamp: int | None = None) -> Record:
    return Record(key, value, headers, timestamp, partition)


_new = object.__new__
# the fast path relies on Record keeping a __dict__; fall back if it ever gets slots
make_record = _checked_record if hasattr(Record, "__slots__") else _plain_record


def bind(body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check the body's shape as Jackson binds ProduceRequest: unknown fields and wrong types are 400."""
    if not isinstance(body, dict):
        expect(body, dict, "", _REQUEST)
    check_fields(body, REQUEST_FIELDS, _REQUEST)
    for name in ("key_schema", "value_schema"):
        if body.get(name) is not None:
            expect(body[name], str, name, "java.lang.String")
    for name in ("key_schema_id", "value_schema_id"):
        if body.get(name) is not None:
            expect(body[name], int, name, "java.lang.Integer")
    records = body.get("records")
    if records is not None:
        expect(records, list, "records", "java.util.List<ProduceRecord>")
    if not records:
        raise Unprocessable("records must not be empty")
    for rec in records:
        if not isinstance(rec, dict):
            expect(rec, dict, "records", _RECORD)
        check_fields(rec, RECORD_FIELDS, _RECORD)
        if rec.get("partition") is not None:
            expect(rec["partition"], int, "partition", "java.lang.Integer")
    return body, records


async def _resolve(gw: Gateway, fmt: str, topic: str, side: str, body: dict[str, Any],
                   records: list[dict[str, Any]]) -> Resolved | None:
    """The side's schema (spec §2.3), None when that side has no schema and only null data."""
    schema_id, text = body.get(f"{side}_schema_id"), body.get(f"{side}_schema")
    if schema_id is not None and text is not None:
        raise BadRequest(f"Unsupported argument: {side}_schema and {side}_schema_id cannot be used together.")
    if schema_id is not None:
        resolved = await gw.resolver.by_id(topic, side, schema_id)
        if resolved.schema_type != TYPE_OF_FORMAT[fmt]:
            raise SerializingFailed(f"Schema {schema_id} is a {resolved.schema_type} schema, but the request's "
                                    f"embedded format is {fmt}.")
        return resolved
    if text is not None:
        return await gw.resolver.by_text(topic, side, TYPE_OF_FORMAT[fmt], text)
    if any(r.get(side) is not None for r in records):
        raise KeySchemaMissing() if side == "key" else ValueSchemaMissing()
    return None


def _located(exc: FormatError, index: int, side: str) -> BadRequest:
    where = exc.where()
    sep = "" if not where or where.startswith("[") else "."
    return BadRequest(f"{exc.message} (records[{index}].{side}{sep}{where})")


def encode_records(fmt: str, records: list[dict[str, Any]], key: Resolved | None, value: Resolved | None,
                   path_partition: int | None) -> list[Record]:
    """Every record encoded, or the first failure with its index and field path."""
    if fmt in _SCHEMALESS:
        enc_key = enc_value = _SCHEMALESS[fmt]
    else:
        enc_key = key.codec.encode if key is not None else None
        enc_value = value.codec.encode if value is not None else None
    out: list[Record] = []
    append = out.append
    new_record = make_record
    for i, rec in enumerate(records):
        k, v = rec.get("key"), rec.get("value")
        try:
            kb = None if k is None else enc_key(k)  # type: ignore[misc]
        except FormatError as exc:
            raise _located(exc, i, "key") from None
        try:
            vb = None if v is None else enc_value(v)  # type: ignore[misc]
        except FormatError as exc:
            raise _located(exc, i, "value") from None
        p = rec.get("partition")
        if p is None:
            p = path_partition
        elif p < 0:
            raise PartitionNotFound()
        append(new_record(kb, vb, p))
    return out


async def produce(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    fmt = produce_format(request.headers.get("content-type"))
    media = v2_response_type(request.headers.get("accept"))
    topic = request.path_params["topic"]
    partition = request.path_params.get("partition")
    body, records = bind(parse_json(await read_body(request, gw.max_body)))
    if len(records) > gw.max_records:
        raise PayloadTooLarge(f"Request has {len(records)} records; the limit is {gw.max_records}.")
    key = value = None
    if fmt not in _SCHEMALESS:
        key = await _resolve(gw, fmt, topic, "key", body, records)
        value = await _resolve(gw, fmt, topic, "value", body, records)
    encoded = encode_records(fmt, records, key, value, partition)
    appended = await gw.log.append(topic, encoded)
    # orjson writes each Appended dataclass as {"partition","offset","error_code","error"}, in C
    codes = {a.error_code for a in appended}
    status = 401 if 40101 in codes else 403 if 40301 in codes else 200
    return json_response({
        "key_schema_id": key.schema_id if key is not None else None,
        "value_schema_id": value.schema_id if value is not None else None,
        "offsets": appended,
    }, status, media)


__all__ = ["produce", "bind", "encode_records", "make_record"]

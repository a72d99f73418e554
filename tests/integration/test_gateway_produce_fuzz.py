"""Fuzzing produce bodies over real HTTP: whatever arrives, the gateway answers without a 5xx.

Bodies are arbitrary JSON, arbitrary bytes, and valid requests with one part replaced by
arbitrary JSON, against v2 (every format), the v3 stream and records:batch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_gateway_produce import USER, start_gateway

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS_V2 = ["key_schema", "key_schema_id", "value_schema", "value_schema_id", "records"]
RECORD_V2 = ["key", "value", "partition"]
DATA_V3 = ["type", "subject", "subject_name_strategy", "schema_id", "schema_version", "schema", "data"]
RECORD_V3 = ["partition_id", "headers", "key", "value", "timestamp"]


def valid_v2(fmt: str) -> dict[str, Any]:
    if fmt == "binary":
        return {"records": [{"key": "aw==", "value": "dg==", "partition": 0}]}
    if fmt == "json":
        return {"records": [{"key": "k", "value": {"a": 1}}]}
    if fmt == "avro":
        return {"value_schema": USER, "records": [{"value": {"id": 1, "name": "A"}}]}
    if fmt == "jsonschema":
        return {"value_schema": '{"type":"object"}', "records": [{"value": {"a": 1}}]}
    return {"value_schema": 'syntax = "proto3"; message M { int64 id = 1; }', "records": [{"value": {"id": "1"}}]}


@st.composite
def v2_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(["binary", "json", "avro", "jsonschema", "protobuf"]))
    how = draw(st.sampled_from(["json", "bytes", "field", "record"]))
    if how == "json":
        return fmt, json.dumps(draw(json_values)).encode()
    if how == "bytes":
        return fmt, draw(st.binary(max_size=60))
    body = valid_v2(fmt)
    if how == "field":
        body[draw(st.sampled_from(FIELDS_V2 + ["extra"]))] = draw(json_values)
    else:
        body["records"][0][draw(st.sampled_from(RECORD_V2 + ["extra"]))] = draw(json_values)
    return fmt, json.dumps(body).encode()


@st.composite
def v3_bodies(draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["json", "bytes", "record", "data", "stream"]))
    if how == "json":
        return json.dumps(draw(json_values)).encode()
    if how == "bytes":
        return draw(st.binary(max_size=60))
    record: dict[str, Any] = {"value": {"type": "AVRO", "schema": USER, "data": {"id": 1, "name": "A"}}}
    if how == "record":
        record[draw(st.sampled_from(RECORD_V3 + ["extra"]))] = draw(json_values)
    elif how == "data":
        record["value"][draw(st.sampled_from(DATA_V3 + ["extra"]))] = draw(json_values)
    else:
        parts = [json.dumps(record), json.dumps(draw(json_values)), draw(st.text(max_size=10))]
        return "".join(draw(st.permutations(parts))).encode()
    return json.dumps(record).encode()


def _http_status(error_code: int) -> int:
    """Confluent's error codes are an HTTP status or a 5-digit code led by one (40402 is a 404)."""
    return error_code // 100 if error_code >= 10000 else error_code


def _check(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text)
    if r.status_code in (200, 207) and r.headers["content-type"] == "application/json" and b"\r\n" in r.content:
        for line in r.content.split(b"\r\n"):
            if line:
                assert _http_status(json.loads(line)["error_code"]) < 500, line
    else:
        body = r.json()
        if r.status_code >= 400:
            assert set(body) == {"error_code", "message"}


def test_no_5xx_for_any_produce_body(tmp_path: Path, registry_url: str) -> None:
    server, _ = start_gateway(tmp_path, registry_url, default_partitions=2)
    with server, httpx.Client(base_url=server.url, timeout=30) as http:

        @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
        @given(v2=v2_bodies(), v3=v3_bodies(), batch=json_values)
        def fuzz(v2: tuple[str, bytes], v3: bytes, batch: Any) -> None:
            fmt, body = v2
            _check(http.post("/topics/fuzz", content=body,
                             headers={"content-type": f"application/vnd.kafka.{fmt}.v2+json"}))
            _check(http.post("/topics/fuzz/partitions/1", content=body,
                             headers={"content-type": f"application/vnd.kafka.{fmt}.v2+json"}))
            _check(http.post("/v3/clusters/c/topics/fuzz/records", content=v3,
                             headers={"content-type": "application/json"}))
            _check(http.post("/v3/clusters/c/topics/fuzz/records:batch", json={"entries": batch}))
            _check(http.post("/v3/clusters/c/topics/fuzz/records:batch", json=batch))

        fuzz()

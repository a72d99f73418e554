"""Gateway v3 produce over real HTTP on the embedded log: the record stream, records:batch, clusters."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry import SchemaRegistryClient as CkClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as CkAvroDe
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.test_gateway_produce import USER, Gateway, ck, gw, read_back, start_gateway  # noqa: F401

CLUSTER = "schemawire"
RECORDS = f"/v3/clusters/{CLUSTER}/topics/{{}}/records"


def post_stream(g: Gateway, topic: str, body: bytes | str, **headers: str) -> tuple[int, list[dict[str, Any]]]:
    content = body.encode() if isinstance(body, str) else body
    r = g.http.post(RECORDS.format(topic), content=content,
                    headers={"content-type": "application/json", **headers})
    if r.status_code != 200:
        return r.status_code, [r.json()]
    assert r.headers["content-type"] == "application/json"
    assert r.content.endswith(b"\r\n")
    return 200, [json.loads(line) for line in r.content.split(b"\r\n") if line]


def test_stream_answers_one_line_per_record_in_order(gw: Gateway, ck: CkClient) -> None:  # noqa: F811
    sid = ck.register_schema("s-value", Schema(USER, "AVRO"))
    body = (
        '{"value": {"type": "JSON", "data": {"a": 1}}}'
        '{"key": {"type": "STRING", "data": "k"}, "value": {"data": {"id": 1, "name": "latest"}},'
        ' "timestamp": "2021-02-05T19:14:42.134Z", "headers": [{"name": "h", "value": "aGk="}, {"name": "n"}]}\n'
        '{"value": {"data": {"id": 2, "name": 5}}}  '
        '{"partition_id": -1, "value": {"type": "BINARY", "data": "eA=="}}'
        '{"value": {"schema_id": %d, "data": {"id": 3, "name": "by id"}}}'
        '{"value": {"type": "AVRO", "schema_id": %d, "data": {}}}'
        '{"value": {"schema_version": 1, "data": {"id": 4, "name": "v1"}}}'
        '{}'
        '{"nope": 1}'
    ) % (sid, sid)
    status, lines = post_stream(gw, "s", body)
    assert status == 200
    assert len(lines) == 9
    codes = [x["error_code"] for x in lines]
    assert codes == [200, 200, 400, 40402, 200, 400, 200, 200, 400]
    assert lines[0] == {"error_code": 200, "cluster_id": CLUSTER, "topic_name": "s", "partition_id": 0,
                        "offset": 0, "timestamp": lines[0]["timestamp"], "value": {"type": "JSON", "size": 7}}
    avro = {"type": "AVRO", "subject": "s-value", "schema_id": sid, "schema_version": 1}
    assert lines[1] == {"error_code": 200, "cluster_id": CLUSTER, "topic_name": "s", "partition_id": 0, "offset": 1,
                        "timestamp": "2021-02-05T19:14:42.134Z", "key": {"type": "STRING", "size": 1},
                        "value": {**avro, "size": 15}}
    assert lines[2] == {"error_code": 400, "message": "Bad Request: Expected string. Got VALUE_NUMBER_INT (value.name)"}
    assert lines[3] == {"error_code": 40402, "message": "Partition not found."}
    assert lines[4]["offset"] == 2 and lines[4]["value"]["schema_id"] == sid
    assert lines[5] == {"error_code": 400, "message": f"Bad Request: 'schema_id={sid}' cannot be used with 'serializer'."}
    assert lines[6]["offset"] == 3
    assert lines[7] == {"error_code": 200, "cluster_id": CLUSTER, "topic_name": "s", "partition_id": 0, "offset": 4,
                        "timestamp": lines[7]["timestamp"]}
    assert lines[8]["message"].startswith('Unrecognized field "nope" (class '
                                          "io.confluent.kafkarest.entities.v3.AutoValue_ProduceRequest$Builder)")
    records = read_back(gw.log_path, "s")
    assert [r.offset for r in records] == [0, 1, 2, 3, 4]
    assert records[0].value == b'{"a":1}'
    assert records[1].key == b"k" and records[1].timestamp == 1612552482134
    assert records[1].headers == (("h", b"hi"), ("n", None))
    de = CkAvroDe(CkClient({"url": gw.registry_url}))
    ctx = SerializationContext("s", MessageField.VALUE)
    assert [de(r.value, ctx)["name"] for r in records[1:4]] == ["latest", "by id", "v1"]
    assert records[4].key is None and records[4].value is None


def test_inline_schema_types_and_strategies(gw: Gateway, ck: CkClient) -> None:  # noqa: F811
    body = json.dumps({"value": {"type": "AVRO", "schema": USER, "subject_name_strategy": "RECORD_NAME",
                                 "data": {"id": 1, "name": "x"}}})
    body += json.dumps({"value": {"type": "AVRO", "schema": USER, "subject_name_strategy": "TOPIC_RECORD_NAME",
                                  "data": {"id": 2, "name": "y"}}})
    body += json.dumps({"value": {"type": "JSONSCHEMA", "schema": '{"type":"object"}', "subject": "custom",
                                  "data": {"z": 1}}})
    body += json.dumps({"value": {"subject_name_strategy": "RECORD_NAME", "data": {"id": 2, "name": "y"}}})
    body += json.dumps({"value": {"type": "BINARY", "subject": "x", "data": "eA=="}})
    status, lines = post_stream(gw, "strat", body)
    assert [x.get("value", {}).get("subject") for x in lines[:3]] == [
        "com.example.User", "strat-com.example.User", "custom"]
    assert lines[2]["value"]["type"] == "JSONSCHEMA"
    assert lines[3] == {"error_code": 400, "message": "Bad Request: Cannot use schema_subject_strategy=RECORD_NAME "
                                                      "without schema_id or schema."}
    assert lines[4] == {"error_code": 400, "message": "Bad Request: 'type=BINARY' cannot be used with 'subject'."}
    assert set(ck.get_subjects()) == {"com.example.User", "strat-com.example.User", "custom"}


def test_latest_of_a_missing_subject_is_a_42207_line(gw: Gateway) -> None:  # noqa: F811
    status, lines = post_stream(gw, "nosub", '{"value": {"data": 1}}')
    assert status == 200
    assert lines[0]["error_code"] == 422
    assert lines[0]["message"].startswith("Error: 42207 : Error serializing message. Error when fetching latest "
                                          "schema version. subject = nosub-value")
    assert "\n" not in lines[0]["message"]
    assert read_back(gw.log_path, "nosub") == []


def test_malformed_json_closes_the_stream_after_earlier_records(gw: Gateway) -> None:  # noqa: F811
    status, lines = post_stream(gw, "mal", '{"value": {"type": "STRING", "data": "a"}} {"value": ')
    assert [x["error_code"] for x in lines] == [200, 400]
    assert lines[1]["message"].startswith("Unexpected character in JSON: ")
    status, lines = post_stream(gw, "mal", '{"value": {"type": "STRING", "data": "b"}} ]{"value": {}}')
    assert [x["error_code"] for x in lines] == [200, 400]
    assert [r.value for r in read_back(gw.log_path, "mal")] == [b"a", b"b"]


def test_empty_body_media_types_and_unknown_cluster(gw: Gateway) -> None:  # noqa: F811
    assert post_stream(gw, "e", "  ") == (422, [{"error_code": 422, "message":
                                                "Payload error. Request body is empty. Data is required."}])
    assert post_stream(gw, "e", "{}", **{"content-type": "text/plain"}) == (
        415, [{"error_code": 415, "message": "HTTP 415 Unsupported Media Type"}])
    status, lines = post_stream(gw, "e", "{}", **{"content-type": "application/json; charset=utf-8"})
    assert status == 200 and lines[0]["error_code"] == 200
    assert post_stream(gw, "e", "{}", accept="text/html")[0] == 406
    r = gw.http.get("/v3/clusters/other")
    assert (r.status_code, r.json()) == (404, {"error_code": 404, "message": "Cluster other cannot be found."})
    assert r.headers["content-type"] == "application/json"
    listing = gw.http.get("/v3/clusters").json()
    assert listing["kind"] == "KafkaClusterList"
    [cluster] = listing["data"]
    assert cluster["cluster_id"] == CLUSTER
    assert cluster["metadata"] == {"self": f"{gw.url}/v3/clusters/{CLUSTER}", "resource_name": f"crn:///kafka={CLUSTER}"}
    assert cluster["topics"] == {"related": f"{gw.url}/v3/clusters/{CLUSTER}/topics"}
    assert gw.http.get(f"/v3/clusters/{CLUSTER}").json() == cluster


def test_interactive_stream_gets_each_answer_before_sending_the_next(gw: Gateway) -> None:  # noqa: F811
    host, port = gw.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST {RECORDS.format('live')} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        reader = sock.makefile("rb")

        def send(data: bytes) -> None:
            sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        def read_line() -> dict[str, Any]:
            size = int(reader.readline().strip(), 16)  # one chunk per line
            chunk = reader.read(size)
            reader.readline()
            return json.loads(chunk)

        send(b'{"value": {"type": "STRING", "data": "one"}}')
        status = reader.readline()
        assert status.startswith(b"HTTP/1.1 200")
        while reader.readline() not in (b"\r\n", b""):
            pass
        assert read_line()["offset"] == 0
        send(b'{"value": {"type": "STRING", "data": "two"}}')
        assert read_line()["offset"] == 1
        send(b'{"value": {"type": "BINARY", "data": 5}}')
        assert read_line() == {"error_code": 400, "message": "Bad Request: data=5 is not a base64 string. (value)"}
        sock.sendall(b"0\r\n\r\n")
    assert [r.value for r in read_back(gw.log_path, "live")] == [b"one", b"two"]


def test_records_batch(gw: Gateway) -> None:  # noqa: F811
    url = RECORDS.format("batch") + ":batch"
    r = gw.http.post(url, json={"entries": [
        {"id": "1", "value": {"type": "STRING", "data": "a"}},
        {"id": "2", "value": {"type": "BINARY", "data": "%%%"}},
        {"id": "3", "partition_id": 0, "value": {"type": "JSON", "data": [1]}},
    ]})
    assert r.status_code == 207
    body = r.json()
    assert [s["id"] for s in body["successes"]] == ["1", "3"]
    assert body["successes"][0] == {"id": "1", "cluster_id": CLUSTER, "topic_name": "batch", "partition_id": 0,
                                    "offset": 0, "timestamp": body["successes"][0]["timestamp"],
                                    "value": {"type": "STRING", "size": 1}}
    assert body["failures"] == [{"id": "2", "error_code": 400,
                                 "message": 'Bad Request: data="%%%" is not a valid base64 string. (value)'}]
    for entries, message in (
        ([], "Empty batch."),
        ([{"id": str(i)} for i in range(11)], "Too many entries in batch."),
        ([{"id": "a"}, {"id": "a"}], "Batch entry IDs are not distinct."),
        ([{"id": ""}], "Batch entry identifier is not a valid string."),
        ([{"id": 5}], "Batch entry identifier is not a valid string."),
    ):
        r = gw.http.post(url, json={"entries": entries})
        assert (r.status_code, r.json()) == (422, {"error_code": 42208, "message": message})
    r = gw.http.post(url, content=b"", headers={"content-type": "application/json"})
    assert r.json() == {"error_code": 42208, "message": "Request body is empty. Data is required."}
    assert [r.value for r in read_back(gw.log_path, "batch")] == [b"a", b"[1]"]


def test_per_client_rate_limit_is_a_429_line_and_not_produced(tmp_path: Path, registry_url: str) -> None:
    server, log_path = start_gateway(tmp_path, registry_url, rate_limit=3)
    with server, httpx.Client(base_url=server.url) as http:
        body = "".join(json.dumps({"value": {"type": "STRING", "data": str(i)}}) for i in range(5))
        r = http.post(RECORDS.format("rl"), content=body, headers={"content-type": "application/json"})
        lines = [json.loads(x) for x in r.content.split(b"\r\n") if x]
        assert [x["error_code"] for x in lines] == [200, 200, 200, 429, 429]
        assert lines[3] == {"error_code": 429, "message": "Request rate limit exceeded: The rate limit of "
                                                          "requests per second has been exceeded."}
    assert [r.value for r in read_back(log_path, "rl")] == [b"0", b"1", b"2"]


def test_stream_record_limit(tmp_path: Path, registry_url: str) -> None:
    server, log_path = start_gateway(tmp_path, registry_url, max_records=2)
    with server, httpx.Client(base_url=server.url) as http:
        body = "{}" * 4
        r = http.post(RECORDS.format("lim"), content=body, headers={"content-type": "application/json"})
        lines = [json.loads(x) for x in r.content.split(b"\r\n") if x]
        assert lines == [lines[0], lines[1], {"error_code": 413, "message":
                                              "Request has more than 2 records; the rest is not read."}]
    assert len(read_back(log_path, "lim")) == 2


def test_bad_headers_and_timestamps_are_400_lines(gw: Gateway) -> None:  # noqa: F811
    body = (json.dumps({"headers": [{"name": "h", "value": "!!"}]}) + json.dumps({"timestamp": "yesterday"})
            + json.dumps({"headers": [{"name": "h", "value": "aA==", "x": 1}]}) + json.dumps({"partition_id": "0"})
            + json.dumps({"value": {"type": "XML", "data": 1}}))
    status, lines = post_stream(gw, "hdr", body)
    assert [x["error_code"] for x in lines] == [400] * 5
    assert lines[1]["message"] == 'Cannot deserialize value of type `java.time.Instant` from String "yesterday"'
    assert read_back(gw.log_path, "hdr") == []


def test_headers_base64(gw: Gateway) -> None:  # noqa: F811
    payload = base64.b64encode(b"\x00\x01").decode()
    status, lines = post_stream(gw, "h2", json.dumps({"headers": [{"name": "a", "value": payload}],
                                                      "value": {"type": "STRING", "data": ""}}))
    assert lines[0]["value"] == {"type": "STRING", "size": 0}
    [rec] = read_back(gw.log_path, "h2")
    assert rec.headers == (("a", b"\x00\x01"),) and rec.value == b""


def test_partition_past_the_end_fails_alone_in_a_batch(gw: Gateway) -> None:  # noqa: F811
    body = ('{"value": {"type": "STRING", "data": "a"}}{"partition_id": 5, "value": {"type": "STRING", "data": "b"}}'
            '{"partition_id": 0, "value": {"type": "STRING", "data": "c"}}')
    status, lines = post_stream(gw, "past", body)
    assert [x["error_code"] for x in lines] == [200, 40402, 200]
    assert lines[1] == {"error_code": 40402, "message": "Partition not found."}
    assert [r.value for r in read_back(gw.log_path, "past")] == [b"a", b"c"]


def test_registry_unreachable_is_a_42207_line_per_record(tmp_path: Path) -> None:
    from tests.ports import refused_port

    with refused_port() as port:  # bound, never listening: refused, and no other server can take it
        server, log_path = start_gateway(tmp_path, f"http://127.0.0.1:{port}")
        with server, httpx.Client(base_url=server.url, timeout=30) as http:
            body = '{"value": {"schema_id": 1, "data": 1}}' * 3 + '{"value": {"type": "STRING", "data": "ok"}}'
            r = http.post(RECORDS.format("down"), content=body, headers={"content-type": "application/json"})
            lines = [json.loads(x) for x in r.content.split(b"\r\n") if x]
            assert [x["error_code"] for x in lines] == [422, 422, 422, 200]
            assert lines[0]["message"] == ("Error: 42207 : Error serializing message. Error when fetching schema "
                                           "by id. schemaId = 1")
    assert [r.value for r in read_back(log_path, "down")] == [b"ok"]

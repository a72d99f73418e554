"""Gateway v2 consume over real HTTP on the embedded log: every format through a real registry,
group coordination (range assignment, rebalance on expiry, resume from committed offsets),
commit and resume, replay by offset and timestamp, retention, the wait rules and every error."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.consumers import configure
from gateway.log.embedded import EmbeddedLog
from serde.client import AsyncSchemaRegistryClient
from tests.conftest import ServerThread

V2_JSON = "application/vnd.kafka.v2+json"
FMT = "application/vnd.kafka.{}.v2+json"

USER = json.dumps({"type": "record", "name": "User", "namespace": "com.example", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
    {"name": "email", "type": ["null", "string"], "default": None},
    {"name": "score", "type": ["null", "int", "double"], "default": None},
    {"name": "raw", "type": "bytes", "default": ""},
    {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}]})
ORDER_JSON = json.dumps({"type": "object", "title": "Order", "properties": {
    "id": {"type": "integer"}, "amount": {"type": "number"}}, "required": ["id"]})
ORDER_PROTO = 'syntax = "proto3";\npackage shop;\n\nmessage Order {\n  int64 id = 1;\n  string note = 2;\n  repeated string tags = 3;\n}\n'


class Api:
    """A thin v2/v3 client over one gateway."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def produce(self, topic: str, fmt: str, body: dict[str, Any]) -> httpx.Response:
        r = self.http.post(f"/topics/{topic}", content=json.dumps(body), headers={"content-type": FMT.format(fmt)})
        assert r.status_code == 200, r.text
        assert all(o["error_code"] is None for o in r.json()["offsets"]), r.text
        return r

    def produce_v3(self, topic: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cid = self.http.get("/v3/clusters").json()["data"][0]["cluster_id"]
        r = self.http.post(f"/v3/clusters/{cid}/topics/{topic}/records",
                           content="".join(json.dumps(x) for x in records), headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text
        lines = [json.loads(x) for x in r.text.split("\r\n") if x.strip()]
        assert all(x["error_code"] == 200 for x in lines), lines
        return lines

    def v2(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        content = None if body is None else json.dumps(body)
        hdrs = {"content-type": V2_JSON, **headers} if content is not None else headers
        return self.http.request(method, path, content=content, headers=hdrs)

    def create(self, group: str, **cfg: Any) -> str:
        r = self.v2("POST", f"/consumers/{group}", cfg)
        assert r.status_code == 200, r.text
        return r.json()["instance_id"]

    def inst(self, group: str, name: str) -> str:
        return f"/consumers/{group}/instances/{name}"

    def subscribe(self, group: str, name: str, topics: list[str]) -> None:
        r = self.v2("POST", self.inst(group, name) + "/subscription", {"topics": topics})
        assert r.status_code == 204, r.text

    def assign(self, group: str, name: str, parts: list[tuple[str, int]]) -> None:
        r = self.v2("POST", self.inst(group, name) + "/assignments",
                    {"partitions": [{"topic": t, "partition": p} for t, p in parts]})
        assert r.status_code == 204, r.text

    def records(self, group: str, name: str, fmt: str = "binary", **params: Any) -> list[dict[str, Any]]:
        r = self.http.get(self.inst(group, name) + "/records", params=params, headers={"accept": FMT.format(fmt)})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == FMT.format(fmt)
        return r.json()

    def drain(self, group: str, name: str, fmt: str = "binary", want: int | None = None,
              limit: float = 30.0) -> list[dict[str, Any]]:
        """Read until `want` records came (or, without `want`, until a read comes back empty)."""
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            got = self.records(group, name, fmt, timeout=200)
            out += got
            if (want is None and not got) or (want is not None and len(out) >= want):
                break
        return out

    def assignments(self, group: str, name: str) -> list[tuple[str, int]]:
        r = self.v2("GET", self.inst(group, name) + "/assignments")
        assert r.status_code == 200, r.text
        return [(p["topic"], p["partition"]) for p in r.json()["partitions"]]


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def start(tmp_path: Path, registry_url: str, **settings: Any) -> ServerThread:
    log = EmbeddedLog(tmp_path / "log", default_partitions=1, retention_check_interval=0.2)
    app = create_app(log, AsyncSchemaRegistryClient(registry_url, max_retries=0), close_client=True,
                     advertised_url=settings.pop("advertised_url", None))
    sock = settings.pop("sock", None)
    configure(app, **settings)
    return ServerThread(app, sock)


@pytest.fixture
def api(tmp_path: Path, registry_url: str) -> Iterator[Api]:
    with start(tmp_path, registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Api(http)


def create_topic(api: Api, name: str, partitions: int, **configs: str) -> None:
    cid = api.http.get("/v3/clusters").json()["data"][0]["cluster_id"]
    r = api.http.post(f"/v3/clusters/{cid}/topics", json={
        "topic_name": name, "partitions_count": partitions,
        "configs": [{"name": k.replace("_", "."), "value": v} for k, v in configs.items()]})
    assert r.status_code == 201, r.text


# ---- formats --------------------------------------------------------------------------------------

def test_binary_and_json_round_trip_with_nulls_and_exact_record_shape(api: Api) -> None:
    api.produce("bin", "binary", {"records": [{"key": b64(b"k"), "value": b64(b"\x00\xff")},
                                              {"value": None}, {"key": b64(b""), "value": b64(b"")}]})
    api.produce("js", "json", {"records": [{"key": {"a": 1}, "value": [1, "x", None]}, {"value": "s"}]})
    b = api.create("g", format="binary", **{"auto.offset.reset": "earliest"})
    j = api.create("g", format="json", **{"auto.offset.reset": "earliest"})
    api.subscribe("g", b, ["bin"])
    api.assign("g", j, [("js", 0)])
    assert api.drain("g", b, want=3) == [
        {"topic": "bin", "key": "aw==", "value": "AP8=", "partition": 0, "offset": 0},
        {"topic": "bin", "key": None, "value": None, "partition": 0, "offset": 1},
        {"topic": "bin", "key": "", "value": "", "partition": 0, "offset": 2}]
    assert api.drain("g", j, "json", want=2) == [
        {"topic": "js", "key": {"a": 1}, "value": [1, "x", None], "partition": 0, "offset": 0},
        {"topic": "js", "key": None, "value": "s", "partition": 0, "offset": 1}]


def test_avro_jsonschema_protobuf_decode_through_the_registry(api: Api) -> None:
    users = [{"id": 1, "name": "ann", "email": {"string": "a@x"}, "score": {"int": 3}, "raw": "\u00ff\u0000",
              "tags": ["t"]},
             {"id": 2, "name": "bob", "email": None, "score": {"double": 2.5}, "raw": "", "tags": []}]
    api.produce("av", "avro", {"key_schema": '"string"', "value_schema": USER,
                               "records": [{"key": "u1", "value": users[0]}, {"key": "u2", "value": users[1]}]})
    api.produce("jss", "jsonschema", {"value_schema": ORDER_JSON,
                                      "records": [{"value": {"id": 7, "amount": 1.5}}]})
    api.produce("pb", "protobuf", {"value_schema": ORDER_PROTO,
                                   "records": [{"value": {"id": "9", "note": "n", "tags": ["a"]}},
                                               {"value": {}}]})
    for fmt, topic, want in (("avro", "av", 2), ("jsonschema", "jss", 1), ("protobuf", "pb", 2)):
        api.create("fmt", name=fmt, format=fmt, **{"auto.offset.reset": "earliest"})
        api.subscribe("fmt", fmt, [topic])
    got = api.drain("fmt", "avro", "avro", want=2)
    assert [(r["key"], r["value"]) for r in got] == [("u1", users[0]), ("u2", users[1])]
    got = api.drain("fmt", "jsonschema", "jsonschema", want=1)
    assert got == [{"topic": "jss", "key": None, "value": {"id": 7, "amount": 1.5}, "partition": 0, "offset": 0}]
    got = api.drain("fmt", "protobuf", "protobuf", want=2)
    assert [r["value"] for r in got] == [{"id": "9", "note": "n", "tags": ["a"]}, {"id": "0", "note": "", "tags": []}]


def test_a_record_that_cannot_be_decoded_is_408_and_nothing_is_consumed(api: Api) -> None:
    api.produce("bad", "binary", {"records": [{"value": b64(b"{not json")}]})
    name = api.create("g", format="json", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
    api.subscribe("g", name, ["bad"])
    for _ in range(2):  # the position stays at the bad record
        r = api.http.get(api.inst("g", name) + "/records", headers={"accept": FMT.format("json")})
        assert r.status_code == 408
        assert r.json()["error_code"] == 40801
        assert r.json()["message"].startswith("Error deserializing JSON message")
    avro = api.create("g2", format="avro", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
    api.subscribe("g2", avro, ["bad"])  # not framed at all
    r = api.http.get(api.inst("g2", avro) + "/records", headers={"accept": FMT.format("avro")})
    assert (r.status_code, r.json()) == (408, {"error_code": 40801,
                                               "message": "Error deserializing message: Unknown magic byte!"})


# ---- groups -----------------------------------------------------------------------------------------

def test_two_instances_share_four_partitions_then_one_expires_and_the_other_continues(
        tmp_path: Path, registry_url: str) -> None:
    # The timeout must outlast every pause in the set-up below (b is idle while a drains, and a while
    # b does), however slow the machine; only then is b left alone to expire.
    with start(tmp_path, registry_url, instance_timeout_ms=4000) as server, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        api = Api(http)
        create_topic(api, "four", 4)
        a = api.create("grp", name="a", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false"})
        b = api.create("grp", name="b", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false"})
        api.subscribe("grp", a, ["four"])
        api.subscribe("grp", b, ["four"])
        assert api.assignments("grp", a) == [("four", 0), ("four", 1)]
        assert api.assignments("grp", b) == [("four", 2), ("four", 3)]
        for p in range(4):
            r = api.v2("POST", f"/topics/four/partitions/{p}",
                       {"records": [{"value": b64(f"{p}-{i}".encode())} for i in range(5)]},
                       **{"content-type": FMT.format("binary")})
            assert r.status_code == 200
        got_a = api.drain("grp", a, want=10)
        got_b = api.drain("grp", b, want=10)
        seen = [(r["partition"], r["offset"]) for r in got_a + got_b]
        assert sorted(seen) == [(p, o) for p in range(4) for o in range(5)]  # each record exactly once
        assert {r["partition"] for r in got_a} == {0, 1} and {r["partition"] for r in got_b} == {2, 3}
        for name in (a, b):
            assert api.v2("POST", api.inst("grp", name) + "/offsets").status_code == 200  # commit positions
        # b goes idle and expires; a stays alive by asking, and is given all four partitions
        deadline = time.monotonic() + 30
        while api.assignments("grp", a) != [("four", p) for p in range(4)]:
            assert time.monotonic() < deadline, "b never expired"
            time.sleep(0.2)
        r = api.v2("GET", api.inst("grp", b) + "/assignments")
        assert (r.status_code, r.json()) == (404, {"error_code": 40403, "message": "Consumer instance not found."})
        for p in range(4):
            api.v2("POST", f"/topics/four/partitions/{p}", {"records": [{"value": b64(b"new")}]},
                   **{"content-type": FMT.format("binary")})
        got = api.drain("grp", a, want=4)
        assert sorted((r["partition"], r["offset"]) for r in got) == [(p, 5) for p in range(4)]


def test_commit_offset_plus_one_and_resume_in_a_new_instance(api: Api) -> None:
    api.produce("c", "binary", {"records": [{"value": b64(bytes([i]))} for i in range(6)]})
    a = api.create("cg", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false"})
    api.subscribe("cg", a, ["c"])
    got = api.drain("cg", a, want=6)
    assert [r["offset"] for r in got] == list(range(6))
    r = api.v2("POST", api.inst("cg", a) + "/offsets", {"offsets": [{"topic": "c", "partition": 0, "offset": 2}]})
    assert (r.status_code, r.json()) == (200, [])
    r = api.v2("GET", api.inst("cg", a) + "/offsets", {"partitions": [{"topic": "c", "partition": 0}]})
    assert r.json() == {"offsets": [{"topic": "c", "partition": 0, "offset": 3, "metadata": ""}]}
    assert api.v2("DELETE", api.inst("cg", a)).status_code == 204
    b = api.create("cg", **{"auto.offset.reset": "earliest"})
    api.subscribe("cg", b, ["c"])
    assert [r["offset"] for r in api.drain("cg", b, want=3)] == [3, 4, 5]
    # auto-commit (the default) commits what was returned, at the next fetch and on delete
    assert api.v2("DELETE", api.inst("cg", b)).status_code == 204
    c = api.create("cg", **{"auto.offset.reset": "earliest"})
    r = api.v2("GET", api.inst("cg", c) + "/offsets", {"partitions": [{"topic": "c", "partition": 0}]})
    assert r.json()["offsets"][0]["offset"] == 6


def test_replay_by_offset_timestamp_beginning_and_end(api: Api) -> None:
    t0 = (int(time.time()) - 60) * 1000  # recent: the default 7-day retention keeps them
    api.produce_v3("rp", [{"value": {"type": "JSON", "data": i},
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((t0 + i * 1000) / 1000))
                           + ".000Z"} for i in range(10)])
    name = api.create("rg", format="json", **{"auto.offset.reset": "latest", "fetch.min.bytes": 1})
    api.assign("rg", name, [("rp", 0)])
    assert api.records("rg", name, "json", timeout=100) == []  # latest: nothing old
    r = api.v2("POST", api.inst("rg", name) + "/positions", {"offsets": [{"topic": "rp", "partition": 0, "offset": 7}]})
    assert r.status_code == 204
    assert [x["value"] for x in api.drain("rg", name, "json", want=3)] == [7, 8, 9]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((t0 + 4500) / 1000)) + ".500Z"
    r = api.v2("POST", api.inst("rg", name) + "/positions",
               {"timestamps": [{"topic": "rp", "partition": 0, "timestamp": stamp}]})
    assert r.status_code == 204
    assert [x["value"] for x in api.drain("rg", name, "json", want=5)] == [5, 6, 7, 8, 9]
    r = api.v2("POST", api.inst("rg", name) + "/positions/beginning", {"partitions": [{"topic": "rp", "partition": 0}]})
    assert r.status_code == 204
    assert [x["value"] for x in api.drain("rg", name, "json", want=10)] == list(range(10))
    api.v2("POST", api.inst("rg", name) + "/positions/beginning", {"partitions": [{"topic": "rp", "partition": 0}]})
    r = api.v2("POST", api.inst("rg", name) + "/positions/end", {"partitions": [{"topic": "rp", "partition": 0}]})
    assert r.status_code == 204
    assert api.records("rg", name, "json", timeout=50) == []  # the seek is lazy: evaluated by this fetch
    api.produce("rp", "json", {"records": [{"value": "after"}]})
    assert [x["value"] for x in api.drain("rg", name, "json", want=1)] == ["after"]


def test_retention_deletes_old_records_and_consumers_reset_past_them(api: Api) -> None:
    create_topic(api, "ret", 1, retention_ms="60000")
    old = "2020-01-01T00:00:00.000Z"
    api.produce_v3("ret", [{"value": {"type": "JSON", "data": i}, "timestamp": old} for i in range(5)])
    early = api.create("rt", format="json", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
    late = api.create("rt2", format="json", **{"auto.offset.reset": "latest", "fetch.min.bytes": 1})
    for g, n in (("rt", early), ("rt2", late)):
        api.assign(g, n, [("ret", 0)])
        api.v2("POST", api.inst(g, n) + "/positions", {"offsets": [{"topic": "ret", "partition": 0, "offset": 1}]})
    deadline = time.monotonic() + 30
    while api.http.get("/topics/ret/partitions/0/offsets").json()["beginning_offset"] != 5:
        assert time.monotonic() < deadline, "retention never ran"
        time.sleep(0.1)
    api.produce("ret", "json", {"records": [{"value": "fresh"}]})  # offsets are never reused
    assert api.http.get("/topics/ret/partitions/0/offsets").json() == {"beginning_offset": 5, "end_offset": 6}
    assert [(x["offset"], x["value"]) for x in api.drain("rt", early, "json", want=1)] == [(5, "fresh")]
    assert api.records("rt2", late, "json", timeout=100) == []  # reset to the end
    api.produce("ret", "json", {"records": [{"value": "later"}]})
    assert [(x["offset"], x["value"]) for x in api.drain("rt2", late, "json", want=1)] == [(6, "later")]


def test_pattern_subscription_picks_up_new_topics(api: Api) -> None:
    name = api.create("pg", format="json", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
    r = api.v2("POST", api.inst("pg", name) + "/subscription", {"topic_pattern": "ev-.*"})
    assert r.status_code == 204
    api.produce("ev-a", "json", {"records": [{"value": 1}]})
    api.produce("other", "json", {"records": [{"value": 2}]})
    api.produce("ev-b", "json", {"records": [{"value": 3}]})
    got = api.drain("pg", name, "json", want=2)
    assert sorted((x["topic"], x["value"]) for x in got) == [("ev-a", 1), ("ev-b", 3)]
    assert api.v2("GET", api.inst("pg", name) + "/subscription").json() == {"topics": ["ev-a", "ev-b"]}
    assert api.v2("DELETE", api.inst("pg", name) + "/subscription").status_code == 204
    assert api.v2("GET", api.inst("pg", name) + "/subscription").json() == {"topics": []}
    assert api.assignments("pg", name) == []


# ---- timing --------------------------------------------------------------------------------------

def test_wait_rules_fetch_min_bytes_timeout_and_max_bytes(api: Api) -> None:
    api.produce("w", "binary", {"records": [{"value": b64(b"x" * 10)} for _ in range(5)]})
    # Waits are long next to a request's own time (even on a slow, loaded machine), so that each
    # upper bound tells "did not wait" from "waited" with a wide margin.
    eager = api.create("wg", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1,
                                "consumer.request.timeout.ms": 10_000})
    api.subscribe("wg", eager, ["w"])
    t = time.monotonic()
    assert len(api.records("wg", eager)) == 5
    assert time.monotonic() - t < 5  # records available: no waiting out the 10 s
    patient = api.create("wg2", **{"auto.offset.reset": "earliest", "consumer.request.timeout.ms": 2000})
    api.subscribe("wg2", patient, ["w"])
    t = time.monotonic()
    assert len(api.records("wg2", patient)) == 5  # fetch.min.bytes -1: waits the whole timeout
    assert time.monotonic() - t >= 1.95
    t = time.monotonic()
    assert api.records("wg2", patient, timeout=100) == []  # timeout can only shorten the wait
    assert time.monotonic() - t < 1.5
    t = time.monotonic()
    assert api.records("wg2", patient, timeout=60_000) == []
    assert 1.95 <= time.monotonic() - t < 10
    small = api.create("wg3", **{"auto.offset.reset": "earliest"})
    api.subscribe("wg3", small, ["w"])
    got = api.records("wg3", small, timeout=300, max_bytes=25)  # 10 bytes each: the third would pass 25
    assert [r["offset"] for r in got] == [0, 1]
    assert [r["offset"] for r in api.records("wg3", small, timeout=300, max_bytes=25)] == [2, 3]
    assert api.records("wg3", small, timeout=100, max_bytes=5) == []  # a record bigger than max_bytes never comes


# ---- errors and instances ----------------------------------------------------------------------

def test_create_defaults_and_base_uri_honours_advertised_url(tmp_path: Path, registry_url: str) -> None:
    with start(tmp_path, registry_url, advertised_url="https://gw.example:9443/") as server, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/consumers/grp")
        assert r.status_code == 200
        body = r.json()
        assert body["instance_id"].startswith("rest-consumer-")
        assert body["base_uri"] == f"https://gw.example:9443/consumers/grp/instances/{body['instance_id']}"
        assert r.headers["content-type"] == V2_JSON
    with start(tmp_path / "b", registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/consumers/grp", json={"name": "me"}, headers={"content-type": V2_JSON})
        assert r.json() == {"instance_id": "me", "base_uri": f"{server.url}/consumers/grp/instances/me"}


def test_every_error_code(api: Api) -> None:
    def err(r: httpx.Response) -> tuple[int, int, str]:
        return r.status_code, r.json()["error_code"], r.json()["message"]

    api.create("e", name="one")
    assert err(api.v2("POST", "/consumers/e", {"name": "one"})) == (
        409, 40902, "Consumer with specified consumer ID already exists in the specified consumer group.")
    assert err(api.v2("POST", "/consumers/e", {"auto.offset.reset": "bad-config"})) == (
        422, 42204, "Invalid consumer configuration: Invalid value bad-config for configuration auto.offset.reset: "
                    "String must be one of: latest, earliest, none")
    assert err(api.v2("POST", "/consumers/e", {"fetch.min.bytes": -2}))[:2] == (422, 40001)
    assert err(api.v2("POST", "/consumers/e", {"fetch.min.bytes": -2}))[2].startswith(
        "Invalid consumer configuration. It does not abide by the constraints: ")
    assert err(api.v2("POST", "/consumers/e", {"format": "xml"})) == (422, 422, "Invalid format type.")
    assert err(api.v2("POST", "/consumers/e", {"nmae": "x"}))[:2] == (400, 400)
    r = api.http.post("/consumers/e", content=b'{"name": "x"}', headers={"content-type": "text/plain"})
    assert err(r) == (415, 415, "HTTP 415 Unsupported Media Type")
    missing = api.inst("e", "nobody")
    for method, path, body in (("DELETE", "", None), ("GET", "/subscription", None),
                               ("POST", "/subscription", {"topics": ["t"]}), ("GET", "/assignments", None),
                               ("POST", "/positions/end", {"partitions": []}), ("POST", "/offsets", None),
                               ("GET", "/records", None)):
        assert err(api.v2(method, missing + path, body)) == (404, 40403, "Consumer instance not found."), path
    api.produce("et", "binary", {"records": [{"value": b64(b"v")}]})
    api.assign("e", "one", [("et", 0)])
    assert err(api.v2("POST", api.inst("e", "one") + "/subscription", {"topics": ["et"]})) == (
        409, 40903, "Illegal state: Subscription to topics, partitions and pattern are mutually exclusive")
    assert err(api.v2("POST", api.inst("e", "one") + "/positions",
                      {"offsets": [{"topic": "et", "partition": 1, "offset": 0}]})) == (
        409, 40903, "Illegal state: No current assignment for partition et-1")
    r = api.http.get(api.inst("e", "one") + "/records", headers={"accept": FMT.format("avro")})
    assert err(r) == (406, 40601, "The requested embedded data format does not match the deserializer for "
                                  "this consumer instance")
    r = api.http.get(api.inst("e", "one") + "/records", headers={"accept": "text/html"})
    assert err(r) == (406, 406, "HTTP 406 Not Acceptable")
    assert err(api.v2("GET", api.inst("e", "one") + "/offsets")) == (404, 40402, "Partition not found.")
    sub = api.create("e", name="two")
    api.subscribe("e", sub, ["et"])
    assert err(api.v2("POST", api.inst("e", sub) + "/assignments",
                      {"partitions": [{"topic": "et", "partition": 0}]})) == (
        409, 40903, "Illegal state: Subscription to topics, partitions and pattern are mutually exclusive")
    # default Accept, */* and the bare v2 type all mean binary
    for accept in (None, "*/*", V2_JSON):
        r = api.http.get(api.inst("e", "one") + "/records", params={"timeout": 50},
                         headers={"accept": accept} if accept else {})
        assert r.status_code == 200 and r.headers["content-type"] == FMT.format("binary")


def test_idle_instances_expire_and_then_answer_40403(tmp_path: Path, registry_url: str) -> None:
    # kept is asked every 0.1 s: only a pause of a whole timeout (2 s) could expire it, so the test
    # holds on a slow, loaded machine; name, never asked, is idle 2.5 timeouts by the end.
    with start(tmp_path, registry_url, instance_timeout_ms=2000) as server, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        api = Api(http)
        name = api.create("x")
        kept = api.create("x")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # any call refreshes the idle timer
            assert api.v2("GET", api.inst("x", kept) + "/subscription").status_code == 200
            time.sleep(0.1)
        r = api.v2("GET", api.inst("x", name) + "/subscription")
        assert (r.status_code, r.json()["error_code"]) == (404, 40403)
        assert api.v2("GET", api.inst("x", kept) + "/subscription").status_code == 200


def test_avro_reader_gives_avro_json_for_every_type() -> None:
    """The compiled reader the records path uses, against fastavro's encoder: unions wrapped by
    branch name, bytes and fixed as ISO-8859-1, logical types as their underlying type, recursion."""
    import io

    import fastavro

    from gateway.formats.avro_read import json_reader

    schema = {"type": "record", "name": "Node", "namespace": "ns", "fields": [
        {"name": "i", "type": "int"}, {"name": "l", "type": "long"}, {"name": "f", "type": "float"},
        {"name": "d", "type": "double"}, {"name": "b", "type": "boolean"}, {"name": "s", "type": "string"},
        {"name": "by", "type": "bytes"}, {"name": "fx", "type": {"type": "fixed", "name": "F2", "size": 2}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
        {"name": "e2", "type": "E"},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "m", "type": {"type": "map", "values": ["null", "long"]}},
        {"name": "u", "type": ["null", "string", "F2", {"type": "array", "items": "int"}]},
        {"name": "la", "type": {"type": "array", "items": "long"}},
        {"name": "sa", "type": {"type": "array", "items": "string"}},
        {"name": "next", "type": ["null", "Node"], "default": None}]}
    value = {"i": -3, "l": 2 ** 40, "f": 1.5, "d": -0.25, "b": True, "s": "é", "by": b"\x00\xff", "fx": b"ab",
             "e": "B", "e2": "A", "ts": 1_700_000_000_000, "m": {"x": 7, "y": None}, "u": [1, 2],
             "la": [-1, 2 ** 33] * 70, "sa": ["ü", ""],
             "next": {"i": 0, "l": 0, "f": 0.0, "d": 0.0, "b": False, "s": "", "by": b"", "fx": b"\x01\x02",
                      "e": "A", "e2": "A", "ts": 0, "m": {}, "u": "x", "la": [], "sa": [], "next": None}}
    buf = io.BytesIO(b"\x00\x00\x00\x00\x07")
    buf.seek(5)
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), value)
    got = json_reader(schema)(buf.getvalue(), 5)
    assert got == {"i": -3, "l": 2 ** 40, "f": 1.5, "d": -0.25, "b": True, "s": "é", "by": "\u0000\u00ff",
                   "fx": "ab", "e": "B", "e2": "A", "ts": 1_700_000_000_000, "m": {"x": {"long": 7}, "y": None},
                   "u": {"array": [1, 2]}, "la": [-1, 2 ** 33] * 70, "sa": ["ü", ""],
                   "next": {"ns.Node": {"i": 0, "l": 0, "f": 0.0, "d": 0.0, "b": False, "s": "", "by": "",
                                        "fx": "\u0001\u0002", "e": "A", "e2": "A", "ts": 0, "m": {},
                                        "u": {"string": "x"}, "la": [], "sa": [], "next": None}}}
    with pytest.raises(ValueError):
        json_reader(schema)(buf.getvalue() + b"\x00", 5)


def test_opt_in_timestamp_and_headers_and_query_form_of_committed_offsets(
        tmp_path: Path, registry_url: str) -> None:
    with start(tmp_path, registry_url, record_extras=True) as server, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        api = Api(http)
        api.produce_v3("hx", [{"value": {"type": "JSON", "data": 1}, "timestamp": "2026-01-02T03:04:05.678Z",
                               "headers": [{"name": "h", "value": b64(b"v")}, {"name": "n", "value": None}]},
                              {"value": {"type": "JSON", "data": 2}, "timestamp": "2026-01-02T03:04:06.000Z"}])
        name = api.create("hg", format="json", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
        api.assign("hg", name, [("hx", 0)])
        assert api.drain("hg", name, "json", want=2) == [
            {"topic": "hx", "key": None, "value": 1, "partition": 0, "offset": 0, "timestamp": 1767323045678,
             "headers": [{"key": "h", "value": "dg=="}, {"key": "n", "value": None}]},
            {"topic": "hx", "key": None, "value": 2, "partition": 0, "offset": 1, "timestamp": 1767323046000}]
        api.v2("POST", api.inst("hg", name) + "/offsets", {"offsets": [{"topic": "hx", "partition": 0, "offset": 1}]})
        r = http.get(api.inst("hg", name) + "/offsets", params={"topic": "hx", "partition": 0})
        assert r.json() == {"offsets": [{"topic": "hx", "partition": 0, "offset": 2, "metadata": ""}]}
    # off by default: the exact v2 shape
    with start(tmp_path / "plain", registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        api = Api(http)
        api.produce_v3("hx", [{"value": {"type": "JSON", "data": 1}, "headers": [{"name": "h", "value": "dg=="}]}])
        name = api.create("hg", format="json", **{"auto.offset.reset": "earliest", "fetch.min.bytes": 1})
        api.assign("hg", name, [("hx", 0)])
        assert api.drain("hg", name, "json", want=1) == [
            {"topic": "hx", "key": None, "value": 1, "partition": 0, "offset": 0}]


def _node(tmp_path: Path, registry_url: str) -> ServerThread:
    """A gateway whose --advertised-url is its own address, with node routing on."""
    from tests.conftest import bound_socket

    sock = bound_socket()
    return start(tmp_path, registry_url, advertised_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                 node_routing=True, sock=sock)


def test_opt_in_node_routing_redirects_a_request_to_the_node_that_owns_the_instance(
        tmp_path: Path, registry_url: str) -> None:
    with _node(tmp_path / "a", registry_url) as a, _node(tmp_path / "b", registry_url) as b, \
            httpx.Client(base_url=a.url, timeout=30) as on_a, httpx.Client(base_url=b.url, timeout=30) as on_b:
        r = on_a.post("/consumers/g", content=b"{}", headers={"content-type": V2_JSON})
        name, base_uri = r.json()["instance_id"], r.json()["base_uri"]
        assert base_uri == f"{a.url}/consumers/g/instances/{name}"
        r = on_b.get(f"/consumers/g/instances/{name}/subscription")
        assert r.status_code == 307
        assert r.headers["location"] == f"{a.url}/consumers/g/instances/{name}/subscription"
        r = on_b.get(f"/consumers/g/instances/{name}/records", params={"timeout": 10}, follow_redirects=True)
        assert (r.status_code, r.json()) == (200, [])
        assert on_b.delete(f"/consumers/g/instances/{name}", follow_redirects=True).status_code == 204
        r = on_a.get(f"/consumers/g/instances/{name}/subscription")  # its own id, gone: no redirect loop
        assert (r.status_code, r.json()["error_code"]) == (404, 40403)
        on_a.post("/consumers/g", json={"name": "named"}, headers={"content-type": V2_JSON})
        r = on_b.get("/consumers/g/instances/named/subscription")  # a client-given name cannot be routed
        assert (r.status_code, r.json()["error_code"]) == (404, 40403)

"""Gateway v3 admin over real HTTP on the embedded log: topics, partitions, topic configs (get, set,
batch alter, reset, and retention enforced from them), consumer groups with members and
assignments, lag per partition and the group lag summary, with exact bodies and error codes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.test_gateway_consume import Api, b64, start


@pytest.fixture
def api(tmp_path: Path, registry_url: str) -> Iterator[Api]:
    with start(tmp_path, registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Api(http)


def base(api: Api) -> str:
    return str(api.http.base_url).rstrip("/") + "/v3/clusters/schemawire"


def err(r: httpx.Response) -> tuple[int, int, str]:
    return r.status_code, r.json()["error_code"], r.json()["message"]


def test_topics_create_get_list_delete_and_their_errors(api: Api) -> None:
    b = base(api)
    r = api.http.post(b + "/topics", json={"topic_name": "orders", "partitions_count": 3,
                                           "configs": [{"name": "cleanup.policy", "value": "compact"}]})
    assert r.status_code == 201
    assert r.headers["location"] == f"{b}/topics/orders"
    assert r.json() == {
        "kind": "KafkaTopic",
        "metadata": {"self": f"{b}/topics/orders", "resource_name": "crn:///kafka=schemawire/topic=orders"},
        "cluster_id": "schemawire", "topic_name": "orders", "is_internal": False, "replication_factor": 1,
        "partitions_count": 3, "partitions": {"related": f"{b}/topics/orders/partitions"},
        "configs": {"related": f"{b}/topics/orders/configs"},
        "partition_reassignments": {"related": f"{b}/topics/orders/partitions/-/reassignment"},
        "authorized_operations": []}
    r = api.http.post(b + "/topics", json={"topic_name": "dry", "partitions_count": 2, "validate_only": True})
    assert (r.status_code, r.json()["partitions_count"]) == (200, 2)
    assert [t["topic_name"] for t in api.http.get(b + "/topics").json()["data"]] == ["orders"]
    assert api.http.get(b + "/topics/orders").json()["partitions_count"] == 3
    assert err(api.http.post(b + "/topics", json={"topic_name": "orders"})) == (
        400, 40002, "Topic 'orders' already exists.")
    assert err(api.http.post(b + "/topics", json={"topic_name": "bad name"})) == (
        422, 42206, "Payload error. Invalid topic name.")
    assert err(api.http.post(b + "/topics", content=b"", headers={"content-type": "application/json"})) == (
        422, 42206, "Payload error. Request body is empty. Data is required.")
    assert err(api.http.post(b + "/topics", json={"topic_name": "r", "replication_factor": 3}))[:2] == (400, 40002)
    assert err(api.http.get(b + "/topics/nope")) == (404, 40403, "This server does not host this topic-partition.")
    assert err(api.http.get("/v3/clusters/other/topics")) == (
        404, 404, "Cluster other cannot be found.")
    parts = api.http.get(b + "/topics/orders/partitions").json()
    assert parts["kind"] == "KafkaPartitionList"
    assert [p["partition_id"] for p in parts["data"]] == [0, 1, 2]
    p1 = api.http.get(b + "/topics/orders/partitions/1").json()
    assert p1["leader"] == {"related": f"{b}/topics/orders/partitions/1/replicas/0"}
    assert err(api.http.get(b + "/topics/orders/partitions/3"))[:2] == (404, 40403)
    assert api.http.delete(b + "/topics/orders").status_code == 204
    assert err(api.http.delete(b + "/topics/orders"))[:2] == (404, 40403)
    assert api.http.get(b + "/topics").json()["data"] == []


def test_topic_configs_get_set_batch_alter_reset_and_retention_follows_them(api: Api) -> None:
    b = base(api)
    api.http.post(b + "/topics", json={"topic_name": "logs", "partitions_count": 1})
    configs = {c["name"]: c for c in api.http.get(b + "/topics/logs/configs").json()["data"]}
    assert configs["retention.ms"] == {
        "kind": "KafkaTopicConfig",
        "metadata": {"self": f"{b}/topics/logs/configs/retention.ms",
                     "resource_name": "crn:///kafka=schemawire/topic=logs/config=retention.ms"},
        "cluster_id": "schemawire", "topic_name": "logs", "name": "retention.ms", "value": "604800000",
        "is_default": True, "is_read_only": False, "is_sensitive": False, "source": "DEFAULT_CONFIG",
        "synonyms": [{"name": "retention.ms", "value": "604800000", "source": "DEFAULT_CONFIG"}]}
    assert api.http.put(b + "/topics/logs/configs/cleanup.policy", json={"value": "compact,delete"}).status_code == 204
    got = api.http.get(b + "/topics/logs/configs/cleanup.policy").json()
    assert (got["value"], got["is_default"], got["source"]) == ("compact,delete", False, "DYNAMIC_TOPIC_CONFIG")
    r = api.http.post(b + "/topics/logs/configs:alter", json={"data": [
        {"name": "retention.bytes", "value": "20"}, {"name": "cleanup.policy", "operation": "DELETE"}]})
    assert r.status_code == 204
    configs = {c["name"]: c for c in api.http.get(b + "/topics/logs/configs").json()["data"]}
    assert (configs["retention.bytes"]["value"], configs["cleanup.policy"]["value"]) == ("20", "delete")
    assert configs["cleanup.policy"]["is_default"] is True
    assert err(api.http.post(b + "/topics/logs/configs:alter", json={"data": [{"name": "no.such", "value": "1"}]})
               ) == (400, 40002, "Unknown topic config name: no.such")
    assert err(api.http.put(b + "/topics/logs/configs/retention.ms", json={"value": "soon"}))[:2] == (400, 40002)
    assert err(api.http.get(b + "/topics/nope/configs"))[:2] == (404, 40403)
    # retention.bytes=20 with 10-byte records keeps the last two
    api.produce("logs", "binary", {"records": [{"value": b64(b"0123456789")} for _ in range(6)]})
    deadline = time.monotonic() + 30  # the pass runs every 0.2 s: room for a slow, loaded machine
    while api.http.get("/topics/logs/partitions/0/offsets").json() != {"beginning_offset": 4, "end_offset": 6}:
        assert time.monotonic() < deadline, api.http.get("/topics/logs/partitions/0/offsets").json()
        time.sleep(0.1)
    assert api.http.delete(b + "/topics/logs/configs/retention.bytes").status_code == 204
    assert api.http.get(b + "/topics/logs/configs/retention.bytes").json()["value"] == "-1"
    every = api.http.get(b + "/topics/-/configs").json()["data"]
    assert {c["topic_name"] for c in every} == {"logs"}


def test_consumer_groups_members_assignments_lag_and_summary(api: Api) -> None:
    b = base(api)
    api.http.post(b + "/topics", json={"topic_name": "four", "partitions_count": 4})
    for p in range(4):
        api.v2("POST", f"/topics/four/partitions/{p}", {"records": [{"value": b64(b"x")}] * (p + 1)},
               **{"content-type": "application/vnd.kafka.binary.v2+json"})
    for name in ("m1", "m2"):
        api.create("lagging", name=name, **{"auto.offset.reset": "earliest", "auto.commit.enable": "false"})
        api.subscribe("lagging", name, ["four"])
    # m1 (partitions 0, 1) commits partition 0 fully and partition 1 not at all; m2 commits offset 0 of 3
    r = api.v2("POST", api.inst("lagging", "m1") + "/offsets", {"offsets": [{"topic": "four", "partition": 0,
                                                                              "offset": 0}]})
    assert r.status_code == 200
    api.v2("POST", api.inst("lagging", "m2") + "/offsets", {"offsets": [{"topic": "four", "partition": 3,
                                                                          "offset": 0}]})
    groups = api.http.get(b + "/consumer-groups").json()
    assert [(g["consumer_group_id"], g["state"]) for g in groups["data"]] == [("lagging", "STABLE")]
    g = api.http.get(b + "/consumer-groups/lagging").json()
    assert g == {
        "kind": "KafkaConsumerGroup",
        "metadata": {"self": f"{b}/consumer-groups/lagging",
                     "resource_name": "crn:///kafka=schemawire/consumer-group=lagging"},
        "cluster_id": "schemawire", "consumer_group_id": "lagging", "is_simple": False,
        "partition_assignor": "range", "state": "STABLE", "type": "CLASSIC", "is_mixed_consumer_group": False,
        "coordinator": {"related": f"{b}/brokers/0"}, "consumers": {"related": f"{b}/consumer-groups/lagging/consumers"},
        "lag_summary": {"related": f"{b}/consumer-groups/lagging/lag-summary"}}
    consumers = api.http.get(b + "/consumer-groups/lagging/consumers").json()["data"]
    assert [(c["consumer_id"], c["client_id"]) for c in consumers] == [("m1", "m1"), ("m2", "m2")]
    got = api.http.get(b + "/consumer-groups/lagging/consumers/m2/assignments").json()["data"]
    assert [(a["topic_name"], a["partition_id"]) for a in got] == [("four", 2), ("four", 3)]
    lags = api.http.get(b + "/consumer-groups/lagging/lags").json()["data"]
    assert [(x["partition_id"], x["consumer_id"], x["current_offset"], x["log_end_offset"], x["lag"])
            for x in lags] == [(0, "m1", 1, 1, 0), (3, "m2", 1, 4, 3)]
    one = api.http.get(b + "/consumer-groups/lagging/lags/four/partitions/3").json()
    assert (one["kind"], one["lag"], one["client_id"]) == ("KafkaConsumerLag", 3, "m2")
    summary = api.http.get(b + "/consumer-groups/lagging/lag-summary").json()
    assert {k: summary[k] for k in ("max_lag_consumer_id", "max_lag_topic_name", "max_lag_partition_id",
                                    "max_lag", "total_lag")} == {
        "max_lag_consumer_id": "m2", "max_lag_topic_name": "four", "max_lag_partition_id": 3,
        "max_lag": 3, "total_lag": 3}
    assert err(api.http.get(b + "/consumer-groups/none"))[:2] == (404, 404)
    assert err(api.http.get(b + "/consumer-groups/lagging/consumers/zz"))[:2] == (404, 404)
    for name in ("m1", "m2"):
        api.v2("DELETE", api.inst("lagging", name))
    g = api.http.get(b + "/consumer-groups/lagging").json()
    assert g["state"] == "EMPTY"  # still known by its committed offsets
    assert api.http.get(b + "/consumer-groups/lagging/consumers").json()["data"] == []

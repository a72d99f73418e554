"""Gateway v3 admin on Kafka (a real Tansu broker): topics, partitions, configs read with their sources
and altered incrementally (confluent-kafka's admin client: Tansu lacks the legacy AlterConfigs),
consumer groups with the gateway's member, committed offsets and lag (OffsetFetch through
confluent-kafka's admin client, which Tansu answers)."""

from __future__ import annotations

import time
import uuid

from tests.broker import kafka_broker  # noqa: F401
from tests.integration.test_gateway_consume import Api, b64
from tests.integration.test_gateway_consume_kafka import api  # noqa: F401 - the gateway-on-Tansu fixture


def base(api: Api) -> str:
    return "/v3/clusters/" + api.http.get("/v3/clusters").json()["data"][0]["cluster_id"]


def test_topics_and_configs_on_kafka(api: Api) -> None:
    b = base(api)
    name = f"adm-{uuid.uuid4().hex[:8]}"
    r = api.http.post(b + "/topics", json={"topic_name": name, "partitions_count": 2,
                                           "configs": [{"name": "retention.ms", "value": "3600000"}]})
    assert r.status_code == 201, r.text
    assert (r.json()["topic_name"], r.json()["partitions_count"]) == (name, 2)
    assert name in [t["topic_name"] for t in api.http.get(b + "/topics").json()["data"]]
    assert api.http.get(b + f"/topics/{name}").json()["partitions_count"] == 2
    assert [p["partition_id"] for p in api.http.get(b + f"/topics/{name}/partitions").json()["data"]] == [0, 1]
    r = api.http.post(b + "/topics", json={"topic_name": name})
    assert (r.status_code, r.json()["error_code"]) == (400, 40002)
    got = api.http.get(b + f"/topics/{name}/configs/retention.ms").json()
    assert (got["kind"], got["name"], got["value"]) == ("KafkaTopicConfig", "retention.ms", "3600000")
    # (Tansu reports is_default/source of a set config as the default's: not asserted here)
    r = api.http.post(b + f"/topics/{name}/configs:alter", json={"data": [{"name": "retention.ms", "value": "7200000"}]})
    assert r.status_code == 204, r.text
    assert api.http.get(b + f"/topics/{name}/configs/retention.ms").json()["value"] == "7200000"
    assert api.http.delete(b + f"/topics/{name}").status_code == 204
    r = api.http.get(b + f"/topics/{name}")
    assert (r.status_code, r.json()["error_code"]) == (404, 40403)


def test_groups_members_and_lag_on_kafka(api: Api) -> None:
    b = base(api)
    name = f"lag-{uuid.uuid4().hex[:8]}"
    api.http.post(b + "/topics", json={"topic_name": name, "partitions_count": 1})
    for i in range(4):  # one record per batch: Tansu reports end offsets right for those
        api.produce(name, "binary", {"records": [{"value": b64(bytes([i]))}]})
    group = f"lg-{uuid.uuid4().hex[:6]}"
    inst = api.create(group, name="m", **{"auto.offset.reset": "earliest", "auto.commit.enable": "false",
                                          "fetch.min.bytes": 1})
    api.subscribe(group, inst, [name])
    deadline = time.monotonic() + 30
    while not api.assignments(group, inst):
        assert time.monotonic() < deadline
        api.records(group, inst, timeout=100)
    r = api.v2("POST", api.inst(group, inst) + "/offsets", {"offsets": [{"topic": name, "partition": 0, "offset": 0}]})
    assert r.status_code == 200
    listed = [g["consumer_group_id"] for g in api.http.get(b + "/consumer-groups").json()["data"]]
    assert group in listed
    g = api.http.get(b + f"/consumer-groups/{group}").json()
    assert (g["consumer_group_id"], g["is_simple"]) == (group, False)
    r = api.http.get(b + f"/consumer-groups/{group}/consumers")
    assert (r.status_code, r.json()["kind"]) == (200, "KafkaConsumerList")
    # Tansu answers DescribeGroups without members, so members and assignments are asserted on the embedded log
    lags = api.http.get(b + f"/consumer-groups/{group}/lags").json()["data"]
    assert [(x["topic_name"], x["partition_id"], x["current_offset"], x["log_end_offset"], x["lag"])
            for x in lags] == [(name, 0, 1, 4, 3)]
    summary = api.http.get(b + f"/consumer-groups/{group}/lag-summary").json()
    assert (summary["total_lag"], summary["max_lag"], summary["max_lag_topic_name"]) == (3, 3, name)
    r = api.http.get(b + "/consumer-groups/no-such-group")
    assert r.status_code == 404

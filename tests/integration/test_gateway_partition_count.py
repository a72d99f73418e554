"""v3 PATCH /topics/{t} {"partitions_count": N}: growing a topic, on the embedded log and on Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.log.kafka import KafkaLog
from serde.client import AsyncSchemaRegistryClient
from tests.broker import kafka_broker  # noqa: F401
from tests.conftest import ServerThread
from tests.integration.test_gateway_consume import start

B = "/v3/clusters/schemawire/topics"
BINARY = {"content-type": "application/vnd.kafka.binary.v2+json"}


def err(r: httpx.Response) -> tuple[int, int, str]:
    return r.status_code, r.json()["error_code"], r.json()["message"]


@pytest.fixture
def http(tmp_path: Path, registry_url: str) -> Iterator[httpx.Client]:
    with start(tmp_path, registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_patch_grows_an_embedded_topic_and_the_new_partitions_take_records(http: httpx.Client) -> None:
    assert http.post(B, json={"topic_name": "t", "partitions_count": 2}).status_code == 201
    r = http.patch(B + "/t", json={"partitions_count": 5})
    assert r.status_code == 200, r.text
    assert (r.json()["topic_name"], r.json()["partitions_count"]) == ("t", 5)
    assert http.get(B + "/t").json()["partitions_count"] == 5
    assert [p["partition_id"] for p in http.get(B + "/t/partitions").json()["data"]] == [0, 1, 2, 3, 4]
    r = http.post("/topics/t/partitions/4", headers=BINARY, json={"records": [{"value": "dg=="}]})
    assert r.status_code == 200, r.text
    assert r.json()["offsets"][0]["partition"] == 4 and r.json()["offsets"][0]["offset"] == 0
    assert http.get("/topics/t/partitions/4/offsets").json() == {"beginning_offset": 0, "end_offset": 1}


def test_patch_errors(http: httpx.Client, tmp_path: Path, registry_url: str) -> None:
    assert http.post(B, json={"topic_name": "t", "partitions_count": 3}).status_code == 201
    assert err(http.patch(B + "/t", json={"partitions_count": 3})) == (400, 40002, "Topic already has 3 partitions.")
    assert err(http.patch(B + "/t", json={"partitions_count": 1})) == (400, 40002, "Topic already has 3 partitions.")
    assert err(http.patch(B + "/nope", json={"partitions_count": 9})) == (
        404, 40403, "This server does not host this topic-partition.")
    assert http.patch(B + "/t", json={"partitions_count": "many"}).status_code == 400
    assert http.patch(B + "/t", json={"partitions": 4}).status_code == 400  # unknown field
    assert err(http.patch(B + "/t", content=b"", headers={"content-type": "application/json"})) == (
        422, 42206, "Payload error. Request body is empty. Data is required.")
    assert err(http.patch("/v3/clusters/other/topics/t", json={"partitions_count": 4})) == (
        404, 404, "Cluster other cannot be found.")
    assert http.get(B + "/t").json()["partitions_count"] == 3
    # the added partitions are stored: a restarted gateway on the same data still has them
    assert http.patch(B + "/t", json={"partitions_count": 4}).status_code == 200


def test_added_partitions_survive_a_restart(tmp_path: Path, registry_url: str) -> None:
    with start(tmp_path, registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post(B, json={"topic_name": "t", "partitions_count": 1}).status_code == 201
        assert http.patch(B + "/t", json={"partitions_count": 3}).status_code == 200
    with start(tmp_path, registry_url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get(B + "/t").json()["partitions_count"] == 3


def test_patch_on_kafka_passes_the_broker_refusal_on(kafka_broker: str, registry_url: str) -> None:  # noqa: F811
    log = KafkaLog(kafka_broker, default_partitions=1, timeout=5)
    app = create_app(log, AsyncSchemaRegistryClient(registry_url, max_retries=0), close_client=True)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        cid = http.get("/v3/clusters").json()["data"][0]["cluster_id"]
        b = f"/v3/clusters/{cid}/topics"
        name = f"grow-{uuid.uuid4().hex[:8]}"
        assert http.post(b, json={"topic_name": name, "partitions_count": 2}).status_code == 201
        assert err(http.patch(f"{b}/{name}", json={"partitions_count": 2})) == (
            400, 40002, "Topic already has 2 partitions.")
        # Tansu has no CreatePartitions (spec/test-broker.md): the broker's refusal comes back as
        # Kafka errors do (50002 with Kafka's words), and the topic is unchanged
        status, code, message = err(http.patch(f"{b}/{name}", json={"partitions_count": 4}))
        assert (status, code) == (500, 50002) and "CreatePartitions" in message
        assert http.get(f"{b}/{name}").json()["partitions_count"] == 2

"""Keyed placement matches Kafka's own partitioner: Kafka's published murmur2 vectors, and
librdkafka's `murmur2` partitioner (confluent-kafka) producing to a real broker."""

from __future__ import annotations

import random

import pytest

from gateway.log.partitioner import Partitioner, murmur2, partition_for_key, to_positive
from tests.broker import kafka_broker  # noqa: F401

# org.apache.kafka.common.utils.UtilsTest.testMurmur2
KAFKA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize("key,expected", list(KAFKA_VECTORS.items()))
def test_murmur2_matches_kafka_vectors(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_to_positive_masks_sign_bit() -> None:
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-973932308) == (-973932308) & 0x7FFFFFFF


def test_explicit_partition_wins_and_keyless_records_of_one_call_stick() -> None:
    p = Partitioner()
    first = p.choose("t", 4, [None, b"k", None, None], [None, None, 3, None])
    assert first[2] == 3
    assert first[1] == partition_for_key(b"k", 4)
    assert first[0] == first[3]
    # successive calls spread keyless records over every partition
    seen = {p.choose("t", 4, [None], [None])[0] for _ in range(4)}
    assert seen == {0, 1, 2, 3}


def test_remembered_hashes_stay_right_past_the_cache_bound() -> None:
    p = Partitioner(cache_size=4)
    keys = [bytes([i]) * i for i in range(20)] * 3
    assert p.choose("t", 11, keys, [None] * len(keys)) == [partition_for_key(k, 11) for k in keys]
    assert len(p._hashes) <= 4


def test_empty_key_is_hashed_not_spread() -> None:
    p = Partitioner()
    assert {p.choose("t", 7, [b""], [None])[0] for _ in range(10)} == {partition_for_key(b"", 7)}


def test_placement_matches_librdkafka_murmur2(kafka_broker: str) -> None:  # noqa: F811
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    partitions = 13
    admin = AdminClient({"bootstrap.servers": kafka_broker})
    for f in admin.create_topics([NewTopic("murmur", partitions, 1)]).values():
        f.result(10)
    rng = random.Random(7)
    keys = {b""} | {rng.randbytes(n) for n in range(1, 64)}
    # schema-framed keys: magic byte, 4-byte id, then the encoded key
    keys |= {b"\x00" + rng.randrange(1, 1 << 20).to_bytes(4, "big") + rng.randbytes(rng.randrange(0, 30))
             for _ in range(300)}
    keys |= {f"user-{i}".encode() for i in range(300)}
    placed: dict[bytes, int] = {}

    def delivered(err, msg) -> None:
        assert err is None, err
        placed[msg.key()] = msg.partition()

    producer = Producer({"bootstrap.servers": kafka_broker, "partitioner": "murmur2", "linger.ms": 5})
    for key in keys:
        producer.produce("murmur", key=key, value=b"v", on_delivery=delivered)
    assert producer.flush(20) == 0
    assert len(placed) == len(keys)
    wrong = {k: (v, partition_for_key(k, partitions)) for k, v in placed.items()
             if v != partition_for_key(k, partitions)}
    assert not wrong
    assert len(set(placed.values())) == partitions

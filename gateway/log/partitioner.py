"""Partition choice shared by both logs, so a key lands where Kafka's Java client would put it.

Keyed records: `toPositive(murmur2(key)) % partitions`, murmur2 with Kafka's seed over the
serialized key bytes (for schema formats that includes the 5-byte Schema Registry prefix).
An empty key is a key (hashed), only a null key is "keyless". Keyless records are spread:
all keyless records of one append call go to one partition (sticky per batch), and
successive calls move round-robin across partitions.
"""

from __future__ import annotations

from struct import unpack_from as _unpack_from

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's `Utils.murmur2`: a signed 32-bit int, exactly as the Java client computes it."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    m = _M
    words = length >> 2
    for k in _unpack_from("<%dI" % words, data) if words else ():
        k = (k * m) & _MASK
        k ^= k >> 24
        h = ((h * m) & _MASK) ^ ((k * m) & _MASK)
    end = words << 2
    rest = length & 3
    if rest == 3:
        h ^= data[end + 2] << 16
    if rest >= 2:
        h ^= data[end + 1] << 8
    if rest >= 1:
        h ^= data[end]
        h = (h * m) & _MASK
    h ^= h >> 13
    h = (h * m) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def to_positive(n: int) -> int:
    return n & 0x7FFFFFFF


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a non-null key."""
    return to_positive(murmur2(key)) % num_partitions


class Partitioner:
    """Chooses partitions for one log instance; the round-robin position is per topic and per instance.

    Hashes of recent keys are remembered (murmur2 in Python costs a few microseconds a key, and
    real keys repeat: user ids, device ids); the memory is bounded by clearing it when full.
    """

    def __init__(self, cache_size: int = 16384) -> None:
        self._next: dict[str, int] = {}
        self._hashes: dict[bytes, int] = {}
        self._cache_size = cache_size

    def hash(self, key: bytes) -> int:
        """toPositive(murmur2(key)), remembered."""
        h = self._hashes.get(key)
        if h is None:
            if len(self._hashes) >= self._cache_size:
                self._hashes.clear()
            h = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return h

    def keyless(self, topic: str, num_partitions: int) -> int:
        """The partition for the keyless records of one append call (sticky for that call)."""
        n = self._next.get(topic, 0)
        self._next[topic] = n + 1
        return n % num_partitions

    def choose(self, topic: str, num_partitions: int, keys: list[bytes | None],
               explicit: list[int | None]) -> list[int]:
        """One partition per record: explicit wins, then murmur2 of the key, then the call's sticky one."""
        sticky: int | None = None
        out: list[int] = []
        for key, part in zip(keys, explicit):
            if part is not None:
                out.append(part)
            elif key is not None:
                out.append(self.hash(bytes(key)) % num_partitions)
            else:
                if sticky is None:
                    sticky = self.keyless(topic, num_partitions)
                out.append(sticky)
        return out

    def forget(self, topic: str) -> None:
        self._next.pop(topic, None)

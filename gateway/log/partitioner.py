"""Partition choice shared by both logs, so a key lands where Kafka's Java client would put it.

Keyed records: `toPositive(murmur2(key)) % partitions`, murmur2 with Kafka's seed over the
serialized key bytes (for schema formats that includes the 5-byte Schema Registry prefix).
An empty key is a key (hashed), only a null key is "keyless". Keyless records are spread:
all keyless records of one append call go to one partition (sticky per batch), and
successive calls move round-robin across partitions.
"""

from __future__ import annotations

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's `Utils.murmur2`: a signed 32-bit int, exactly as the Java client computes it."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    end = length & ~3
    m = _M
    if end:
        for k in memoryview(data[:end]).cast("I") if _LITTLE else _words(data, end):
            k = (k * m) & _MASK
            k ^= k >> 24
            k = (k * m) & _MASK
            h = ((h * m) & _MASK) ^ k
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


def _words(data: bytes, end: int):
    """Little-endian 32-bit words, for big-endian hosts where a memoryview cast would be wrong."""
    for i in range(0, end, 4):
        yield int.from_bytes(data[i:i + 4], "little")


_LITTLE = memoryview(b"\x01\x00\x00\x00").cast("I")[0] == 1


def to_positive(n: int) -> int:
    return n & 0x7FFFFFFF


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a non-null key."""
    return to_positive(murmur2(key)) % num_partitions


class Partitioner:
    """Chooses partitions for one log instance; the round-robin position is per topic and per instance."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

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
                out.append(to_positive(murmur2(key)) % num_partitions)
            else:
                if sticky is None:
                    sticky = self.keyless(topic, num_partitions)
                out.append(sticky)
        return out

    def forget(self, topic: str) -> None:
        self._next.pop(topic, None)

"""The log the gateway writes to and reads from: Kafka, or the embedded SQLite log.

Both implementations keep these semantics, so everything above this interface (the
v2 and v3 handlers, consumer instances) is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True)  # made once per record: a frozen dataclass costs 4x to build
class Record:
    """A record to append; key and value are already serialized bytes (None is a Kafka null)."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp: int | None = None  # epoch millis; None means "now" at append time
    partition: int | None = None  # None: murmur2 of the key, or spread when keyless


@dataclass(slots=True)  # made once per record: a frozen dataclass costs 4x to build
class StoredRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp: int


@dataclass(slots=True)  # made once per record: a frozen dataclass costs 4x to build
class Appended:
    """The outcome for one appended record, in request order: an offset or a per-record error."""

    partition: int | None
    offset: int | None
    error_code: int | None = None  # 40101, 40301, 50002, 50003 as Confluent REST Proxy reports them
    error: str | None = None


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)
    replication_factor: int = 1


class LogError(Exception):
    """A failure of the log as a whole; the HTTP layer maps `status`/`error_code`."""

    status = 500
    error_code = 50002

    def __init__(self, message: str, *, status: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code


class TopicNotFound(LogError):
    status, error_code = 404, 40401

    def __init__(self, topic: str) -> None:
        super().__init__("Topic not found.")
        self.topic = topic


class PartitionNotFound(LogError):
    status, error_code = 404, 40402

    def __init__(self, topic: str, partition: int) -> None:
        super().__init__("Partition not found.")
        self.topic, self.partition = topic, partition


class TopicExists(LogError):
    status, error_code = 400, 40002


class Log(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None:
        """Flush what was acknowledged and release resources."""

    async def topics(self) -> list[str]: ...

    async def topic(self, name: str) -> TopicInfo:
        """Raises TopicNotFound."""

    async def create_topic(self, name: str, partitions: int, configs: dict[str, str] | None = None,
                           replication_factor: int = 1) -> TopicInfo: ...

    async def delete_topic(self, name: str) -> None: ...

    async def append(self, topic: str, records: list[Record]) -> list[Appended]:
        """Append `records` and return one outcome each, in order, once acknowledged (= durable).

        A missing topic is created with the default partition count when auto-creation
        is on; otherwise TopicNotFound. A record's partition out of range gives
        PartitionNotFound before anything is written.
        """

    async def read(self, topic: str, partition: int, offset: int, *, max_records: int = 500,
                   max_bytes: int | None = None) -> list[StoredRecord]: ...

    async def earliest(self, topic: str, partition: int) -> int: ...

    async def latest(self, topic: str, partition: int) -> int:
        """The log end offset: the offset the next record will get."""

    async def offset_for_time(self, topic: str, partition: int, timestamp: int) -> int | None:
        """The first offset whose timestamp is >= `timestamp`, or None past the end."""

    async def commit(self, group: str, offsets: dict[tuple[str, int], int]) -> None: ...

    async def committed(self, group: str, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int | None]: ...

"""Reads of the Kafka log: one assigned (group-less) consumer per partition, kept in a small LRU, so
sequential reads of a partition continue from the consumer's prefetched data instead of seeking."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka import errors as E

from gateway.log.base import LogError, StoredRecord


class Reader:
    """One group-less consumer assigned to one partition; `position` is where its next record starts."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.lock = asyncio.Lock()
        self.position: int | None = None


class Reads:
    """The read half of KafkaLog, which mixes it in and provides the attributes below, `_check`, `_bounded`,
    `_quietly`, `_cluster` and `_ready_offsets`."""

    _readers: OrderedDict[tuple[str, int], Reader]
    _common: dict[str, Any]
    read_wait_ms: int
    max_readers: int
    timeout: float

    async def _reader(self, topic: str, partition: int) -> Reader:
        key = (topic, partition)
        reader = self._readers.get(key)
        if reader is not None:
            self._readers.move_to_end(key)
            return reader
        consumer = AIOKafkaConsumer(**self._common, group_id=None, enable_auto_commit=False,
                                    auto_offset_reset="none", fetch_max_wait_ms=self.read_wait_ms)
        try:
            await self._bounded(consumer.start())
        except BaseException:
            await self._quietly(consumer)
            raise
        consumer.assign([TopicPartition(topic, partition)])
        reader = self._readers.setdefault(key, Reader(consumer))
        if reader.consumer is not consumer:
            await self._quietly(consumer)
        while len(self._readers) > self.max_readers:
            _, old = self._readers.popitem(last=False)
            asyncio.create_task(self._quietly(old.consumer))
        return reader

    async def read(self, topic: str, partition: int, offset: int, *, max_records: int = 500,
                   max_bytes: int | None = None) -> list[StoredRecord]:
        """Records from `offset` on (from the log start when it is below it); waits up to read_wait_ms for the first."""
        await self._check(topic, partition)
        reader = await self._reader(topic, partition)
        tp = TopicPartition(topic, partition)
        async with reader.lock:
            consumer = reader.consumer
            seeked = reader.position != offset
            if seeked:
                consumer.seek(tp, offset)
                reader.position = offset
            try:
                got = await self._fetch(consumer, tp, offset, max_records, seeked)
            except LogError as exc:
                reader.position = None
                if not isinstance(exc.__cause__, E.OffsetOutOfRangeError):
                    raise
                start = await self.earliest(topic, partition)
                if offset >= start:
                    return []
                consumer.seek(tp, start)
                got = await self._fetch(consumer, tp, start, max_records, True)
            out: list[StoredRecord] = []
            used = 0
            for m in got:
                if max_bytes is not None:
                    used += len(m.key or b"") + len(m.value or b"") + sum(len(v or b"") for _, v in m.headers)
                    if used > max_bytes and out:
                        break
                out.append(StoredRecord(topic, partition, m.offset, m.key, m.value, tuple(m.headers), m.timestamp))
            if len(out) < len(got):
                reader.position = None  # the rest was consumed but not returned: seek next time
            elif out:
                reader.position = out[-1].offset + 1
            return out

    async def _fetch(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int, max_records: int,
                     seeked: bool) -> list[Any]:
        """Records available at the consumer's position. Right after a seek the first fetch for the new
        position may still be on its way, so keep waiting while the broker's high watermark says
        records exist past `offset` (bounded by `timeout`)."""
        deadline = time.monotonic() + self.timeout
        while True:
            batch = await self._bounded(consumer.getmany(tp, timeout_ms=self.read_wait_ms, max_records=max_records))
            got = batch.get(tp, [])
            if got or not seeked:
                return got
            if time.monotonic() > deadline:
                await self._cluster()  # nothing came for a whole timeout: fail if the broker is gone
                return got
            hw = consumer.highwater(tp)
            if hw is not None and hw <= offset:
                return got

    async def earliest(self, topic: str, partition: int) -> int:
        await self._check(topic, partition)
        tp = TopicPartition(topic, partition)
        return (await self._bounded((await self._ready_offsets()).beginning_offsets([tp])))[tp]

    async def latest(self, topic: str, partition: int) -> int:
        await self._check(topic, partition)
        tp = TopicPartition(topic, partition)
        return (await self._bounded((await self._ready_offsets()).end_offsets([tp])))[tp]

    async def offset_for_time(self, topic: str, partition: int, timestamp: int) -> int | None:
        await self._check(topic, partition)
        tp = TopicPartition(topic, partition)
        found = (await self._bounded((await self._ready_offsets()).offsets_for_times({tp: timestamp})))[tp]
        return None if found is None else found.offset

"""Appending records to Kafka a batch per partition, with aiokafka's create_batch()/send_batch().

Why not one producer.send() per record: that was about half of the gateway's time in a 100-record
produce (the per-record metadata wait, size check, partition check and accumulator append, then one
future per record to create and resolve). Here a record costs one append to a BatchBuilder, and one
future per batch carries the base offset; a record's offset is the base offset plus its place in the batch.

Each topic-partition has a lane: batches not yet handed to aiokafka, oldest first, the last one open
for more records. One task per lane hands them over in order, each once the one before is
acknowledged, so
- the records of one call that go to one partition are appended in one go, contiguous and in call
  order (a second batch only when the first is full, and the two are sent one after the other);
- while a partition has a batch in flight, records of concurrent calls collect in the open batch and
  go out together, as they did when aiokafka's accumulator batched single sends; when it has none, a
  batch goes out at once (or after linger.ms, if set);
- a batch is closed before it is handed over, so nothing is added to it behind aiokafka's back
  (with idempotence aiokafka numbers a batch's records when it takes the batch).
A call of one record whose partition has no lane goes through send() instead: aiokafka puts it in the
partition's pending batch, and a single-record call is spared the lane's task and send_batch's
shielded future (about a tenth of its time; there is no per-record cost to save).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka import errors as E
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from gateway.log.base import Appended, Record
from gateway.log.kafka_errors import record_error

_NO_HEADERS: list = []  # never mutated: aiokafka's builder wants a list
_MAX_QUEUED = 64  # batches waiting in one lane (a broker that is away): further records fail at once


class _Batch:
    __slots__ = ("builder", "ack", "born")

    def __init__(self, builder: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.builder = builder
        self.born = loop.time()
        self.ack: asyncio.Future = loop.create_future()  # RecordMetadata of the batch (base offset)


class _Lane:
    __slots__ = ("queue", "open", "task")

    def __init__(self) -> None:
        self.queue: deque[_Batch] = deque()
        self.open: _Batch | None = None
        self.task: asyncio.Task | None = None


def _settle(ack: asyncio.Future, fut: asyncio.Future) -> None:
    if ack.done():
        return
    if fut.cancelled():
        ack.cancel()
    elif (exc := fut.exception()) is not None:
        ack.set_exception(exc)
        ack.exception()  # retrieved: a caller that stopped waiting does not leave a warning behind
    else:
        ack.set_result(fut.result())


def _outcome(ack: asyncio.Future, relative: int, topic: str, p: int, timeout: float) -> Appended:
    """A record's outcome from its batch's acknowledgement (or its own, relative 0)."""
    if not ack.done():
        return Appended(None, None, 50003, f"Expiring record for {topic}-{p}: no acknowledgement "
                                           f"after {int(timeout * 1000)} ms")
    if ack.cancelled():
        return Appended(None, None, 50003, "The send was cancelled.")
    if (exc := ack.exception()) is not None:
        if not isinstance(exc, E.KafkaError):
            raise exc
        return Appended(None, None, *record_error(exc))
    meta = ack.result()  # None when acks=0: no offset to tell
    return Appended(p, None if meta is None else meta.offset + relative)


class Batches:
    """The lanes of one producer (KafkaLog keeps one, and closes it before stopping the producer)."""

    def __init__(self, max_request_size: int = 1048576, linger_ms: int = 0) -> None:
        self.max_request_size = max_request_size
        self.linger = linger_ms / 1000
        self._lanes: dict[tuple[str, int], _Lane] = {}

    async def append(self, producer: AIOKafkaProducer, topic: str, partitions: Sequence[int],
                     records: Sequence[Record], timeout: float) -> list[Appended]:
        """Append `records` to `partitions` (one each); outcomes in order, after at most `timeout` s."""
        if len(records) == 1 and (topic, partitions[0]) not in self._lanes and \
                (records[0].key is not None or records[0].value is not None):
            # one record, nothing of ours queued for its partition: send() (see the module's docstring)
            r, p = records[0], partitions[0]
            try:
                fut = await producer.send(topic, r.value, r.key, p, r.timestamp, list(r.headers) if r.headers else None)
            except E.KafkaError as exc:
                return [Appended(None, None, *record_error(exc))]
            await asyncio.wait((fut,), timeout=timeout)
            return [_outcome(fut, 0, topic, p, timeout)]
        loop = asyncio.get_running_loop()
        lanes = self._lanes
        limit = self.max_request_size
        estimate = DefaultRecordBatchBuilder.estimate_size_in_bytes
        slots: list[tuple[_Batch, int] | BaseException] = []
        mine: dict[int, _Lane] = {}
        for r, p in zip(records, partitions):
            headers = list(r.headers) if r.headers else _NO_HEADERS
            size = estimate(r.key, r.value, headers)
            if size > limit:  # as aiokafka's send() refuses it: this record fails alone
                slots.append(E.MessageSizeTooLargeError(
                    f"The message is {size} bytes when serialized which is larger than the maximum request "
                    "size you have configured with the max_request_size configuration"))
                continue
            lane = mine.get(p)
            if lane is None:
                lane = lanes.get((topic, p))
                if lane is None:
                    lane = lanes[(topic, p)] = _Lane()
                mine[p] = lane
            batch = lane.open
            meta = batch.builder.append(timestamp=r.timestamp, key=r.key, value=r.value,
                                        headers=headers) if batch is not None else None
            if meta is None:  # no open batch, or it is full
                if len(lane.queue) >= _MAX_QUEUED:
                    slots.append(E.KafkaTimeoutError(f"{_MAX_QUEUED} batches are waiting for {topic}-{p}"))
                    continue
                batch = lane.open = _Batch(producer.create_batch(), loop)
                lane.queue.append(batch)
                meta = batch.builder.append(timestamp=r.timestamp, key=r.key, value=r.value, headers=headers)
            slots.append((batch, meta.offset))
        for p, lane in mine.items():
            if lane.task is None and lane.queue:
                lane.task = loop.create_task(self._drain(producer, (topic, p), lane))
        acks = {s[0].ack for s in slots if type(s) is tuple}
        if acks:
            await asyncio.wait(acks, timeout=timeout)
        out: list[Appended] = []
        for s, p in zip(slots, partitions):
            if type(s) is not tuple:
                out.append(Appended(None, None, *record_error(s)))  # type: ignore[arg-type]
            else:
                out.append(_outcome(s[0].ack, s[1], topic, p, timeout))
        return out

    async def _drain(self, producer: AIOKafkaProducer, tp: tuple[str, int], lane: _Lane) -> None:
        """Hand the lane's batches to aiokafka one at a time, each once the one before is acknowledged
        (aiokafka sends one batch per partition at a time anyway: meanwhile records gather in the open
        batch), then retire the lane."""
        loop = asyncio.get_running_loop()
        prev: asyncio.Future | None = None
        try:
            while True:
                if prev is not None and not prev.done():
                    await asyncio.wait((prev,))
                if not lane.queue:
                    break
                batch = lane.queue[0]
                if self.linger and lane.open is batch and (left := batch.born + self.linger - loop.time()) > 0:
                    await asyncio.sleep(left)  # linger.ms: a batch that is not full waits for more records
                lane.queue.popleft()
                if lane.open is batch:
                    lane.open = None
                batch.builder.close()
                try:
                    prev = await producer.send_batch(batch.builder, tp[0], partition=tp[1])
                except asyncio.CancelledError:
                    batch.ack.cancel()
                    raise
                except Exception as exc:  # noqa: BLE001 - the batch's records report it
                    if not batch.ack.done():
                        batch.ack.set_exception(exc)
                        batch.ack.exception()
                    continue
                prev.add_done_callback(lambda f, ack=batch.ack: _settle(ack, f))
        finally:
            for batch in lane.queue:  # only when cancelled
                batch.ack.cancel()
            lane.queue.clear()
            lane.open = lane.task = None
            if self._lanes.get(tp) is lane:
                del self._lanes[tp]

    async def close(self, timeout: float) -> None:
        """Let the lanes hand over what they hold (for at most `timeout` s), before the producer stops."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for task in tasks:
            task.cancel()
        self._lanes.clear()

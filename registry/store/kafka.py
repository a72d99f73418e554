"""The Kafka store: the registry's log in Confluent's compacted `_schemas` topic.

The registry core is synchronous and runs on the server's event loop, so this store
cannot await. It runs aiokafka on a private event loop in a daemon thread and blocks on
`run_coroutine_threadsafe(...).result(timeout)`: a write returns once the broker
acknowledged it with acks=all, and raises otherwise (the core answers 50001).

One write is one record batch (Confluent writes each record with its own produce, so a
crash may leave half of a subject delete; a single batch is all or nothing on the broker).
After `load()` the same consumer keeps tailing the topic once `follow()` was called: records
another node wrote are handed to the follower callback on the caller's event loop, while
the records this store wrote itself (known by offset) are skipped, the core having applied
them already. Both sides of the codec are used only on the caller's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka import errors as E
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from registry.store.base import Record
from registry.store.kafka_records import ConfluentCodec

T = TypeVar("T")
Raw = tuple[int, bytes | None, bytes | None, int]  # offset, key, value, timestamp
log = logging.getLogger(__name__)

TOPIC_CONFIGS = {"cleanup.policy": "compact"}
MAX_BATCH = 1024 * 1024  # Kafka's default max.message.bytes


class KafkaStore:
    def __init__(self, bootstrap_servers: str, topic: str = "_schemas", *, timeout: float = 30.0,
                 replication_factor: int | None = None, client_options: dict[str, Any] | None = None) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.timeout = timeout
        self.replication_factor = replication_factor
        self.options = dict(client_options or {})
        self.codec = ConfluentCodec()
        self._tp = TopicPartition(topic, 0)
        self._own: set[int] = set()  # offsets this store wrote, not yet seen by the tail
        self._callback: Callable[[list[Record]], None] | None = None
        self._caller_loop: asyncio.AbstractEventLoop | None = None
        self._tail: asyncio.Task | None = None
        self._position = 0  # what the tail has handed over (offset of the next record)
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"kafkastore-{topic}", daemon=True)
        self._thread.start()
        try:
            self._run(self._start())
        except BaseException:
            self.close()
            raise

    # -- plumbing ------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout or self.timeout)
        except TimeoutError:
            future.cancel()
            raise TimeoutError(f"Kafka did not answer within {timeout or self.timeout:g} s") from None

    async def _start(self) -> None:
        common = {"bootstrap_servers": self.bootstrap_servers, **self.options}
        admin = AIOKafkaAdminClient(**common)
        await admin.start()
        try:
            if self.topic not in await admin.list_topics():
                brokers = len(admin._client.cluster.brokers()) or 1
                rf = self.replication_factor or min(3, brokers)
                resp = await admin.create_topics([NewTopic(self.topic, 1, rf, topic_configs=TOPIC_CONFIGS)])
                for entry in resp.topic_errors:
                    err = E.for_code(entry[1]) if entry[1] else None
                    if err is not None and err is not E.TopicAlreadyExistsError:
                        raise err(entry[2] if len(entry) > 2 else "")
        finally:
            await admin.close()
        self._producer = AIOKafkaProducer(**common, acks="all", linger_ms=0, max_batch_size=MAX_BATCH,
                                          max_request_size=MAX_BATCH + 65536)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(**common, enable_auto_commit=False, group_id=None,
                                          auto_offset_reset="earliest")
        await self._consumer.start()
        self._consumer.assign([self._tp])
        for _ in range(50):  # a new topic's partition may take a moment to get a leader
            if self._consumer._client.cluster.partitions_for_topic(self.topic):
                break
            await self._consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)

    # -- the Store protocol --------------------------------------------------------------

    def load(self) -> list[Record]:
        """The whole topic, from the beginning to its end offset at the time of the call."""
        self._run(self._stop_tail())  # a second Registry on this store starts over
        self.codec, self._own = ConfluentCodec(), set()
        out: list[Record] = []
        for _, key, value, ts in self._run(self._read_to_end(), self.timeout * 4):
            out += self.codec.decode(key, value, ts)
        return out

    async def _read_to_end(self) -> list[Raw]:
        consumer = self._consumer
        assert consumer is not None
        await consumer.seek_to_beginning(self._tp)
        end = (await consumer.end_offsets([self._tp]))[self._tp]
        raws: list[Raw] = []
        while await consumer.position(self._tp) < end:
            batches = await consumer.getmany(self._tp, timeout_ms=500)
            for msg in batches.get(self._tp, ()):
                raws.append((msg.offset, msg.key, msg.value, msg.timestamp))
        self._position = await consumer.position(self._tp)
        return raws

    def write(self, records: list[Record]) -> None:
        messages = self.codec.encode(records)
        if messages:
            self._own.update(self._run(self._produce(messages)))
        self.codec.applied(records)

    async def _produce(self, messages: list[tuple[bytes, bytes | None]]) -> list[int]:
        """All in one batch when they fit (atomic on the broker); the offsets they got."""
        producer = self._producer
        assert producer is not None
        batches, batch = [], producer.create_batch()
        for key, value in messages:
            if batch.append(key=key, value=value, timestamp=None) is None:
                batches.append(batch)
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"a record of {len(value or b'')} bytes is over the batch limit")
        batches.append(batch)
        offsets: list[int] = []
        for b in batches:
            count = b.record_count()
            future = await producer.send_batch(b, self.topic, partition=0)
            meta = await future
            offsets += range(meta.offset, meta.offset + count)
        return offsets

    def close(self) -> None:
        if not self._loop.is_running():
            return
        with contextlib.suppress(Exception):
            self._run(self._stop(), 10)
        with contextlib.suppress(Exception):  # what a broker that is away left hanging
            self._run(_cancel_all(), 5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()

    async def _stop_tail(self) -> None:
        tail, self._tail = self._tail, None
        if tail is not None:
            tail.cancel()
            with contextlib.suppress(BaseException):
                await tail

    async def _stop(self) -> None:
        await self._stop_tail()
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()

    # -- followers -----------------------------------------------------------------------

    def follow(self, callback: Callable[[list[Record]], None], loop: asyncio.AbstractEventLoop) -> None:
        """Tail the topic from where `load()` ended; other nodes' records go to `callback` on `loop`."""
        self._callback, self._caller_loop = callback, loop
        self._tail = asyncio.run_coroutine_threadsafe(self._start_tail(), self._loop).result(self.timeout)

    async def _start_tail(self) -> asyncio.Task:
        await self._stop_tail()
        return asyncio.ensure_future(self._tail_loop())

    async def _tail_loop(self) -> None:
        consumer = self._consumer
        assert consumer is not None and self._caller_loop is not None
        while True:
            try:
                batches = await consumer.getmany(self._tp, timeout_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker away: aiokafka reconnects, we keep asking
                log.warning("tailing %s failed; retrying", self.topic, exc_info=True)
                await asyncio.sleep(1)
                continue
            raws = [(m.offset, m.key, m.value, m.timestamp) for m in batches.get(self._tp, ())]
            if raws:
                end = raws[-1][0] + 1
                try:
                    self._caller_loop.call_soon_threadsafe(self._deliver, raws, end)
                except RuntimeError:  # the server's loop is closed: nobody left to follow for
                    return

    def _deliver(self, raws: list[Raw], end: int) -> None:
        """On the caller's loop: after any write() in progress returned, so its offsets are known."""
        records: list[Record] = []
        for offset, key, value, ts in raws:
            if offset in self._own:
                self._own.discard(offset)
                continue
            records += self.codec.decode(key, value, ts)
        self._position = max(self._position, end)
        if records and self._callback is not None:
            try:
                self._callback(records)
            except Exception:
                log.exception("applying records from %s failed", self.topic)

    async def caught_up(self, timeout: float | None = None) -> bool:
        """On the caller's loop: wait until the tail handed over everything in the topic now, so a
        follower reads its own forwarded write. False when that took longer than `timeout`."""
        end = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._end_offset(), self._loop))
        deadline = asyncio.get_running_loop().time() + (timeout or self.timeout)
        while self._position < end:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _end_offset(self) -> int:
        assert self._consumer is not None
        return (await self._consumer.end_offsets([self._tp]))[self._tp]


async def _cancel_all() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

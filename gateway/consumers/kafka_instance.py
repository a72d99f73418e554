"""A v2 consumer instance on Kafka: one aiokafka consumer that is a real member of the group.

Why a real member: partitions are then shared with every other member of the group, including
ordinary Kafka consumers outside the gateway, and the broker rebalances them when members join,
leave or expire (an expired instance's consumer is stopped, which leaves the group). Positions,
seeks, commits and committed offsets are the consumer's own; this class only adds REST Proxy's
error mapping and the `max_bytes` rule (records that did not fit are sought back so the next
request starts with them).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import TopicPartition
from aiokafka import errors as E

from gateway.consumers.config import InstanceConfig
from gateway.consumers.errors import MUTUALLY_EXCLUSIVE, IllegalState, check_manual_assignment
from gateway.consumers.instance import BEGINNING, Instance, tp_name
from gateway.groups import TP
from gateway.log.base import LogError, StoredRecord
from gateway.log.kafka import log_error

_MAX_POLL = 5000


class KafkaInstance(Instance):
    def __init__(self, group: str, cfg: InstanceConfig, log: Any) -> None:
        super().__init__(group, cfg)
        self.log = log
        self.consumer = log.new_consumer(
            group_id=group, client_id=cfg.name, enable_auto_commit=cfg.auto_commit,
            auto_offset_reset=cfg.auto_offset_reset, max_poll_records=_MAX_POLL, fetch_max_wait_ms=100,
            max_partition_fetch_bytes=4 * 1024 * 1024)
        self.manual = False

    async def start(self) -> None:
        """Connect within the log's call timeout (a broker that is down fails the create, not hangs it)."""
        try:
            await self._call(asyncio.wait_for(self.consumer.start(), float(getattr(self.log, "timeout", 10.0))))
        except BaseException:
            await self.close()
            raise

    async def _call(self, aw: Any) -> Any:
        try:
            return await aw
        except E.IllegalStateError as exc:
            raise IllegalState(str(exc)) from None
        except LogError:
            raise
        except (E.KafkaError, OSError, TimeoutError, asyncio.TimeoutError) as exc:
            raise log_error(exc) from exc

    # ---- membership ----------------------------------------------------------------------

    @property
    def subscribed(self) -> bool:
        return not self.manual and bool(self.consumer.subscription())

    @property
    def assigned(self) -> list[TP]:
        return sorted((tp.topic, tp.partition) for tp in self.consumer.assignment())

    async def subscription(self) -> list[str]:
        return sorted(self.consumer.subscription()) if not self.manual else []

    async def subscribe(self, topics: list[str] | None, pattern: str | None) -> None:
        if self.manual:
            raise IllegalState(MUTUALLY_EXCLUSIVE)
        try:
            if topics is not None:
                self.consumer.subscribe(topics=list(dict.fromkeys(topics)))
            elif pattern is not None:
                self.consumer.subscribe(pattern=pattern)
        except E.IllegalStateError:
            raise IllegalState(MUTUALLY_EXCLUSIVE) from None
        except ValueError as exc:
            raise IllegalState(str(exc)) from None

    async def unsubscribe(self) -> None:
        self.consumer.unsubscribe()
        self.manual = False

    async def assign_manual(self, partitions: list[TP]) -> None:
        await check_manual_assignment(self.log, self.subscribed, partitions)
        try:
            self.consumer.assign([TopicPartition(t, p) for t, p in dict.fromkeys(partitions)])
        except E.IllegalStateError:
            raise IllegalState(MUTUALLY_EXCLUSIVE) from None
        self.manual = True

    # ---- positions -----------------------------------------------------------------------

    def _tp(self, tp: TP) -> TopicPartition:
        if tp not in self.consumer_assignment():
            raise IllegalState(f"No current assignment for partition {tp_name(tp)}")
        return TopicPartition(*tp)

    def consumer_assignment(self) -> set[TP]:
        return {(tp.topic, tp.partition) for tp in self.consumer.assignment()}

    def seek(self, tp: TP, offset: int) -> None:
        self.consumer.seek(self._tp(tp), offset)

    async def seek_edge(self, tps: list[TP], where: int) -> None:
        parts = [self._tp(tp) for tp in tps]
        if parts:
            if where == BEGINNING:
                await self._call(self.consumer.seek_to_beginning(*parts))
            else:
                await self._call(self.consumer.seek_to_end(*parts))

    async def seek_time(self, tp: TP, timestamp: int) -> None:
        part = self._tp(tp)
        found = (await self._call(self.consumer.offsets_for_times({part: timestamp}))).get(part)
        if found is None:
            await self._call(self.consumer.seek_to_end(part))
        else:
            self.consumer.seek(part, found.offset)

    def rewind(self, first: dict[TP, int]) -> None:
        assigned = self.consumer_assignment()
        for tp, off in first.items():
            if tp in assigned:
                self.consumer.seek(TopicPartition(*tp), off)

    # ---- fetch -----------------------------------------------------------------------------

    async def poll(self, budget: int | None, wait_ms: int) -> tuple[list[StoredRecord], bool]:
        """What the consumer has (waiting up to `wait_ms` for the first record), cut at `budget` bytes.

        Without partitions (nothing subscribed or assigned, or the group join still under way in
        aiokafka's background) getmany would wait past any timeout, so that case just waits a step."""
        if not self.consumer.assignment():
            await asyncio.sleep(min(max(wait_ms, 0), 50) / 1000)
            return [], False
        batch = await self._call(self.consumer.getmany(timeout_ms=max(wait_ms, 0), max_records=_MAX_POLL))
        out: list[StoredRecord] = []
        used, full = 0, False
        for tp, msgs in batch.items():
            for i, m in enumerate(msgs):
                size = len(m.key or b"") + len(m.value or b"")
                if full or (budget is not None and used + size > budget):
                    if not full:
                        full = True
                    self.consumer.seek(tp, m.offset)  # the rest of this partition waits for the next request
                    break
                used += size
                out.append(StoredRecord(tp.topic, tp.partition, m.offset, m.key, m.value, tuple(m.headers or ()),
                                        m.timestamp))
        return out, full

    # ---- commits ---------------------------------------------------------------------------

    async def commit(self, offsets: dict[TP, int] | None) -> None:
        if offsets is None:
            await self._call(self.consumer.commit())
            return
        if offsets:
            await self._call(self.consumer.commit({TopicPartition(*tp): off for tp, off in offsets.items()}))

    async def committed(self, tps: list[TP]) -> dict[TP, int | None]:
        return {tp: await self._call(self.consumer.committed(TopicPartition(*tp))) for tp in tps}

    async def close(self) -> None:
        """Stop the consumer: it commits (auto-commit) and leaves the group, which rebalances."""
        if self.closed:
            return
        self.closed = True
        try:
            await self.consumer.stop()
        except Exception:  # noqa: BLE001 - a broker that is gone cannot stop us from forgetting the instance
            pass

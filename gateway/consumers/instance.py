"""A v2 consumer instance on the embedded log: subscription or manual assignment, positions, commits.

Kafka consumer semantics, kept here because the embedded log has no client library to lend them:
positions are resolved lazily (a seek to beginning/end, or a fresh partition's committed offset
or auto.offset.reset, is evaluated at the next fetch); a position below the log start (retention
deleted it) resets per auto.offset.reset; auto-commit commits the positions of what earlier
fetches returned at the next fetch, on revoke and on close, as Kafka's auto-commit does.
Group membership is the embedded coordinator's (gateway.groups).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from gateway.consumers.config import InstanceConfig
from gateway.consumers.errors import MUTUALLY_EXCLUSIVE, IllegalState, check_manual_assignment
from gateway.groups import TP, GroupCoordinator
from gateway.log.base import LogError, PartitionNotFound, StoredRecord, TopicNotFound

BEGINNING, END = -2, -1  # pending seeks, as Kafka's ListOffsets sentinels
_PER_READ = 5000         # records read from one partition per log call


class Instance:
    """What both logs' instances share: identity, settings, idleness, one operation at a time."""

    def __init__(self, group: str, cfg: InstanceConfig) -> None:
        self.group = group
        self.name = cfg.name
        self.cfg = cfg
        self.format = cfg.format
        self.lock = asyncio.Lock()
        self.last_used = time.monotonic()
        self.closed = False

    def touch(self) -> None:
        self.last_used = time.monotonic()


def tp_name(tp: TP) -> str:
    return f"{tp[0]}-{tp[1]}"


class EmbeddedInstance(Instance):
    """One consumer on the embedded log; `topics`/`pattern` are what the coordinator reads."""

    def __init__(self, group: str, cfg: InstanceConfig, log: Any, coordinator: GroupCoordinator) -> None:
        super().__init__(group, cfg)
        self.log = log
        self.coordinator = coordinator
        self.topics: list[str] | None = None
        self.pattern: re.Pattern[str] | None = None
        self.manual: list[TP] | None = None
        self.assigned: list[TP] = []
        self.positions: dict[TP, int] = {}     # resolved next offsets, or BEGINNING/END pending
        self.committed_at: dict[TP, int] = {}  # what auto-commit last wrote
        self._rr = 0                           # round-robin start among partitions

    # ---- membership ----------------------------------------------------------------------

    @property
    def subscribed(self) -> bool:
        return self.topics is not None or self.pattern is not None

    async def subscription(self) -> list[str]:
        if self.topics is not None:
            return list(self.topics)
        if self.pattern is not None:
            return [t for t in await self.log.topics() if self.pattern.fullmatch(t)]
        return []

    async def subscribe(self, topics: list[str] | None, pattern: str | None) -> None:
        if self.manual is not None:
            raise IllegalState(MUTUALLY_EXCLUSIVE)
        if topics is not None:
            self.topics, self.pattern = list(dict.fromkeys(topics)), None
        elif pattern is not None:
            try:
                self.topics, self.pattern = None, re.compile(pattern)
            except re.error as exc:
                raise IllegalState(f"Invalid topic pattern {pattern!r}: {exc}") from None
        else:
            return
        await self.coordinator.join(self.group, self)

    async def unsubscribe(self) -> None:
        """Kafka's unsubscribe: leaves the group and clears a manual assignment too."""
        if self.subscribed:
            await self._commit_auto(self.assigned)
            self.topics = self.pattern = None
            await self.coordinator.leave(self.group, self)
        self.manual = None
        self.assign([])

    async def assign_manual(self, partitions: list[TP]) -> None:
        await check_manual_assignment(self.log, self.subscribed, partitions)
        self.manual = list(dict.fromkeys(partitions))
        self.assign(self.manual)

    # coordinator callbacks
    async def revoke(self, partitions: list[TP]) -> None:
        await self._commit_auto(partitions)
        for tp in partitions:
            self.positions.pop(tp, None)

    def assign(self, partitions: list[TP]) -> None:
        keep = set(partitions)
        self.positions = {tp: off for tp, off in self.positions.items() if tp in keep}
        self.assigned = list(partitions)

    # ---- positions -----------------------------------------------------------------------

    def _check_assigned(self, tp: TP) -> None:
        if tp not in self.assigned:
            raise IllegalState(f"No current assignment for partition {tp_name(tp)}")

    def seek(self, tp: TP, offset: int) -> None:
        self._check_assigned(tp)
        self.positions[tp] = offset

    async def seek_edge(self, tps: list[TP], where: int) -> None:
        for tp in tps:
            self._check_assigned(tp)
        for tp in tps:
            self.positions[tp] = where

    async def seek_time(self, tp: TP, timestamp: int) -> None:
        self._check_assigned(tp)
        off = await self.log.offset_for_time(tp[0], tp[1], timestamp)
        self.positions[tp] = END if off is None else off

    async def _resolve(self, tp: TP) -> int:
        """The next offset to read of `tp`: pending seeks, committed offsets and resets applied."""
        pos = self.positions.get(tp)
        if pos is None:
            pos = (await self.log.committed(self.group, [tp])).get(tp)
            if pos is None:
                pos = self._reset(tp)
        if pos == BEGINNING:
            pos = await self.log.earliest(*tp)
        elif pos == END:
            pos = await self.log.latest(*tp)
        else:
            start = await self.log.earliest(*tp)
            if pos < start:  # deleted by retention: out of range
                pos = await self.log.earliest(*tp) if self._reset(tp) == BEGINNING else await self.log.latest(*tp)
        self.positions[tp] = pos
        return pos

    def _reset(self, tp: TP) -> int:
        if self.cfg.auto_offset_reset == "earliest":
            return BEGINNING
        if self.cfg.auto_offset_reset == "latest":
            return END
        raise LogError(f"Kafka error: Undefined offset with no reset policy for partitions: [{tp_name(tp)}]",
                       status=500, error_code=50002)

    def rewind(self, first: dict[TP, int]) -> None:
        """Undo a fetch whose records were not delivered (a decode failure): positions go back."""
        for tp, off in first.items():
            if tp in self.positions:
                self.positions[tp] = off

    # ---- fetch -----------------------------------------------------------------------------

    async def poll(self, budget: int | None, wait_ms: int) -> tuple[list[StoredRecord], bool]:
        """Records available now from the assigned partitions, at most `budget` bytes (key+value).

        Returns (records, full): `full` when the next record would not have fitted. Waits up to
        `wait_ms` (in small steps) only when nothing at all is available."""
        if self.subscribed:
            await self.coordinator.refresh(self.group)
        await self._commit_auto(self.assigned)
        if not self.assigned:
            if wait_ms > 0:
                await asyncio.sleep(min(wait_ms, 50) / 1000)
            return [], False
        out: list[StoredRecord] = []
        used, full = 0, False
        parts = self.assigned[self._rr:] + self.assigned[:self._rr]
        self._rr = (self._rr + 1) % len(self.assigned)
        for tp in parts:
            try:
                pos = await self._resolve(tp)
                got = await self.log.read(tp[0], tp[1], pos, max_records=_PER_READ,
                                          max_bytes=None if budget is None else budget - used + 1)
            except (TopicNotFound, PartitionNotFound):
                continue
            for r in got:
                size = len(r.key or b"") + len(r.value or b"")
                if budget is not None and used + size > budget:
                    full = True
                    break
                used += size
                out.append(r)
                self.positions[tp] = r.offset + 1
            if full:
                break
        if not out and wait_ms > 0:
            await asyncio.sleep(min(wait_ms, 20) / 1000)
        return out, full

    # ---- commits ---------------------------------------------------------------------------

    async def commit(self, offsets: dict[TP, int] | None) -> None:
        """Commit `offsets` (already +1), or every consumed position when None."""
        if offsets is None:
            offsets = {tp: off for tp, off in self.positions.items() if off >= 0}
        if offsets:
            await self.log.commit(self.group, offsets)
            self.committed_at.update(offsets)

    async def committed(self, tps: list[TP]) -> dict[TP, int | None]:
        return await self.log.committed(self.group, tps)

    async def _commit_auto(self, tps: list[TP]) -> None:
        if not self.cfg.auto_commit:
            return
        due = {tp: self.positions[tp] for tp in tps
               if self.positions.get(tp, -1) >= 0 and self.committed_at.get(tp) != self.positions[tp]}
        if due:
            try:
                await self.log.commit(self.group, due)
            except (TopicNotFound, PartitionNotFound):
                return
            self.committed_at.update(due)

    async def close(self) -> None:
        """Leave the group (its partitions go to the others), committing first when auto-commit is on."""
        if self.closed:
            return
        self.closed = True
        try:
            await self._commit_auto(self.assigned)
        except LogError:
            pass
        if self.subscribed:
            self.topics = self.pattern = None
            await self.coordinator.leave(self.group, self)

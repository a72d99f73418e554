"""The embedded log's consumer group coordinator: the gateway itself plays Kafka's group coordinator.

Why it exists: on the embedded log there is no broker to divide partitions, so the gateway keeps,
per group, the live consumer instances and their subscriptions, divides the subscribed topics'
partitions among them with Kafka's range assignor, and rebalances whenever a member joins,
leaves, changes its subscription or expires, or the subscribed topics change (a new topic
matching a pattern, a deleted one). Committed offsets are not kept here: they live in the log's
SQLite through `Log.commit/committed`, so they survive restarts exactly like Kafka's.

Rebalances are eager per partition but sticky per member: a partition that stays with its member
keeps its position; a revoked partition is first handed back (`Member.revoke`, which commits it
when auto-commit is on) and its new owner starts from the committed offset.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from gateway.log.base import Log, TopicNotFound

TP = tuple[str, int]


class Member(Protocol):
    """What the coordinator needs of a consumer instance."""

    name: str
    topics: list[str] | None
    pattern: re.Pattern[str] | None

    async def revoke(self, partitions: list[TP]) -> None:
        """Partitions leave this member: commit them if it auto-commits, forget their positions."""

    def assign(self, partitions: list[TP]) -> None:
        """The member's new assignment (kept partitions keep their positions)."""


@dataclass
class _Group:
    members: dict[str, Member] = field(default_factory=dict)
    assignment: dict[str, list[TP]] = field(default_factory=dict)
    metadata: tuple[tuple[str, int], ...] = ()
    generation: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def range_assign(members: dict[str, list[str]], partitions: dict[str, int]) -> dict[str, list[TP]]:
    """Kafka's RangeAssignor: per topic, its sorted subscribers get consecutive ranges, the first ones one more."""
    out: dict[str, list[TP]] = {m: [] for m in members}
    by_topic: dict[str, list[str]] = defaultdict(list)
    for m, topics in members.items():
        for t in topics:
            if t in partitions:
                by_topic[t].append(m)
    for topic, subs in sorted(by_topic.items()):
        subs.sort()
        n, k = partitions[topic], len(subs)
        per, extra = divmod(n, k)
        start = 0
        for i, m in enumerate(subs):
            count = per + (1 if i < extra else 0)
            out[m].extend((topic, p) for p in range(start, start + count))
            start += count
    return out


class GroupCoordinator:
    """Live members and assignments of every group on one embedded log (one per app)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self._groups: dict[str, _Group] = {}

    def groups(self) -> list[str]:
        return sorted(g for g, st in self._groups.items() if st.members)

    def members(self, group: str) -> dict[str, Member]:
        st = self._groups.get(group)
        return dict(st.members) if st else {}

    def assignment(self, group: str) -> dict[str, list[TP]]:
        st = self._groups.get(group)
        return {m: list(tps) for m, tps in st.assignment.items()} if st else {}

    async def join(self, group: str, member: Member) -> None:
        """Add (or re-subscribe) a member and rebalance the group."""
        st = self._groups.setdefault(group, _Group())
        async with st.lock:
            st.members[member.name] = member
            await self._rebalance(st)

    async def leave(self, group: str, member: Member) -> None:
        """Remove a member (delete, unsubscribe, expiry) and give its partitions to the others."""
        st = self._groups.get(group)
        if st is None or member.name not in st.members:
            return
        async with st.lock:
            if st.members.get(member.name) is not member:
                return
            del st.members[member.name]
            await self._rebalance(st)
            if not st.members:
                self._groups.pop(group, None)

    async def refresh(self, group: str) -> None:
        """Rebalance when the subscribed topics changed (created, deleted, repartitioned) since the last time."""
        st = self._groups.get(group)
        if st is None:
            return
        if await self._metadata(st) != st.metadata:
            async with st.lock:
                await self._rebalance(st)

    async def _metadata(self, st: _Group) -> tuple[tuple[str, int], ...]:
        names = await self.log.topics()
        wanted: set[str] = set()
        for m in st.members.values():
            if m.topics is not None:
                wanted.update(t for t in m.topics if t in names)
            elif m.pattern is not None:
                wanted.update(t for t in names if m.pattern.fullmatch(t))
        out = []
        for t in sorted(wanted):
            try:
                out.append((t, (await self.log.topic(t)).partitions))
            except TopicNotFound:
                continue
        return tuple(out)

    async def _rebalance(self, st: _Group) -> None:
        st.metadata = await self._metadata(st)
        counts = dict(st.metadata)
        subs: dict[str, list[str]] = {}
        for name, m in st.members.items():
            if m.topics is not None:
                subs[name] = [t for t in m.topics if t in counts]
            elif m.pattern is not None:
                subs[name] = [t for t in counts if m.pattern.fullmatch(t)]
            else:
                subs[name] = []
        new = range_assign(subs, counts)
        # hand revoked partitions back first, so a new owner reads from what the old one committed
        for name, old in st.assignment.items():
            member = st.members.get(name)
            if member is None:
                continue
            gone = [tp for tp in old if tp not in set(new.get(name, ()))]
            if gone:
                await member.revoke(gone)
        st.assignment = new
        st.generation += 1
        for name, tps in new.items():
            st.members[name].assign(tps)

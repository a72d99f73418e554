"""Group offsets of the Kafka log, straight to the group coordinator (OffsetCommit with generation -1,
OffsetFetch) over one plain client: aiokafka's admin API cannot read group offsets from every broker."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from aiokafka import errors as E
from aiokafka.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka.protocol.commit import OffsetCommitRequest, OffsetFetchRequest

from gateway.log.base import LogError, TopicNotFound
from gateway.log.kafka_errors import log_error


class GroupOffsets:
    """The group-offset half of KafkaLog, which mixes it in and provides `timeout`, `_ready_client` and `_bounded`."""

    timeout: float

    async def _coordinator(self, group: str) -> tuple[AIOKafkaClient, int]:
        client = await self._ready_client()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return client, await self._bounded(client.coordinator_lookup(CoordinationType.GROUP, group))
            except LogError as exc:
                if exc.error_code != 50003 or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def commit(self, group: str, offsets: dict[tuple[str, int], int]) -> None:
        """Commit as a client outside group management (generation -1), as Kafka's admin API does."""
        if not offsets:
            return
        by_topic: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for (topic, partition), off in offsets.items():
            by_topic[topic].append((partition, int(off), ""))
        client, node = await self._coordinator(group)
        request = OffsetCommitRequest(group, OffsetCommitRequest.DEFAULT_GENERATION_ID, "",
                                      OffsetCommitRequest.DEFAULT_RETENTION_TIME, list(by_topic.items()))
        resp = await self._bounded(client.send(node, request, group=ConnectionGroup.COORDINATION))
        for topic, parts in resp.topics:
            for partition, code in parts:
                if code:
                    err = E.for_code(code)
                    if err is E.UnknownTopicOrPartitionError:
                        raise TopicNotFound(topic)
                    raise log_error(err(f"committing offsets of group {group!r} for {topic}-{partition}"))

    async def committed(self, group: str, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
        out: dict[tuple[str, int], int | None] = {tp: None for tp in partitions}
        if not partitions:
            return out
        by_topic: dict[str, list[int]] = defaultdict(list)
        for topic, partition in partitions:
            by_topic[topic].append(partition)
        client, node = await self._coordinator(group)
        resp = await self._bounded(client.send(node, OffsetFetchRequest(group, list(by_topic.items())),
                                               group=ConnectionGroup.COORDINATION))
        if getattr(resp, "error_code", 0):
            raise log_error(E.for_code(resp.error_code)(f"fetching offsets of group {group!r}"))
        for topic, parts in resp.topics:
            for partition, off, _meta, code in parts:
                if code and E.for_code(code) is not E.UnknownTopicOrPartitionError:
                    raise log_error(E.for_code(code)(f"fetching offsets of group {group!r}"))
                if (topic, partition) in out and off >= 0:
                    out[(topic, partition)] = off
        return out

"""What v3 admin reads beyond the Log protocol (config sources, groups, members, group offsets), per log.

Why an adapter here instead of new Log methods: the embedded log answers from its own tables and
the gateway's group coordinator; Kafka answers through confluent-kafka's AdminClient, because
aiokafka's admin client lacks config sources in a usable form and cannot read group offsets
from every broker (spec test-broker.md). One adapter per app, kept on the gateway state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from gateway.consumers.manager import manager
from gateway.groups import TP
from gateway.log.base import LogError, TopicNotFound
from gateway.log.kafka_errors import UNKNOWN_TOPIC, rdkafka_error


@dataclass(frozen=True)
class Config:
    name: str
    value: str | None
    is_default: bool
    is_read_only: bool = False
    is_sensitive: bool = False
    source: str = "DEFAULT_CONFIG"


@dataclass(frozen=True)
class MemberInfo:
    consumer_id: str
    client_id: str
    instance_id: str | None
    assignments: tuple[TP, ...]


@dataclass(frozen=True)
class GroupInfo:
    group_id: str
    state: str
    is_simple: bool = False
    partition_assignor: str = "range"
    members: tuple[MemberInfo, ...] = field(default_factory=tuple)


class EmbeddedAdmin:
    """Answers from the embedded log's tables and the app's group coordinator."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log = app.state.gateway.log

    async def configs(self, topic: str) -> list[Config]:
        from gateway.log.embedded import DEFAULT_CONFIGS, KNOWN_CONFIGS

        info = await self.log.topic(topic)
        out = []
        for name in sorted(KNOWN_CONFIGS | set(info.configs)):
            if name in info.configs and (name not in DEFAULT_CONFIGS or info.configs[name] != DEFAULT_CONFIGS[name]):
                out.append(Config(name, info.configs[name], False, source="DYNAMIC_TOPIC_CONFIG"))
            elif name in DEFAULT_CONFIGS:
                out.append(Config(name, DEFAULT_CONFIGS[name], True))
        return out

    def _live(self) -> dict[str, GroupInfo]:
        coord = manager(self.app).coordinator
        out: dict[str, GroupInfo] = {}
        if coord is None:
            return out
        for g in coord.groups():
            assignment = coord.assignment(g)
            members = tuple(MemberInfo(name, name, None, tuple(assignment.get(name, ())))
                            for name in sorted(coord.members(g)))
            out[g] = GroupInfo(g, "STABLE", members=members)
        return out

    async def groups(self) -> list[GroupInfo]:
        live = self._live()
        for g in await self.log.groups():
            live.setdefault(g, GroupInfo(g, "EMPTY"))
        return [live[g] for g in sorted(live)]

    async def group(self, group_id: str) -> GroupInfo | None:
        return next((g for g in await self.groups() if g.group_id == group_id), None)

    async def offsets(self, group_id: str) -> dict[TP, int]:
        tps: list[TP] = []
        for t in await self.log.topics():
            try:
                tps.extend((t, p) for p in range(( await self.log.topic(t)).partitions))
            except TopicNotFound:
                continue
        found = await self.log.committed(group_id, tps)
        return {tp: off for tp, off in found.items() if off is not None}


class KafkaAdmin:
    """Answers through confluent-kafka's AdminClient on the Kafka log's connection settings."""

    def __init__(self, app: Any) -> None:
        from confluent_kafka.admin import AdminClient

        from gateway.log.kafka import librdkafka_config

        self.log = app.state.gateway.log
        self.timeout = float(getattr(self.log, "timeout", 10.0))
        self.client = AdminClient(librdkafka_config(self.log.bootstrap_servers, getattr(self.log, "_options", {})))

    async def _wait(self, future: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except (TimeoutError, asyncio.TimeoutError):
            raise LogError("Timed out waiting for the Kafka cluster.", status=500, error_code=50003) from None
        except LogError:
            raise
        except Exception as exc:  # noqa: BLE001 - KafkaException carries the broker's KafkaError
            code, message, retriable = rdkafka_error(exc)
            if code in UNKNOWN_TOPIC:
                raise LogError("This server does not host this topic-partition.", status=404,
                               error_code=40403) from None
            if code == 69:  # GROUP_ID_NOT_FOUND
                return None
            raise LogError(message, status=500, error_code=50003 if retriable else 50002) from None

    async def configs(self, topic: str) -> list[Config]:
        from confluent_kafka.admin import ConfigResource, ResourceType

        await self.log.topic(topic)
        res = ConfigResource(ResourceType.TOPIC, topic)
        entries = await self._wait(self.client.describe_configs([res], request_timeout=self.timeout)[res])
        out = []
        for name in sorted(entries):
            e = entries[name]
            source = getattr(e.source, "name", str(e.source))
            out.append(Config(name, e.value, bool(e.is_default), bool(e.is_read_only), bool(e.is_sensitive),
                              source if source != "UNKNOWN_CONFIG" else "DEFAULT_CONFIG"))
        return out

    async def groups(self) -> list[GroupInfo]:
        listed = await self._wait(self.client.list_consumer_groups(request_timeout=self.timeout))
        ids = sorted(g.group_id for g in listed.valid)
        if not ids:
            return []
        described = self.client.describe_consumer_groups(ids, request_timeout=self.timeout)
        out = []
        for gid in ids:
            try:
                d = await self._wait(described[gid])
            except LogError:
                out.append(GroupInfo(gid, "UNKNOWN"))
                continue
            out.append(_group_info(gid, d))
        return out

    async def group(self, group_id: str) -> GroupInfo | None:
        listed = await self._wait(self.client.list_consumer_groups(request_timeout=self.timeout))
        if group_id not in {g.group_id for g in listed.valid}:
            return None
        d = await self._wait(self.client.describe_consumer_groups([group_id], request_timeout=self.timeout)[group_id])
        return None if d is None else _group_info(group_id, d)

    async def offsets(self, group_id: str) -> dict[TP, int]:
        from confluent_kafka import ConsumerGroupTopicPartitions

        futures = self.client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id)],
                                                          request_timeout=self.timeout)
        result = await self._wait(futures[group_id])
        if result is None:
            return {}
        return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions or () if tp.offset >= 0}


def _group_info(gid: str, d: Any) -> GroupInfo:
    members = []
    for m in d.members or ():
        tps = tuple(sorted((tp.topic, tp.partition) for tp in (m.assignment.topic_partitions if m.assignment else ())))
        members.append(MemberInfo(m.member_id, m.client_id, m.group_instance_id, tps))
    state = getattr(d.state, "name", str(d.state))
    return GroupInfo(gid, state, bool(d.is_simple_consumer_group), d.partition_assignor or "",
                     tuple(sorted(members, key=lambda m: m.consumer_id)))


def admin_view(app: Any) -> EmbeddedAdmin | KafkaAdmin:
    """The app's admin adapter, made on first use (kept on the gateway state, so on the lifespan)."""
    gw = app.state.gateway
    found = gw.extra.get("admin")
    if found is None:
        found = gw.extra["admin"] = KafkaAdmin(app) if hasattr(gw.log, "new_consumer") else EmbeddedAdmin(app)
    return found

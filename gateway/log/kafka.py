"""The Kafka log: the Log protocol on aiokafka.

Why it is shaped like this:
- One shared producer (acks=all, idempotent where the broker grants it). A call's records go to it
  as one batch per partition (create_batch/send_batch, kafka_batches.py), not one send() each, and
  records of concurrent calls share a batch while their partition is busy. Every record gets an
  explicit partition from our murmur2 partitioner, so a key lands on the same partition as with the
  embedded log and the Java client.
- Every client is started lazily and started again after a failed start; the aiokafka clients
  reconnect by themselves. So when the broker goes away calls fail within `timeout` seconds with
  the REST Proxy's codes, and work again when it is back, without restarting the gateway.
- Reads use one assigned (group-less) consumer per partition, kept in a small LRU: sequential
  reads of a partition continue from the consumer's prefetched data instead of seeking.
- Group offsets go straight to the group coordinator (OffsetCommit with generation -1, OffsetFetch)
  over one plain client: aiokafka's admin API cannot read group offsets from every broker.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import errors as E
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.client import AIOKafkaClient

from gateway.log.base import Appended, LogError, PartitionNotFound, Record, TopicExists, TopicInfo, TopicNotFound
from gateway.log.kafka_batches import Batches
from gateway.log.kafka_errors import UNKNOWN_TOPIC, log_error, rdkafka_error, record_error  # noqa: F401 - record_error: re-exported
from gateway.log.kafka_offsets import GroupOffsets
from gateway.log.kafka_options import client_kwargs, librdkafka_config
from gateway.log.kafka_reads import Reader, Reads
from gateway.log.partitioner import Partitioner
from gateway.log.topic_config import validate_topic_name

T = TypeVar("T")

_KNOWN_TTL = 10.0  # seconds a topic's partition count from metadata is trusted without asking again


class KafkaLog(Reads, GroupOffsets):
    def __init__(self, bootstrap_servers: str, *, client_options: dict[str, str] | None = None,
                 default_partitions: int = 1, auto_create: bool = True, timeout: float = 10.0,
                 read_wait_ms: int = 100, max_readers: int = 32) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.default_partitions = default_partitions
        self.auto_create = auto_create
        self.timeout = timeout
        self.read_wait_ms = read_wait_ms
        self.max_readers = max_readers
        self._options = dict(client_options or {})
        common, producer, self._idempotence = client_kwargs(self._options)
        self._connection = {"bootstrap_servers": bootstrap_servers, **common}
        common.setdefault("request_timeout_ms", int(timeout * 1000))
        common.setdefault("metadata_max_age_ms", 30000)
        self._common = {"bootstrap_servers": bootstrap_servers, **common}
        self._producer_kw = {"acks": "all", **producer}
        self._partitioner = Partitioner()
        self._batches = Batches(self._producer_kw.get("max_request_size", 1048576),
                                self._producer_kw.get("linger_ms", 0))
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._client: AIOKafkaClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._rdkafka_admin: Any = None
        self._readers: OrderedDict[tuple[str, int], Reader] = OrderedDict()
        self._known: dict[str, tuple[int, float]] = {}  # topic -> (partitions, when seen)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._closed = False

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect what can be connected now; a broker that is down is retried on first use."""
        try:
            await self._ready_producer()
        except LogError:
            pass

    async def close(self) -> None:
        """Flush the producer (what was acknowledged already is on the broker) and stop every client."""
        self._closed = True
        await self._batches.close(self.timeout)
        stops: list[Awaitable[Any]] = []
        if self._producer is not None:
            stops.append(self._producer.stop())
        stops += [r.consumer.stop() for r in self._readers.values()]
        if self._offsets is not None:
            stops.append(self._offsets.stop())
        if self._admin is not None:
            stops.append(self._admin.close())
        if self._client is not None:
            stops.append(self._client.close())
        self._readers.clear()
        self._producer = self._admin = self._client = self._offsets = self._rdkafka_admin = None
        await asyncio.gather(*stops, return_exceptions=True)

    async def _bounded(self, aw: Awaitable[T]) -> T:
        """Await a broker call for at most `timeout` seconds; failures become LogError."""
        try:
            return await asyncio.wait_for(aw, self.timeout)
        except LogError:
            raise
        except (E.KafkaError, TimeoutError, asyncio.TimeoutError, OSError) as exc:
            raise log_error(exc) from exc

    async def _lazy(self, name: str, make: Callable[[], Any], start: Callable[[Any], Awaitable[Any]]) -> Any:
        current = getattr(self, name)
        if current is not None:
            return current
        if self._closed:
            raise LogError("The log is closed.", status=503, error_code=50302)
        async with self._locks[name]:
            current = getattr(self, name)
            if current is None:
                current = make()
                try:
                    await self._bounded(start(current))
                except BaseException:
                    await self._quietly(current)
                    raise
                setattr(self, name, current)
            return current

    @staticmethod
    async def _quietly(client: Any) -> None:
        try:
            await (client.close() if isinstance(client, (AIOKafkaAdminClient, AIOKafkaClient)) else client.stop())
        except Exception:  # noqa: BLE001 - best effort cleanup of a client that never started
            pass

    async def _ready_producer(self) -> AIOKafkaProducer:
        async def start(p: AIOKafkaProducer) -> None:
            await p.start()

        if self._producer is not None:
            return self._producer
        idempotent = self._idempotence is not False
        try:
            return await self._lazy("_producer", lambda: AIOKafkaProducer(
                **self._common, **self._producer_kw, enable_idempotence=idempotent), start)
        except LogError as exc:
            # a broker that refuses InitProducerId (not one that is unreachable): go on without idempotence
            if not idempotent or self._idempotence is not None or exc.error_code == 50003:
                raise
            self._idempotence = False
            return await self._lazy("_producer", lambda: AIOKafkaProducer(
                **self._common, **self._producer_kw, enable_idempotence=False), start)

    async def _ready_client(self) -> AIOKafkaClient:
        return await self._lazy("_client", lambda: AIOKafkaClient(**self._common), lambda c: c.bootstrap())

    async def _ready_admin(self) -> AIOKafkaAdminClient:
        return await self._lazy("_admin", lambda: AIOKafkaAdminClient(**self._common), lambda a: a.start())

    async def _ready_offsets(self) -> AIOKafkaConsumer:
        return await self._lazy("_offsets", lambda: AIOKafkaConsumer(
            **self._common, group_id=None, enable_auto_commit=False), lambda c: c.start())

    # ---- metadata and topics ---------------------------------------------------------------

    async def _cluster(self) -> Any:
        """Fresh metadata of all topics (never naming one: that may auto-create it on the broker)."""
        client = await self._ready_client()
        try:
            cluster = await self._bounded(client.fetch_all_metadata())
        except LogError as exc:
            if exc.error_code == 50002:  # "Unable to get cluster metadata over all known brokers"
                raise LogError(exc.message, status=500, error_code=50003) from exc
            raise
        now = time.monotonic()
        self._known = {t: (len(cluster.partitions_for_topic(t) or ()), now) for t in cluster.topics()}
        return cluster

    async def _partition_count(self, topic: str, *, fresh: bool = False) -> int:
        """Partition count from the producer's metadata or a recent fetch, else from a fresh fetch."""
        if not fresh:
            if self._producer is not None and (cached := self._producer.client.cluster.partitions_for_topic(topic)):
                return len(cached)
            known = self._known.get(topic)
            if known and known[0] and time.monotonic() - known[1] < _KNOWN_TTL:
                return known[0]
        parts = (await self._cluster()).partitions_for_topic(topic)
        if not parts:
            raise TopicNotFound(topic)
        return len(parts)

    async def _check(self, topic: str, partition: int) -> None:
        if not 0 <= partition < await self._partition_count(topic):
            raise PartitionNotFound(topic, partition)

    async def topics(self) -> list[str]:
        return sorted((await self._cluster()).topics())

    async def topic(self, name: str) -> TopicInfo:
        admin = await self._ready_admin()
        # all topics, not [name]: a Metadata request naming a topic may auto-create it on the broker
        described = await self._bounded(admin.describe_topics(None))
        entry = next((t for t in described if t.get("topic") == name), None)
        if entry is None or entry.get("error_code") or not entry.get("partitions"):
            raise TopicNotFound(name)
        partitions = entry["partitions"]
        replicas = partitions[0].get("replicas") or partitions[0].get("replica_nodes") or [0]
        return TopicInfo(name, len(partitions), await self._configs(name), len(replicas))

    async def _configs(self, name: str) -> dict[str, str]:
        admin = await self._ready_admin()
        responses = await self._bounded(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)]))
        configs: dict[str, str] = {}
        for resp in responses:
            for resource in resp.resources:
                error_code, entries = resource[0], resource[4]
                if error_code:
                    raise log_error(E.for_code(error_code)(resource[1]))
                for entry in entries:
                    if entry[1] is not None:
                        configs[entry[0]] = entry[1]
        return configs

    async def create_topic(self, name: str, partitions: int, configs: dict[str, str] | None = None,
                           replication_factor: int = 1) -> TopicInfo:
        validate_topic_name(name)
        admin = await self._ready_admin()
        resp = await self._bounded(admin.create_topics(
            [NewTopic(name, partitions, replication_factor, topic_configs=dict(configs or {}))]))
        for entry in resp.topic_errors:
            topic, code, message = entry[0], entry[1], entry[2] if len(entry) > 2 else None
            if code and topic == name:
                err = E.for_code(code)
                if err is E.TopicAlreadyExistsError:
                    raise TopicExists(f"Topic '{name}' already exists.")
                raise log_error(err(message or ""))
        await self._await_visible(name, True)
        return TopicInfo(name, partitions, dict(configs or {}), replication_factor)

    async def add_partitions(self, name: str, total: int) -> TopicInfo:
        """Grow a topic to `total` partitions (CreatePartitions); Kafka never removes any."""
        current = await self.topic(name)
        if total <= current.partitions:
            raise LogError(f"Topic already has {current.partitions} partitions.", status=400, error_code=40002)
        admin = await self._ready_admin()
        resp = await self._bounded(admin.create_partitions({name: NewPartitions(total)}))
        for entry in resp.topic_errors:
            if entry[0] == name and entry[1]:
                raise log_error(E.for_code(entry[1])(entry[2] if len(entry) > 2 else ""))
        deadline = time.monotonic() + self.timeout
        while len((await self._cluster()).partitions_for_topic(name) or ()) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self._producer is not None:  # its metadata would hold the old count for minutes
            await self._bounded(self._producer.client.force_metadata_update())
        self._partitioner.forget(name)
        return TopicInfo(name, total, current.configs, current.replication_factor)

    async def _await_visible(self, name: str, present: bool) -> None:
        """Wait until metadata shows the topic (or its absence), so the next call sees what this one did."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            parts = (await self._cluster()).partitions_for_topic(name)
            if bool(parts) == present:
                return
            await asyncio.sleep(0.05)

    async def delete_topic(self, name: str) -> None:
        admin = await self._ready_admin()
        resp = await self._bounded(admin.delete_topics([name]))
        for entry in resp.topic_error_codes:
            if entry[0] == name and entry[1]:
                err = E.for_code(entry[1])
                if err is E.UnknownTopicOrPartitionError:
                    raise TopicNotFound(name)
                raise log_error(err())
        self._partitioner.forget(name)
        self._known.pop(name, None)
        for tp in [tp for tp in self._readers if tp[0] == name]:
            await self._quietly(self._readers.pop(tp).consumer)
        await self._await_visible(name, False)

    async def alter_topic_configs(self, name: str, set_configs: dict[str, str],
                                  delete: list[str] | tuple[str, ...] = ()) -> TopicInfo:
        """Set and reset topic configs (beyond the Log protocol: v3 config alter).

        IncrementalAlterConfigs, which aiokafka lacks, goes through confluent-kafka's admin client;
        without confluent-kafka installed, the legacy AlterConfigs with the merged full set.
        """
        await self._partition_count(name, fresh=True)
        try:
            from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry
            from confluent_kafka.admin import ConfigResource as RdConfigResource
        except ImportError:
            merged = {**await self._configs(name), **set_configs}
            for key in delete:
                merged.pop(key, None)
            admin = await self._ready_admin()
            resp = await self._bounded(admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, merged)]))
            for resource in resp.resources:
                if resource[0]:
                    raise log_error(E.for_code(resource[0])(resource[1] or ""))
            return await self.topic(name)
        if self._rdkafka_admin is None:
            self._rdkafka_admin = AdminClient(librdkafka_config(self.bootstrap_servers, self._options))
        entries = [ConfigEntry(k, str(v), incremental_operation=AlterConfigOpType.SET) for k, v in set_configs.items()]
        entries += [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in delete]
        futures = self._rdkafka_admin.incremental_alter_configs(
            [RdConfigResource("TOPIC", name, incremental_configs=entries)], request_timeout=self.timeout)
        for future in futures.values():
            try:
                await self._bounded(asyncio.wrap_future(future))
            except LogError:
                raise
            except Exception as exc:  # noqa: BLE001 - KafkaException carries the broker's KafkaError
                code, message, retriable = rdkafka_error(exc)
                if code in UNKNOWN_TOPIC:
                    raise TopicNotFound(name) from exc
                if retriable:
                    raise LogError(message, status=500, error_code=50003) from exc
                raise LogError(message, status=400, error_code=40002) from exc
        return await self.topic(name)

    async def groups(self) -> list[str]:
        """Consumer group ids known to the cluster (beyond the Log protocol: v3 group listing)."""
        admin = await self._ready_admin()
        return sorted({g[0] for g in await self._bounded(admin.list_consumer_groups())})

    def new_consumer(self, **kwargs: Any) -> AIOKafkaConsumer:
        """An unstarted AIOKafkaConsumer with this log's connection settings (SASL, SSL), for callers
        that need real group membership (v2 consumer instances on Kafka). It keeps aiokafka's own
        request timeout: a JoinGroup may legitimately take longer than this log's call timeout."""
        return AIOKafkaConsumer(**{**self._connection, **kwargs})

    # ---- append ----------------------------------------------------------------------------

    async def append(self, topic: str, records: list[Record]) -> list[Appended]:
        try:
            validate_topic_name(topic)
            try:
                n = await self._partition_count(topic)
            except TopicNotFound:
                if not self.auto_create:
                    raise
                try:
                    await self.create_topic(topic, self.default_partitions)
                except TopicExists:
                    pass
                n = await self._partition_count(topic, fresh=True)
            producer = await self._ready_producer()
        except (TopicNotFound, PartitionNotFound):
            raise
        except LogError as exc:
            code = exc.error_code if exc.error_code in (40101, 40301, 50003) else 50002
            return [Appended(None, None, code, exc.message) for _ in records]
        for r in records:
            if r.partition is not None and not 0 <= r.partition < n:
                raise PartitionNotFound(topic, r.partition)
        parts = self._partitioner.choose(topic, n, [r.key for r in records], [r.partition for r in records])
        return await self._batches.append(producer, topic, parts, records, self.timeout + 1)

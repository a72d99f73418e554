"""The Kafka log: the Log protocol on aiokafka.

Why it is shaped like this:
- One shared producer (acks=all, idempotent where the broker grants it) so records of
  concurrent requests share batches. Every record gets an explicit partition from our murmur2
  partitioner, so a key lands on the same partition as with the embedded log and the Java client.
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
import re
import time
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka import errors as E
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.client import AIOKafkaClient, ConnectionGroup, CoordinationType
from aiokafka.helpers import create_ssl_context
from aiokafka.protocol.commit import OffsetCommitRequest, OffsetFetchRequest

from gateway.log.base import (
    Appended, LogError, PartitionNotFound, Record, StoredRecord, TopicExists, TopicInfo, TopicNotFound,
)
from gateway.log.embedded import validate_topic_name
from gateway.log.partitioner import Partitioner

T = TypeVar("T")

# Kafka-style client setting -> (aiokafka keyword, converter); "producer." / "client." prefixes are stripped.
_COMMON = {
    "client.id": ("client_id", str),
    "request.timeout.ms": ("request_timeout_ms", int),
    "metadata.max.age.ms": ("metadata_max_age_ms", int),
    "retry.backoff.ms": ("retry_backoff_ms", int),
    "connections.max.idle.ms": ("connections_max_idle_ms", int),
    "security.protocol": ("security_protocol", str.upper),
    "sasl.mechanism": ("sasl_mechanism", str.upper),
    "sasl.mechanisms": ("sasl_mechanism", str.upper),
    "sasl.username": ("sasl_plain_username", str),
    "sasl.password": ("sasl_plain_password", str),
}
_PRODUCER = {
    "acks": ("acks", lambda v: "all" if v in ("all", "-1") else int(v)),
    "linger.ms": ("linger_ms", int),
    "compression.type": ("compression_type", lambda v: None if v in ("none", "") else v),
    "batch.size": ("max_batch_size", int),
    "max.request.size": ("max_request_size", int),
}
_SSL = {"ssl.ca.location": "cafile", "ssl.truststore.location": "cafile", "ssl.certificate.location": "certfile",
        "ssl.keystore.location": "certfile", "ssl.key.location": "keyfile", "ssl.key.password": "password"}
_OTHER = {"enable.idempotence", "sasl.jaas.config", "ssl.endpoint.identification.algorithm", "bootstrap.servers"}
_JAAS = re.compile(r'(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')


def client_kwargs(options: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any], bool | None]:
    """Kafka-style settings -> (kwargs for every aiokafka client, producer-only kwargs, idempotence or None=auto).

    Raises ValueError naming the first setting it does not know, so a typo fails at startup.
    """
    common: dict[str, Any] = {}
    producer: dict[str, Any] = {}
    ssl_files: dict[str, str] = {}
    idempotence: bool | None = None
    check_hostname = True
    for raw, value in options.items():
        key = raw
        for prefix in ("producer.", "client."):
            if key.startswith(prefix) and key[len(prefix):] in (_COMMON.keys() | _PRODUCER.keys() | _SSL.keys()
                                                                | _OTHER):
                key = key[len(prefix):]
        value = str(value)
        try:
            if key in _COMMON:
                name, conv = _COMMON[key]
                common[name] = conv(value)
            elif key in _PRODUCER:
                name, conv = _PRODUCER[key]
                producer[name] = conv(value)
            elif key in _SSL:
                ssl_files[_SSL[key]] = value
            elif key == "enable.idempotence":
                idempotence = value.lower() == "true"
            elif key == "sasl.jaas.config":
                for field, v in _JAAS.findall(value):
                    common["sasl_plain_username" if field == "username" else "sasl_plain_password"] = v
            elif key == "ssl.endpoint.identification.algorithm":
                check_hostname = value.lower() not in ("", "none")
            elif key != "bootstrap.servers":
                raise ValueError(f"unknown Kafka client setting {raw!r}")
        except (TypeError, ValueError) as exc:
            if "unknown Kafka client setting" in str(exc):
                raise
            raise ValueError(f"invalid value {value!r} for Kafka client setting {raw!r}") from None
    if ssl_files or common.get("security_protocol", "").endswith("SSL"):
        ctx = create_ssl_context(**ssl_files)
        ctx.check_hostname = check_hostname
        common["ssl_context"] = ctx
    if producer.get("acks", "all") != "all":
        idempotence = False
    return common, producer, idempotence


_KNOWN_TTL = 10.0  # seconds a topic's partition count from metadata is trusted without asking again

_RDKAFKA_KEYS = {"security.protocol", "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
                 "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
                 "ssl.endpoint.identification.algorithm", "client.id"}


def librdkafka_config(bootstrap_servers: str, options: dict[str, str]) -> dict[str, str]:
    """The connection part of Kafka-style settings, as librdkafka (confluent-kafka) spells it."""
    config = {"bootstrap.servers": bootstrap_servers}
    for raw, value in options.items():
        key = raw.removeprefix("producer.").removeprefix("client.") if raw != "client.id" else raw
        if key in _RDKAFKA_KEYS:
            config[key] = str(value)
        elif key == "sasl.jaas.config":
            for field, v in _JAAS.findall(str(value)):
                config[f"sasl.{field}"] = v
    return config


_AUTHN = (E.AuthenticationFailedError, E.SaslAuthenticationFailed, E.AuthenticationMethodNotSupported,
          E.UnsupportedSaslMechanismError)
_AUTHZ = (E.TopicAuthorizationFailedError, E.GroupAuthorizationFailedError, E.ClusterAuthorizationFailedError,
          E.TransactionalIdAuthorizationFailed)
_RETRIABLE = (E.KafkaTimeoutError, E.KafkaConnectionError, E.NodeNotReadyError, E.RequestTimedOutError,
              E.NoBrokersAvailable, E.UnknownTopicOrPartitionError, E.LeaderNotAvailableError,
              E.NotLeaderForPartitionError, E.StaleMetadata, TimeoutError, asyncio.TimeoutError)
_BAD_REQUEST = (E.TopicAlreadyExistsError, E.InvalidPartitionsError, E.InvalidReplicationFactorError,
                E.InvalidReplicationAssignmentError, E.InvalidConfigurationError, E.InvalidTopicError,
                E.PolicyViolationError, E.UnsupportedVersionError)


def record_error(exc: BaseException) -> tuple[int, str]:
    """The REST Proxy's per-record (error_code, error) for a failed send (spec 2.6)."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, _AUTHN):
        return 40101, message
    if isinstance(exc, _AUTHZ):
        return 40301, message
    if isinstance(exc, _RETRIABLE) or getattr(exc, "retriable", False):
        return 50003, message
    return 50002, message


def log_error(exc: BaseException) -> LogError:
    """A whole-call failure as LogError with the REST Proxy's status and code (spec 1.4)."""
    if isinstance(exc, LogError):
        return exc
    message = str(exc) or type(exc).__name__
    if isinstance(exc, _AUTHN):
        return LogError(message, status=401, error_code=40101)
    if isinstance(exc, _AUTHZ):
        return LogError(message, status=403, error_code=40301)
    if isinstance(exc, E.TopicAlreadyExistsError):
        return TopicExists(message)
    if isinstance(exc, _BAD_REQUEST):
        return LogError(message, status=400, error_code=40002)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return LogError("Timed out waiting for the Kafka cluster.", status=500, error_code=50003)
    if isinstance(exc, _RETRIABLE) or getattr(exc, "retriable", False):
        return LogError(message, status=500, error_code=50003)
    return LogError(f"Kafka error: {message}", status=500, error_code=50002)


class _Reader:
    """One group-less consumer assigned to one partition; `position` is where its next record starts."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.lock = asyncio.Lock()
        self.position: int | None = None


class KafkaLog:
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
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._client: AIOKafkaClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._rdkafka_admin: Any = None
        self._readers: OrderedDict[tuple[str, int], _Reader] = OrderedDict()
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
                err = exc.args[0] if exc.args else exc
                code = err.code() if hasattr(err, "code") else None
                message = err.str() if hasattr(err, "str") else str(exc)
                if code in (3, -188):  # UNKNOWN_TOPIC_OR_PART
                    raise TopicNotFound(name) from exc
                if hasattr(err, "retriable") and err.retriable():
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
        futures: list[asyncio.Future | BaseException] = []
        for r, p in zip(records, parts):
            try:
                if r.key is None and r.value is None:
                    futures.append(await self._send_null(producer, topic, p, r))
                else:
                    futures.append(await producer.send(topic, r.value, r.key, p, r.timestamp,
                                                       list(r.headers) if r.headers else None))
            except E.KafkaError as exc:
                futures.append(exc)
        pending = [f for f in futures if isinstance(f, asyncio.Future)]
        if pending:
            await asyncio.wait(pending, timeout=self.timeout + 1)
        out: list[Appended] = []
        for f, p in zip(futures, parts):
            if isinstance(f, BaseException):
                out.append(Appended(None, None, *record_error(f)))
            elif not f.done():
                out.append(Appended(None, None, 50003, f"Expiring record for {topic}-{p}: no acknowledgement "
                                                  f"after {int(self.timeout * 1000)} ms"))
            elif f.cancelled():
                out.append(Appended(None, None, 50003, "The send was cancelled."))
            elif (exc := f.exception()) is not None:
                if not isinstance(exc, E.KafkaError):
                    raise exc
                out.append(Appended(None, None, *record_error(exc)))
            else:
                out.append(Appended(f.result().partition, f.result().offset))
        return out

    @staticmethod
    async def _send_null(producer: AIOKafkaProducer, topic: str, partition: int, r: Record) -> asyncio.Future:
        """A record with neither key nor value (aiokafka's send() refuses it; Kafka does not)."""
        batch = producer.create_batch()
        batch.append(key=None, value=None, timestamp=r.timestamp, headers=list(r.headers))
        batch.close()
        return await producer.send_batch(batch, topic, partition=partition)

    # ---- reads -----------------------------------------------------------------------------

    async def _reader(self, topic: str, partition: int) -> _Reader:
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
        reader = self._readers.setdefault(key, _Reader(consumer))
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

    # ---- group offsets ---------------------------------------------------------------------

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

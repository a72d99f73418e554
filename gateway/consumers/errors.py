"""The v2 consumer errors, with Confluent's exact codes and messages (spec §1.5 and §4)."""

from __future__ import annotations

from typing import Any

from gateway.errors import GatewayError
from gateway.log.base import PartitionNotFound


class InstanceNotFound(GatewayError):
    status, error_code = 404, 40403

    def __init__(self) -> None:
        super().__init__("Consumer instance not found.")


class FormatMismatch(GatewayError):
    status, error_code = 406, 40601

    def __init__(self) -> None:
        super().__init__("The requested embedded data format does not match the deserializer for this consumer instance")


class InstanceExists(GatewayError):
    status, error_code = 409, 40902

    def __init__(self) -> None:
        super().__init__("Consumer with specified consumer ID already exists in the specified consumer group.")


class IllegalState(GatewayError):
    """Kafka's IllegalStateException from subscribe/assign/seek (409/40903)."""

    status, error_code = 409, 40903

    def __init__(self, detail: str) -> None:
        super().__init__(f"Illegal state: {detail}")


class InvalidConsumerConfig(GatewayError):
    """A Kafka ConfigException at create (422/42204)."""

    status, error_code = 422, 42204

    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid consumer configuration: {detail}")


class ConsumerConfigConstraint(GatewayError):
    """`fetch.min.bytes` out of range: code 40001, thrown as a 422 upstream (sic)."""

    status, error_code = 422, 40001

    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid consumer configuration. It does not abide by the constraints: {detail}")


MUTUALLY_EXCLUSIVE = "Subscription to topics, partitions and pattern are mutually exclusive"


async def check_manual_assignment(log: Any, subscribed: bool, partitions: list[tuple[str, int]]) -> None:
    """What both instance kinds refuse before a manual assignment: one on top of a subscription
    (Kafka's IllegalStateException) and a partition the topic does not have (40402)."""
    if subscribed:
        raise IllegalState(MUTUALLY_EXCLUSIVE)
    for topic, p in partitions:
        info = await log.topic(topic)
        if not 0 <= p < info.partitions:
            raise PartitionNotFound(topic, p)

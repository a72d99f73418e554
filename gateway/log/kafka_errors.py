"""Broker and client errors mapped to the REST Proxy's status and error codes."""

from __future__ import annotations

import asyncio

from aiokafka import errors as E

from gateway.log.base import LogError, TopicExists

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


UNKNOWN_TOPIC = (3, -188)  # UNKNOWN_TOPIC_OR_PART from the broker, or librdkafka's own


def rdkafka_error(exc: BaseException) -> tuple[int | None, str, bool]:
    """A confluent-kafka KafkaException's KafkaError: its code, its words, and whether it is retriable."""
    err = exc.args[0] if exc.args else exc
    code = err.code() if hasattr(err, "code") else None
    message = err.str() if hasattr(err, "str") else str(exc)
    return code, message, bool(hasattr(err, "retriable") and err.retriable())

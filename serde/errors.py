"""One hierarchy for everything serde raises, so callers catch one base class.

Registry-client errors carry the HTTP `status` and Confluent `error_code`;
record errors carry the subject, schema id and field path, so a failure says
which record field broke which schema instead of surfacing a codec's bare
TypeError or ValueError.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any


class SerializationError(Exception):
    """Base of every serde failure.

    `subject`, `schema_id` and `path` are filled in when known.
    """

    def __init__(
        self,
        message: str = "",
        *,
        subject: str | None = None,
        schema_id: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.subject = subject
        self.schema_id = schema_id
        self.path = path

    def __str__(self) -> str:
        extra = [
            f"{k}={v}"
            for k, v in (("subject", self.subject), ("schema_id", self.schema_id), ("path", self.path))
            if v is not None
        ]
        return f"{self.message} ({', '.join(extra)})" if extra else self.message


class SchemaParseError(SerializationError):
    """A schema text that does not parse or validate as its declared type.

    The registry answers it with 422/42201; the message says what is wrong.
    """


class FramingError(SerializationError):
    """Bytes or headers that are not Confluent wire framing; `offset` is where reading stopped."""

    def __init__(self, message: str, *, offset: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.offset = offset


class RecordValidationError(SerializationError):
    """A record that does not match its schema; `path` names the offending field."""


class ConfigurationError(SerializationError, ValueError):
    """Options that contradict each other, found when a serializer is built."""


# --- registry client -----------------------------------------------------------------


class SchemaRegistryError(SerializationError):
    """An error answered by (or about reaching) a schema registry."""

    default_status = 500
    default_code = 50001

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        error_code: int | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.status = self.default_status if status is None else status
        self.error_code = self.default_code if error_code is None else error_code

    # confluent-kafka's SchemaRegistryError attribute names, for drop-in handlers
    @property
    def http_status_code(self) -> int:
        return self.status

    @property
    def error_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return f"{super().__str__()} (HTTP status code {self.status}, SR code {self.error_code})"


class NotFound(SchemaRegistryError):
    """Base of the 404 answers."""

    default_status = 404
    default_code = 40400


class SubjectNotFound(NotFound):
    default_code = 40401


class VersionNotFound(NotFound):
    default_code = 40402


class SchemaNotFound(NotFound):
    default_code = 40403


class SubjectSoftDeleted(NotFound):
    default_code = 40404


class SubjectNotSoftDeleted(NotFound):
    default_code = 40405


class SchemaVersionSoftDeleted(NotFound):
    default_code = 40406


class SchemaVersionNotSoftDeleted(NotFound):
    default_code = 40407


class SubjectLevelCompatibilityNotConfigured(NotFound):
    default_code = 40408


class SubjectLevelModeNotConfigured(NotFound):
    default_code = 40409


class IncompatibleSchema(SchemaRegistryError):
    """Registration refused by the compatibility check; `reasons` lists why."""

    default_status = 409
    default_code = 409

    def __init__(self, message: str = "", *, reasons: Sequence[str] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reasons = list(reasons)


class InvalidSchema(SchemaRegistryError, SchemaParseError):
    default_status = 422
    default_code = 42201


class InvalidVersion(SchemaRegistryError):
    default_status = 422
    default_code = 42202


class InvalidCompatibilityLevel(SchemaRegistryError):
    default_status = 422
    default_code = 42203


class InvalidMode(SchemaRegistryError):
    default_status = 422
    default_code = 42204


class OperationNotPermitted(SchemaRegistryError):
    default_status = 422
    default_code = 42205


class ReferenceExists(SchemaRegistryError):
    default_status = 422
    default_code = 42206


class Unauthorized(SchemaRegistryError):
    default_status = 401
    default_code = 401


class RegistryUnavailable(SchemaRegistryError):
    """No registry URL answered (transport errors or 5xx after retries and fail-over)."""

    default_status = 503
    default_code = 50003


_BY_CODE: dict[int, type[SchemaRegistryError]] = {
    cls.default_code: cls
    for cls in (
        SubjectNotFound,
        VersionNotFound,
        SchemaNotFound,
        SubjectSoftDeleted,
        SubjectNotSoftDeleted,
        SchemaVersionSoftDeleted,
        SchemaVersionNotSoftDeleted,
        SubjectLevelCompatibilityNotConfigured,
        SubjectLevelModeNotConfigured,
        InvalidSchema,
        InvalidVersion,
        InvalidCompatibilityLevel,
        InvalidMode,
        OperationNotPermitted,
        ReferenceExists,
    )
}


def registry_error(status: int, error_code: int | None, message: str) -> SchemaRegistryError:
    """The most specific error class for a registry's (status, error_code, message)."""
    code = status if error_code is None else error_code
    cls = _BY_CODE.get(code)
    if cls is None:
        if status == 409:
            cls = IncompatibleSchema
        elif status in (401, 403):
            cls = Unauthorized
        elif status == 404:
            cls = NotFound
        elif status >= 500:
            cls = RegistryUnavailable
        else:
            cls = SchemaRegistryError
    if cls is IncompatibleSchema:
        return IncompatibleSchema(message, status=status, error_code=code, reasons=_reasons(message))
    return cls(message, status=status, error_code=code)


def _reasons(message: str) -> list[str]:
    """Confluent puts the verbose reasons in the 409 message as a bracketed list."""
    start, end = message.find("["), message.rfind("]")
    if start == -1 or end <= start:
        return [message] if message else []
    inner = message[start + 1 : end].strip()
    return [r.strip() for r in re.split(r",\s*(?=\{)", inner)] if inner else []

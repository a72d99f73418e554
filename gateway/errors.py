"""One error hierarchy for the gateway: HTTP status, Confluent error_code, message.

Everything the handlers refuse is raised as a GatewayError and turned into the
`{"error_code", "message"}` body in one place (`gateway.app`), so no handler
builds an error response itself and no failure escapes as a traceback.
"""

from __future__ import annotations


class GatewayError(Exception):
    """A request the gateway answers with an error body."""

    status = 500
    error_code = 500

    def __init__(self, message: str, *, status: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code

    def body(self) -> dict[str, object]:
        return {"error_code": self.error_code, "message": self.message}


class BadRequest(GatewayError):
    """Confluent's `BadRequestException`: the message reads `Bad Request: <detail>`."""

    status, error_code = 400, 400

    def __init__(self, detail: str) -> None:
        super().__init__(f"Bad Request: {detail}")
        self.detail = detail


class MalformedBody(GatewayError):
    """JSON that does not parse, or does not bind to the request entity (Jackson's 400s)."""

    status, error_code = 400, 400


class NotFound(GatewayError):
    status, error_code = 404, 404


class TopicNotFound(NotFound):
    error_code = 40401

    def __init__(self) -> None:
        super().__init__("Topic not found.")


class PartitionNotFound(NotFound):
    error_code = 40402

    def __init__(self) -> None:
        super().__init__("Partition not found.")


class NotAcceptable(GatewayError):
    status, error_code = 406, 406

    def __init__(self) -> None:
        super().__init__("HTTP 406 Not Acceptable")


class UnsupportedMediaType(GatewayError):
    status, error_code = 415, 415

    def __init__(self) -> None:
        super().__init__("HTTP 415 Unsupported Media Type")


class PayloadTooLarge(GatewayError):
    status, error_code = 413, 413


class Unprocessable(GatewayError):
    """Confluent's RestConstraintViolationException family (42xxx)."""

    status, error_code = 422, 422


class KeySchemaMissing(Unprocessable):
    error_code = 42201

    def __init__(self) -> None:
        super().__init__("Request includes keys but does not include key schema")


class ValueSchemaMissing(Unprocessable):
    error_code = 42202

    def __init__(self) -> None:
        super().__init__("Request includes values but does not include value schema")


class SerializingFailed(Unprocessable):
    """42207: the registry could not give the schema (not found, not under the subject, unreachable)."""

    error_code = 42207

    def __init__(self, detail: str) -> None:
        super().__init__(f"Error serializing message. {detail}")


class BatchError(Unprocessable):
    error_code = 42208


class RateLimited(GatewayError):
    status, error_code = 429, 429

    def __init__(self) -> None:
        super().__init__("Request rate limit exceeded: The rate limit of requests per second has been exceeded.")


class Forbidden(GatewayError):
    status, error_code = 403, 40301


def stream_line(exc: GatewayError) -> dict[str, object]:
    """The v3 per-record error object: 42xxx codes are folded into 422 as Confluent's stream mapper does."""
    first_line = exc.message.split("\n", 1)[0]  # Confluent keeps only the first line in a stream
    if exc.status == 422 and exc.error_code != 422:
        return {"error_code": 422, "message": f"Error: {exc.error_code} : {first_line}"}
    return {"error_code": exc.error_code, "message": first_line}

"""The registry's errors: each carries Confluent's HTTP status, error_code and message.

They are values raised by the core and turned into `{"error_code", "message"}`
bodies in one place (registry/http.py).
"""

from __future__ import annotations


class RegistryError(Exception):
    status = 500
    error_code = 500

    def __init__(self, message: str, *, status: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code


class HttpError(RegistryError):
    """Framework-level errors whose error_code is the HTTP status itself."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, status=status, error_code=status)


def subject_not_found(subject: str) -> RegistryError:
    return RegistryError(f"Subject '{subject}' not found.", status=404, error_code=40401)


def version_not_found(version: int | str) -> RegistryError:
    return RegistryError(f"Version {version} not found.", status=404, error_code=40402)


def schema_not_found(schema_id: int | str | None = None) -> RegistryError:
    text = "Schema not found" if schema_id is None else f"Schema {schema_id} not found"
    return RegistryError(text, status=404, error_code=40403)


def subject_soft_deleted(subject: str) -> RegistryError:
    return RegistryError(
        f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently",
        status=404, error_code=40404)


def subject_not_soft_deleted(subject: str) -> RegistryError:
    return RegistryError(
        f"Subject '{subject}' was not deleted first before being permanently deleted",
        status=404, error_code=40405)


def version_soft_deleted(subject: str, version: int) -> RegistryError:
    return RegistryError(
        f"Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently",
        status=404, error_code=40406)


def version_not_soft_deleted(subject: str, version: int) -> RegistryError:
    return RegistryError(
        f"Subject '{subject}' Version {version} was not deleted first before being permanently deleted",
        status=404, error_code=40407)


def subject_config_not_found(subject: str) -> RegistryError:
    return RegistryError(
        f"Subject '{subject}' does not have subject-level compatibility configured",
        status=404, error_code=40408)


def subject_mode_not_found(subject: str) -> RegistryError:
    return RegistryError(
        f"Subject '{subject}' does not have subject-level mode configured", status=404, error_code=40409)


def incompatible_schema(subject: str, messages: list[str]) -> RegistryError:
    details = "[" + ", ".join(messages) + "]"
    return RegistryError(
        f'Schema being registered is incompatible with an earlier schema for subject "{subject}", '
        f"details: {details}",
        status=409, error_code=409)


def invalid_schema(message: str) -> RegistryError:
    return RegistryError(message, status=422, error_code=42201)


def invalid_version(version: str) -> RegistryError:
    return RegistryError(
        f"The specified version '{version}' is not a valid version id. Allowed values are between "
        '[1, 2^31-1] and the string "latest"',
        status=422, error_code=42202)


def invalid_compatibility_level() -> RegistryError:
    return RegistryError(
        "Invalid compatibility level. Valid values are none, backward, forward, full, "
        "backward_transitive, forward_transitive, and full_transitive",
        status=422, error_code=42203)


def invalid_mode() -> RegistryError:
    return RegistryError(
        "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.",
        status=422, error_code=42204)


def operation_not_permitted(message: str) -> RegistryError:
    return RegistryError(message, status=422, error_code=42205)


def reference_exists(subject: str, version: int) -> RegistryError:
    return RegistryError(
        f"One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={subject},version={version}}}.",
        status=422, error_code=42206)


def invalid_subject(subject: str) -> RegistryError:
    return RegistryError(f"The specified subject '{subject}' is not a valid.", status=422, error_code=42208)


def store_error(message: str) -> RegistryError:
    return RegistryError(message, status=500, error_code=50001)

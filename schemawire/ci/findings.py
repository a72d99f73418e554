"""What a CI command found, and the exit code that follows from it.

Every finding carries a stable rule id (the checker's error type) and its
reason, so CI output is never a bare boolean.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"                      # something a command did, e.g. a level it set

# Rule ids for findings that do not come from a compatibility checker.
INVALID_SCHEMA = "INVALID_SCHEMA"
INCOMPATIBLE = "INCOMPATIBLE"
OLD_VERSION_UNPARSEABLE = "OLD_VERSION_UNPARSEABLE"
REFERENCE_NOT_REGISTERED = "REFERENCE_NOT_REGISTERED"
VERSION_NOT_FOUND = "VERSION_NOT_FOUND"
REGISTRATION_REJECTED = "REGISTRATION_REJECTED"
COMPATIBILITY_SET = "COMPATIBILITY_SET"

_CONFLUENT = re.compile(
    r"\{errorType:['\"](?P<type>\w+)['\"], description:['\"](?P<desc>.*?)['\"]"
    r"(?:, additionalInfo:['\"](?P<info>.*)['\"])?\}\Z", re.S)


class CIError(Exception):
    """A usage, configuration or connection problem: exit code 2, not a finding."""


@dataclass
class Finding:
    """One reason a subject fails (or, as a warning, deserves a look)."""

    subject: str
    file: str
    rule: str
    message: str
    severity: str = ERROR
    path: str | None = None        # location inside the schema (JSON Pointer, `#/Msg/1`)
    line: int | None = None
    column: int | None = None
    against: str | None = None     # the previous version this was compared with
    detail: str | None = None      # Confluent's raw message, verbatim

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class SubjectResult:
    """The outcome for one subject: a status word plus its findings."""

    subject: str
    file: str
    schema_type: str
    status: str                    # ok, new, incompatible, invalid, unchanged, registered, ...
    compatibility: str | None = None
    against: str | None = None
    note: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None and k != "findings"}
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


@dataclass
class Report:
    """Everything one command produced; renders to any output format."""

    command: str
    results: list[SubjectResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def exit_code(self) -> int:
        return 1 if any(r.failed for r in self.results) else 0


def split_confluent(message: str) -> tuple[str | None, str]:
    """(error type, description) from Confluent's `{errorType:'..', description:'..'}` rendering."""
    m = _CONFLUENT.match(message.strip())
    if m is None:
        return None, message
    return m.group("type"), m.group("desc")

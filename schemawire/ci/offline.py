"""Offline commands: `validate` and `check` against git or a directory, one job per subject.

Jobs are plain data so a large file set can be spread over processes; each
job parses its texts (once per distinct text) and runs the level's checks.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from schemawire.ci.compare import OldVersion, Reason, check_level
from schemawire.ci.config import Config, SubjectConfig
from schemawire.ci.fastpath import level_proven
from schemawire.ci.findings import (ERROR, INVALID_SCHEMA, OLD_VERSION_UNPARSEABLE, WARNING, Finding, Report,
                                    SubjectResult, split_confluent)
from schemawire.ci.locate import error_position, locate, translate_avro_path
from schemawire.ci.resolve import dependencies, parse, plugin
from schemawire.ci.sources import PreviousText
from serde.errors import SchemaParseError

_ERROR_PATH = re.compile(r"at '(#?/[^']*)'")
PARALLEL_THRESHOLD = 200           # schemas to parse; below this a process pool costs more than it saves


@dataclass(frozen=True)
class Job:
    sub: SubjectConfig
    text: str
    deps: dict[str, str]
    previous: list[PreviousText] = field(default_factory=list)
    against: str | None = None


def current_jobs(config: Config, subjects: list[SubjectConfig]) -> list[Job]:
    by_subject = config.by_subject()
    return [Job(s, s.read(), dependencies(s, by_subject, lambda d: None)) for s in subjects]


def invalid(sub: SubjectConfig, text: str, exc: Exception) -> Finding:
    message = str(exc) or type(exc).__name__
    pos = error_position(message)
    if pos is None and (m := _ERROR_PATH.search(message)):
        pos = locate(sub.schema_type, text, m.group(1))
    return Finding(sub.subject, sub.display, INVALID_SCHEMA, message,
                   line=pos[0] if pos else None, column=pos[1] if pos else None)


def reason_finding(sub: SubjectConfig, text: str, reason: Reason) -> Finding:
    inc = reason.incompatibility
    rule, description = split_confluent(inc.message)
    path = inc.path
    # Avro paths index the reader's fields; for a forward check the reader is the old file.
    if reason.direction == "forward" and sub.schema_type == "AVRO" and path:
        path = translate_avro_path(reason.old_text, text, path)
    pos = locate(sub.schema_type, text, path)
    return Finding(sub.subject, sub.display, inc.error_type or rule or "INCOMPATIBLE",
                   f"{description} ({reason.direction} check)", path=inc.path or None,
                   line=pos[0] if pos else None, column=pos[1] if pos else None,
                   against=reason.against, detail=inc.message)


def run_job(job: Job) -> SubjectResult:
    """Validate the new text, then check it against the job's previous versions."""
    sub = job.sub
    result = SubjectResult(sub.subject, sub.display, sub.schema_type, "ok", compatibility=sub.compatibility,
                           against=job.against)
    try:
        plugin(sub.schema_type)
        new = parse(sub.schema_type, job.text, job.deps, validate=True)
    except SchemaParseError as exc:
        result.status = "invalid"
        result.findings.append(invalid(sub, job.text, exc))
        return result
    if job.against is None:
        return result
    if sub.compatibility == "NONE":
        result.note = "compatibility NONE: nothing to check"
        return result
    previous = job.previous if sub.compatibility.endswith("_TRANSITIVE") else job.previous[-1:]
    olds: list[OldVersion] = []
    for prev in previous:
        if sub.schema_type == "AVRO" and level_proven(sub.compatibility, job.text, prev.text):
            continue                # compatible without parsing it (schemawire/ci/fastpath.py)
        try:
            olds.append(OldVersion(prev.label, parse(sub.schema_type, prev.text, prev.deps, validate=False),
                                   (prev.text, tuple(prev.deps.items()))))
        except SchemaParseError as exc:
            result.findings.append(Finding(sub.subject, sub.display, OLD_VERSION_UNPARSEABLE,
                                           f"previous version does not parse, skipped: {exc}",
                                           severity=WARNING, against=prev.label))
    if not job.previous:
        result.status = "new"
        result.note = "no previous version: a new subject is compatible"
        return result
    result.note = f"{len(previous)} previous version(s)"
    for reason in check_level(sub.compatibility, new, (job.text, tuple(job.deps.items())), olds, policy=sub.policy):
        finding = reason_finding(sub, job.text, reason)
        if finding.rule not in sub.ignore:
            result.findings.append(finding)
    if any(f.severity == ERROR for f in result.findings):
        result.status = "incompatible"
    return result


def _workers(jobs: list[Job], requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if len(jobs) + sum(len(j.previous) for j in jobs) < PARALLEL_THRESHOLD:
        return 1
    return min(os.cpu_count() or 1, 8)


def run_jobs(command: str, jobs: list[Job], workers: int | None = None) -> Report:
    n = _workers(jobs, workers)
    if n <= 1 or len(jobs) < 2:
        return Report(command, [run_job(j) for j in jobs])
    # fork keeps the already-imported checkers; chunks keep pickling overhead small
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(n, mp_context=ctx) as pool:
        results = list(pool.map(run_job, jobs, chunksize=max(1, len(jobs) // (n * 4))))
    return Report(command, results)

"""Commands that talk to a registry: check (verbose compatibility), register, download.

The registry applies the subject's real level; a subject it does not know yet
is compatible. Connection and auth failures are exit code 2, not findings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from schemawire.ci.config import TYPE_EXTENSIONS, Config, SubjectConfig
from schemawire.ci.findings import (COMPATIBILITY_SET, ERROR, INCOMPATIBLE, INFO, INVALID_SCHEMA,
                                    REFERENCE_NOT_REGISTERED, REGISTRATION_REJECTED, VERSION_NOT_FOUND,
                                    WARNING, CIError, Finding, Report, SubjectResult, split_confluent)
from schemawire.ci.locate import locate
from serde.client import SchemaRegistryClient
from serde.client.types import Schema, SchemaReference
from serde.errors import (ConfigurationError, IncompatibleSchema, InvalidSchema, NotFound, RegistryUnavailable,
                          SchemaNotFound, SchemaRegistryError, SubjectNotFound, Unauthorized)

_META = re.compile(r"\{(oldSchemaVersion|oldSchema|validateFields)\b")
_PATH = re.compile(r"path:? '(#?/[^']*)'")


def registry_url(config: Config | None, override: str | None) -> str:
    url = override or (config.registry_url if config else None) or os.environ.get("SCHEMAWIRE_REGISTRY_URL")
    if not url:
        raise CIError("no registry: pass --registry URL or set [registry] url (or SCHEMAWIRE_REGISTRY_URL)")
    return url


def make_client(url: str) -> SchemaRegistryClient:
    """A client with auth and TLS from SCHEMAWIRE_REGISTRY_* variables and few retries (CI wants answers)."""
    env = os.environ.get
    options: dict = {"max_retries": int(env("SCHEMAWIRE_REGISTRY_RETRIES", "1")), "retry_wait": 0.2,
                     "timeout": float(env("SCHEMAWIRE_REGISTRY_TIMEOUT", "30"))}
    user, password = env("SCHEMAWIRE_REGISTRY_USER"), env("SCHEMAWIRE_REGISTRY_PASSWORD")
    if env("SCHEMAWIRE_REGISTRY_BASIC_AUTH"):
        options["basic_auth"] = env("SCHEMAWIRE_REGISTRY_BASIC_AUTH")
    elif user:
        options["basic_auth"] = (user, password or "")
    if env("SCHEMAWIRE_REGISTRY_TOKEN"):
        options["bearer_token"] = env("SCHEMAWIRE_REGISTRY_TOKEN")
    if env("SCHEMAWIRE_REGISTRY_CA"):
        options["verify"] = env("SCHEMAWIRE_REGISTRY_CA")
    try:
        return SchemaRegistryClient(url, **options)
    except ConfigurationError as exc:
        raise CIError(f"registry client: {exc}") from None


@contextmanager
def connection_errors(url: str) -> Iterator[None]:
    """Turn 'cannot reach or may not use the registry' into exit code 2."""
    try:
        yield
    except (RegistryUnavailable, Unauthorized) as exc:
        raise CIError(f"registry {url}: {exc}") from None
    except SchemaRegistryError as exc:
        if exc.status in (401, 403) or exc.status >= 500:
            raise CIError(f"registry {url}: HTTP {exc.status}: {exc}") from None
        raise


def _reference_versions(client: SchemaRegistryClient, sub: SubjectConfig,
                        known: dict[str, int]) -> tuple[list[SchemaReference], list[str]]:
    """Pinned references, and the subjects that are not registered yet."""
    refs, missing = [], []
    for ref in sub.references:
        version = ref.version or known.get(ref.subject)
        if version is None:
            try:
                version = client.get_latest_version(ref.subject).version
            except NotFound:
                missing.append(ref.subject)
                continue
        refs.append(SchemaReference(ref.name, ref.subject, int(version)))
    return refs, missing


def _position(config: SubjectConfig | None, description: str) -> tuple[int, int] | None:
    """line:column of the path a registry message names, when it is a path into the local file."""
    m = _PATH.search(description)
    if config is None or m is None:
        return None
    # Avro paths index the reader; only a reader labelled "new" is the local file.
    if config.schema_type == "AVRO" and "in the new schema" not in description:
        return None
    try:
        return locate(config.schema_type, config.read(), m.group(1))
    except CIError:
        return None


def message_findings(sub: SubjectResult, messages: list[str] | tuple[str, ...], rule_default: str,
                     against: str, config: SubjectConfig | None = None) -> list[Finding]:
    """Findings from a registry's verbose messages; the version/level trailers become `against`."""
    out: list[Finding] = []
    old_version = next((m for m in messages if m.startswith("{oldSchemaVersion")), None)
    label = against + (f" {old_version.strip('{}')}" if old_version else "")
    for m in messages:
        if _META.match(m):
            continue
        rule, description = split_confluent(m)
        pos = _position(config, description)
        out.append(Finding(sub.subject, sub.file, rule or rule_default, description, against=label, detail=m,
                           line=pos[0] if pos else None, column=pos[1] if pos else None))
    return out


def check_online(config: Config, subjects: list[SubjectConfig], url: str) -> Report:
    report = Report("check")
    client = make_client(url)
    with client, connection_errors(url):
        for sub in subjects:
            result = SubjectResult(sub.subject, sub.display, sub.schema_type, "ok", against=url)
            report.results.append(result)
            refs, missing = _reference_versions(client, sub, {})
            schema = Schema(sub.read(), sub.schema_type, refs)
            if missing:
                if _registered(client, sub.subject):
                    result.status = "skipped"
                    result.findings.append(Finding(
                        sub.subject, sub.display, REFERENCE_NOT_REGISTERED,
                        f"cannot check online: referenced subject(s) {', '.join(missing)} not registered",
                        severity=WARNING, against=url))
                else:
                    result.status, result.note = "new", "not registered: a new subject is compatible"
                continue
            try:
                answer = client.test_compatibility_all_versions(sub.subject, schema, normalize=sub.normalize)
            except InvalidSchema as exc:
                result.status = "invalid"
                result.findings.append(Finding(sub.subject, sub.display, INVALID_SCHEMA, str(exc.message or exc),
                                               against=url))
                continue
            if answer.is_compatible and not answer.messages and not _registered(client, sub.subject):
                result.status, result.note = "new", "not registered: a new subject is compatible"
                continue
            if not answer.is_compatible:
                found = [f for f in message_findings(result, answer.messages, INCOMPATIBLE, url, sub)
                         if f.rule not in sub.ignore]
                if not found and not answer.messages:   # a registry that gives no reasons still said no
                    found = [Finding(sub.subject, sub.display, INCOMPATIBLE,
                                     "the registry reports the schema incompatible and gave no reasons",
                                     against=url)]
                result.findings += found
                result.status = "incompatible" if result.failed else "ok"
    return report


def _registered(client: SchemaRegistryClient, subject: str) -> bool:
    try:
        client.get_versions(subject)
        return True
    except NotFound:
        return False


def _sync_level(client: SchemaRegistryClient, sub: SubjectConfig, dry_run: bool) -> str | None:
    """Make the subject's level the configured one; says what changed, None when nothing did."""
    try:
        current = client.get_compatibility(sub.subject)
    except NotFound:
        current = None
    if current == sub.compatibility:
        return None
    if not dry_run:
        client.set_compatibility(sub.subject, sub.compatibility)
    verb = "would set" if dry_run else "set"
    return f"{verb} compatibility {current or '(global)'} -> {sub.compatibility}"


def register(config: Config, subjects: list[SubjectConfig], url: str, *, dry_run: bool,
             set_compatibility: bool = False) -> Report:
    """Register in dependency order; a schema already registered is reported, not re-sent."""
    report = Report("register")
    client = make_client(url)
    known: dict[str, int] = {}          # subject -> version registered (or found) in this run
    pending: set[str] = set()           # would be registered (dry run): dependants cannot be pinned
    with client, connection_errors(url):
        for sub in subjects:
            result = SubjectResult(sub.subject, sub.display, sub.schema_type, "unchanged", against=url,
                                   compatibility=sub.compatibility if set_compatibility else None)
            report.results.append(result)
            if set_compatibility and (change := _sync_level(client, sub, dry_run)):
                result.findings.append(Finding(sub.subject, sub.display, COMPATIBILITY_SET, change,
                                               severity=INFO, against=url))
            refs, missing = _reference_versions(client, sub, known)
            if any(r.subject in pending for r in sub.references) or (missing and dry_run):
                result.status = "would-register"
                result.note = "after its references: " + ", ".join(r.subject for r in sub.references)
                pending.add(sub.subject)
                continue
            if missing:
                result.status = "failed"
                result.findings.append(Finding(sub.subject, sub.display, REFERENCE_NOT_REGISTERED,
                                               f"referenced subject(s) not registered: {', '.join(missing)}"))
                continue
            schema = Schema(sub.read(), sub.schema_type, refs)
            try:
                found = client.lookup_schema(sub.subject, schema, normalize_schemas=sub.normalize)
                known[sub.subject] = int(found.version)
                result.note = f"version {found.version}, id {found.schema_id}"
                continue
            except (SubjectNotFound, SchemaNotFound):
                pass
            except InvalidSchema as exc:
                result.status = "invalid"
                result.findings.append(Finding(sub.subject, sub.display, INVALID_SCHEMA, str(exc.message or exc)))
                continue
            if dry_run:
                _dry_run_check(client, sub, schema, result, url)
                if not result.failed:
                    pending.add(sub.subject)
                continue
            _register_one(client, sub, schema, result, url, known)
    return report


def _dry_run_check(client: SchemaRegistryClient, sub: SubjectConfig, schema: Schema,
                   result: SubjectResult, url: str) -> None:
    result.status = "would-register"
    answer = client.test_compatibility_all_versions(sub.subject, schema, normalize=sub.normalize)
    if not answer.is_compatible:
        result.status = "would-be-rejected"
        result.findings += message_findings(result, answer.messages, INCOMPATIBLE, url, sub) or [
            Finding(sub.subject, sub.display, INCOMPATIBLE, "the registry would refuse it", against=url)]


def _register_one(client: SchemaRegistryClient, sub: SubjectConfig, schema: Schema, result: SubjectResult,
                  url: str, known: dict[str, int]) -> None:
    try:
        client.register_schema_full_response(sub.subject, schema, normalize_schemas=sub.normalize)
        found = client.lookup_schema(sub.subject, schema, normalize_schemas=sub.normalize)
    except IncompatibleSchema as exc:
        result.status = "rejected"
        result.findings += message_findings(result, exc.reasons, REGISTRATION_REJECTED, url, sub) or [
            Finding(sub.subject, sub.display, REGISTRATION_REJECTED, str(exc.message or exc), against=url)]
        return
    except InvalidSchema as exc:
        result.status = "invalid"
        result.findings.append(Finding(sub.subject, sub.display, INVALID_SCHEMA, str(exc.message or exc)))
        return
    except SchemaRegistryError as exc:
        if exc.status >= 500 or exc.status in (401, 403):
            raise
        result.status = "failed"
        result.findings.append(Finding(sub.subject, sub.display, REGISTRATION_REJECTED,
                                       f"HTTP {exc.status} ({exc.error_code}): {exc.message or exc}"))
        return
    known[sub.subject] = int(found.version)
    result.status = "registered"
    result.note = f"version {found.version}, id {found.schema_id}"


def download(config: Config | None, url: str, patterns: list[str], versions: str, output: Path) -> Report:
    """Write subjects matching `patterns` to `output`: latest as `<subject>.<ext>`, else `<subject>/v<N>.<ext>`."""
    report = Report("download")
    try:
        regexes = [re.compile(p) for p in patterns]
    except re.error as exc:
        raise CIError(f"bad --subject-pattern: {exc}") from None
    client = make_client(url)
    with client, connection_errors(url):
        subjects = [s for s in client.get_subjects() if any(r.fullmatch(s) for r in regexes)]
        for subject in sorted(subjects):
            _download_subject(client, subject, versions, output, report)
    return report


def _download_subject(client: SchemaRegistryClient, subject: str, versions: str, output: Path,
                      report: Report) -> None:
    if versions == "latest":
        wanted: list[int | str] = ["latest"]
    elif versions == "all":
        wanted = list(client.get_versions(subject))
    else:
        try:
            wanted = [int(v) for v in versions.split(",") if v.strip()]
        except ValueError:
            raise CIError(f"--versions must be latest, all or a list of numbers, not {versions!r}") from None
    name = quote(subject, safe="")
    written: list[str] = []
    result = SubjectResult(subject, "", "", "downloaded", against=client.options.urls[0])
    report.results.append(result)
    for v in wanted:
        try:
            reg = client.get_version(subject, v)
        except NotFound:
            result.findings.append(Finding(subject, "", VERSION_NOT_FOUND, f"version {v} not found",
                                           severity=ERROR))
            continue
        ext = TYPE_EXTENSIONS.get(reg.schema.schema_type or "AVRO", ".txt")
        result.schema_type = reg.schema.schema_type or "AVRO"
        target = output / f"{name}{ext}" if versions == "latest" else output / name / f"v{reg.version}{ext}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(reg.schema.schema_str, encoding="utf-8")
        written.append(str(target))
    result.file = written[-1] if written else ""
    result.note = f"wrote {len(written)} file(s)"
    if result.failed:
        result.status = "failed"

"""Render a Report as text, JSON, JUnit XML or GitHub workflow annotations."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

from schemawire.ci.findings import ERROR, WARNING, Finding, Report

FORMATS = ("text", "json", "junit", "github", "gitlab")


def _where(f: Finding) -> str:
    if f.line is None:
        return f.file
    return f"{f.file}:{f.line}:{f.column}" if f.column is not None else f"{f.file}:{f.line}"


def _summary(report: Report) -> str:
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    errors = sum(1 for f in report.findings if f.severity == ERROR)
    verdict = "FAILED" if report.exit_code else "passed"
    against = {r.against for r in report.results if r.against}
    where = f" against {against.pop()}" if len(against) == 1 else ""
    return f"schemawire {report.command}: {verdict}: {len(report.results)} subject(s) ({parts or 'none'}){where}; " \
           f"{errors} error(s)"


def render_text(report: Report) -> str:
    lines = []
    for r in report.results:
        for f in r.findings:
            against = f" [against {f.against}]" if f.against else ""
            lines.append(f"{_where(f)}: {f.severity}: {f.subject}: {f.rule}: {f.message}{against}")
        if not r.findings and r.status not in ("ok",):
            note = f" ({r.note})" if r.note else ""
            lines.append(f"{r.file or r.subject}: {r.subject}: {r.status}{note}")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    return json.dumps({
        "command": report.command,
        "ok": report.exit_code == 0,
        "exit_code": report.exit_code,
        "summary": _summary(report),
        "subjects": [r.to_dict() for r in report.results],
        "findings": [f.to_dict() for f in report.findings],
    }, indent=2) + "\n"


def render_junit(report: Report) -> str:
    """One testsuite per command, one testcase per subject, one <failure> per failing subject."""
    failures = sum(1 for r in report.results if r.failed)
    suites = ET.Element("testsuites", name="schemawire", tests=str(len(report.results)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=f"schemawire {report.command}",
                          tests=str(len(report.results)), failures=str(failures), errors="0", skipped="0")
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=r.file or r.subject, name=r.subject)
        errors = [f for f in r.findings if f.severity == ERROR]
        if errors:
            failure = ET.SubElement(case, "failure", type=errors[0].rule,
                                    message="; ".join(f"{f.rule}: {f.message}" for f in errors))
            failure.text = "\n".join(
                f"{_where(f)}: {f.rule}: {f.message}" + (f" [against {f.against}]" if f.against else "")
                for f in errors)
        other = [f for f in r.findings if f.severity != ERROR]
        out = [f"status: {r.status}" + (f" ({r.note})" if r.note else "")]
        out += [f"{f.severity}: {f.rule}: {f.message}" for f in other]
        ET.SubElement(case, "system-out").text = "\n".join(out)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """`::error file=..,line=..,col=..,title=RULE::message` per finding, then the summary."""
    lines = []
    for f in report.findings:
        props = [f"file={_escape_property(f.file)}"] if f.file else []
        if f.line is not None:
            props.append(f"line={f.line}")
            if f.column is not None:
                props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f'{f.rule} ({f.subject})')}")
        against = f" [against {f.against}]" if f.against else ""
        kind = {ERROR: "error", WARNING: "warning"}.get(f.severity, "notice")
        lines.append(f"::{kind} {','.join(props)}::{_escape_data(f'{f.subject}: {f.rule}: {f.message}{against}')}")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def render_gitlab(report: Report) -> str:
    """GitLab Code Quality: a JSON array the merge-request widget shows per line."""
    issues = []
    for f in report.findings:
        identity = "\0".join([f.subject, f.file, f.rule, f.path or "", f.message])
        issues.append({
            "description": f"{f.subject}: {f.message}" + (f" [against {f.against}]" if f.against else ""),
            "check_name": f.rule,
            "fingerprint": hashlib.sha1(identity.encode()).hexdigest(),
            "severity": {ERROR: "major", WARNING: "minor"}.get(f.severity, "info"),
            "location": {"path": f.file, "lines": {"begin": f.line or 1}},
        })
    return json.dumps(issues, indent=2) + "\n"


def render(report: Report, fmt: str) -> str:
    return {"text": render_text, "json": render_json, "junit": render_junit, "github": render_github,
            "gitlab": render_gitlab}[fmt](report)

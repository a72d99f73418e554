"""Load `schemawire.toml` (or `[tool.schemawire]` in pyproject.toml) into subjects in dependency order.

Paths are relative to the config file's directory; references must name
subjects of the same file set so offline checks can resolve them locally.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.compat.levels import LEVELS
from schemawire.ci.findings import CIError

CONFIG_NAME = "schemawire.toml"
EXTENSIONS = {".avsc": "AVRO", ".avro": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}
TYPE_EXTENSIONS = {"AVRO": ".avsc", "JSON": ".json", "PROTOBUF": ".proto"}
POLICIES = ("STRICT", "LENIENT")


@dataclass(frozen=True)
class Reference:
    """A reference by name to another subject; `version` only matters online."""

    name: str
    subject: str
    version: int | None = None


@dataclass(frozen=True)
class SubjectConfig:
    subject: str
    file: Path                     # absolute
    display: str                   # path shown in findings (relative to the repository root)
    schema_type: str
    compatibility: str
    policy: str = "STRICT"
    normalize: bool = False
    references: tuple[Reference, ...] = ()
    ignore: frozenset[str] = frozenset()

    def read(self) -> str:
        try:
            return self.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CIError(f"{self.display}: cannot read schema file: {exc.strerror or exc}") from None


@dataclass
class Config:
    root: Path                     # directory the config's paths are relative to
    source: Path | None
    registry_url: str | None = None
    subjects: list[SubjectConfig] = field(default_factory=list)   # dependencies first

    def by_subject(self) -> dict[str, SubjectConfig]:
        return {s.subject: s for s in self.subjects}

    def select(self, names: list[str] | None) -> list[SubjectConfig]:
        """The subjects named on the command line (all when none), still in dependency order."""
        if not self.subjects:
            raise CIError(f"{self.source or 'config'}: no [[subjects]] configured, nothing to check")
        if not names:
            return list(self.subjects)
        known = self.by_subject()
        missing = [n for n in names if n not in known]
        if missing:
            raise CIError(f"unknown subject(s): {', '.join(missing)}")
        return [s for s in self.subjects if s.subject in names]


def find_config(start: Path) -> Path | None:
    """The nearest schemawire.toml, or pyproject.toml with [tool.schemawire], walking up."""
    for folder in [start, *start.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "tool" in _read_toml(pyproject) and \
                "schemawire" in _read_toml(pyproject)["tool"]:
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise CIError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CIError(f"{path}: invalid TOML: {exc}") from None


def load_config(path: str | None, *, required: bool = True, cwd: Path | None = None) -> Config | None:
    """Read the config named by --config, or found from the working directory."""
    cwd = cwd or Path.cwd()
    found = Path(path) if path else find_config(cwd.resolve())
    if found is None:
        if required:
            raise CIError(f"no {CONFIG_NAME} (or [tool.schemawire] in pyproject.toml) found; pass --config PATH")
        return None
    if not found.is_file():
        raise CIError(f"config file {found} does not exist")
    data = _read_toml(found)
    if found.name == "pyproject.toml" or "schemawire" in data.get("tool", {}):
        data = data.get("tool", {}).get("schemawire")
        if data is None:
            raise CIError(f"{found}: no [tool.schemawire] table")
    return parse_config(data, found.resolve().parent, source=found)


def parse_config(data: dict[str, Any], root: Path, *, source: Path | None = None) -> Config:
    where = str(source or "config")
    _known_keys(data, {"registry", "defaults", "subjects"}, where)
    registry = _table(data.get("registry", {}), f"{where}: [registry]")
    defaults = _table(data.get("defaults", {}), f"{where}: [defaults]")
    _known_keys(defaults, {"compatibility", "policy", "normalize", "ignore"}, f"{where}: [defaults]")
    url = registry.get("url") or os.environ.get("SCHEMAWIRE_REGISTRY_URL") or None
    if url is not None and not isinstance(url, str):
        raise CIError(f"{where}: registry.url must be a string")
    entries = data.get("subjects", [])
    if not isinstance(entries, list):
        raise CIError(f"{where}: [[subjects]] must be an array of tables")
    repo = _repo_root(root)
    subjects = [_subject(_table(e, f"{where}: subjects[{i}]"), defaults, root, repo, f"{where}: subjects[{i}]")
                for i, e in enumerate(entries)]
    return Config(root=root, source=source, registry_url=url, subjects=_ordered(subjects, where))


def _known_keys(table: dict[str, Any], known: set[str], where: str) -> None:
    """A misspelt key would silently check nothing, so it is an error."""
    unknown = sorted(set(table) - known)
    if unknown:
        raise CIError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CIError(f"{where} must be a table")
    return value


def _repo_root(root: Path) -> Path:
    for folder in [root, *root.parents]:
        if (folder / ".git").exists():
            return folder
    return root


def _subject(entry: dict[str, Any], defaults: dict[str, Any], root: Path, repo: Path,
             where: str) -> SubjectConfig:
    _known_keys(entry, {"subject", "topic", "key", "file", "type", "compatibility", "policy", "normalize",
                        "references", "ignore"}, where)
    file = entry.get("file")
    if not isinstance(file, str) or not file:
        raise CIError(f"{where}: `file` is required")
    path = (root / file).resolve()
    if not path.is_file():
        raise CIError(f"{where}: schema file {file} does not exist")
    subject = _subject_name(entry, where)
    schema_type = entry.get("type") or EXTENSIONS.get(path.suffix.lower())
    if schema_type is None:
        raise CIError(f"{where}: cannot tell the schema type of {file}; set type = \"AVRO\"|\"JSON\"|\"PROTOBUF\"")
    schema_type = str(schema_type).upper()
    if schema_type not in TYPE_EXTENSIONS:
        raise CIError(f"{where}: unknown schema type {schema_type}")
    level = str(entry.get("compatibility", defaults.get("compatibility", "BACKWARD"))).upper()
    if level not in LEVELS:
        raise CIError(f"{where}: unknown compatibility level {level}; one of {', '.join(LEVELS)}")
    policy = str(entry.get("policy", defaults.get("policy", "STRICT"))).upper()
    if policy not in POLICIES:
        raise CIError(f"{where}: unknown policy {policy}; one of {', '.join(POLICIES)}")
    ignore = entry.get("ignore", defaults.get("ignore", []))
    if not isinstance(ignore, list) or not all(isinstance(r, str) for r in ignore):
        raise CIError(f"{where}: `ignore` must be a list of rule ids")
    try:
        display = path.relative_to(repo).as_posix()
    except ValueError:
        display = path.as_posix()
    return SubjectConfig(
        subject=subject, file=path, display=display, schema_type=schema_type, compatibility=level,
        policy=policy, normalize=bool(entry.get("normalize", defaults.get("normalize", False))),
        references=tuple(_reference(r, f"{where}.references[{i}]")
                         for i, r in enumerate(entry.get("references", []))),
        ignore=frozenset(ignore))


def _subject_name(entry: dict[str, Any], where: str) -> str:
    subject, topic = entry.get("subject"), entry.get("topic")
    if subject and topic:
        raise CIError(f"{where}: give `subject` or `topic`, not both")
    if topic:
        if not isinstance(topic, str):
            raise CIError(f"{where}: `topic` must be a string")
        return f"{topic}-key" if entry.get("key") else f"{topic}-value"
    if not isinstance(subject, str) or not subject:
        raise CIError(f"{where}: `subject` (or `topic`) is required")
    return subject


def _reference(value: Any, where: str) -> Reference:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) \
            or not isinstance(value.get("subject"), str):
        raise CIError(f"{where}: a reference needs string `name` and `subject`")
    version = value.get("version")
    if version is not None and not isinstance(version, int):
        raise CIError(f"{where}: reference `version` must be an integer")
    return Reference(value["name"], value["subject"], version)


def _ordered(subjects: list[SubjectConfig], where: str) -> list[SubjectConfig]:
    """Dependencies before dependants (stable otherwise); cycles and duplicates are errors."""
    by_name: dict[str, SubjectConfig] = {}
    for s in subjects:
        if s.subject in by_name:
            raise CIError(f"{where}: subject {s.subject} is listed twice")
        by_name[s.subject] = s
    out: list[SubjectConfig] = []
    state: dict[str, str] = {}

    def visit(s: SubjectConfig, chain: list[str]) -> None:
        if state.get(s.subject) == "done":
            return
        if state.get(s.subject) == "visiting":
            raise CIError(f"{where}: circular references: {' -> '.join(chain + [s.subject])}")
        state[s.subject] = "visiting"
        for ref in s.references:
            dep = by_name.get(ref.subject)
            if dep is not None:
                visit(dep, chain + [s.subject])
        state[s.subject] = "done"
        out.append(s)

    for s in subjects:
        visit(s, [])
    return out

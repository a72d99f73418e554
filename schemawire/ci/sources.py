"""Where previous versions come from for offline checks: git history or a directory.

Each source answers, per subject, the previous texts oldest first, each with
the reference texts it had at that point (falling back to today's text for a
reference that did not exist yet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from schemawire.ci.config import EXTENSIONS, TYPE_EXTENSIONS, Config, SubjectConfig
from schemawire.ci.findings import CIError
from schemawire.ci.history import GitHistory, repo_root, resolve_ref
from schemawire.ci.resolve import dependencies


@dataclass(frozen=True)
class PreviousText:
    label: str
    text: str
    deps: dict[str, str]


class GitSource:
    """Versions of each file at a git ref; transitive levels get the whole first-parent history."""

    def __init__(self, config: Config, ref: str | None) -> None:
        self.root = repo_root(config.root)
        self.commit, self.ref_label = resolve_ref(self.root, ref)
        self.by_subject = config.by_subject()
        self.rel = {s.subject: self._rel(s) for s in config.subjects}
        self.history = GitHistory(self.root, self.commit, sorted(set(self.rel.values())))
        self.description = f"git:{ref or self.ref_label} ({self.commit[:12]})"

    def _rel(self, sub: SubjectConfig) -> str:
        try:
            return sub.file.relative_to(self.root).as_posix()
        except ValueError:
            raise CIError(f"{sub.display} is outside the git repository at {self.root}") from None

    def previous(self, subjects: list[SubjectConfig]) -> dict[str, list[PreviousText]]:
        wanted: dict[str, list] = {}
        blobs: set[str] = set()
        for sub in subjects:
            versions = self.history.versions(self.rel[sub.subject])
            if not sub.compatibility.endswith("_TRANSITIVE"):
                versions = versions[-1:]
            if sub.compatibility == "NONE":
                versions = []
            wanted[sub.subject] = versions
            for v in versions:
                blobs.add(v.blob)
                blobs.update(b for b in self._dep_blobs(sub, v.position) if b)
        self.history.load(blobs)
        out: dict[str, list[PreviousText]] = {}
        for sub in subjects:
            out[sub.subject] = [
                PreviousText(f"git:{v.commit[:12]}", self.history.text(v.blob),
                             dependencies(sub, self.by_subject, self._text_at(v.position)))
                for v in wanted[sub.subject]]
        return out

    def _dep_blobs(self, sub: SubjectConfig, position: int) -> list[str | None]:
        seen: list[str | None] = []
        stack = list(sub.references)
        visited: set[str] = set()
        while stack:
            ref = stack.pop()
            dep = self.by_subject.get(ref.subject)
            if dep is None or dep.subject in visited:
                continue
            visited.add(dep.subject)
            seen.append(self.history.blob_at(self.rel[dep.subject], position))
            stack.extend(dep.references)
        return seen

    def _text_at(self, position: int):
        def text_of(dep: SubjectConfig) -> str | None:
            blob = self.history.blob_at(self.rel[dep.subject], position)
            return None if blob is None else self.history.text(blob)
        return text_of


_VERSION_FILE = re.compile(r"v?(\d+)\.[A-Za-z]+\Z")


class DirSource:
    """Previous versions laid out as `download` writes them, or as a copy of the repository.

    Per subject: `DIR/<subject>/v<N>.<ext>` (every version), else `DIR/<subject>.<ext>`,
    else the file at its own relative path under DIR.
    """

    def __init__(self, config: Config, directory: Path) -> None:
        if not directory.is_dir():
            raise CIError(f"--against {directory}: not a directory (nor git:REF nor a registry URL)")
        self.dir = directory
        self.config = config
        self.by_subject = config.by_subject()
        self.description = f"dir:{directory}"
        self._cache: dict[str, list[Path]] = {}

    def files(self, sub: SubjectConfig) -> list[Path]:
        if sub.subject not in self._cache:
            self._cache[sub.subject] = self._find(sub)
        return self._cache[sub.subject]

    def _find(self, sub: SubjectConfig) -> list[Path]:
        name = quote(sub.subject, safe="")
        folder = self.dir / name
        if folder.is_dir():
            numbered = []
            for f in folder.iterdir():
                m = _VERSION_FILE.match(f.name)
                if m and f.is_file():
                    numbered.append((int(m.group(1)), f))
            return [f for _, f in sorted(numbered)]
        exts = [TYPE_EXTENSIONS[sub.schema_type]] + [e for e, t in EXTENSIONS.items() if t == sub.schema_type]
        for ext in dict.fromkeys(exts):
            if (self.dir / (name + ext)).is_file():
                return [self.dir / (name + ext)]
        try:
            mirror = self.dir / sub.file.relative_to(self.config.root)
        except ValueError:
            return []
        return [mirror] if mirror.is_file() else []

    def _latest_text(self, dep: SubjectConfig) -> str | None:
        files = self.files(dep)
        return files[-1].read_text(encoding="utf-8") if files else None

    def previous(self, subjects: list[SubjectConfig]) -> dict[str, list[PreviousText]]:
        out: dict[str, list[PreviousText]] = {}
        for sub in subjects:
            files = [] if sub.compatibility == "NONE" else self.files(sub)
            if not sub.compatibility.endswith("_TRANSITIVE"):
                files = files[-1:]
            deps = dependencies(sub, self.by_subject, self._latest_text) if files else {}
            out[sub.subject] = [PreviousText(str(f), f.read_text(encoding="utf-8"), deps) for f in files]
        return out

"""Previous versions of schema files from git: one `git log`, one `git cat-file --batch`.

History follows first parents from the ref, so the versions are the ones the
main line actually had, in order; a file's text at a commit is its newest
change at or before that commit.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from schemawire.ci.findings import CIError

ZERO = "0" * 40
DEFAULT_BASES = ("main", "origin/main", "master", "origin/master")


@dataclass(frozen=True)
class Version:
    commit: str
    blob: str
    position: int                  # 0 = newest commit in the log; larger is older


def _git(root: Path, *args: str, input_: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], input=input_, capture_output=True, check=False)
    except FileNotFoundError:
        raise CIError("git is not installed; use --against DIR or a registry instead") from None
    if proc.returncode != 0:
        raise CIError(f"git {' '.join(a for a in args[:4] if not a.startswith(('-c', 'core.')))} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def repo_root(start: Path) -> Path:
    return Path(_git(start, "rev-parse", "--show-toplevel").decode().strip()).resolve()


def resolve_ref(root: Path, ref: str | None) -> tuple[str, str]:
    """(commit, label) for `ref`, or for the merge base of HEAD with main when ref is empty."""
    if ref:
        try:
            commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
        except CIError:
            raise CIError(f"git ref {ref!r} does not exist") from None
        return commit, ref
    for base in DEFAULT_BASES:
        try:
            _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
        except CIError:
            continue
        try:
            commit = _git(root, "merge-base", "HEAD", base).decode().strip()
        except CIError as exc:
            raise CIError(f"no merge base of HEAD and {base}{_shallow_hint(root)}: {exc}") from None
        return commit, f"merge-base(HEAD, {base})"
    raise CIError(f"no main or master branch to take the merge base with{_shallow_hint(root)}; "
                  "pass --against git:REF")


def _shallow_hint(root: Path) -> str:
    """CI checkouts are often shallow; say so, since that is the usual cause."""
    try:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true"
    except CIError:
        return ""
    return " (this is a shallow clone: fetch the history, e.g. actions/checkout with fetch-depth: 0)" \
        if shallow else ""


class GitHistory:
    """Every version of a set of files reachable from one commit, loaded in two git calls."""

    def __init__(self, root: Path, commit: str, paths: list[str]) -> None:
        self.root = root
        self.commit = commit
        self._versions: dict[str, list[Version]] = {p: [] for p in paths}   # newest first
        self._commits: list[str] = []
        if paths:
            self._read_log(paths)
        self._texts: dict[str, str] = {}

    def _read_log(self, paths: list[str]) -> None:
        out = _git(self.root, "-c", "core.quotePath=false", "log", self.commit, "--first-parent",
                   "--diff-merges=first-parent",
                   "--raw", "--no-abbrev", "--no-renames", "--format=%x01%H", "--", *paths)
        commit, position = "", -1
        for line in out.decode("utf-8", errors="surrogateescape").splitlines():
            if line.startswith("\x01"):
                commit = line[1:].strip()
                position += 1
                self._commits.append(commit)
            elif line.startswith(":"):
                meta, _, path = line.partition("\t")
                blob = meta.split()[3]
                if path in self._versions:
                    self._versions[path].append(Version(commit, blob, position))

    def versions(self, path: str) -> list[Version]:
        """The file's versions, oldest first; empty when it did not exist at the commit."""
        found = self._versions.get(path, [])
        if not found or found[0].blob == ZERO:
            return []
        return [v for v in reversed(found) if v.blob != ZERO]

    def blob_at(self, path: str, position: int) -> str | None:
        """The file's blob at the commit with this log position, or None if it did not exist."""
        for v in self._versions.get(path, []):
            if v.position >= position:
                return None if v.blob == ZERO else v.blob
        return None

    def load(self, blobs: set[str]) -> None:
        """Read many blobs with one `git cat-file --batch`."""
        wanted = sorted(b for b in blobs if b not in self._texts and b != ZERO)
        if not wanted:
            return
        out = _git(self.root, "cat-file", "--batch", input_=("\n".join(wanted) + "\n").encode())
        i = 0
        for sha in wanted:
            header_end = out.index(b"\n", i)
            header = out[i:header_end].split()
            if len(header) < 3 or header[1] == b"missing":
                i = header_end + 1
                continue
            size = int(header[2])
            start = header_end + 1
            self._texts[sha] = out[start:start + size].decode("utf-8", errors="replace")
            i = start + size + 1
        return

    def text(self, blob: str) -> str:
        if blob not in self._texts:
            self.load({blob})
        return self._texts[blob]

"""Helpers for the CI-check tests: a throwaway git repository and an in-process CLI runner.

(No tests here; the name keeps it among the CI test files.)
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemawire.cli import main


class GitRepo:
    """A temporary repository on `main` whose commits are schema changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "ci@example.com")
        self.git("config", "user.name", "CI test")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.root), *args], check=True, capture_output=True,
                              text=True).stdout

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, message: str, **files: str) -> str:
        for rel, text in files.items():
            self.write(rel.replace("__", "/"), text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)

    def junit(self) -> ET.Element:
        return ET.fromstring(self.out)


def run_cli(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> Run:
    """`schemawire ARGS` in-process from `cwd`; argparse usage errors come back as exit code 2."""
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def record(name: str, *fields: str, namespace: str = "com.acme") -> str:
    """An Avro record, one field per line so findings have distinct line numbers."""
    body = ",\n".join(f"    {f}" for f in fields)
    return (f'{{\n  "type": "record",\n  "name": "{name}",\n  "namespace": "{namespace}",\n'
            f'  "fields": [\n{body}\n  ]\n}}\n')


def config(*subjects: str, defaults: str = 'compatibility = "BACKWARD"', extra: str = "") -> str:
    return f"{extra}\n[defaults]\n{defaults}\n" + "".join(f"\n[[subjects]]\n{s}\n" for s in subjects)

"""Time `schemawire check` on N schema files with V historical versions each (git history).

Usage: .venv/bin/python bench/bench_ci.py [--files 200] [--versions 20] [--type avro|json|protobuf]
       [--level BACKWARD_TRANSITIVE] [--runs 3] [--promote]

Builds a throwaway git repository (V commits on main, each changing every file
compatibly), then a working-tree change that is compatible with all of them,
so a transitive level checks every file against every version: the worst case.
Reports the wall time of the real `schemawire check` process, best of --runs.
`--promote` makes every pair one that only Avro's full checker can settle.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXT = {"avro": ".avsc", "json": ".json", "protobuf": ".proto"}


def schema(kind: str, i: int, nfields: int, promoted: bool = False) -> str:
    if kind == "avro":
        fields = [{"name": f"f{k}", "type": ["null", "string"], "default": None} for k in range(nfields)]
        count = {"name": "count", "type": "long" if promoted else "int"}
        return json.dumps({"type": "record", "name": f"Rec{i}", "namespace": "bench",
                           "fields": [{"name": "id", "type": "long"}, count] + fields}, indent=2)
    if kind == "json":
        props = {"id": {"type": "integer"}, **{f"f{k}": {"type": "string"} for k in range(nfields)}}
        return json.dumps({"type": "object", "properties": props, "required": ["id"],
                           "additionalProperties": False}, indent=2)
    body = "\n".join(f"  string f{k} = {k + 2};" for k in range(nfields))
    return f'syntax = "proto3";\npackage bench;\n\nmessage Rec{i} {{\n  int64 id = 1;\n{body}\n}}\n'


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def build(root: Path, kind: str, files: int, versions: int, level: str, promote: bool = False) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    (root / "schemas").mkdir()
    ext = EXT[kind]
    entries = "".join(f'\n[[subjects]]\ntopic = "t{i}"\nfile = "schemas/s{i}{ext}"\n' for i in range(files))
    (root / "schemawire.toml").write_text(f'[defaults]\ncompatibility = "{level}"\n{entries}')
    for v in range(versions):
        for i in range(files):
            (root / "schemas" / f"s{i}{ext}").write_text(schema(kind, i, 5 + v))
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"v{v + 1}")
    git(root, "checkout", "-q", "-b", "feature")
    for i in range(files):
        (root / "schemas" / f"s{i}{ext}").write_text(schema(kind, i, 5 + versions, promote))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--versions", type=int, default=20)
    ap.add_argument("--type", choices=sorted(EXT), default="avro")
    ap.add_argument("--level", default="BACKWARD_TRANSITIVE")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--promote", action="store_true",
                    help="Avro: the new version also widens an int to a long, a compatible change the "
                         "fast path cannot prove, so Avro's checker runs on every pair")
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("schemawire"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        build(root, args.type, args.files, args.versions, args.level, args.promote)
        print(f"built {args.files} {args.type} files x {args.versions} versions in {time.perf_counter() - t0:.1f} s")
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            proc = subprocess.run([exe, "check", "--format", "json"], cwd=root, capture_output=True, text=True)
            times.append(time.perf_counter() - t)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                return 1
        report = json.loads(proc.stdout)
        checked = sum(int(s.get("note", "0").split()[0]) for s in report["subjects"])
        print(f"schemawire check --against git (merge base), {args.level}: {len(report['subjects'])} subjects, "
              f"{checked} previous versions; best {min(times):.2f} s, runs: "
              + ", ".join(f"{t:.2f}" for t in times))
    return 0


if __name__ == "__main__":
    sys.exit(main())

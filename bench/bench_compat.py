"""Compatibility checks per second: a 50-field schema against 50 previous versions at FULL_TRANSITIVE.

Not a test: run it by hand (see bench/README.md, section "compatibility checks"):

    .venv/bin/python bench/bench_compat.py --http --write-readme

For each schema type (AVRO, JSON, PROTOBUF) a subject gets 50 versions of a 50-field schema at
FULL_TRANSITIVE (registering them already runs the check against every earlier version). The
versions differ in one field each, by a change that is compatible both ways (Avro: a field doc;
JSON: a property description; Protobuf: a field renamed at the same tag), so every check walks
all 50 versions in both directions (100 directional comparisons) and none stops early. The
timed operation is what POST /compatibility/subjects/{s}/versions does: parse the new schema
and check it, here as `Registry.test_compatibility` in process (SQLite store on a temp dir),
and with --http over loopback against `schemawire registry` in a subprocess with one keep-alive
httpx client. Each figure is the best of --repeat rounds of at least --seconds; the CPU time
spent per check (this process for the in-process rows, the server process for HTTP) is given
too, as it moves far less than rates when other jobs load the machine.

--before REV measures the same thing on "before" code first, in a subprocess: a copy of this
working tree with --before-paths (the checkers and the parsed schemas) as they were at REV,
so the two sets of rows differ only in that code, and reports the speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_root() -> Path:
    """Where the code under test comes from: this checkout, or `--root DIR` (what --before uses)
    when this file runs as the script."""
    if sys.argv and Path(sys.argv[0]).resolve() == Path(__file__).resolve() and "--root" in sys.argv[:-1]:
        return Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    return ROOT


CODE = _code_root()
sys.path.insert(0, str(CODE))

from registry.core import Registry, SchemaRequest  # noqa: E402
from registry.store.sqlite import SqliteStore  # noqa: E402
from registry.types import default_types  # noqa: E402

FIELDS = 50
VERSIONS = 50
LEVEL = "FULL_TRANSITIVE"
SECTION = "## compatibility checks"
BEFORE_PATHS = ("registry/compat", "serde/schemas")


# -- the schemas ------------------------------------------------------------------------------

def avro_schema(version: int) -> str:
    """50 fields of mixed kinds, all with defaults; field `version % 50` carries a doc."""
    kinds = [
        ("string", ""), ("int", 0), ("long", 0), ("double", 0.0), ("boolean", False),
        (["null", "string"], None), ({"type": "array", "items": "int"}, []),
        ({"type": "map", "values": "string"}, {}), ("bytes", ""), ("float", 0.0),
    ]
    fields = []
    for i in range(FIELDS):
        if i == 10:
            type_, default = {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"],
                              "default": "NEW"}, "NEW"
        elif i == 20:
            type_, default = {"type": "record", "name": "Address", "fields": [
                {"name": "street", "type": "string", "default": ""},
                {"name": "zip", "type": ["null", "string"], "default": None}]}, {"street": "", "zip": None}
        else:
            type_, default = kinds[i % len(kinds)]
        field = {"name": f"f{i}", "type": type_, "default": default}
        if i == version % FIELDS:
            field["doc"] = f"version {version}"
        fields.append(field)
    return json.dumps({"type": "record", "name": "Bench", "namespace": "bench", "fields": fields})


def json_schema(version: int) -> str:
    """50 properties of mixed kinds; property `version % 50` carries a description."""
    kinds = [
        {"type": "string", "maxLength": 64}, {"type": "integer", "minimum": 0, "maximum": 1000},
        {"type": "number"}, {"type": "boolean"}, {"type": "array", "items": {"type": "string"}},
        {"enum": ["NEW", "PAID", "SHIPPED"]}, {"type": ["string", "null"]},
        {"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
         "additionalProperties": False},
        {"type": "string", "pattern": "^[a-z]+$"}, {"oneOf": [{"type": "integer"}, {"type": "string"}]},
    ]
    props = {}
    for i in range(FIELDS):
        prop = dict(kinds[i % len(kinds)])
        if i == version % FIELDS:
            prop["description"] = f"version {version}"
        props[f"f{i}"] = prop
    return json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                       "properties": props, "required": [f"f{i}" for i in range(10)],
                       "additionalProperties": False})


def proto_schema(version: int) -> str:
    """50 fields of mixed kinds; field `version % 50` is renamed (same tag)."""
    kinds = ["string", "int32", "int64", "double", "bool", "bytes", "repeated string", "map<string, int64>",
             "Status", "Address"]
    lines = []
    for i in range(FIELDS):
        name = f"f{i}" + (f"_v{version}" if i == version % FIELDS else "")
        lines.append(f"  {kinds[i % len(kinds)]} {name} = {i + 1};")
    return ('syntax = "proto3";\npackage bench;\n\nimport "google/protobuf/timestamp.proto";\n\n'
            "message Bench {\n" + "\n".join(lines) + "\n  google.protobuf.Timestamp at = 51;\n"
            "  enum Status {\n    NEW = 0;\n    PAID = 1;\n  }\n"
            "  message Address {\n    string street = 1;\n    string zip = 2;\n  }\n}\n")


TYPES: dict[str, Callable[[int], str]] = {"AVRO": avro_schema, "JSON": json_schema, "PROTOBUF": proto_schema}
NEW_VERSION = VERSIONS + 1000  # the checked schema: a doc/description/name no version has


# -- timing ---------------------------------------------------------------------------------

@dataclass
class Figure:
    schema_type: str
    where: str
    checks: int
    per_second: float
    ms_median: float
    ms_p99: float
    parse_ms: float | None = None
    cpu_ms: float | None = None  # CPU per check: this process (core) or the server (HTTP)
    code: str = "after"  # or "before" (--before)


_counter = iter(range(10**9))


def candidate(make: Callable[[int], str]) -> str:
    """A schema no earlier call has checked: field 0 gets a new doc/description/name each time,
    so the registry's remembered verdicts never answer for it."""
    return make(FIELDS * (1000 + next(_counter)))


def timed(prepare: Callable[[], object], call: Callable[[object], object], seconds: float,
          repeat: int, cpu: Callable[[], float] = time.process_time) -> tuple[int, float, list[float], float]:
    """Best rate over `repeat` rounds of at least `seconds` of time spent inside `call` (what
    `prepare` does for each call, e.g. making a fresh schema text, is not timed); also each
    call's latency (ms) and the least CPU per call of a round (ms, by `cpu()` seconds)."""
    best_rate, best_n, latencies, best_cpu = 0.0, 0, [], float("inf")
    for _ in range(repeat):
        n, inside, used, lat = 0, 0.0, 0.0, []
        while inside < seconds:
            arg = prepare()
            c0 = cpu()
            t0 = time.perf_counter()
            call(arg)
            dt = time.perf_counter() - t0
            used += cpu() - c0
            inside += dt
            lat.append(dt * 1000)
            n += 1
        rate = n / inside
        best_cpu = min(best_cpu, used / n * 1000)
        if rate > best_rate:
            best_rate, best_n, latencies = rate, n, lat
    return best_n, best_rate, latencies, best_cpu


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def bench_core(schema_type: str, seconds: float, repeat: int) -> list[Figure]:
    make = TYPES[schema_type]
    with tempfile.TemporaryDirectory(prefix="bench-compat-") as tmp:
        registry = Registry(SqliteStore(Path(tmp) / "registry.db"), default_types())
        registry.set_config(None, {"compatibility": LEVEL})
        subject = f"bench-{schema_type.lower()}"
        for v in range(VERSIONS):
            registry.register(subject, SchemaRequest(make(v), schema_type))
        assert registry.list_versions(subject) == list(range(1, VERSIONS + 1))
        req = SchemaRequest(make(NEW_VERSION), schema_type)
        answer = registry.test_compatibility(subject, None, req, verbose=True)
        assert answer == {"is_compatible": True, "messages": []}, answer
        # An incompatible change is found (the check is not vacuous).
        text = make(NEW_VERSION)
        broken = {"AVRO": text.replace('"name": "f1", "type": "int", "default": 0',
                                       '"name": "f1", "type": "string", "default": ""'),
                  "JSON": text.replace('"f3": {"type": "boolean"}', '"f3": {"type": "string"}'),
                  "PROTOBUF": text.replace("double f3 = 4;", "string f3 = 4;")}[schema_type]
        assert broken != text
        bad = registry.test_compatibility(subject, None, SchemaRequest(broken, schema_type))
        assert bad == {"is_compatible": False}, (schema_type, bad)

        plugin = default_types()[schema_type].schema_type
        _, parse_rate, _, _ = timed(lambda: candidate(make), lambda t: plugin.parse(t, {}, validate=False),
                                    min(seconds, 1.0), 1)

        def check(text: str) -> None:
            if registry.test_compatibility(subject, None, SchemaRequest(text, schema_type)) != {"is_compatible": True}:
                raise SystemExit(f"{schema_type}: a candidate was found incompatible")

        n, rate, lat, cpu = timed(lambda: candidate(make), check, seconds, repeat)
        fresh = Figure(schema_type, "core, in process, a new schema each check", n, rate,
                       statistics.median(lat), p99(lat), 1000 / parse_rate, cpu)
        n, rate, lat, cpu = timed(lambda: req, lambda r: registry.test_compatibility(subject, None, r),
                                  seconds, repeat)
        again = Figure(schema_type, "core, in process, the same schema again (remembered verdict)", n, rate,
                       statistics.median(lat), p99(lat), cpu_ms=cpu)
        return [fresh, again]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_http(seconds: float, repeat: int) -> list[Figure]:
    import httpx

    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-compat-http-") as tmp:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "schemawire.cli", "registry", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", tmp], cwd=CODE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ticks = os.sysconf("SC_CLK_TCK")

        def server_cpu() -> float:
            """utime + stime of the server process, seconds."""
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if client.get("/").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("schemawire registry did not start")
                    time.sleep(0.05)
                assert client.put("/config", json={"compatibility": LEVEL}).status_code == 200
                for schema_type, make in TYPES.items():
                    subject = f"bench-{schema_type.lower()}"
                    for v in range(VERSIONS):
                        r = client.post(f"/subjects/{subject}/versions",
                                        json={"schema": make(v), "schemaType": schema_type})
                        assert r.status_code == 200, r.text
                    path = f"/compatibility/subjects/{subject}/versions"

                    def call(body, path=path):
                        r = client.post(path, json=body)
                        if r.status_code != 200 or r.json() != {"is_compatible": True}:
                            raise SystemExit(r.text)

                    n, rate, lat, cpu = timed(
                        lambda make=make, t=schema_type: {"schema": candidate(make), "schemaType": t},
                        call, seconds, repeat, server_cpu)
                    figures.append(Figure(schema_type, "HTTP, loopback, 1 keep-alive client, a new schema each check",
                                          n, rate, statistics.median(lat), p99(lat), cpu_ms=cpu))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return figures


# -- before: the same benchmark on the previous code ------------------------------------------

def before_tree(rev: str, paths: tuple[str, ...], dest: Path) -> None:
    """This working tree copied to `dest`, with `paths` replaced by what they were at `rev`."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file() and not name.startswith((".venv/", "data/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    for path in paths:
        shutil.rmtree(dest / path, ignore_errors=True)
    archive = subprocess.run(["git", "archive", "--format=tar", rev, *paths], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def bench_before(args: argparse.Namespace) -> list[Figure]:
    """Run this script on the before tree (`--root`), in a subprocess, and read its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-compat-before-") as tmp:
        before_tree(args.before, tuple(args.before_paths.split(",")), Path(tmp))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--root", tmp, "--json",
               "--seconds", str(args.seconds), "--repeat", str(args.repeat), "--types", args.types]
        if args.http:
            cmd.append("--http")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = json.loads(out.strip().splitlines()[-1])
    return [Figure(**{**row, "code": "before"}) for row in rows]


# -- output ---------------------------------------------------------------------------------

NOTES = """\
Reading the table:
* "a new schema each check" is the real cost: every candidate differs (field 0 gets a new
  doc/description/name), so nothing is remembered. "the same schema again" measures the core's
  remembered verdicts (keyed by candidate guid, stored ids, level and policy): what a client
  that re-checks an unchanged schema sees; only the parse of the candidate remains.
* CPU ms/check is the CPU time spent per check (this process for "core", the registry server
  process for "HTTP"): the figure least moved by other jobs on the machine, so compare it
  across runs; rates and latencies move with the load.
* The core is synchronous on the event loop, so one cold 50-version FULL_TRANSITIVE check
  holds every other request of the process for the p50 shown.
* Where the time went before (cProfile, JSON and Protobuf): the difference walkers compared
  every field pair of every version again on every check (each Protobuf comparison also
  rebuilt both schemas' type tables and serialized their files); about 1.7 ms per
  directional comparison, 100 per check.
* What changed: work that depends on one schema is done once per parsed schema and kept on
  it (the registry keeps parsed stored schemas). JSON: every loaded subtree without a `$ref`
  cycle below it gets a fingerprint shared by all alike subtrees of all loaded schemas
  (`registry/compat/json_schema/identity.py`); a pair's walk result is kept on the
  fingerprint (per compatibility policy), so the unchanged properties of the 50 versions
  are compared once, not per check. Protobuf: type tables, each message's fields by number
  with their resolved types and labels, and the serialized imports are worked out once; a
  field with the same name, type, label and oneof on both sides (and no imported message
  type to look into) is skipped. Results are byte-identical: conformance suites, and a
  differential run against the previous checkers on ~30,000 JSON and ~19,000 Protobuf pairs.
* What is left per check: JSON, loading the candidate's tree (~4 ms) and the top-level walk
  over 50 properties per version; Protobuf, protoc's parse of the candidate (~5 ms, two
  protoc passes) and its source hints for the canonical text (~2.5 ms), then ~50 us per
  directional comparison. Avro is unchanged (the fast proof of registry/compat/avro_fastpath.py)."""


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    with_code = any(f.code == "before" for f in figures)
    rows = ["| schema type | " + ("code | " if with_code else "") + "path | checks/s | directional comparisons/s "
            "| ms/check p50 | ms/check p99 | CPU ms/check | parse of the new schema, ms | checks timed |",
            "|---|" + ("---|" if with_code else "") + "---|---:|---:|---:|---:|---:|---:|---:|"]
    for f in figures:
        parse = f"{f.parse_ms:.2f}" if f.parse_ms is not None else ""
        cpu = f"{f.cpu_ms:.2f}" if f.cpu_ms is not None else ""
        pairs = "" if "remembered" in f.where else f"{f.per_second * 2 * VERSIONS:,.0f}"
        code = f"{f.code} | " if with_code else ""
        rows.append(f"| {f.schema_type} | {code}{f.where} | {_rate(f.per_second)} | {pairs} "
                    f"| {f.ms_median:.2f} | {f.ms_p99:.2f} | {cpu} | {parse} | {f.checks:,} |")
    return "\n".join(rows)


def speedups(figures: list[Figure]) -> str:
    """Before -> after per schema type and path, for rates and for CPU per check."""
    before = {(f.schema_type, f.where): f for f in figures if f.code == "before"}
    rows = ["| schema type | path | checks/s before -> after | speed-up | CPU ms/check before -> after "
            "| CPU speed-up |", "|---|---|---|---:|---|---:|"]
    for f in figures:
        b = before.get((f.schema_type, f.where))
        if f.code != "after" or b is None:
            continue
        cpu = cpu_x = ""
        if f.cpu_ms and b.cpu_ms:
            cpu, cpu_x = f"{b.cpu_ms:.2f} -> {f.cpu_ms:.2f}", f"{b.cpu_ms / f.cpu_ms:.1f}x"
        rows.append(f"| {f.schema_type} | {f.where} | {_rate(b.per_second)} -> {_rate(f.per_second)} "
                    f"| {f.per_second / b.per_second:.1f}x | {cpu} | {cpu_x} |")
    return "\n".join(rows)


def machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    return f"{cpus} CPUs, Python {platform.python_version()}"


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() else "?"


def section(runs: list[tuple[str, list[Figure]]], started: str, host: str, command: str,
            args: argparse.Namespace) -> str:
    """The README section: the speed-ups of every run (when --before), then the last run's table."""
    figures = runs[-1][1]
    compared = ""
    if args.before:
        compared = f"""
"before" is this working tree with `{'`, `'.join(args.before_paths.split(','))}` as they were
at commit {args.before} (the checkers and parsed schemas before this change), measured first in
a subprocess; "after" is the current code, measured next in the same run.
"""
        for n, (loads, run) in enumerate(runs, 1):
            compared += f"\nRun {n} of {len(runs)} ({loads}):\n\n{speedups(run)}\n"
    return f"""{SECTION}

A 50-field schema checked against 50 previous versions at FULL_TRANSITIVE, for each schema type:
what `POST /compatibility/subjects/{{s}}/versions` does (parse the new schema, then check it
against every version in both directions: 100 directional comparisons, none stopping early).
The 50 versions differ from each other in one field by a change compatible both ways (Avro: a
field doc; JSON: a property description; Protobuf: a field renamed at the same tag); fields are
of mixed kinds (scalars, optional/nullable, arrays, maps, enums, a nested record/object/message;
JSON with `additionalProperties: false`, 10 required; Protobuf with a well-known import).
"core" calls `Registry.test_compatibility` in process on a SQLite store; "HTTP" posts to
`schemawire registry` in a subprocess on a loopback port with one keep-alive httpx client.
Best of {args.repeat} rounds of at least {args.seconds:g} s each.

Command (from the repo root): `{command}` (without `--http`: the in-process figures only;
without `--before`: the current code only).

Machine: {host}; other jobs shared it. Run at {started}.
{compared}
{"The last run in full:" if len(runs) > 1 else ""}

{table(figures)}

{NOTES}
"""


def write_readme(text: str) -> None:
    path = ROOT / "bench" / "README.md"
    current = path.read_text()
    start = current.find(SECTION)
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        nxt = re.search(r"^## ", current[start + len(SECTION):], re.M)
        end = start + len(SECTION) + nxt.start() if nxt else len(current)
        new = current[:start] + text + ("\n" if nxt else "") + current[end:]
    path.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum length of a round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--http", action="store_true", help="also over HTTP against a registry subprocess")
    parser.add_argument("--types", default="AVRO,JSON,PROTOBUF")
    parser.add_argument("--write-readme", action="store_true", help="replace the section in bench/README.md")
    parser.add_argument("--before", metavar="REV",
                        help="first measure this working tree with --before-paths as at commit REV")
    parser.add_argument("--before-paths", default=",".join(BEFORE_PATHS),
                        help="comma-separated paths taken from REV for --before (default: %(default)s)")
    parser.add_argument("--root", help=argparse.SUPPRESS)  # code under test (set up by --before)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # figures as JSON (for --before)
    parser.add_argument("--runs", type=int, default=1,
                        help="measure everything this many times (with --before: a speed-up table per run)")
    args = parser.parse_args()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    runs = []
    for _ in range(args.runs):
        at_start = load()
        figures = measure(args)
        if args.json:
            print(json.dumps([{k: v for k, v in vars(f).items() if k != "code"} for f in figures]))
            return
        runs.append((f"load average {at_start} at the start, {load()} at the end", figures))
    command = " ".join([".venv/bin/python bench/bench_compat.py"]
                       + (["--http"] if args.http else [])
                       + ([f"--before {args.before}"] if args.before else [])
                       + ([f"--runs {args.runs}"] if args.runs > 1 else [])
                       + ["--write-readme"])
    text = section(runs, started, machine(), command, args)
    print()
    print(text)
    if args.write_readme:
        write_readme(text)


def measure(args: argparse.Namespace) -> list[Figure]:
    """One run: the before code (if asked), then this code, in process and (if asked) over HTTP."""
    progress = sys.stderr if args.json else sys.stdout
    figures = []
    if args.before:
        for f in bench_before(args):
            figures.append(f)
            print(table([f]).splitlines()[-1], flush=True)
    for schema_type in args.types.split(","):
        for f in bench_core(schema_type, args.seconds, args.repeat):
            figures.append(f)
            print(table([f]).splitlines()[-1], flush=True, file=progress)
    if args.http:
        for f in bench_http(args.seconds, args.repeat):
            figures.append(f)
            print(table([f]).splitlines()[-1], flush=True, file=progress)
    return figures


if __name__ == "__main__":
    main()

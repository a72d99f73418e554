"""How much slow compatibility checks hold up the fast reads of other clients.

Not a test: run it by hand (see bench/README.md, section "registry: reads during slow checks"):

    .venv/bin/python bench/bench_blocking.py --write-readme

One `schemawire registry` process on a temp dir. A JSON Schema subject gets 50 versions of a
50-property schema at FULL_TRANSITIVE (bench_compat's schemas). Then, for --seconds each:

1. alone: one client reads GET /schemas/ids/{id} in a loop;
2. beside checks: the same reads while a second client posts, one after the other, new candidates
   to POST /compatibility/subjects/{s}/versions, each a check against all 50 versions.

The reads' latency (p50, p99, max) in both rows shows how long a read waits behind a check.
--python-path runs the server from another checkout (e.g. a `git worktree` of an older commit)
for a before/after in one sitting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_compat import FIELDS, VERSIONS, candidate, json_schema  # noqa: E402
from bench.processes import SCHEMAWIRE, wait_http  # noqa: E402

SECTION = "## registry: reads during slow checks"
COMMAND = ".venv/bin/python bench/bench_blocking.py --write-readme"
HEADERS = {"content-type": "application/vnd.schemaregistry.v1+json"}


def reads(url: str, id_: int, stop: threading.Event) -> list[float]:
    out = []
    with httpx.Client(base_url=url, timeout=30) as c:
        while not stop.is_set():
            started = time.perf_counter()
            assert c.get(f"/schemas/ids/{id_}").status_code == 200
            out.append((time.perf_counter() - started) * 1000)
    return out


def checks(url: str, stop: threading.Event, done: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=60, headers=HEADERS) as c:
        while not stop.is_set():
            body = {"schema": candidate(json_schema), "schemaType": "JSON"}
            started = time.perf_counter()
            r = c.post("/compatibility/subjects/j/versions", json=body)
            assert r.status_code == 200 and r.json() == {"is_compatible": True}, r.text
            done.append((time.perf_counter() - started) * 1000)


def row(name: str, latencies: list[float], seconds: float, check_ms: list[float] | None) -> str:
    lat = sorted(latencies)
    p99 = lat[int(len(lat) * 0.99) - 1]
    checks_cell = "" if check_ms is None else f"{len(check_ms) / seconds:.1f} ({statistics.median(check_ms):.0f} ms)"
    return (f"| {name} | {len(lat) / seconds:,.0f} | {statistics.median(lat):.2f} | {p99:.2f} | "
            f"{lat[-1]:.1f} | {checks_cell} |")


def run(url: str, id_: int, seconds: float, with_checks: bool) -> tuple[list[float], list[float] | None]:
    stop = threading.Event()
    done: list[float] = []
    got: list[list[float]] = []
    reader = threading.Thread(target=lambda: got.append(reads(url, id_, stop)))
    checker = threading.Thread(target=checks, args=(url, stop, done)) if with_checks else None
    reader.start()
    if checker:
        checker.start()
    time.sleep(seconds)
    stop.set()
    reader.join()
    if checker:
        checker.join()
    return got[0], done if with_checks else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--python-path", help="run the server from this checkout")
    ap.add_argument("--label", default="this checkout")
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    port = 18000 + os.getpid() % 1000
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **({"PYTHONPATH": args.python_path} if args.python_path else {})}
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([SCHEMAWIRE, "registry", "--port", str(port), "--data-dir", tmp],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            wait_http(url, proc)
            with httpx.Client(base_url=url, timeout=120, headers=HEADERS) as c:
                assert c.put("/config/j", json={"compatibility": "FULL_TRANSITIVE"}).status_code == 200
                for v in range(VERSIONS):
                    r = c.post("/subjects/j/versions", json={"schema": json_schema(v), "schemaType": "JSON"})
                    assert r.status_code == 200, r.text
                id_ = c.post("/subjects/a/versions", json={"schema": '"string"'}).json()["id"]
            lines = [f"| {args.label}: GET /schemas/ids/{{id}} | reads/s | p50 ms | p99 ms | max ms | "
                     "checks/s (median) |", "|---|---:|---:|---:|---:|---:|"]
            alone, _ = run(url, id_, args.seconds, False)
            lines.append(row("alone", alone, args.seconds, None))
            busy, done = run(url, id_, args.seconds, True)
            lines.append(row(f"beside JSON checks ({FIELDS} properties, {VERSIONS} versions)", busy, args.seconds, done))
        finally:
            proc.terminate()
            proc.wait()
    text = "\n".join(lines)
    print(text)
    if args.write_readme:
        readme = ROOT / "bench" / "README.md"
        body = readme.read_text()
        block = f"{SECTION}\n\n{__doc__.split(chr(10) + chr(10), 2)[2].strip()}\n\nReproduce: `{COMMAND}`\n\n{text}\n"
        if SECTION in body:
            start = body.index(SECTION)
            end = body.find("\n## ", start + 1)
            body = body[:start] + block + (body[end:] if end != -1 else "")
        else:
            body = body.rstrip() + "\n\n" + block
        readme.write_text(body)


if __name__ == "__main__":
    main()

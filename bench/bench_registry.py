"""Benchmark of `schemawire registry` over loopback HTTP with keep-alive clients.

Not a test: run it by hand (see bench/README.md, section "registry"):

    .venv/bin/python bench/bench_registry.py --write-readme

What it measures, each against a fresh server process (`schemawire registry`) on a temp data dir:

(a) registering distinct Avro schemas, 10 versions per subject (compatibility NONE globally),
(b) GET /schemas/ids/{id} for random registered ids,
(c) compatibility checks at BACKWARD_TRANSITIVE against a subject of 50 versions,

for 200 subjects and again for 10x the subjects; plus the start-up time with 100,000 stored
schemas (written straight into the SQLite store). As a baseline, a bare Starlette app returning a
fixed JSON body runs under the same uvicorn settings and is hit by the same clients, in rounds
alternating with the registry's, so figures are also given as a ratio of that ceiling.

Every workload is cut into rounds; req/s is the best round's rate (the machine this runs on is
shared, so the best round is the least disturbed one), latencies are over all rounds, and the
server's CPU per request (utime + stime from /proc/<pid>/stat, over all rounds) is the figure
least sensitive to other load: 1e6 / it is what one core can serve. Peak RSS is VmHWM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
VERSIONS_PER_SUBJECT = 10
COMPAT_VERSIONS = 50
TARGETS = {"register": 500.0, "get_by_id": 5000.0, "startup_100k_s": 10.0}


# -- processes ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    ready_after: float  # seconds from process start to the first successful GET
    ready_cpu: float = 0.0  # the server's CPU seconds at that point

    def peak_rss_mib(self) -> float:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(argv: list[str], port: int, probe: str = "/", timeout: float = 120) -> Server:
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with httpx.Client(timeout=1) as client:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}: {proc.stderr.read()}")
            try:
                if client.get(url + probe).status_code == 200:
                    server = Server(proc, url, time.perf_counter() - t0)
                    server.ready_cpu = server.cpu_seconds()
                    return server
            except httpx.TransportError:
                pass
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                raise SystemExit(f"server did not answer {probe} within {timeout}s")
            time.sleep(0.005)


def start_registry(data_dir: Path, probe: str = "/", profile: Path | None = None,
                   extra: tuple[str, ...] = ()) -> Server:
    port = free_port()
    args = ["registry", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir), *extra]
    # `python -m schemawire.cli` is what the `schemawire` console script runs.
    argv = [sys.executable, "-m", "schemawire.cli", *args]
    if profile is not None:
        argv[1:1] = ["-m", "cProfile", "-o", str(profile)]
    return start(argv, port, probe)


def start_baseline() -> Server:
    port = free_port()
    return start([sys.executable, __file__, "--serve-baseline", str(port)], port)


def serve_baseline(port: int) -> None:
    """A bare Starlette app with a fixed JSON body, under the uvicorn settings the CLI uses."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = json.dumps({"schema": schema_text(0)}, separators=(",", ":")).encode()

    async def fixed(request):
        return Response(body, media_type="application/vnd.schemaregistry.v1+json")

    app = Starlette(routes=[Route("/", fixed), Route("/schemas/ids/{id:int}", fixed)])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            access_log=False)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass


# -- workloads ----------------------------------------------------------------------------

def schema_text(n: int, namespace: str = "bench") -> str:
    """A distinct Avro record per n, in Confluent's canonical form."""
    return json.dumps({"type": "record", "name": f"R{n}", "namespace": namespace, "fields": [
        {"name": "id", "type": "string"}, {"name": f"f{n}", "type": "long"}]}, separators=(",", ":"))


def compat_schema(k: int) -> str:
    """Version k of an evolving record: one required field plus k optional fields with defaults."""
    fields = [{"name": "id", "type": "string"}]
    fields += [{"name": f"o{i}", "type": ["null", "long"], "default": None} for i in range(1, k + 1)]
    return json.dumps({"type": "record", "name": "Evolving", "namespace": "bench", "fields": fields},
                      separators=(",", ":"))


@dataclass
class Result:
    name: str
    subjects: int
    client: str
    requests: int
    rounds: list[float]  # requests per second of each round
    latencies: list[float] = field(repr=False, default_factory=list)
    server_cpu: float = 0.0  # seconds of server CPU over all rounds
    rss_mib: float = 0.0
    baseline: "Result | None" = None

    @property
    def rps(self) -> float:
        return max(self.rounds)

    @property
    def overall_rps(self) -> float:
        return len(self.latencies) / sum(len(self.latencies) / len(self.rounds) / r for r in self.rounds)

    @property
    def cpu_us(self) -> float:
        return self.server_cpu / self.requests * 1e6

    def pct(self, p: float) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000


class RawResponse:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self):
        return json.loads(self.content)


class RawClient:
    """A minimal keep-alive HTTP/1.1 client on a socket, to load the server without httpx's own cost."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = f"{host}:{port}".encode()
        self.buf = b""

    def request(self, method: str, path: str, content: bytes | None = None) -> RawResponse:
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host,
                b"Accept: application/vnd.schemaregistry.v1+json"]
        if content is not None:
            head += [b"Content-Type: application/vnd.schemaregistry.v1+json",
                     b"Content-Length: " + str(len(content)).encode()]
        self.sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + (content or b""))
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        header, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(int(v) for k, _, v in (ln.partition(b":") for ln in lines[1:])
                      if k.strip().lower() == b"content-length")
        while len(self.buf) < length:
            self._recv()
        body, self.buf = self.buf[:length], self.buf[length:]
        return RawResponse(status, body)

    def get(self, path: str) -> RawResponse:
        return self.request("GET", path)

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def run(server: Server, requests: list[tuple[str, str, bytes | None]], clients: int, *,
        check=lambda r: r.status_code == 200, raw: bool = False) -> tuple[float, list[float], float]:
    """Send `requests` (method, path, body) over `clients` keep-alive connections, one thread each.

    Clients are `httpx.Client`s, or `RawClient`s with `raw`. Returns (wall seconds,
    per-request latencies, server CPU seconds used meanwhile).
    """
    url = server.url
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    headers = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    barrier = threading.Barrier(clients + 1)

    def worker(i: int) -> None:
        mine = requests[i::clients]
        out = latencies[i]
        client = RawClient(url) if raw else httpx.Client(base_url=url, timeout=30, headers=headers)
        with client:
            client.get("/")  # open the connection outside the timed part
            barrier.wait()
            try:
                for method, path, body in mine:
                    t = time.perf_counter()
                    r = client.request(method, path, content=body)
                    out.append(time.perf_counter() - t)
                    if not check(r):
                        errors.append(f"{method} {path} -> {r.status_code} {r.text[:200]}")
                        return
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    cpu0 = server.cpu_seconds()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = server.cpu_seconds() - cpu0
    if errors:
        raise SystemExit(f"benchmark request failed: {errors[0]}")
    return wall, [x for lat in latencies for x in lat], cpu


def measure(name: str, subjects: int, server: Server, requests: list, clients: int, rounds: int, *,
            raw: bool = False, check=lambda r: r.status_code == 200,
            baseline: Server | None = None) -> Result:
    """`requests` in `rounds` consecutive chunks; with `baseline`, each chunk also goes to the
    bare app just before, so both see the same conditions."""
    label = f"{'raw socket' if raw else 'httpx'} x{clients}"
    size = -(-len(requests) // rounds)
    chunks = [requests[i:i + size] for i in range(0, len(requests), size)]
    out = Result(name, subjects, label, len(requests), [])
    if baseline is not None:
        out.baseline = Result("bare Starlette baseline", subjects, label, len(requests), [])
    for chunk in chunks:
        if baseline is not None:
            wall, lat, cpu = run(baseline, chunk, clients, raw=raw)
            out.baseline.rounds.append(len(chunk) / wall)
            out.baseline.latencies += lat
            out.baseline.server_cpu += cpu
        wall, lat, cpu = run(server, chunk, clients, raw=raw, check=check)
        out.rounds.append(len(chunk) / wall)
        out.latencies += lat
        out.server_cpu += cpu
    out.rss_mib = server.peak_rss_mib()
    if baseline is not None:
        out.baseline.rss_mib = baseline.peak_rss_mib()
    return out


def bench_scale(subjects: int, args: argparse.Namespace, baseline: Server, tmp: Path) -> list[Result]:
    prof = args.profile / f"scale-{subjects}.prof" if args.profile else None
    server = start_registry(tmp / f"scale-{subjects}", profile=prof)
    n = subjects * VERSIONS_PER_SUBJECT
    rounds, clients, raw_clients = args.rounds, args.clients, args.raw_clients

    def registrations(prefix: str, first: int) -> list:
        # Round-robin over the subjects, so each grows to VERSIONS_PER_SUBJECT versions.
        return [("POST", f"/subjects/{prefix}-{i % subjects}/versions",
                 json.dumps({"schema": schema_text(first + i)}).encode()) for i in range(n)]

    try:
        with httpx.Client(base_url=server.url) as c:
            assert c.put("/config", json={"compatibility": "NONE"}).status_code == 200
        # (a) with the CLI's default --sync, then as many again through the light client
        out = [measure("register", subjects, server, registrations("bench", 0), clients, rounds)]
        if raw_clients:
            out.append(measure("register", subjects, server, registrations("raw", n), raw_clients, rounds,
                               raw=True))

        # (b) random ids over everything registered, alternating with the bare app
        with httpx.Client(base_url=server.url) as c:
            max_id = c.get("/schemas/ids/1", params={"fetchMaxId": "true"}).json()["maxId"]
        assert max_id == n * (2 if raw_clients else 1), (max_id, n)
        rng = random.Random(42)
        ids = [("GET", f"/schemas/ids/{rng.randint(1, max_id)}", None) for _ in range(args.gets)]
        out.append(measure("get_by_id", subjects, server, ids, clients, rounds, baseline=baseline))
        if raw_clients:
            out.append(measure("get_by_id", subjects, server, ids, raw_clients, rounds, raw=True,
                               baseline=baseline))

        # (c) BACKWARD_TRANSITIVE against 50 versions, each adding an optional field
        subject = "compat-50"
        with httpx.Client(base_url=server.url) as c:
            r = c.put(f"/config/{subject}", json={"compatibility": "BACKWARD_TRANSITIVE"})
            assert r.status_code == 200, r.text
            for k in range(COMPAT_VERSIONS):
                r = c.post(f"/subjects/{subject}/versions", json={"schema": compat_schema(k)})
                assert r.status_code == 200, r.text
            assert len(c.get(f"/subjects/{subject}/versions").json()) == COMPAT_VERSIONS
        body = json.dumps({"schema": compat_schema(COMPAT_VERSIONS)}).encode()
        compat = [("POST", f"/compatibility/subjects/{subject}/versions", body)] * args.checks
        out.append(measure("compat_backward_transitive_50", subjects, server, compat, clients, rounds,
                           check=lambda r: r.status_code == 200 and r.json() == {"is_compatible": True}))
        # ... and each check a different schema, so no remembered verdict can answer it
        distinct = [("POST", f"/compatibility/subjects/{subject}/versions",
                     json.dumps({"schema": compat_schema(COMPAT_VERSIONS).replace(
                         '"name":"Evolving"', f'"name":"Evolving","doc":"d{i}"')}).encode())
                    for i in range(args.distinct_checks)]
        if distinct:
            out.append(measure("compat_backward_transitive_50, distinct", subjects, server, distinct, clients,
                               min(rounds, len(distinct)),
                               check=lambda r: r.status_code == 200 and r.json() == {"is_compatible": True}))
    finally:
        server.stop()

    if args.sync_full_row:  # (a) again on a fresh store with an fsync per write
        server = start_registry(tmp / f"scale-{subjects}-full", extra=("--sync", "full"))
        try:
            with httpx.Client(base_url=server.url) as c:
                assert c.put("/config", json={"compatibility": "NONE"}).status_code == 200
            out.insert(1, measure("register, --sync full", subjects, server, registrations("bench", 0), clients,
                                  rounds))
        finally:
            server.stop()
    return out


def write_store(data: Path, count: int, subjects: int) -> None:
    """`count` schemas over `subjects` subjects, straight into the SQLite store, in big transactions."""
    from registry.identity import schema_guid
    from registry.store.base import SchemaRecord, VersionRecord
    from registry.store.sqlite import SqliteStore

    data.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(data / "registry.db", synchronous="OFF")
    try:
        ts = int(time.time() * 1000)
        batch: list = []
        for i in range(count):
            text = schema_text(i, "boot")
            batch.append(SchemaRecord(".", i + 1, "AVRO", text, (), None, schema_guid(text)))
            batch.append(VersionRecord(f"boot-{i % subjects}", i // subjects + 1, i + 1, False, ts))
            if len(batch) >= 20_000:
                store.write(batch)
                batch = []
        store.write(batch)
    finally:
        store.close()


def bench_startup(count: int, tmp: Path, profile: Path | None = None, tries: int = 3) -> dict[str, float]:
    """Process start to the first answered GET, with `count` schemas stored and with none.

    Best of `tries` starts each (the machine is shared), with the server's CPU time to that point.
    """
    def best(data: Path, probe: str, check=None) -> tuple[float, float, float]:
        walls, cpus, rss = [], [], 0.0
        for i in range(tries):
            server = start_registry(data, probe=probe, profile=profile if i == 0 else None)
            try:
                walls.append(server.ready_after)
                cpus.append(server.ready_cpu)
                rss = max(rss, server.peak_rss_mib())
                if check:
                    check(server)
            finally:
                server.stop()
        return min(walls), min(cpus), rss

    def latest_is_last(server: Server) -> None:
        with httpx.Client(base_url=server.url) as c:
            r = c.get(f"/subjects/boot-{count // 10 - 1}/versions/latest")
            assert r.status_code == 200 and r.json()["id"] == count, r.text

    empty_s, empty_cpu, _ = best(tmp / "boot-empty", "/schemas/types")
    data = tmp / f"boot-{count}"
    write_store(data, count, subjects=count // 10)
    ready_s, ready_cpu, rss = best(data, f"/schemas/ids/{count}", latest_is_last)
    return {"schemas": count, "empty_s": empty_s, "empty_cpu": empty_cpu, "ready_s": ready_s,
            "ready_cpu": ready_cpu, "rss_mib": rss, "db_mib": (data / "registry.db").stat().st_size / 2**20,
            "tries": tries}


# -- report -------------------------------------------------------------------------------

def table(results: list[Result], startup: dict[str, float] | None) -> str:
    rows = ["| workload | subjects | client | requests | req/s (best round) | req/s (all) | p50 ms | p99 ms "
            "| vs bare Starlette | server CPU µs/req | one-core capacity req/s | server peak RSS MiB |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def row(r: Result, ratio: str) -> str:
        target = ""
        key = r.name.split(",")[0]
        if key in TARGETS and r.name == key:
            target = " ✅" if r.rps >= TARGETS[key] else f" ❌ (target {TARGETS[key]:,.0f})"
        capacity = f"{1e6 / r.cpu_us:,.0f}" if r.cpu_us else "n/a"
        return (f"| {r.name} | {r.subjects:,} | {r.client} | {r.requests:,} | {r.rps:,.0f}{target} | "
                f"{r.overall_rps:,.0f} | {r.pct(0.5):.2f} | {r.pct(0.99):.2f} | {ratio} | {r.cpu_us:,.0f} | "
                f"{capacity} | {r.rss_mib:.0f} |")

    for r in results:
        if r.baseline is not None:
            rows.append(row(r.baseline, "1.00x"))
            rows.append(row(r, f"{r.rps / r.baseline.rps:.2f}x"))
        else:
            rows.append(row(r, ""))
    if startup:
        ok = " ✅" if startup["ready_s"] < TARGETS["startup_100k_s"] else " ❌ (target < 10 s)"
        rows += ["", f"| start-up (best of {startup['tries']}) | stored schemas | process start to first GET "
                     "| server CPU to first GET | empty data dir: wall / CPU | ratio (wall) | server peak RSS MiB "
                     "| db size MiB |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|",
                 f"| schemawire registry | {startup['schemas']:,.0f} | {startup['ready_s']:.2f} s{ok} | "
                 f"{startup['ready_cpu']:.2f} s | {startup['empty_s']:.2f} s / {startup['empty_cpu']:.2f} s | "
                 f"{startup['ready_s'] / startup['empty_s']:.1f}x | {startup['rss_mib']:.0f} | {startup['db_mib']:.0f} |"]
    return "\n".join(rows)


def environment() -> str:
    import starlette
    import uvicorn
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # noqa: F401
        http = "httptools"
    except ImportError:
        http = "h11"
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, uvicorn {uvicorn.__version__} "
            f"({loop} loop, {http} parser), Starlette {starlette.__version__}, httpx {httpx.__version__}")


def write_readme(section: str) -> None:
    path = ROOT / "bench" / "README.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## registry\n.*?(?=^## |\Z)", re.S | re.M)
    match = pattern.search(text)
    if match:
        text = text[:match.start()] + section.rstrip("\n") + "\n\n" + text[match.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, nargs="*", default=[200, 2000],
                        help="subject counts to run (a) to (c) for; 10 versions each [200 2000]")
    parser.add_argument("--gets", type=int, default=20_000, help="GET /schemas/ids/{id} requests [20000]")
    parser.add_argument("--checks", type=int, default=2_000, help="compatibility checks [2000]")
    parser.add_argument("--distinct-checks", type=int, default=200,
                        help="compatibility checks of a different schema each (no remembered verdict) [200]")
    parser.add_argument("--rounds", type=int, default=5, help="rounds each workload is cut into [5]")
    parser.add_argument("--clients", type=int, default=1, help="concurrent keep-alive httpx clients (threads) [1]")
    parser.add_argument("--raw-clients", type=int, default=4,
                        help="also run (a) and (b) with this many raw-socket clients (threads); 0: don't [4]")
    parser.add_argument("--no-sync-full-row", dest="sync_full_row", action="store_false",
                        help="skip (a) with `--sync full` (an fsync per write)")
    parser.add_argument("--startup-schemas", type=int, default=100_000, help="stored schemas for start-up [100000]")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--write-readme", action="store_true", help="replace the `## registry` section of bench/README.md")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="run each registry server under cProfile and leave the .prof files in DIR")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    command = " ".join(["python bench/bench_registry.py", *sys.argv[1:]])
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="schemawire-bench-") as tmp_name:
        tmp = Path(tmp_name)
        baseline = start_baseline()
        try:
            for subjects in args.subjects:
                for r in bench_scale(subjects, args, baseline, tmp):
                    results.append(r)
                    print(f"{r.name} @ {subjects} subjects, {r.client}: {r.rps:,.0f} req/s"
                          + (f" (bare app {r.baseline.rps:,.0f})" if r.baseline else ""), file=sys.stderr)
        finally:
            baseline.stop()
        startup = None
        if not args.skip_startup:
            prof = args.profile / "startup.prof" if args.profile else None
            startup = bench_startup(args.startup_schemas, tmp, prof)
            print(f"start-up with {args.startup_schemas:,} schemas: {startup['ready_s']:.2f} s", file=sys.stderr)

    report = table(results, startup)
    print(report)
    if args.write_readme:
        section = "\n".join([
            "## registry", "",
            "`schemawire registry` (default settings: `--sync normal`, `--api-version 7`) as a subprocess on a "
            f"loopback port with a temp data dir, hit by {args.clients} keep-alive `httpx.Client` and, in the "
            f"`raw socket x{args.raw_clients}` rows, by {args.raw_clients} threads each with a minimal keep-alive "
            "HTTP/1.1 client on a socket (httpx costs more CPU per request than the server does, so one "
            "httpx client measures the client). "
            f"Registrations are distinct Avro records, {VERSIONS_PER_SUBJECT} versions per subject, "
            "compatibility NONE globally; `register, --sync full` repeats them on a fresh store with an fsync "
            "per write. GETs are random ids over everything registered. The compatibility checks run at "
            f"BACKWARD_TRANSITIVE against a subject of {COMPAT_VERSIONS} versions (each adding an optional "
            "field with a default): the same schema every time (as the issue asks), then a different one each "
            "time, which no remembered verdict can answer. The bare Starlette baseline returns a fixed JSON "
            "body under the same uvicorn settings; its rounds alternate with the registry's. Start-up writes "
            "the schemas straight into the SQLite store, then times process start to the first answered GET "
            "of the last id.", "",
            "Each workload is cut into rounds; *req/s (best round)* is the least disturbed round (this machine "
            "is shared with other jobs), *req/s (all)* the whole run. *Server CPU µs/req* (utime + stime of the "
            "server process) is the figure least sensitive to other load; *one-core capacity* is 1e6 / it.", "",
            f"Command (from the repo root): `.venv/bin/{command}`", "",
            f"Machine: {environment()}. Run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"load average {os.getloadavg()[0]:.1f} at the end.", "",
            "Targets (issue 2): >= 5,000 GET /schemas/ids/{id}/s and >= 500 registrations/s on one process; "
            "start-up with 100,000 schemas in < 10 s.", "",
            report, "",
        ])
        write_readme(section)
        print("wrote the `## registry` section of bench/README.md", file=sys.stderr)


if __name__ == "__main__":
    main()

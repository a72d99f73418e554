"""Benchmark of gateway produce against direct aiokafka, on one Tansu broker, in one run.

Not a test: run it by hand (see bench/README.md, section "gateway produce"):

    .venv/bin/python bench/bench_gateway.py [--seconds 5] [--write-readme]

For each scenario, 1 and 100 records per request, 1 and 8 concurrent keep-alive clients:
(a) direct aiokafka producing pre-encoded Avro records (acks=all, linger 0): one "request" is
    `send()` of the records then waiting for all their acknowledgements;
(b) v2 `POST /topics/{t}` with `value_schema_id` (Avro JSON, encoded by the gateway);
(c) v3 `POST /v3/clusters/{c}/topics/{t}/records` with `schema_id` (concatenated records);
(b) and (c) again against a gateway on the embedded log. Gateways and the registry run as
`schemawire` processes; the load generator is a minimal HTTP/1.1 client on uvloop, so its own
cost stays small. Reported: records/s, p50/p99 request latency, and each gateway's peak RSS
(VmHWM from /proc/<pid>/status).

`--append-only` measures the embedded log alone instead, in process, with no HTTP, registry or
broker: `EmbeddedLog.append` of the same scenarios' records (50-byte values), microseconds per record
(wall and CPU) and how long the writer's transaction work took per record.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.broker import Broker  # noqa: E402
from tests.conftest import free_port  # noqa: E402

from orders import SCHEMA  # noqa: E402
from orders import record_json as record  # noqa: E402  (REST Proxy takes Avro JSON)
from processes import peak_rss_mb, start, wait_http  # noqa: E402


# -- processes ------------------------------------------------------------------------------







def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- a minimal keep-alive HTTP/1.1 client ---------------------------------------------------

class Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, ctype: str, body: bytes) -> tuple[int, bytes]:
        try:
            return await self._post(path, ctype, body)
        except (asyncio.IncompleteReadError, ConnectionError):  # the server closed an idle connection
            self.close()
            await self.open()
            return await self._post(path, ctype, body)

    async def _post(self, path: str, ctype: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: b\r\nContent-Type: {ctype}\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        m = re.search(rb"content-length: (\d+)", lower)
        if m:
            return status, await self.reader.readexactly(int(m.group(1)))
        out = bytearray()
        while True:  # chunked
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return status, bytes(out)
            out += await self.reader.readexactly(size + 2)
            del out[-2:]

    def close(self) -> None:
        self.writer.close()


@dataclass
class Result:
    name: str
    batch: int
    clients: int
    records_per_s: float
    p50_ms: float
    p99_ms: float


class Path_:
    """One produce path under test: its senders (one per client) and what they achieved so far."""

    def __init__(self, name: str, batch: int, senders: list[Callable[[int], Awaitable[None]]]) -> None:
        self.name, self.batch, self.senders = name, batch, senders
        self.latencies: list[float] = []
        self.records = 0
        self.elapsed = 0.0
        self.next = [k * 10_000_000 for k in range(len(senders))]

    async def run(self, seconds: float) -> None:
        """All clients loop one request of `batch` records after another until time is up."""
        stop_at = time.perf_counter() + seconds

        async def loop(k: int) -> None:
            send = self.senders[k]
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                await send(self.next[k])
                self.latencies.append(time.perf_counter() - t0)
                self.records += self.batch
                self.next[k] += self.batch

        t0 = time.perf_counter()
        await asyncio.gather(*(loop(k) for k in range(len(self.senders))))
        self.elapsed += time.perf_counter() - t0

    def result(self) -> Result:
        lat = sorted(self.latencies)
        return Result(self.name, self.batch, len(self.senders), self.records / self.elapsed,
                      lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000)


async def prepare(name: str, batch: int, clients: int,
                  make: Callable[[], Awaitable[Callable[[int], Awaitable[None]]]]) -> Path_:
    senders = [await make() for _ in range(clients)]
    for send in senders:  # warm-up: connections, schema caches, topic metadata
        for _ in range(3):
            await send(0)
    return Path_(name, batch, senders)


# -- scenarios ------------------------------------------------------------------------------

def direct_maker(bootstrap: str, topic: str, payloads: list[bytes], batch: int):
    from aiokafka import AIOKafkaProducer

    producers: list = []

    async def make():
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0, enable_idempotence=False)
        await p.start()
        producers.append(p)

        async def send(i: int) -> None:
            futs = [await p.send(topic, payloads[(i + k) % len(payloads)]) for k in range(batch)]
            for f in futs:
                await f

        return send

    return make, producers


def v2_maker(url: str, topic: str, sid: int, batch: int, bodies: dict):
    host, port = url.removeprefix("http://").split(":")
    conns: list[Conn] = []
    key = ("v2", batch)
    if key not in bodies:
        bodies[key] = [json.dumps({"value_schema_id": sid, "records": [
            {"value": record(j * batch + k)} for k in range(batch)]}).encode() for j in range(50)]

    async def make():
        c = Conn(host, int(port))
        await c.open()
        conns.append(c)

        async def send(i: int) -> None:
            status, body = await c.post(f"/topics/{topic}", "application/vnd.kafka.avro.v2+json",
                                        bodies[key][i % 50])
            if status != 200:
                raise SystemExit(f"v2 produce failed: {status} {body[:300]!r}")

        return send

    return make, conns


def v3_maker(url: str, topic: str, sid: int, batch: int, bodies: dict):
    host, port = url.removeprefix("http://").split(":")
    conns: list[Conn] = []
    key = ("v3", batch)
    if key not in bodies:
        bodies[key] = ["".join(json.dumps({"value": {"schema_id": sid, "data": record(j * batch + k)}})
                               for k in range(batch)).encode() for j in range(50)]

    async def make():
        c = Conn(host, int(port))
        await c.open()
        conns.append(c)

        async def send(i: int) -> None:
            status, body = await c.post(f"/v3/clusters/c/topics/{topic}/records", "application/json",
                                        bodies[key][i % 50])
            if status != 200 or body.count(b'"error_code":200') != batch:
                raise SystemExit(f"v3 produce failed: {status} {body[:300]!r}")

        return send

    return make, conns


SCENARIOS = [(1, 1), (1, 8), (100, 1), (100, 8)]  # (records per request, clients)


async def run_all(seconds: float, rounds: int, bootstrap: str, gw_kafka: str, gw_embedded: str, sid: int,
                  payloads: list[bytes], scenarios: list[tuple[int, int]] = SCENARIOS) -> list[Result]:
    """Each scenario's paths take turns for `rounds` rounds, so load drift on a shared machine
    hits them alike; each path gets `seconds` in total."""
    results: list[Result] = []
    bodies: dict = {}
    for batch, clients in scenarios:
        make, producers = direct_maker(bootstrap, "bench-direct", payloads, batch)
        paths = [await prepare("direct aiokafka", batch, clients, make)]
        closers: list[Any] = []
        for name, url in (("kafka", gw_kafka), ("embedded", gw_embedded)):
            for api, maker in (("v2", v2_maker), ("v3", v3_maker)):
                make, conns = maker(url, f"bench-{api}", sid, batch, bodies)
                paths.append(await prepare(f"{api} gateway, {name} log", batch, clients, make))
                closers += conns
        for _ in range(rounds):
            for path in paths:
                await path.run(seconds / rounds)
        for p in producers:
            await p.stop()
        for c in closers:
            c.close()
        results += [p.result() for p in paths]
        print(*(f"{r.name:28} batch={r.batch:<3} clients={r.clients} {r.records_per_s:9.0f} rec/s "
                f"p50 {r.p50_ms:7.2f} ms p99 {r.p99_ms:7.2f} ms" for r in results[-5:]), sep="\n", flush=True)
    return results


def table(results: list[Result], rss: dict[str, float], seconds: float) -> str:
    direct = {(r.batch, r.clients): r.records_per_s for r in results if r.name == "direct aiokafka"}
    lines = ["| path | records/request | clients | records/s | vs direct aiokafka | p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ratio = r.records_per_s / direct[(r.batch, r.clients)]
        lines.append(f"| {r.name} | {r.batch} | {r.clients} | {r.records_per_s:,.0f} | {ratio:.2f}x | "
                     f"{r.p50_ms:.2f} | {r.p99_ms:.2f} |")
    lines.append("")
    lines.append(f"Peak RSS (VmHWM) of the gateway processes: Kafka log {rss['kafka']:.0f} MiB, "
                 f"embedded log {rss['embedded']:.0f} MiB. {seconds:g} s per row in total, the paths of a "
                 "scenario taking turns, after a warm-up.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0, help="per path and scenario, in total")
    ap.add_argument("--rounds", type=int, default=3, help="turns the paths of a scenario take")
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--scenarios", default=",".join(f"{b}x{c}" for b, c in SCENARIOS),
                    help="RECORDSxCLIENTS,... to run (default all four); e.g. 100x1 to repeat the target row")
    ap.add_argument("--append-only", action="store_true",
                    help="the embedded log's append alone, in process: microseconds per record")
    args = ap.parse_args()
    scenarios = [(int(b), int(c)) for b, c in (s.split("x") for s in args.scenarios.split(","))]
    if args.write_readme and sorted(scenarios) != sorted(SCENARIOS):
        ap.error("--write-readme needs every scenario")
    if args.append_only:
        asyncio.run(append_only(args.seconds, scenarios))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    broker = Broker()
    broker.start()
    procs: list[subprocess.Popen] = []
    try:
        reg_port, gk_port, ge_port = free_port(), free_port(), free_port()
        reg = start("registry", "--port", str(reg_port), "--data-dir", str(tmp / "registry"))
        procs.append(reg)
        reg_url = f"http://127.0.0.1:{reg_port}"
        wait_http(reg_url, reg)
        gk = start("gateway", "--port", str(gk_port), "--registry-url", reg_url,
                   "--bootstrap-servers", broker.bootstrap)
        ge = start("gateway", "--port", str(ge_port), "--registry-url", reg_url, "--data-dir", str(tmp / "log"))
        procs += [gk, ge]
        gk_url, ge_url = f"http://127.0.0.1:{gk_port}", f"http://127.0.0.1:{ge_port}"
        wait_http(gk_url, gk)
        wait_http(ge_url, ge)
        sid = httpx.post(f"{reg_url}/subjects/{{t}}-value/versions".replace("{t}", "bench-v2"),
                         json={"schema": SCHEMA}).json()["id"]
        httpx.post(f"{reg_url}/subjects/bench-v3-value/versions", json={"schema": SCHEMA})
        from serde import AvroSerializer, SchemaRegistryClient, SerializationContext

        ser = AvroSerializer(SchemaRegistryClient(reg_url), SCHEMA, auto_register=False, use_schema_id=sid)
        from fastavro.json_read import json_reader  # Avro JSON -> Python, to pre-encode the same records
        import io

        from fastavro import parse_schema

        parsed = parse_schema(json.loads(SCHEMA))
        payloads = []
        for i in range(1000):
            value = next(json_reader(io.StringIO(json.dumps(record(i))), parsed))
            payloads.append(ser(value, SerializationContext("bench-direct", "value")))
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        results = asyncio.run(run_all(args.seconds, args.rounds, broker.bootstrap, gk_url, ge_url, sid, payloads,
                                      scenarios))
        rss = {"kafka": peak_rss_mb(gk.pid), "embedded": peak_rss_mb(ge.pid)}
    finally:
        for p in procs:
            stop(p)
        broker.stop()
    text = table(results, rss, args.seconds)
    goals = targets(results)
    print(text, goals, sep="\n\n")
    if args.write_readme:
        write_readme(text, goals)


async def append_only(seconds: float, scenarios: list[tuple[int, int]]) -> None:
    """Per-record cost of EmbeddedLog.append in process (see the module docstring)."""
    from gateway.log.base import Record
    from gateway.log.embedded import EmbeddedLog

    for batch, clients in scenarios:
        tmp = tempfile.TemporaryDirectory(prefix="bench-append-")
        log = EmbeddedLog(Path(tmp.name) / "log.db")
        await log.start()
        await log.create_topic("t", 1)
        writing = 0.0
        inner = log._write_group

        def timed(*args: Any) -> Any:
            nonlocal writing
            t0 = time.perf_counter()
            try:
                return inner(*args)
            finally:
                writing += time.perf_counter() - t0

        log._write_group = timed  # type: ignore[method-assign]
        records = [Record(None, os.urandom(50), partition=0) for _ in range(batch)]
        for _ in range(20):
            await log.append("t", records)
        writing, done = 0.0, 0
        stop_at = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                await log.append("t", records)
                done += batch

        t0, c0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        await log.close()
        tmp.cleanup()
        print(f"{batch:3} records/call, {clients} callers: {wall / done * 1e6:6.2f} us/record wall, "
              f"{cpu / done * 1e6:6.2f} us/record CPU, writer transactions {writing / done * 1e6:6.2f} us/record, "
              f"{done / wall:9,.0f} records/s", flush=True)


def targets(results: list[Result]) -> str:
    """The issue's two targets, checked against this run."""
    by = {(r.name, r.batch, r.clients): r.records_per_s for r in results}
    if ("direct aiokafka", 100, 1) not in by:
        return "Targets: the 100-record one-client scenario did not run."
    direct = by[("direct aiokafka", 100, 1)]
    v2k, v2e = by[("v2 gateway, kafka log", 100, 1)], by[("v2 gateway, embedded log", 100, 1)]
    ok = lambda good: "met" if good else "NOT met"  # noqa: E731
    return (f"Targets (issue 7): v2 Avro in 100-record requests, one client, >= 0.75x direct aiokafka: "
            f"{v2k / direct:.2f}x, {ok(v2k >= 0.75 * direct)}; the embedded log at least as fast as the Kafka "
            f"path: {v2e:,.0f} vs {v2k:,.0f} records/s, {ok(v2e >= v2k)}.")


def write_readme(text: str, goals: str) -> None:
    readme = ROOT / "bench" / "README.md"
    current = readme.read_text() if readme.exists() else ""
    cpu = platform.processor() or platform.machine()
    load = os.getloadavg()[0]
    section = (
        "## gateway produce\n\n"
        "Gateway produce against direct aiokafka on the same Tansu broker (in-memory storage), same run. "
        "One topic partition; Avro records of 6 fields (~50 bytes encoded), sent by schema id. Reproduce with:\n\n"
        "    .venv/bin/python bench/bench_gateway.py --write-readme\n\n"
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}. Gateways, registry, broker and "
        f"load generator share the machine, which other jobs shared too (load average {load:.1f} at the end), "
        "so ratios move by about +-0.2 from run to run.\n\n" + goals + "\n\n" + text + "\n")
    pattern = re.compile(r"## gateway produce\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: section.rstrip("\n"), current)
    else:
        current = current.rstrip("\n") + "\n\n" + section
    readme.write_text(current)


if __name__ == "__main__":
    main()

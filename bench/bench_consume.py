"""Benchmark of gateway v2 consume against a direct aiokafka consumer, on one Tansu broker, in one run.

Not a test: run it by hand (see bench/README.md, section "gateway consume"):

    .venv/bin/python bench/bench_consume.py [--records 100000] [--write-readme]

The same N Avro records (written once, straight to Kafka with serde's AvroSerializer) are read:
(a) by a direct aiokafka consumer (assigned, from the beginning; `getmany`) that decodes every value
    with serde's AvroDeserializer, in its own process: one "request" is one `getmany`;
(b) through one v2 consumer instance of a `schemawire gateway` on that broker (format avro,
    fetch.min.bytes=1, consumer.request.timeout.ms=1000): one request is one `GET .../records`,
    Avro decoded by the gateway to Avro's JSON encoding, then parsed as JSON by the client;
(c) the same through a gateway on the embedded log (records produced into it by v2 produce first).
Reported: records/s, p50/p99 per request, requests that waited out the timeout although records
were available, and each reader's peak RSS (VmHWM from /proc/<pid>/status).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.broker import Broker  # noqa: E402
from tests.conftest import free_port  # noqa: E402

from orders import SCHEMA, record, record_json  # noqa: E402
from processes import peak_rss_mb, start, wait_http  # noqa: E402

TOPIC = "bench-consume"
AVRO = "application/vnd.kafka.avro.v2+json"




def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else 0.0






# ---- (a) direct, in a child process so its RSS is its own -------------------------------------------

async def direct(bootstrap: str, registry: str, n: int) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from serde import AvroDeserializer, SchemaRegistryClient, SerializationContext

    de = AvroDeserializer(SchemaRegistryClient(registry))
    ctx = SerializationContext(TOPIC, "value")
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         max_partition_fetch_bytes=4 * 1024 * 1024)
    await c.start()
    tp = TopicPartition(TOPIC, 0)
    c.assign([tp])
    await c.seek_to_beginning(tp)
    got, lat = 0, []
    t0 = time.perf_counter()
    while got < n:
        t = time.perf_counter()
        batch = await c.getmany(tp, timeout_ms=1000, max_records=5000)
        values = [de(m.value, ctx) for m in batch.get(tp, [])]
        lat.append(time.perf_counter() - t)
        got += len(values)
    elapsed = time.perf_counter() - t0
    await c.stop()
    return {"records": got, "seconds": elapsed, "lat": lat, "rss": peak_rss_mb(os.getpid())}


# ---- (b), (c) through a gateway -------------------------------------------------------------------

def through_gateway(url: str, n: int, group: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=30) as http:
        h = {"content-type": "application/vnd.kafka.v2+json"}
        r = http.post(f"/consumers/{group}", headers=h, json={
            "name": "bench", "format": "avro", "auto.offset.reset": "earliest", "auto.commit.enable": "false",
            "fetch.min.bytes": 1, "consumer.request.timeout.ms": 1000})
        r.raise_for_status()
        inst = f"/consumers/{group}/instances/bench"
        http.post(inst + "/assignments", headers=h, json={"partitions": [{"topic": TOPIC, "partition": 0}]})
        http.post(inst + "/positions/beginning", headers=h, json={"partitions": [{"topic": TOPIC, "partition": 0}]})
        got, lat, waited = 0, [], 0
        t0 = time.perf_counter()
        while got < n:
            t = time.perf_counter()
            r = http.get(inst + "/records", headers={"accept": AVRO})
            records = orjson.loads(r.content)
            dt = time.perf_counter() - t
            lat.append(dt)
            if dt >= 0.95 and got < n:  # records were there (we wrote them all first): must not wait
                waited += 1
            got += len(records)
        elapsed = time.perf_counter() - t0
        http.delete(inst)
    return {"records": got, "seconds": elapsed, "lat": lat, "waited": waited}


def produce_direct(bootstrap: str, registry: str, n: int) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    from serde import AvroSerializer, SchemaRegistryClient, SerializationContext

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result()
    ser = AvroSerializer(SchemaRegistryClient(registry), SCHEMA)
    ctx = SerializationContext(TOPIC, "value")
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i in range(n):
        while True:
            try:
                p.produce(TOPIC, ser(record(i), ctx))
                break
            except BufferError:
                p.poll(0.05)
    assert p.flush(30) == 0


def produce_embedded(url: str, n: int) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        sid = None
        for start_i in range(0, n, 2000):
            body: dict[str, Any] = {"records": [{"value": record_json(i)} for i in range(start_i, min(n, start_i + 2000))]}
            body.update({"value_schema_id": sid} if sid else {"value_schema": SCHEMA})
            r = http.post(f"/topics/{TOPIC}", headers={"content-type": AVRO}, content=json.dumps(body))
            r.raise_for_status()
            sid = r.json()["value_schema_id"]


def row(name: str, res: dict[str, Any], base: float | None) -> str:
    rate = res["records"] / res["seconds"]
    ratio = f"{rate / base:.2f}x" if base else "1.00x"
    waited = str(res.get("waited", "-"))
    return (f"| {name} | {rate:,.0f} | {ratio} | {len(res['lat'])} | {pct(res['lat'], 0.5):.1f} | "
            f"{pct(res['lat'], 0.99):.1f} | {waited} | {res['rss']:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--direct", nargs=2, metavar=("BOOTSTRAP", "REGISTRY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.direct:
        print(json.dumps(asyncio.run(direct(*args.direct, args.records))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-consume-"))
    broker = Broker()
    broker.start()
    procs: list[subprocess.Popen] = []
    try:
        reg_port, gk_port, ge_port = free_port(), free_port(), free_port()
        reg = start("registry", "--port", str(reg_port), "--data-dir", str(tmp / "registry"))
        procs.append(reg)
        reg_url = f"http://127.0.0.1:{reg_port}"
        wait_http(reg_url, reg)
        gk = start("gateway", "--port", str(gk_port), "--registry-url", reg_url, "--bootstrap-servers",
                   broker.bootstrap)
        ge = start("gateway", "--port", str(ge_port), "--registry-url", reg_url, "--data-dir", str(tmp / "log"))
        procs += [gk, ge]
        gk_url, ge_url = f"http://127.0.0.1:{gk_port}", f"http://127.0.0.1:{ge_port}"
        wait_http(gk_url, gk)
        wait_http(ge_url, ge)
        n = args.records
        produce_direct(broker.bootstrap, reg_url, n)
        produce_embedded(ge_url, n)
        out = subprocess.run([sys.executable, __file__, "--records", str(n), "--direct", broker.bootstrap, reg_url],
                             capture_output=True, text=True, check=True)
        res_direct = json.loads(out.stdout.strip().splitlines()[-1])
        res_kafka = through_gateway(gk_url, n, "bench-k")
        res_kafka["rss"] = peak_rss_mb(gk.pid)
        res_emb = through_gateway(ge_url, n, "bench-e")
        res_emb["rss"] = peak_rss_mb(ge.pid)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        broker.stop()
    base = res_direct["records"] / res_direct["seconds"]
    lines = [
        "| reader | records/s | vs direct | requests | p50 ms | p99 ms | waited out timeout | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("direct aiokafka + serde AvroDeserializer", res_direct, None),
        row("v2 gateway, kafka log (one instance)", res_kafka, base),
        row("v2 gateway, embedded log (one instance)", res_emb, base),
    ]
    table = "\n".join(lines)
    print(table)
    if args.write_readme:
        write_readme(table, n)


def write_readme(table: str, n: int) -> None:
    cpus = os.cpu_count()
    section = f"""## gateway consume

v2 consume of {n:,} Avro records (6 fields, ~50 bytes encoded) through one consumer instance
(format avro, `fetch.min.bytes=1`, `consumer.request.timeout.ms=1000`, the defaults otherwise),
against a direct aiokafka consumer that decodes every value with serde's AvroDeserializer, on the
same Tansu broker (in-memory storage), same run; the embedded-log gateway reads the same records
produced into it. One request = one `GET .../records` (the gateway answers Avro's JSON encoding,
which the client parses) or one `getmany` (direct). Reproduce with:

    .venv/bin/python bench/bench_consume.py --write-readme

Machine: {cpus} CPUs ({platform.machine()}), Python {platform.python_version()}. Gateways, registry,
broker and readers share the machine, which other jobs shared too (load average {os.getloadavg()[0]:.1f}
at the end): compare rows of one run, not runs.

{table}

"waited out timeout": requests that took the whole 1 s timeout although records were available
(the `fetch.min.bytes` early return makes it 0). Peak RSS is VmHWM of the reading process: the
direct consumer's own process, or the gateway process.
"""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text()
    pattern = re.compile(r"## gateway consume\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        text = pattern.sub(section.rstrip("\n") + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    readme.write_text(text)


if __name__ == "__main__":
    main()

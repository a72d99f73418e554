"""Every record the embedded log acknowledged survives SIGKILL of its process mid-stream.

A child process appends from many concurrent tasks (so acknowledgements come out of group
commits) and prints each acknowledged (partition, offset, value) the moment `append` returns.
The test kills it with SIGKILL while it is still writing, reopens the file and reads every
acknowledged offset back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from gateway.log.base import Record
from gateway.log.embedded import EmbeddedLog

ROOT = Path(__file__).resolve().parents[2]

PRODUCER = textwrap.dedent("""
    import asyncio, sys
    from gateway.log.base import Record
    from gateway.log.embedded import EmbeddedLog

    async def main(path):
        log = EmbeddedLog(path, default_partitions=3)
        await log.start()
        out = sys.stdout

        async def task(n):
            i = 0
            while True:
                values = [f"{n}:{i}:{j}".encode() for j in range(1 + i % 4)]
                i += 1
                acked = await log.append("dur", [Record(f"k{n}".encode(), v) for v in values])
                out.write("".join(f"{a.partition} {a.offset} {v.decode()}\\n" for a, v in zip(acked, values)))
                out.flush()

        await asyncio.gather(*(task(n) for n in range(16)))

    asyncio.run(main(sys.argv[1]))
""")


def test_acknowledged_records_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", PRODUCER, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    acked: list[tuple[int, int, str]] = []
    deadline = time.monotonic() + 30
    try:
        assert proc.stdout is not None
        while len(acked) < 2000:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"producer died: {proc.stderr.read().decode() if proc.stderr else ''}")
            part, off, value = line.decode().split()
            acked.append((int(part), int(off), value))
            assert time.monotonic() < deadline, "producer too slow"
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: its tasks are still appending
        # lines already written to the pipe before the kill are acknowledgements too
        rest = proc.stdout.read().decode().splitlines()
        for line in rest:
            fields = line.split()
            if len(fields) == 3:
                acked.append((int(fields[0]), int(fields[1]), fields[2]))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    async def verify() -> None:
        log = EmbeddedLog(db)
        await log.start()
        try:
            by_part: dict[int, dict[int, str]] = {}
            for part, off, value in acked:
                by_part.setdefault(part, {})[off] = value
            for part, expected in by_part.items():
                got = {r.offset: r.value.decode() for r in
                       await log.read("dur", part, 0, max_records=10 ** 7) if r.value is not None}
                missing = {o: v for o, v in expected.items() if got.get(o) != v}
                assert not missing, f"partition {part}: {len(missing)} acknowledged records lost"
                assert sorted(got) == list(range(len(got)))  # still dense after the crash
                assert await log.latest("dur", part) == len(got)
            # and the log still takes writes, continuing the offsets
            nxt = await log.latest("dur", 0)
            assert (await log.append("dur", [Record(None, b"after", partition=0)]))[0].offset == nxt
        finally:
            await log.close()

    asyncio.run(verify())

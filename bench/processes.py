"""Starting the services as a user would, for the benchmarks: real processes on loopback ports."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

SCHEMAWIRE = str(Path(sys.executable).with_name("schemawire"))


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([SCHEMAWIRE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_http(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: exited: {proc.stderr.read().decode()}")
        try:
            httpx.get(url + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not start")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most memory the process ever held resident."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024

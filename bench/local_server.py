"""The app under uvicorn in a child process on a free loopback port, over a temporary
workspace, and its processes' peak memory: shared by the load smoke (``bench_web.py``),
the upload bench (``bench_upload.py``) and the API fuzz (``fuzz_api.py``).

Only ever 127.0.0.1: these tools send traffic to this machine and nowhere else.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVER = """
import sys, uvicorn
from carecast.web import Settings, create_app
settings = Settings.from_workspace(sys.argv[1], page_workers=1)  # as carecast serve
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen
    workspace: str
    startup_s: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited before it started")
        try:
            if httpx.get(f"{base}/api/councils", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


@contextmanager
def local_server() -> Iterator[Server]:
    """A started server; stopped (and its workspace removed) when the block ends."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as workspace:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", SERVER, workspace, str(port)])
        try:
            wait_until_up(base, process)
            yield Server(base, port, process, workspace, time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait(timeout=30)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found

"""Council page latency under load: p95 at 20 concurrent clients on loopback (target <= 150 ms).

Starts the app with uvicorn in a child process on 127.0.0.1 (free port, temporary workspace),
visits every council once to fill the page cache (first-visit times are reported apart),
then sends a fixed number of requests from 20 concurrent clients over all councils, stops
the server and writes bench/results/web_latency.json.

    .venv/bin/python bench/bench_web.py [--requests 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results" / "web_latency.json"
TARGET_P95_MS = 150.0
SERVER = """
import sys, uvicorn
from carecast.web import Settings, create_app
uvicorn.run(create_app(Settings.from_workspace(sys.argv[1])), host="127.0.0.1",
            port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen, timeout_s: float = 120) -> None:
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked); returns its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    pairs = (h.partition(":") for h in lines[1:] if h)
    headers = {k.strip().lower(): v.strip() for k, _, v in pairs}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def load(port: int, codes: list[str], n_requests: int, n_clients: int) -> list[float]:
    """Latencies (ms) of ``n_requests`` council pages shared out over ``n_clients`` keep-alive
    connections. A bare asyncio client, so the load generator itself costs little CPU."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(n_requests):
        queue.put_nowait(codes[i % len(codes)])
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                code = queue.get_nowait()
                start = time.perf_counter()
                writer.write(f"GET /council/{code} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Accept-Encoding: gzip\r\n\r\n".encode())
                status = await _read_response(reader)
                latencies.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    raise RuntimeError(f"/council/{code} answered {status}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(n_clients)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as workspace:
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-c", SERVER, workspace, str(port)])
        try:
            wait_until_up(base, server)
            startup_s = time.perf_counter() - started
            codes = [c["code"] for c in httpx.get(f"{base}/api/councils").json()]
            first_visit = []
            for code in codes:
                start = time.perf_counter()
                httpx.get(f"{base}/council/{code}", timeout=60).raise_for_status()
                first_visit.append((time.perf_counter() - start) * 1000)
            began = time.perf_counter()
            latencies = asyncio.run(load(port, codes, args.requests, args.clients))
            elapsed = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(timeout=30)
    p95 = percentile(latencies, 95)
    result = {
        "benchmark": "council page /council/{code}, all current councils in turn",
        "clients": args.clients,
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": p95 <= TARGET_P95_MS,
        "first_visit_median_ms": round(statistics.median(first_visit), 1),
        "first_visit_max_ms": round(max(first_visit), 1),
        "server_startup_s": round(startup_s, 1),
        "server": "uvicorn, 1 worker, 127.0.0.1",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

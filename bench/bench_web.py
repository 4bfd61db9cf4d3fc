"""Load smoke: 20 keep-alive clients for 60 s on cold and warm public pages, on loopback.

Starts the app with uvicorn (one worker) on 127.0.0.1 over a temporary workspace, warms a
few pages, then for ``--seconds`` runs ``--clients`` concurrent clients: ``--cold-clients``
of them walk through pages never asked for before (every council page in turn, then new
comparisons of two councils), the rest ask for pages already built (council pages, the
map, sources, the JSON API). Every request counts; any answer other than 200 is an error.
Writes bench/results/web_latency.json. Targets: cold council page p95 <= 300 ms and warm
p95 <= 150 ms under this load, 0 errors. Bounded in time and count; loopback only.

    .venv/bin/python bench/bench_web.py [--seconds 60] [--clients 20] [--cold-clients 1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
from local_server import children, local_server, peak_rss_mb

RESULTS = Path(__file__).parent / "results" / "web_latency.json"
TARGETS_MS = {"cold_council": 300.0, "warm": 150.0}
MAX_REQUESTS = 2_000_000  # a bound on the loop, whatever the speed


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


def cold_paths(codes: list[str]) -> Iterator[tuple[str, str]]:
    """(kind, path) of pages nobody has asked for yet: council pages, then comparisons."""
    for code in codes:
        yield "cold_council", f"/council/{code}"
    for a, b in itertools.combinations(codes, 2):
        yield "cold_compare", f"/compare?councils={a}&councils={b}"


async def load(port: int, warm: list[str], cold: Iterator[tuple[str, str]], seconds: float,
               clients: int, cold_clients: int) -> tuple[dict[str, list[float]], list[str]]:
    """Latencies (ms) by kind and the errors, from ``clients`` keep-alive connections.
    A bare asyncio client, so the load generator itself costs little CPU."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    sent = itertools.count()
    warm_cycle = itertools.cycle(warm)

    async def client(is_cold: bool) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline and next(sent) < MAX_REQUESTS:
                kind, path = next(cold, ("warm", "")) if is_cold else ("warm", "")
                if kind == "warm":
                    path = next(warm_cycle)
                start = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Accept-Encoding: gzip\r\n\r\n".encode())
                status = await _read_response(reader)
                latencies[kind].append((time.perf_counter() - start) * 1000)
                if status != 200:
                    errors.append(f"{path} answered {status}")
        finally:
            writer.close()

    await asyncio.gather(*(client(i < cold_clients) for i in range(clients)))
    return latencies, errors


def summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"requests": 0}
    return {"requests": len(values), "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--cold-clients", type=int, default=1)
    args = parser.parse_args()
    with local_server() as server:
        codes = [c["code"] for c in httpx.get(f"{server.base}/api/councils").json()]
        warm_codes, cold_codes = codes[:10], codes[10:]
        warm = [f"/council/{c}" for c in warm_codes] + [
            "/", "/sources", "/api/councils", f"/api/councils/{warm_codes[0]}",
            f"/compare?councils={warm_codes[0]}&councils={warm_codes[1]}"]
        first_visit = []
        for path in warm:  # built once here, so the load finds them cached
            start = time.perf_counter()
            httpx.get(f"{server.base}{path}", timeout=60).raise_for_status()
            first_visit.append((time.perf_counter() - start) * 1000)
        began = time.perf_counter()
        latencies, errors = asyncio.run(load(server.port, warm, cold_paths(cold_codes),
                                             args.seconds, args.clients, args.cold_clients))
        elapsed = time.perf_counter() - began
        memory = peak_rss_mb(server.process.pid)
        workers = [peak_rss_mb(c) for c in children(server.process.pid)]
        startup_s = server.startup_s
    kinds = {kind: summary(values) for kind, values in sorted(latencies.items())}
    met = {kind: kinds.get(kind, {}).get("p95_ms", float("inf")) <= target
           for kind, target in TARGETS_MS.items()}
    total = sum(len(v) for v in latencies.values())
    result = {
        "benchmark": "load smoke: public pages, cold (never asked for before) and warm",
        "seconds": round(elapsed, 1),
        "clients": args.clients,
        "cold_clients": args.cold_clients,
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": len(errors),
        "error_examples": errors[:5],
        "by_kind": kinds,
        "targets_p95_ms": TARGETS_MS,
        "meets_targets": all(met.values()) and not errors,
        "met": met,
        "first_visit_median_ms": round(statistics.median(first_visit), 1),
        "server_peak_rss_mb": memory,
        "page_workers_peak_rss_mb": workers,
        "server_startup_s": round(startup_s, 1),
        "server": "uvicorn, 1 worker, 1 page worker process, 127.0.0.1",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Server memory for large SSDA903 uploads through the web form (target: a 200 MB upload
adds at most 500 MB to the server), and the ingest child's own peak beside it.

Starts the app on 127.0.0.1 over a temporary workspace, adds an analyst, makes synthetic
returns (one generated set, copied into as many folders as it takes to reach each size),
uploads them streamed from disk and records the peak resident memory of the server process
(VmHWM) before and after each upload, and of the ingest process it starts. Writes
bench/results/web_upload.json.

    .venv/bin/python bench/bench_upload.py [--sizes-mb 50,200] [--children 40000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from local_server import children, local_server, peak_rss_mb

from carecast.data.ssda903 import synth, synth_writer

RESULTS = Path(__file__).parent / "results" / "web_upload.json"
TARGET_MB = 500.0
PASSWORD = "bench password for uploads"


def make_returns(base: Path, size_mb: float, out: Path) -> tuple[list[Path], float]:
    """Copies of the returns in ``base`` under ``out`` until they reach ``size_mb``."""
    files = sorted(base.rglob("*.csv"))
    one = sum(f.stat().st_size for f in files) / 2**20
    copies = max(1, round(size_mb / one))
    written = []
    for n in range(copies):
        for f in files:
            target = out / f"set{n:02d}" / f.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            written.append(target)
    return written, copies * one


def ingest_peak(server_pid: int, stop: threading.Event, seen: list[float]) -> None:
    """The largest VmHWM of the server's ingest child while it runs."""
    while not stop.is_set():
        for pid in children(server_pid):
            try:
                if b"ingest_process" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    seen.append(peak_rss_mb(pid))
            except OSError:
                pass
        time.sleep(0.05)


def upload(base: str, files: list[Path], root: Path, client: httpx.Client) -> int:
    page = client.get(f"{base}/records/ssda903/upload").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    handles = [f.open("rb") for f in files]
    try:
        response = client.post(
            f"{base}/records/ssda903/upload", data={"csrf_token": token},
            files=[("files", (f.relative_to(root).as_posix(), h, "text/csv"))
                   for f, h in zip(files, handles, strict=True)], timeout=1800)
    finally:
        for handle in handles:
            handle.close()
    return response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", default="50,200")
    parser.add_argument("--children", type=int, default=40_000)
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes_mb.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, local_server() as server:
        env = {**os.environ, "CARECAST_NEW_PASSWORD": PASSWORD}
        subprocess.run([sys.executable, "-c", "from carecast.cli import main; main()", "users",
                        "add", "bench", "--role", "analyst", "--workspace", server.workspace],
                       env=env, check=True, capture_output=True)
        base = Path(tmp) / "base"
        synth_writer.write_returns(synth.generate(children=args.children, years=5, seed=1),
                                   base)
        with httpx.Client(follow_redirects=False) as client:
            login = client.get(f"{server.base}/login").text
            token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post(f"{server.base}/login", data={
                "username": "bench", "password": PASSWORD, "csrf_token": token})
            for size in sizes:
                folder = Path(tmp) / f"upload{int(size)}"
                files, actual = make_returns(base, size, folder)
                before = peak_rss_mb(server.process.pid)
                stop, seen = threading.Event(), []
                watcher = threading.Thread(target=ingest_peak,
                                           args=(server.process.pid, stop, seen))
                watcher.start()
                started = time.perf_counter()
                status = upload(server.base, files, folder, client)
                elapsed = time.perf_counter() - started
                stop.set()
                watcher.join()
                after = peak_rss_mb(server.process.pid)
                rows.append({
                    "upload_mb": round(actual, 1), "files": len(files), "status": status,
                    "seconds": round(elapsed, 1),
                    "server_peak_rss_before_mb": before, "server_peak_rss_after_mb": after,
                    "ingest_process_peak_rss_mb": max(seen) if seen else None,
                    "server_added_mb": round(after - before, 1),
                    "meets_target": after - before <= TARGET_MB,
                })
                shutil.rmtree(folder)
    result = {
        "benchmark": "SSDA903 upload through the web form: server memory (VmHWM)",
        "target_server_added_mb": TARGET_MB,
        "results": rows,
        "notes": "The server's own peak (VmHWM) includes its public data, loaded at start-up "
                 "(about 500 MB). It streams the upload to disk and ingests it in a child "
                 "process, whose memory grows with the returns' size and is returned to the "
                 "system when it exits.",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

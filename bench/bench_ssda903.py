"""Time SSDA903 generation, ingest and validation at about 1k, 10k and 100k episodes.

Usage: .venv/bin/python bench/bench_ssda903.py [--no-dfe] [--dfe-max 10000]
Writes bench/results/ssda903.json. Target: 100k episodes ingest (without DfE rules) <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from carecast.data.ssda903 import store, synth, synth_writer, validate
from carecast.data.workspace import Workspace

SIZES = (1_000, 10_000, 100_000)
EPISODES_PER_CHILD = 2.2  # measured on 5-year national-calibrated returns
TARGET_SECONDS = 10.0
OUT = Path(__file__).parent / "results" / "ssda903.json"


def run(episodes: int, dfe: bool, tmp: Path) -> dict:
    children = int(episodes / EPISODES_PER_CHILD)
    started = time.perf_counter()
    syn = synth.generate(children=children, years=5, seed=1)
    folder = tmp / f"returns_{episodes}"
    synth_writer.write_returns(syn, folder)
    generated = time.perf_counter() - started
    ws = Workspace.open(tmp / f"ws_{episodes}")
    started = time.perf_counter()
    result = store.ingest(folder, ws)
    ingest = time.perf_counter() - started
    started = time.perf_counter()
    checks = validate.validate_folder(folder, ws, dfe=False)
    blocking_checks = time.perf_counter() - started
    row = {
        "episodes_target": episodes, "children": children,
        "episode_rows_in_returns": sum(r.tables["Episodes"].shape[0] for r in result.returns),
        "episodes_stored": result.summary()["episodes"],
        "generate_and_write_s": round(generated, 2), "ingest_s": round(ingest, 2),
        "blocking_checks_s": round(blocking_checks, 2),
        "blocking_issues": len(checks.blocking),
    }
    if dfe:
        started = time.perf_counter()
        full = validate.validate_folder(folder, ws)
        row["dfe_validation_s"] = round(time.perf_counter() - started, 2)
        row["dfe_issues"] = len(full.issues)
        row["dfe_blocking"] = len(full.blocking)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-dfe", action="store_true", help="skip DfE's rules entirely")
    parser.add_argument("--dfe-max", type=int, default=10_000,
                        help="run DfE's rules only up to this many episodes (slow)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(n, not args.no_dfe and n <= args.dfe_max, Path(tmp)) for n in SIZES]
    big = rows[-1]
    payload = {
        "machine": platform.platform(), "python": platform.python_version(),
        "target": f"{SIZES[-1]} episodes ingest (no DfE rules) <= {TARGET_SECONDS} s",
        "target_met": big["ingest_s"] <= TARGET_SECONDS, "results": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()

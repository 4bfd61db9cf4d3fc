"""Benchmark: every preset scenario for every council, with the default draws.

Target (issue 7): all presets for all councils in under a minute in total on 2 cores.
Writes bench/results/scenarios.json. Run: .venv/bin/python bench/bench_scenarios.py
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from carecast.data.workspace import Workspace
from carecast.scenarios import run, schema

RESULTS = Path(__file__).parent / "results" / "scenarios.json"


def main() -> dict[str, object]:
    ws = Workspace.open(os.environ.get("CARECAST_WORKSPACE") or Path(tempfile.mkdtemp()) / "ws")
    start, cpu_start = time.perf_counter(), time.process_time()
    baseline = run.prepare(ws)
    prepared = time.perf_counter() - start
    presets = {}
    for name in schema.preset_names():
        scenario = schema.load(name)
        if any(getattr(lv, "carers_per_year", None) == schema.GAP for lv in scenario.levers):
            presets[name] = {"skipped": "carers_per_year is each council's own sufficiency "
                             "gap (carecast.service.placements.resolve_scenario)"}
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        result = run.run(baseline, scenario)
        frames = result.to_frames()
        base, changed = result.baseline.stock.sum(1).mean(0), result.changed.stock.sum(1).mean(0)
        presets[name] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "cpu_seconds": round(time.process_time() - c0, 3),
            "councils": len(result.codes),
            "england_children_change_pct_final_year": round(float(changed[-1] / base[-1] - 1)
                                                            * 100, 2),
            "england_npv_gbp_mean": round(float(result.appraisal.npv_gbp.sum(1).mean())),
            "councils_paying_back_share": round(float(np.mean(
                frames["summary"].query("measure == 'payback_year'")["mean"].notna())), 3),
        }
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    payload = {
        "benchmark": "all presets x all councils", "target_seconds": 60,
        "total_seconds": round(total, 2), "total_cpu_seconds": round(cpu, 2),
        "prepare_seconds": round(prepared, 2),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "draws": baseline.draws, "horizon_years": baseline.horizon,
        "councils": len(baseline.rates.codes), "presets": presets,
        "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

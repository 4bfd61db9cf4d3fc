"""Benchmark: placement demand and sufficiency for every council, with the default draws.

Target (issue 11): demand by type of home and age band plus sufficiency (gap, recruitment,
cost, out of area, every table summarised, the demand table too) for all 153 councils in
under 10 s on 2 cores, with a workspace already open. Also times one council with a
synthetic register. Writes bench/results/placements.json.
Run: .venv/bin/python bench/bench_placements.py
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from carecast.data import store
from carecast.data.workspace import Workspace
from carecast.placements import demand, register, sufficiency, synth_supply

RESULTS = Path(__file__).parent / "results" / "placements.json"
TARGET_SECONDS = 10.0


CPU = {"seconds": 0.0}


def _timed(func):  # type: ignore[no-untyped-def]
    """The value, and the wall-clock seconds it took (CPU seconds are added to ``CPU``:
    on a shared machine they show how much of the wall time was this process's)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = func()
    CPU["seconds"] += time.process_time() - cpu
    return value, time.perf_counter() - start


def main() -> dict[str, object]:
    root = Path(os.environ.get("CARECAST_WORKSPACE") or Path(tempfile.mkdtemp()) / "ws")
    ws = Workspace.open(root)
    store.la_panel(ws)  # the panel is built once per workspace change, as in any session
    d, t_demand = _timed(lambda: demand.public(ws))
    gap, t_gap = _timed(lambda: sufficiency.run(ws, d, use_register=False))
    frames, t_frames = _timed(gap.frames)
    demand_rows, t_demand_rows = _timed(d.to_frame)
    total = t_demand + t_gap + t_frames + t_demand_rows
    cpu_total = CPU["seconds"]
    summary = frames["summary"]
    england = d.total().sum(1)
    # One council with a synthetic register, in a private copy of the workspace.
    private = Path(tempfile.mkdtemp()) / "ws"
    shutil.copytree(root, private)
    own = Workspace.open(private)
    path = synth_supply.write(synth_supply.generate(own, "926", seed=1),
                              private.parent / "supply.csv")
    _, t_load = _timed(lambda: register.load_file(path, own))
    one = demand.public(own, ["926"])
    (_, t_register) = _timed(lambda: sufficiency.run(own, one).frames())
    payload = {
        "benchmark": "placement demand + sufficiency, all councils, public data",
        "target_seconds": TARGET_SECONDS,
        "total_seconds": round(total, 2),
        "total_cpu_seconds": round(cpu_total, 2),
        "meets_target": total < TARGET_SECONDS,
        "meets_target_in_cpu_seconds": cpu_total < TARGET_SECONDS,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "demand_seconds": round(t_demand, 2),
        "sufficiency_seconds": round(t_gap, 2),
        "tables_seconds": round(t_frames, 2),
        "demand_table_seconds": round(t_demand_rows, 2),
        "councils": len(d.codes), "draws": int(d.draws.shape[0]), "years": len(d.years),
        "demand_rows": len(demand_rows), "gap_rows": len(frames["gap"]),
        "england_children_first_year_mean": round(float(england[:, 0].mean())),
        "england_foster_gap_last_year_mean": round(float(summary["foster_gap_last_year"].sum())),
        "england_extra_cost_total_gbp_mean": round(float(summary["extra_cost_total_gbp"].sum())),
        "median_carers_per_year_to_close": float(np.median(summary["carers_per_year_to_close"])),
        "register_926": {"rows": int(len(register.stored(own))),
                         "load_seconds": round(t_load, 2),
                         "sufficiency_seconds": round(t_register, 2)},
        "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

"""Speed of carecast's forecasts against Social Finance's cs-demand-model 0.5.1.

Same synthetic data for both (``carecast synth``, about 1k, 10k and 100k episodes; five
annual returns). Each run is a fresh process, timed end to end (process wall, interpreter
start and imports included) and for the work alone (read + prepare + rates + 1-year daily
forecast); each configuration runs ``RUNS`` times and medians are reported.
cs-demand-model runs from .venv-csdm (``scripts/setup-bench.sh``), with a 12-month
reference window and 365 one-day steps; carecast's record-level model uses the same window
(its monthly matrix-power step is exact for daily dynamics) with 1 draw (like-for-like) and
with 1,000 draws. Both forecast from the stock at the end of 31 March of the last return, over
the same 12-month reference window (ending that day) and to the same date 365 days later (the
run stops if any of these differ); ``in_care_*`` count children in care only (cs-demand-model's
``(age, NOT_IN_CARE)`` columns, which accumulate leavers, are reported apart as
``left_care_by_end``), and ``actual_in_care_at_start`` is counted from the returns directly.
The all-council 5-year forecast with 1,000 draws is timed on its own.

Usage: ``scripts/setup-bench.sh && .venv/bin/python bench/bench_forecast.py``
Writes bench/results/speed.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSDM = ROOT / ".venv-csdm" / "bin" / "python"
CARECAST = ROOT / ".venv" / "bin" / "carecast"
# Children per size, chosen so the synthetic returns hold about 1k, 10k and 100k episodes.
SIZES = {"1k": 460, "10k": 4600, "100k": 46000}
RUNS = 3  # each configuration runs this many times, both tools alike; medians reported

CSDM_SCRIPT = """
import sys, time, json
from datetime import timedelta
t0 = time.perf_counter()
from cs_demand_model import Config, DemandModellingDataContainer, PopulationStats, \\
    ModelPredictor, fs_datastore
import pandas as pd
t1 = time.perf_counter()
config = Config()
dc = DemandModellingDataContainer(fs_datastore(sys.argv[1]), config)
stats = PopulationStats(dc.enriched_view, config)
end = pd.Timestamp(sys.argv[2])  # 31 March of the last return: the stock at its end
start = (end - pd.DateOffset(years=1) + timedelta(days=1)).date()  # 12 months, end inclusive
predictor = ModelPredictor.from_model(stats, start, end, prediction_start=end)
pop = predictor.predict(365)
t2 = time.perf_counter()
# Predictions carry (age, NOT_IN_CARE) columns that accumulate everyone who has left since
# the start: they are not in care, so they are left out of the in-care count.
left = [c for c in pop.columns if c and c[-1] == config.PlacementCategories.NOT_IN_CARE.name]
print(json.dumps({"import_s": t1 - t0, "work_s": t2 - t1,
                  "episodes": int(len(dc.enriched_view)),
                  "reference": [str(start), str(end.date())],
                  "stock_date": str(end.date()), "end_date": str(pop.index[-1].date()),
                  "in_care_start": float(predictor.initial_population.sum()),
                  "in_care_end": float(pop.iloc[-1].drop(left).sum()),
                  "left_care_by_end": float(pop.iloc[-1][left].sum())}))
"""

CARECAST_SCRIPT = """
import sys, time, json
t0 = time.perf_counter()
import pandas as pd
from carecast.data.workspace import Workspace
from carecast.data.ssda903.store import prepare
from carecast.model.records import MultistateModel
t1 = time.perf_counter()
ws = Workspace.open(sys.argv[2])
t2 = time.perf_counter()
records = prepare(sys.argv[1], ws).records
eps = records.episodes
# Same dates as cs-demand-model: stock at the end of 31 March of the last return (= the
# start of 1 April), reference window the 12 months up to and including that 31 March.
end = pd.Timestamp(sys.argv[4]) + pd.Timedelta(days=1)
reference_days = (end - (end - pd.DateOffset(years=1))).days
model = MultistateModel(reference_days=reference_days, n_draws=int(sys.argv[3])).fit(eps, end)
frame = model.project(12)
t3 = time.perf_counter()
stock = frame[(frame.measure == "stock") & (frame.state == "all")]
last = stock.period.max()
print(json.dumps({"import_s": t1 - t0, "workspace_s": t2 - t1, "work_s": t3 - t2,
                  "episodes": int(len(eps)),
                  "reference": [str((end - pd.Timedelta(days=reference_days)).date()),
                                str((end - pd.Timedelta(days=1)).date())],
                  "stock_date": str((end - pd.Timedelta(days=1)).date()),
                  "end_date": str((pd.Timestamp(last) - pd.Timedelta(days=1)).date()),
                  "in_care_start": float(model.rates_.stock0.sum()),
                  "in_care_end": float(stock[stock.period == last]["mean"].sum())}))
"""

COUNCIL_SCRIPT = """
import sys, time, json
t0 = time.perf_counter()
from carecast.data.workspace import Workspace
from carecast.model.council import CouncilModel, load_council_data
ws = Workspace.open(sys.argv[1])
t1 = time.perf_counter()
data = load_council_data(ws)
frame = CouncilModel(n_draws=1000).fit(data).project(5).to_frame()
t2 = time.perf_counter()
print(json.dumps({"setup_s": t1 - t0, "work_s": t2 - t1, "rows": len(frame)}))
"""


def _run(cmd: list[str], env: dict[str, str] | None) -> dict:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - start
    return result


def timed(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Median of RUNS fresh processes, field by field (the machine may be shared)."""
    runs = [_run(cmd, env) for _ in range(RUNS)]
    result = {k: statistics.median(r[k] for r in runs) if isinstance(v, float) else v
              for k, v in runs[0].items()}
    result["process_wall_s_runs"] = [round(r["process_wall_s"], 3) for r in runs]
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}


def synth(children: int, folder: Path) -> Path:
    """carecast synth's returns, plus the YYYY/ layout cs-demand-model reads."""
    subprocess.run([str(CARECAST), "synth", "--children", str(children), "--years", "5",
                    "--seed", "1", "--out", str(folder / "returns")], check=True,
                   capture_output=True)
    csdm = folder / "csdm"
    for year_dir in (folder / "returns").iterdir():
        target = csdm / str(int(year_dir.name[:4]) + 1)
        target.mkdir(parents=True)
        for f in year_dir.glob("*.csv"):
            shutil.copy(f, target / f.name)
    return folder


def last_year_end(returns: Path) -> str:
    """31 March ending the latest return (folders are named 2019-20 etc.): both tools start
    there. (The last event in the data can fall a day or two earlier; a start taken from it
    would put carecast's monthly steps and cs-demand-model's daily ones on different dates.)"""
    return f"{max(int(d.name[:4]) for d in returns.iterdir() if d.is_dir()) + 1}-03-31"


def actual_in_care(returns: Path, day: str) -> int:
    """Children in care at the end of ``day``, straight from the returns (neither tool's
    code): each (CHILD, DECOM) episode as its latest return has it, open or ending after day."""
    import pandas as pd

    eps = pd.concat([pd.read_csv(f, dtype=str).assign(ret=f.parent.name)
                     for f in sorted(returns.glob("*/episodes.csv"))])
    eps = eps.sort_values("ret").drop_duplicates(["CHILD", "DECOM"], keep="last")
    decom = pd.to_datetime(eps["DECOM"], format="%d/%m/%Y")
    dec = pd.to_datetime(eps["DEC"], format="%d/%m/%Y")
    when = pd.Timestamp(day)
    return int(eps.loc[(decom <= when) & (dec.isna() | (dec > when)), "CHILD"].nunique())


def main() -> None:
    if not CSDM.exists():
        sys.exit("run scripts/setup-bench.sh first (creates .venv-csdm)")
    from rich.progress import Progress

    results: dict = {"generated": dt.date.today().isoformat(), "cores": os.cpu_count(),
                     "load_average_1m_at_start": round(os.getloadavg()[0], 2),
                     "runs_per_configuration": RUNS,
                     "command": ".venv/bin/python bench/bench_forecast.py", "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp, Progress() as bar:
        task = bar.add_task("benchmark", total=len(SIZES) * 3 + 1)
        ws = Path(tmp) / "ws"
        results["all_councils_5y_1000_draws"] = timed(
            [sys.executable, "-c", COUNCIL_SCRIPT, str(ws)])
        bar.advance(task)
        for label, children in SIZES.items():
            folder = synth(children, Path(tmp) / label)
            row = {"children": children}
            year_end = last_year_end(folder / "returns")
            row["cs_demand_model"] = timed([str(CSDM), "-c", CSDM_SCRIPT,
                                            str(folder / "csdm"), year_end])
            bar.advance(task)
            for draws in (1, 1000):
                row[f"carecast_{draws}_draws"] = timed(
                    [sys.executable, "-c", CARECAST_SCRIPT, str(folder / "returns"), str(ws),
                     str(draws), year_end])
                bar.advance(task)
            base = row["cs_demand_model"]
            ours = row["carecast_1_draws"]
            for key in ("episodes", "reference", "stock_date", "end_date", "in_care_start"):
                for other in ("carecast_1_draws", "carecast_1000_draws"):
                    if row[other][key] != base[key]:
                        sys.exit(f"{label}: {key} differs: cs-demand-model {base[key]}, "
                                 f"{other} {row[other][key]}")
            row["actual_in_care_at_start"] = actual_in_care(folder / "returns",
                                                            base["stock_date"])
            row["speedup_process_wall"] = round(base["process_wall_s"] / ours["process_wall_s"], 1)
            row["speedup_work"] = round(base["work_s"] / ours["work_s"], 1)
            results["sizes"][label] = row
    big = results["sizes"]["100k"]
    results["targets"] = [
        {"target": "record-level end to end >= 10x faster than cs-demand-model (1-year daily)",
         "value": {k: v["speedup_process_wall"] for k, v in results["sizes"].items()},
         "met": all(v["speedup_process_wall"] >= 10 for v in results["sizes"].values())},
        {"target": "1,000 draws at 100k episodes in <= 5 s (work)",
         "value": big["carecast_1000_draws"]["work_s"],
         "met": big["carecast_1000_draws"]["work_s"] <= 5},
        {"target": "all-council 5-year forecast, 1,000 draws, <= 10 s on 2 cores (work)",
         "value": results["all_councils_5y_1000_draws"]["work_s"],
         "met": results["all_councils_5y_1000_draws"]["work_s"] <= 10},
    ]
    out = ROOT / "bench" / "results" / "speed.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""``carecast forecast`` and ``carecast backtest``: thin shells over carecast.model."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import Progress
from rich.table import Table

from carecast.cli.common import JsonOpt, WorkspaceOpt, console, friendly_errors, print_json
from carecast.data import councils
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace

CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV instead of tables.")]
SUPPRESS_BELOW = 5
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); default local."),
]


def _span(text: str, unit_default: str) -> tuple[int, str]:
    """'5y', '18m', '730d' or a bare number (in ``unit_default``) -> (count, unit)."""
    m = re.fullmatch(r"\s*(\d+)\s*([ymd]?)\s*", text.lower())
    if not m or int(m.group(1)) == 0:
        raise InputError(f"'{text}' is not a period: use e.g. 5, 5y, 18m or 730d")
    return int(m.group(1)), m.group(2) or unit_default


def _emit(frame: pd.DataFrame, as_json: bool, as_csv: bool, title: str) -> None:
    if as_json:
        print_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        return
    if as_csv:
        console.file.write(frame.to_csv(index=False))
        return
    table = Table(title=title)
    keys = [c for c in frame.columns if c not in ("mean", "lo_80", "hi_80", "lo_95", "hi_95")]
    for c in [*keys, "mean", "80% interval", "95% interval"]:
        table.add_column(c, justify="right" if c not in keys else "left")
    for row in frame.itertuples(index=False):
        r = row._asdict()
        table.add_row(*[str(r[k]) for k in keys], f"{r['mean']:,.0f}",
                      f"{r['lo_80']:,.0f} - {r['hi_80']:,.0f}",
                      f"{r['lo_95']:,.0f} - {r['hi_95']:,.0f}")
    console.print(table)


@friendly_errors
def forecast(
    council: Annotated[str | None, typer.Argument(help="Council name, DfE or ONS code.")] = None,
    all_councils: Annotated[
        bool, typer.Option("--all", help="Every council and England.")] = False,
    horizon: Annotated[
        str, typer.Option(help="Years ahead (1-10), or 5y/18m with --ssda903.")] = "5",
    origin: Annotated[
        int | None, typer.Option(help="Last data year used (default latest).")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws.")] = 1000,
    ssda903: Annotated[
        bool, typer.Option("--ssda903", help="Record-level model on ingested 903 data.")] = False,
    reference_window: Annotated[
        str, typer.Option(help="With --ssda903: history used for rates.")] = "2y",
    population: Annotated[float | None, typer.Option(
        help="With --ssda903: 0-17 population (default: the named council's).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Forecast children looked after, starts and ceased with 80% and 95% intervals."""
    from carecast.model.council import CouncilModel, load_council_data

    ws = Workspace.open(workspace)
    if ssda903:
        _forecast_records(ws, council, horizon, reference_window, draws, population, seed,
                          as_json, as_csv)
        return
    if not all_councils and council is None:
        raise InputError("name a council or use --all")
    years, unit = _span(horizon, "y")
    if unit != "y" or years > 10:
        raise InputError("--horizon for council forecasts is 1 to 10 years")
    data = load_council_data(ws)
    if origin is not None and origin not in set(data.years.tolist()):
        raise InputError(f"--origin must be a data year {data.years.min()}-{data.years.max()}")
    with Progress(console=console, transient=True, disable=as_json or as_csv) as bar:
        task = bar.add_task("fitting and simulating", total=2)
        model = CouncilModel(n_draws=draws, random_state=seed).fit(data, origin=origin)
        bar.advance(task)
        frame = model.project(years).to_frame()
        bar.advance(task)
    if not all_councils:
        frame = frame[frame["la_code"] == councils.lookup(council).code]
    frame = frame.sort_values(["la_code", "measure", "period"]).round(1)
    _emit(frame.reset_index(drop=True), as_json, as_csv,
          f"Forecast from {model.origin_} (years ending 31 March)")


def _forecast_records(ws: Workspace, council: str | None, horizon: str, reference_window: str,
                      draws: int, population: float | None, seed: int, as_json: bool,
                      as_csv: bool) -> None:
    from carecast.model.records import forecast_workspace

    n, unit = _span(horizon, "y")
    months = n * 12 if unit == "y" else n if unit == "m" else max(1, round(n / 30.44))
    w, wunit = _span(reference_window, "y")
    window_days = w * 365 if wunit == "y" else w * 30 if wunit == "m" else w
    code = councils.lookup(council).code if council else None
    with Progress(console=console, transient=True, disable=as_json or as_csv) as bar:
        task = bar.add_task("record-level simulation", total=None)
        frame = forecast_workspace(ws, months=months, reference_days=window_days,
                                   n_draws=draws, council=code, population=population,
                                   random_state=seed)
        bar.update(task, completed=1, total=1)
    if not (as_json or as_csv):
        frame = frame[frame["state"] == "all"].drop(columns=["la_code", "model", "state"])
    else:
        # Children's data: values under 5 in any exported cell are suppressed.
        values = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]
        small = frame["mean"] < SUPPRESS_BELOW
        frame[values] = frame[values].astype(float).round(1).mask(small)
        frame["suppressed"] = small
    _emit(frame.round(1), as_json, as_csv, "Record-level forecast (monthly)")


@friendly_errors
def backtest(
    horizons: Annotated[str, typer.Option(help="Comma-separated horizons in years.")] = "1,3",
    draws: Annotated[int, typer.Option(help="Monte Carlo draws per origin.")] = 1000,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench/results/backtest.json"),
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Re-run the council model at origins 2015-2023 and compare with naive baselines."""
    from carecast.model.report import run_backtest

    try:
        hs = sorted({int(h) for h in horizons.split(",")})
    except ValueError:
        raise InputError(f"--horizons must be whole years like 1,3, not '{horizons}'") from None
    ws = Workspace.open(workspace)
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("backtesting 3 models", total=3)
        payload = run_backtest(ws, hs, draws, scheduler, lambda: bar.advance(task))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    if as_json:
        print_json(payload)
        return
    table = Table(title=f"Backtest, CLA at 31 March, councils, origins 2015-2023 ({out})")
    for c in ("model", "horizon", "MAPE %", "median APE %", "bias %", "80% cover", "95% cover",
              "MAPE / persistence"):
        table.add_column(c)
    for r in payload["councils"]:
        table.add_row(r["model"], str(r["horizon"]), f"{r['mape']:.2f}",
                      f"{r['median_ape']:.2f}", f"{r['bias']:+.2f}", f"{r['coverage_80']:.1f}",
                      f"{r['coverage_95']:.1f}", f"{r['mape_ratio_to_persistence']:.3f}")
    console.print(table)
    for t in payload["targets"]:
        console.print(f"{'met' if t['met'] else 'NOT met'}: {t['target']} (measured {t['value']})")

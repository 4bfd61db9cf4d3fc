"""``carecast forecast`` and ``carecast backtest``: thin shells over carecast.model."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import Progress
from rich.table import Table

from carecast import params
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
ModelOpt = Annotated[str, typer.Option(
    "--model", help="Council model: stock_flow_pooled (default, chosen by backtest) or "
    "stock_flow (the one scenarios use).")]


def _council_model(name: str) -> Callable[..., Any]:
    from carecast.model.compare import MODELS

    if name not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, not '{name}'")
    return MODELS[name]


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
    model_name: ModelOpt = "stock_flow_pooled",
    costs: Annotated[bool, typer.Option(
        "--costs", help="Also spend by financial year with intervals, the unit costs used "
        "and RO3 actual spend (see docs/costs.md).")] = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Forecast children looked after, starts and ceased with 80% and 95% intervals."""
    from carecast.model.council import load_council_data

    ws = Workspace.open(workspace)
    if ssda903:
        _forecast_records(ws, council, horizon, reference_window, draws, population, seed,
                          as_json, as_csv, costs)
        return
    if not all_councils and council is None:
        raise InputError("name a council or use --all")
    years, unit = _span(horizon, "y")
    if unit != "y" or years > 10:
        raise InputError("--horizon for council forecasts is 1 to 10 years")
    make = _council_model(model_name)
    data = load_council_data(ws)
    if origin is not None and origin not in set(data.years.tolist()):
        raise InputError(f"--origin must be a data year {data.years.min()}-{data.years.max()}")
    with Progress(console=console, transient=True, disable=as_json or as_csv) as bar:
        task = bar.add_task("fitting and simulating", total=2)
        model = make(n_draws=draws, random_state=seed).fit(data, origin=origin)
        bar.advance(task)
        projected = model.project(years)
        frame = projected.to_frame()
        bar.advance(task)
    code = None if all_councils else councils.lookup(council).code
    if code is not None:
        frame = frame[frame["la_code"] == code]
    frame = frame.sort_values(["la_code", "measure", "period"]).round(1).reset_index(drop=True)
    title = f"Forecast from {model.origin_} (years ending 31 March)"
    if not costs:
        _emit(frame, as_json, as_csv, title)
        return
    from carecast.costs.spend import council_spend, council_unit_costs, ro3_actuals

    # The pooled model re-centres stock-flow draws; both start from the same 31 March stock.
    rates = model.rates_ if hasattr(model, "rates_") else model.stock_flow_.rates_
    unit = council_unit_costs(ws, rates)
    spend = council_spend(projected, rates.stock0, unit["gbp_per_week"].to_numpy())
    ro3 = ro3_actuals(ws)
    if code is not None:
        spend, unit, ro3 = (f[f["la_code"] == code] for f in (spend, unit, ro3))
    spend = spend.merge(ro3, on=["la_code", "period"], how="left")
    unit = unit.assign(inflation_per_year=float(params.value("costs.inflation")),
                       inflation_source=params.get("costs.inflation").source())
    _emit_costs(frame, spend.round(0), unit, ro3, as_json, as_csv, title)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _emit_costs(forecast: pd.DataFrame, spend: pd.DataFrame, unit: pd.DataFrame,
                ro3: pd.DataFrame | None, as_json: bool, as_csv: bool, title: str) -> None:
    """Forecast plus spend by financial year, the unit costs used and RO3 actuals
    (JSON keys: forecast, spend, unit_costs, ro3_actuals; CSV: the spend rows)."""
    if as_json:
        print_json({"forecast": _records(forecast), "spend": _records(spend),
                    "unit_costs": _records(unit),
                    "ro3_actuals": None if ro3 is None else _records(ro3)})
        return
    if as_csv:
        console.file.write(spend.to_csv(index=False))
        return
    _emit(forecast, False, False, title)
    table = Table(title="Spend on children looked after by financial year (GBP)")
    keys = [c for c in ("la_code", "period", "category") if c in spend]
    for c in [*keys, "mean", "80% interval", "95% interval", "RO3 actual"]:
        table.add_column(c, justify="left" if c in keys else "right")
    for r in spend.to_dict(orient="records"):
        if pd.isna(r["mean"]):
            cells = ["suppressed (under 5 children)", "", ""]
        else:
            cells = [f"{r['mean']:,.0f}", f"{r['lo_80']:,.0f} - {r['hi_80']:,.0f}",
                     f"{r['lo_95']:,.0f} - {r['hi_95']:,.0f}"]
        actual = r.get("ro3_actual_gbp")
        table.add_row(*[str(r[k]) for k in keys], *cells,
                      "" if actual is None or pd.isna(actual) else f"{actual:,.0f}")
    console.print(table)
    costs = Table(title="Weekly unit costs used (GBP)")
    keys = [c for c in ("la_code", "category", "period") if c in unit]
    for c in [*keys, "per week", "source"]:
        costs.add_column(c)
    for r in unit.to_dict(orient="records"):
        costs.add_row(*[str(r[k]) for k in keys], f"{r['gbp_per_week']:,.0f}", r["source"])
    console.print(costs)


def _forecast_records(ws: Workspace, council: str | None, horizon: str, reference_window: str,
                      draws: int, population: float | None, seed: int, as_json: bool,
                      as_csv: bool, costs: bool = False) -> None:
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
    title = "Record-level forecast (monthly)"
    if not costs:
        _emit(frame.round(1), as_json, as_csv, title)
        return
    spend, unit = _records_spend(ws, months, window_days, draws, seed)
    spend.insert(0, "la_code", code or "workspace")
    ro3 = None
    if code is not None:
        from carecast.costs.spend import ro3_actuals

        ro3 = ro3_actuals(ws)
        ro3 = ro3[ro3["la_code"] == code]
        spend = spend.merge(ro3, on=["la_code", "period"], how="left")
        # RO3 is the council's whole CLA spend: beside the total only.
        spend["ro3_actual_gbp"] = spend["ro3_actual_gbp"].where(spend["category"] == "all")
    _emit_costs(frame.round(1), spend, unit, ro3, as_json, as_csv, title)


def _records_spend(ws: Workspace, months: int, window_days: int, draws: int, seed: int
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spend by financial year and category from the same draws as the record-level
    forecast (same fit and seed); rows averaging under 5 children are suppressed."""
    from carecast.costs.spend import category_spend
    from carecast.data.ssda903.store import load_episodes
    from carecast.model.records import CATEGORIES, MultistateModel, forecast_start

    episodes = load_episodes(ws)
    model = MultistateModel(reference_days=window_days).fit(episodes,
                                                            end=forecast_start(episodes))
    sim = model.project_draws(months, n_draws=draws, random_state=seed)
    spend, unit = category_spend(model.rates_.start, sim.dates, model.rates_.stock0.sum(0),
                                 sim.category_stock, CATEGORIES)
    small = spend["children"] < SUPPRESS_BELOW
    values = ["children", "mean", "lo_80", "hi_80", "lo_95", "hi_95"]
    spend[values] = spend[values].round(0).mask(small)
    spend["suppressed"] = small
    return spend, unit


@friendly_errors
def backtest(
    horizons: Annotated[str, typer.Option(help="Comma-separated horizons in years.")] = "1,3",
    draws: Annotated[int, typer.Option(help="Monte Carlo draws per origin.")] = 1000,
    out: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path(
        "bench/results/backtest.json"),
    model_name: ModelOpt = "stock_flow_pooled",
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Re-run every council model at origins 2015-2023 beside naive baselines; targets are
    checked for ``--model``."""
    from carecast.model.compare import CANDIDATES, MODELS, run_comparison

    try:
        hs = sorted({int(h) for h in horizons.split(",")})
    except ValueError:
        raise InputError(f"--horizons must be whole years like 1,3, not '{horizons}'") from None
    _council_model(model_name)
    ws = Workspace.open(workspace)
    n_models = len(MODELS) + len(CANDIDATES)
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"backtesting {n_models} models", total=n_models)
        payload = run_comparison(ws, hs, draws, scheduler, lambda: bar.advance(task),
                                 primary=model_name)
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

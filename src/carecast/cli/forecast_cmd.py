"""``carecast forecast`` and ``carecast backtest``: thin shells over carecast.service."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import Progress
from rich.table import Table

from carecast import disclosure
from carecast.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    friendly_errors,
    lazy_import,
    print_json,
)
from carecast.report import export
from carecast.service import workspace as svc
from carecast.service.workspace import InputError

forecasting = lazy_import("carecast.service.forecast")
children_in_need = lazy_import("carecast.service.cin")

CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV instead of tables.")]
DEFAULT_BACKTEST = Path("bench/results/backtest.json")
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); default local."),
]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="Council model: stock_flow_combined, stock_flow or stock_flow_pooled "
    "(default: model.default_forecast, chosen by backtest).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a parameter for this run, NAME=VALUE (repeatable), e.g. "
    "costs.inflation_assumption=high.")]
MeasureOpt = Annotated[str, typer.Option(
    "--measure", help="cla (children looked after, default) or cin (children in need, "
    "child protection plans and referrals; see docs/forecasting.md).")]


def _measure(name: str) -> str:
    if name not in ("cla", "cin"):
        raise InputError(f"--measure must be cla or cin, not '{name}'")
    return name


def _span(text: str, unit_default: str) -> tuple[int, str]:
    """'5y', '18m', '730d' or a bare number (in ``unit_default``) -> (count, unit)."""
    m = re.fullmatch(r"\s*(\d+)\s*([ymd]?)\s*", text.lower())
    if not m or int(m.group(1)) == 0:
        raise InputError(f"'{text}' is not a period: use e.g. 5, 5y, 18m or 730d")
    return int(m.group(1)), m.group(2) or unit_default


SOURCE = ("carecast default council forecast (model.default_forecast) on DfE children "
          "looked after data")


def _csv(frame: pd.DataFrame, title: str) -> None:
    """CSV on stdout through the one table writer (title, source, licence, suppression)."""
    text = export.render(frame, "csv", title=title, sources=[SOURCE]).decode("utf-8-sig")
    console.file.write(text)


def _number(value: float, fmt: str = ",.0f") -> str:
    return disclosure.rule().marker if pd.isna(value) else format(value, fmt)


def _emit(frame: pd.DataFrame, as_json: bool, as_csv: bool, title: str) -> None:
    if as_json:
        print_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        return
    if as_csv:
        _csv(frame, title)
        return
    table = Table(title=title)
    keys = [c for c in frame.columns if c not in ("mean", "lo_80", "hi_80", "lo_95", "hi_95")]
    for c in [*keys, "mean", "80% interval", "95% interval"]:
        table.add_column(c, justify="right" if c not in keys else "left")
    for row in frame.itertuples(index=False):
        r = row._asdict()
        table.add_row(*[str(r[k]) for k in keys], _number(r["mean"]),
                      f"{_number(r['lo_80'])} - {_number(r['hi_80'])}",
                      f"{_number(r['lo_95'])} - {_number(r['hi_95'])}")
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
    draws: Annotated[int | None, typer.Option(
        help="Monte Carlo draws (default model.draws, 1,000).")] = None,
    ssda903: Annotated[
        bool, typer.Option("--ssda903", help="Record-level model on ingested 903 data.")] = False,
    reference_window: Annotated[
        str, typer.Option(help="With --ssda903: history used for rates.")] = "2y",
    population: Annotated[float | None, typer.Option(
        help="With --ssda903: 0-17 population (default: the named council's).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default model.seed).")] = None,
    model_name: ModelOpt = None,
    costs: Annotated[bool, typer.Option(
        "--costs", help="Also spend by financial year with intervals, the unit costs used "
        "and RO3 actual spend (see docs/costs.md).")] = False,
    set_: SetOpt = None,
    measure: MeasureOpt = "cla",
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Forecast children looked after, starts and ceased with 80% and 95% intervals."""
    ws = svc.open_workspace(workspace)
    if _measure(measure) == "cin":
        if not all_councils and council is None:
            raise InputError("name a council or use --all")
        years, _ = _span(horizon, "y")
        frame = children_in_need.forecast(ws, None if all_councils else council, horizon=years,
                                          origin=origin, draws=draws, seed=seed)
        _emit(frame, as_json, as_csv, "Children in need, child protection plans and referrals "
              f"forecast from {int(frame['period'].min()) - 1} (years ending 31 March)")
        return
    if ssda903:
        _forecast_records(ws, council, horizon, reference_window, draws, population, seed,
                          as_json, as_csv, costs)
        return
    if not all_councils and council is None:
        raise InputError("name a council or use --all")
    years, unit = _span(horizon, "y")
    if unit != "y":
        raise InputError("--horizon for council forecasts is in years (1 to 10)")
    code = None if all_councils else svc.council(council).code
    overrides = svc.overrides(set_)
    with Progress(console=console, transient=True, disable=as_json or as_csv) as bar:
        bar.add_task("fitting and simulating", total=None)
        if costs:
            result = forecasting.forecast_costs(ws, code, horizon=years, origin=origin,
                                                draws=draws, seed=seed, model=model_name,
                                                overrides=overrides)
        else:
            run = forecasting.forecast(ws, horizon=years, origin=origin, draws=draws,
                                       seed=seed, model=model_name, overrides=overrides)
    if not costs:
        frame = run.council(code).round(1)
        _emit(frame, as_json, as_csv, f"Forecast from 31 March {run.origin} "
                                      "(children at 31 March; starts and ceased in the year)")
        return
    title = f"Forecast from 31 March {result.origin} (years ending 31 March)"
    _emit_costs(result.forecast.round(1), result.spend.round(0), result.unit_costs,
                result.ro3_actuals, result.assumptions, as_json, as_csv, title)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _emit_costs(forecast: pd.DataFrame, spend: pd.DataFrame, unit: pd.DataFrame,
                ro3: pd.DataFrame | None, assumptions: list[str], as_json: bool, as_csv: bool,
                title: str) -> None:
    """Forecast plus spend by financial year, the unit costs used, RO3 actuals and the
    assumptions (JSON keys: forecast, spend, unit_costs, ro3_actuals, assumptions; CSV: the
    spend rows)."""
    if as_json:
        print_json({"forecast": _records(forecast), "spend": _records(spend),
                    "unit_costs": _records(unit),
                    "ro3_actuals": None if ro3 is None else _records(ro3),
                    "assumptions": assumptions})
        return
    if as_csv:
        _csv(spend, title)
        return
    _emit(forecast, False, False, title)
    table = Table(title="Spend on children looked after by financial year (GBP)")
    keys = [c for c in ("la_code", "period", "category") if c in spend]
    for c in [*keys, "mean", "80% interval", "95% interval", "RO3 actual"]:
        table.add_column(c, justify="left" if c in keys else "right")
    for r in spend.to_dict(orient="records"):
        if pd.isna(r["mean"]):
            cells = [f"{disclosure.rule().marker} (small numbers hidden)", "", ""]
        else:
            cells = [f"{r['mean']:,.0f}", f"{r['lo_80']:,.0f} - {r['hi_80']:,.0f}",
                     f"{r['lo_95']:,.0f} - {r['hi_95']:,.0f}"]
        actual = r.get("ro3_actual_gbp")
        table.add_row(*[str(r[k]) for k in keys], *cells,
                      "" if actual is None or pd.isna(actual) else f"{actual:,.0f}")
    console.print(table)
    costs = Table(title="Weekly unit costs used (GBP)")
    keys = [c for c in ("la_code", "category", "period") if c in unit]
    for c in [*keys, "per week"]:
        costs.add_column(c)
    for r in unit.to_dict(orient="records"):
        costs.add_row(*[str(r[k]) for k in keys], f"{r['gbp_per_week']:,.0f}")
    console.print(costs)
    for source in dict.fromkeys(unit["source"]):
        console.print(f"[dim]Unit costs: {source}[/]", highlight=False)
    for line in assumptions:
        console.print(f"Assumption: {line}", highlight=False)


def _forecast_records(ws: svc.Workspace, council: str | None, horizon: str,
                      reference_window: str, draws: int | None, population: float | None,
                      seed: int | None, as_json: bool, as_csv: bool, costs: bool) -> None:
    n, unit = _span(horizon, "y")
    months = n * 12 if unit == "y" else n if unit == "m" else max(1, round(n / 30.44))
    w, wunit = _span(reference_window, "y")
    window_days = w * 365 if wunit == "y" else w * 30 if wunit == "m" else w
    with Progress(console=console, transient=True, disable=as_json or as_csv) as bar:
        bar.add_task("record-level simulation", total=None)
        result = forecasting.forecast_records(ws, council, months=months,
                                              reference_days=window_days, draws=draws,
                                              population=population, seed=seed, costs=costs)
    frame = result.forecast   # small numbers already hidden by the service
    if not (as_json or as_csv):
        frame = frame[frame["state"] == "all"].drop(columns=["la_code", "model", "state",
                                                             "suppressed"])
    title = "Record-level forecast (monthly)"
    if result.spend is None:
        _emit(frame.round(1), as_json, as_csv, title)
        return
    _emit_costs(frame.round(1), result.spend.round(0), result.unit_costs, result.ro3_actuals,
                [], as_json, as_csv, title)


@friendly_errors
def backtest(
    horizons: Annotated[str, typer.Option(help="Comma-separated horizons in years.")] = "1,3",
    draws: Annotated[int | None, typer.Option(
        help="Monte Carlo draws per origin (default model.draws).")] = None,
    out: Annotated[Path, typer.Option(
        help="Where to write the JSON results (--measure cin: backtest_cin.json).")
    ] = DEFAULT_BACKTEST,
    model_name: ModelOpt = None,
    scheduler: SchedulerOpt = None,
    measure: MeasureOpt = "cla",
    as_json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Re-run every council model at every origin the data allow (from 2015) beside naive
    baselines; prints and writes accuracy per origin and horizon; targets are checked for
    ``--model``. ``--measure cin`` backtests the children in need model at origins 2016-2023
    against persistence (default output bench/results/backtest_cin.json)."""
    try:
        hs = sorted({int(h) for h in horizons.split(",")})
    except ValueError:
        raise InputError(f"--horizons must be whole years like 1,3, not '{horizons}'") from None
    ws = svc.open_workspace(workspace)
    if _measure(measure) == "cin":
        _backtest_cin(ws, hs, draws, out, scheduler, as_json)
        return
    n_models = forecasting.n_backtest_models()
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"backtesting {n_models} models", total=n_models)
        payload = forecasting.backtest(ws, hs, draws=draws, scheduler=scheduler,
                                       tick=lambda: bar.advance(task), model=model_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    if as_json:
        print_json(payload)
        return
    span = f"origins {payload['origins'][0]}-{payload['origins'][-1]}"
    table = Table(title=f"Backtest, CLA at 31 March, councils, {span} ({out})")
    for c in ("model", "horizon", "MAPE %", "median APE %", "bias %", "80% cover", "95% cover",
              "MAPE / persistence"):
        table.add_column(c)
    for r in payload["councils"]:
        table.add_row(r["model"], str(r["horizon"]), f"{r['mape']:.2f}",
                      f"{r['median_ape']:.2f}", f"{r['bias']:+.2f}", f"{r['coverage_80']:.1f}",
                      f"{r['coverage_95']:.1f}", f"{r['mape_ratio_to_persistence']:.3f}")
    console.print(table)
    _print_by_origin(payload)
    for t in payload["targets"]:
        console.print(f"{'met' if t['met'] else 'NOT met'}: {t['target']} (measured {t['value']})")


def _backtest_cin(ws: svc.Workspace, horizons: list[int], draws: int | None, out: Path,
                  scheduler: Any, as_json: bool) -> None:
    if out == DEFAULT_BACKTEST:
        out = out.with_name("backtest_cin.json")
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("backtesting the children in need model", total=2)
        payload = children_in_need.run_backtest(ws, horizons, draws, scheduler,
                                                lambda: bar.advance(task))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    if as_json:
        print_json(payload)
        return
    table = Table(title=f"Backtest, children in need, councils, origins 2016-2023 ({out})")
    for c in ("model", "measure", "horizon", "MAPE %", "bias %", "80% cover", "95% cover",
              "MAPE / persistence"):
        table.add_column(c)
    for r in payload["councils"]:
        table.add_row(r["model"], r["measure"], str(r["horizon"]), f"{r['mape']:.2f}",
                      f"{r['bias']:+.2f}", f"{r['coverage_80']:.1f}", f"{r['coverage_95']:.1f}",
                      f"{r['mape_ratio_to_persistence']:.3f}")
    console.print(table)


def _print_by_origin(payload: dict[str, Any]) -> None:
    """Every model at every origin, one column per horizon: councils' MAPE %, bias % and 80%
    coverage; England's error % and whether its 80% interval held the outcome."""
    rows = pd.DataFrame(payload["by_origin"])
    horizons = sorted(rows["horizon"].unique())
    for level in ("la", "england"):
        part = rows[rows["level"] == level]
        cells = part.set_index(["model", "origin", "horizon"])
        if level == "la":
            title, what = "Councils by origin", "MAPE / bias / 80% cover"
        else:
            title, what = "England by origin", "error % / in 80%"
        table = Table(title=f"{title} ({what})")
        for c in ["model", "origin", *[f"{h} y" for h in horizons]]:
            table.add_column(c, justify="left" if c == "model" else "right")
        for model, origin in part[["model", "origin"]].drop_duplicates().itertuples(index=False):
            values = []
            for h in horizons:
                if (model, origin, h) not in cells.index:
                    values.append("")
                    continue
                r = cells.loc[(model, origin, h)]
                values.append(f"{r['mape']:.1f} {r['bias']:+.1f} {r['coverage_80']:.0f}"
                              if level == "la" else
                              f"{r['bias']:+.2f} {'in' if r['coverage_80'] else 'out'}")
            table.add_row(model, str(origin), *values)
        console.print(table)

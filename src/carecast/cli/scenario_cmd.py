"""``carecast scenario``: run, compare and stress-test scenario files against the baseline."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from carecast.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    friendly_errors,
    lazy_import,
    print_json,
)
from carecast.data import councils
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace

executor = lazy_import("carecast.model.executor")
runner = lazy_import("carecast.scenarios.run")
record_runner = lazy_import("carecast.scenarios.records")
schema = lazy_import("carecast.scenarios.schema")
sensitivity = lazy_import("carecast.scenarios.sensitivity")
finance = lazy_import("carecast.scenarios.finance")

app = typer.Typer(help="Scenarios: what early help, reunification and placement changes buy.")

CouncilOpt = Annotated[str | None, typer.Option("--council", help="DfE code, ONS code or name.")]
DrawsOpt = Annotated[int | None, typer.Option("--draws", min=20, max=20000,
                                              help="Monte Carlo draws (default 500).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed shared by both sides.")]


def _council(council: str | None) -> str:
    if not council:
        raise InputError("give --council CODE (or name)")
    return council


def _money(value: float) -> str:
    return f"{'-' if value < 0 else ''}£{abs(value) / 1e6:,.2f}m"


def _interval(row: pd.Series, money: bool = False) -> str:
    if pd.isna(row["mean"]):
        return "[dim]suppressed (under 5)[/]"
    f = _money if money else (lambda v: f"{v:,.0f}")
    return f"{f(row['mean'])} [dim]({f(row['lo_80'])} to {f(row['hi_80'])})[/]"


def _print_result(result: runner.ScenarioResult) -> None:
    frames = result.to_frames()
    code = str(result.codes[0])
    where = "record-level model, 903 records" if result.suppress_below else "council"
    console.print(f"[bold]{result.scenario.name}[/], {where} {code}: baseline and scenario, "
                  f"mean (80% interval) over {result.draws} paired draws")
    children = frames["children"]
    table = Table("year ending 31 March", "baseline", "scenario", "difference",
                  title="Children looked after at 31 March")
    for year in result.years:
        rows = children[(children["measure"] == "cla_at_31_march")
                        & (children["period"] == year)].set_index("variant")
        table.add_row(str(year), *(_interval(rows.loc[v]) for v in
                                   ("baseline", "scenario", "difference")))
    console.print(table)
    spend = frames["spend"]
    table = Table("financial year", "baseline", "scenario", "investment", "net savings",
                  "cumulative", title="Spend on children looked after (placements)")
    for fy in (finance.financial_year(int(y)) for y in result.years):
        rows = spend[spend["period"] == fy].set_index("measure")
        table.add_row(fy, *(_interval(rows.loc[m], money=True) for m in
                            ("baseline_gbp", "scenario_gbp", "investment_gbp",
                             "net_savings_gbp", "cumulative_savings_gbp")))
    console.print(table)
    _print_summary(frames["summary"])


def _print_summary(summary: pd.DataFrame) -> None:
    rows = summary.set_index("measure")
    payback = rows.loc["payback_year"]
    paid = (f"{finance.financial_year(int(payback['mean']))}" if pd.notna(payback["mean"])
            else "not within the horizon")
    console.print(
        f"Entries avoided: {_interval(rows.loc['entries_avoided'])}. "
        f"Net savings after investment: {_interval(rows.loc['net_savings_total_gbp'], True)}. "
        f"NPV at the Green Book rate: {_interval(rows.loc['npv_gbp'], True)}. "
        f"Payback: {paid} ({payback['share_of_draws']:.0%} of draws pay back)."
    )


def _write_xlsx(result: runner.ScenarioResult, path: Path) -> None:
    with pd.ExcelWriter(path) as writer:
        for name, frame in result.to_frames().items():
            frame.to_excel(writer, sheet_name=name, index=False)
        pd.DataFrame({"scenario file": result.scenario.to_yaml().splitlines()}).to_excel(
            writer, sheet_name="scenario", index=False)


@app.command("run")
@friendly_errors
def run_cmd(
    file: Annotated[str, typer.Argument(help="Scenario YAML file or preset name.")],
    council: CouncilOpt = None,
    ssda903: Annotated[bool, typer.Option("--ssda903", help="Use the workspace's ingested 903 "
                                          "records (record-level model); --council then only "
                                          "labels the result.")] = False,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    json: JsonOpt = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write all tables to this "
                                              "Excel file.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Baseline and scenario side by side: children, entries avoided, bed-weeks, spend,
    net savings, payback and NPV, with intervals."""
    scenario = schema.load(file)
    ws = Workspace.open(workspace)
    if ssda903:
        code = councils.lookup(council).code if council else None
        result = record_runner.run_workspace(ws, scenario, code, draws=draws, seed=seed)
    else:
        result = runner.run_scenario(ws, scenario, _council(council), draws=draws, seed=seed)
    if xlsx is not None:
        _write_xlsx(result, xlsx)
        console.print(f"Wrote {xlsx}")
    if json:
        print_json(result.to_json())
    elif xlsx is None:
        _print_result(result)


@app.command("compare")
@friendly_errors
def compare_cmd(
    files: Annotated[list[str], typer.Argument(help="Scenario files or preset names.")],
    council: CouncilOpt = None,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786); default: local processes.")] = None,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Several scenarios against the same baseline draws, one row each."""
    scenarios = [schema.load(f) for f in files]
    baseline = runner.prepare(Workspace.open(workspace), [_council(council)],
                              draws=draws, seed=seed)
    results = executor.run_tasks(functools.partial(runner.run, baseline), scenarios, scheduler)
    rows = []
    for scenario, result in zip(scenarios, results, strict=True):
        s = result.summary().set_index("measure")
        rows.append({"scenario": scenario.name,
                     **{m: s.loc[m, "mean"] for m in ("entries_avoided",
                                                      "net_savings_total_gbp", "npv_gbp")},
                     "npv_lo_80": s.loc["npv_gbp", "lo_80"],
                     "npv_hi_80": s.loc["npv_gbp", "hi_80"],
                     "payback_year": s.loc["payback_year", "mean"]})
    if json:
        print_json([{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows])
        return
    table = Table("scenario", "entries avoided", "net savings", "NPV (80% interval)",
                  "payback", title=f"Scenarios compared, council {baseline.rates.codes[0]}")
    for r in rows:
        table.add_row(r["scenario"], f"{r['entries_avoided']:,.0f}",
                      _money(r["net_savings_total_gbp"]),
                      f"{_money(r['npv_gbp'])} ({_money(r['npv_lo_80'])} to "
                      f"{_money(r['npv_hi_80'])})",
                      finance.financial_year(int(r["payback_year"])) if pd.notna(r["payback_year"])
                      else "-")
    console.print(table)


@app.command("tornado")
@friendly_errors
def tornado_cmd(
    file: Annotated[str, typer.Argument(help="Scenario YAML file or preset name.")],
    council: CouncilOpt = None,
    swing: Annotated[float | None, typer.Option(help="Relative change of each assumption "
                                                "(default 0.5).")] = None,
    draws: DrawsOpt = None,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Sensitivity of NPV to each assumption, widest first."""
    baseline = runner.prepare(Workspace.open(workspace), [_council(council)],
                              draws=draws)
    table = sensitivity.tornado(baseline, schema.load(file), swing)
    if json:
        print_json(table.to_dict(orient="records"))
        return
    out = Table("assumption", "value", "low -> NPV", "high -> NPV", "range",
                title=f"NPV sensitivity (central {_money(table['central_npv_gbp'].iloc[0])})")
    for _, r in table.iterrows():
        out.add_row(r["assumption"], f"{r['value']:,.3g}",
                    f"{r['low']:,.3g} -> {_money(r['npv_low_gbp'])}",
                    f"{r['high']:,.3g} -> {_money(r['npv_high_gbp'])}", _money(r["range_gbp"]))
    console.print(out)


@app.command("presets")
@friendly_errors
def presets_cmd(json: JsonOpt = False) -> None:
    """The documented preset scenarios (use a name in place of a file)."""
    presets = [(name, schema.load(name)) for name in schema.preset_names()]
    if json:
        print_json([{"preset": n, "name": s.name, "description": s.description}
                    for n, s in presets])
        return
    table = Table("preset", "name", "description")
    for name, s in presets:
        table.add_row(name, s.name, s.description)
    console.print(table)


@app.command("charts")
@friendly_errors
def charts_cmd(
    file: Annotated[str, typer.Argument(help="Scenario YAML file or preset name.")],
    council: CouncilOpt = None,
    out: Annotated[Path, typer.Option(help="Folder for the SVG files.")] = Path("docs/img"),
    draws: DrawsOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write the scenario's charts (children, spend, cumulative savings, tornado) as SVG."""
    from carecast.web.scenarios_page import result_charts, tornado_chart

    scenario = schema.load(file)
    baseline = runner.prepare(Workspace.open(workspace), [_council(council)],
                              draws=draws)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(file).stem
    charts = result_charts(runner.run(baseline, scenario))
    charts["tornado"] = tornado_chart(sensitivity.tornado(baseline, scenario))
    for name, svg in charts.items():
        path = out / f"scenario_{stem}_{name}.svg"
        path.write_text(str(svg), encoding="utf-8")
        console.print(f"Wrote {path}")

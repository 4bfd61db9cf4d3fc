"""``carecast scenario``: run, compare and stress-test scenario files against the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
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
from carecast.report import charts, export
from carecast.service import workspace as svc
from carecast.service.workspace import InputError

scenarios = lazy_import("carecast.service.scenarios")

app = typer.Typer(help="Scenarios: what early help, reunification and placement changes buy.")

CouncilOpt = Annotated[str | None, typer.Option("--council", help="DfE code, ONS code or name.")]
DrawsOpt = Annotated[int | None, typer.Option(
    "--draws", help="Monte Carlo draws (default model.draws, 1,000, as the forecast).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed shared by both sides.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Appraise from the financial year containing this date (YYYY-MM-DD); "
    "default: from the scenario's first start.")]


def _fy(year: float) -> str:
    y = int(year)
    return f"{y - 1}-{str(y)[-2:]}"


def _money(value: float) -> str:
    return f"{'-' if value < 0 else ''}£{abs(value) / 1e6:,.2f}m"


def _interval(row: pd.Series, money: bool = False) -> str:
    if pd.isna(row["mean"]):
        return f"[dim]{disclosure.rule().marker} (small number hidden)[/]"
    f = _money if money else (lambda v: f"{v:,.0f}")
    return f"{f(row['mean'])} [dim]({f(row['lo_80'])} to {f(row['hi_80'])})[/]"


def _print_result(result: scenarios.ScenarioResult) -> None:
    frames = result.to_frames()
    code = str(result.codes[0])
    where = "record-level model, 903 records" if result.record_level else "council"
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
    for fy in (_fy(y) for y in result.years):
        rows = spend[spend["period"] == fy].set_index("measure")
        table.add_row(fy, *(_interval(rows.loc[m], money=True) if m in rows.index else
                            "[dim]not appraised[/]" for m in
                            ("baseline_gbp", "scenario_gbp", "investment_gbp",
                             "net_savings_gbp", "cumulative_savings_gbp")))
    console.print(table)
    _print_summary(frames["summary"], _fy(result.appraisal.base_year))
    for line in result.assumptions:
        console.print(f"[dim]Assumption: {line}[/]", highlight=False)


def _print_summary(summary: pd.DataFrame, base: str) -> None:
    rows = summary.set_index("measure")
    payback = rows.loc["payback_year"]
    if not payback["invested"]:
        paid = "nothing invested, so nothing to pay back"
    elif pd.notna(payback["mean"]):
        paid = f"{_fy(payback['mean'])} ({payback['share_of_draws']:.0%} of draws pay back)"
    else:
        paid = (f"not within the horizon ({payback['share_of_draws']:.0%} of draws pay "
                "back)")
    console.print(
        f"From {base}: entries avoided: {_interval(rows.loc['entries_avoided'])}. "
        f"Net savings after investment: {_interval(rows.loc['net_savings_total_gbp'], True)}. "
        f"NPV (Green Book, {base} prices): {_interval(rows.loc['npv_gbp'], True)}. "
        f"Payback: {paid}."
    )


def _write_xlsx(result: scenarios.ScenarioResult, path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise InputError("expected a .xlsx file name", file=str(path))
    where = "903 records" if result.record_level else f"council {result.codes[0]}"
    export.write_table(result.to_frames(), path, title=f"{result.scenario.name}, {where}: "
                       "baseline and scenario", sources=[scenarios.SOURCE],
                       licence=None if result.record_level else export.OGL_ATTRIBUTION,
                       extra={"scenario": result.scenario.to_yaml().splitlines(),
                              "assumptions": result.assumptions})


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
    as_of: AsOfOpt = None,
    json: JsonOpt = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write all tables to this "
                                              "Excel file.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Baseline and scenario side by side: children, entries avoided, child-weeks, spend,
    net savings, payback and NPV, with intervals."""
    scenario = scenarios.load(file)
    ws = svc.open_workspace(workspace)
    result = scenarios.run_scenario(ws, scenario, council, ssda903=ssda903, draws=draws,
                                    seed=seed, as_of=svc.date(as_of, "--as-of"))
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
    as_of: AsOfOpt = None,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Several scenarios against the same baseline draws, one row each."""
    loaded = [scenarios.load(f) for f in files]
    ws = svc.open_workspace(workspace)
    table_rows = scenarios.compare(ws, loaded, council, draws=draws, seed=seed,
                                   scheduler=scheduler, as_of=svc.date(as_of, "--as-of"))
    rows = table_rows.to_dict(orient="records")
    if json:
        print_json([{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows])
        return
    table = Table("scenario", "entries avoided", "net savings", "NPV (80% interval)",
                  "payback", title=f"Scenarios compared, council {svc.council(council).code}")
    for r in rows:
        table.add_row(r["scenario"], f"{r['entries_avoided']:,.0f}",
                      _money(r["net_savings_total_gbp"]),
                      f"{_money(r['npv_gbp'])} ({_money(r['npv_lo_80'])} to "
                      f"{_money(r['npv_hi_80'])})",
                      _fy(r["payback_year"]) if pd.notna(r["payback_year"])
                      else ("-" if r["invested"] else "nothing invested"))
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
    table = scenarios.tornado(svc.open_workspace(workspace), scenarios.load(file), council,
                              swing=swing, draws=draws)
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
    presets = scenarios.presets()
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
    scenario = scenarios.load(file)
    ws = svc.open_workspace(workspace)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(file).stem
    drawn = charts.result_charts(scenarios.run_scenario(ws, scenario, council, draws=draws))
    drawn["tornado"] = charts.tornado_chart(scenarios.tornado(ws, scenario, council,
                                                              draws=draws))
    for name, svg in drawn.items():
        path = charts.write_svg(svg, out / f"scenario_{stem}_{name}.svg")
        console.print(f"Wrote {path}")

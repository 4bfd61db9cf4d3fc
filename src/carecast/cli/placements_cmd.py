"""``carecast placements``: demand by home and age, the supply register, sufficiency.

A thin shell over :mod:`carecast.service.placements`: it parses options, calls the service
and prints or writes what comes back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from carecast.service import workspace as svc

service = lazy_import("carecast.service.placements")

app = typer.Typer(help="Placement sufficiency: homes needed, homes held, the gap and its cost.",
                  no_args_is_help=True)
CouncilArg = Annotated[str, typer.Argument(help="Council: DfE code (926), ONS code or name.")]
HorizonOpt = Annotated[int | None, typer.Option(help="Years after the last published 31 March "
                                                "(1-10, default 5).")]
DrawsOpt = Annotated[int | None, typer.Option(help="Joint Monte Carlo draws (default 1000).")]
SeedOpt = Annotated[int | None, typer.Option(help="Random seed (same seed, same answer).")]
Ssda903Opt = Annotated[bool, typer.Option(
    "--ssda903", help="Use the workspace's ingested 903 records (record-level model); the "
    "council then labels the result and gives the population.")]


def _interval(row: Any) -> str:
    if pd.isna(row["mean"]):
        return "[dim]c[/]"
    return f"{row['mean']:,.0f} [dim]({row['lo_80']:,.0f}-{row['hi_80']:,.0f})[/]"


def _grid(frame: pd.DataFrame, index: str, labels: dict[str, str], title: str) -> Table:
    periods = sorted(frame["period"].unique())
    table = Table(index.replace("_", " "), *[str(p) for p in periods], title=title)
    for key, rows in frame.groupby(index, sort=False):
        by = rows.set_index("period")
        table.add_row(labels.get(str(key), str(key)), *[_interval(by.loc[p]) for p in periods])
    return table


@app.command("demand")
@friendly_errors
def demand_cmd(
    council: CouncilArg,
    horizon: HorizonOpt = None,
    ssda903: Ssda903Opt = False,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    json: JsonOpt = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write every row to this "
                                             "CSV file.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Children needing each type of home by age band and year, with 80%/95% intervals
    from the forecast's own joint draws (types x ages add up to the forecast total)."""
    from carecast.report.export import write_table

    result = service.demand(svc.open_workspace(workspace), council, horizon=horizon, draws=draws,
                            seed=seed, ssda903=ssda903)
    frame = result.frame
    if csv is not None:
        write_table(frame, csv, title=f"Placement demand, {council}", sources=result.sources)
    if json:
        print_json(result.to_json())
        return
    where = "903 records, record-level model" if result.source == "ssda903" else "public data"
    console.print(f"[bold]Children needing each type of home[/] ({where}): mean "
                  "[dim](80% interval)[/] at 31 March")
    console.print(_grid(frame[frame["age_band"] == "all"], "group", {}, "By type of home"))
    console.print(_grid(frame[frame["group"] == "all"], "age_band", {}, "By age band"))
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
    console.print(f"[dim]{disclosure.rule().note} --json for every type x age cell.[/]")


@app.command("load-supply")
@friendly_errors
def load_supply_cmd(
    file: Annotated[Path, typer.Argument(help="Supply register, .csv or .xlsx (first sheet).")],
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Check, pseudonymise and store the supply register in FILE (all or nothing)."""
    info = service.load_supply(svc.open_workspace(workspace), file)
    if json:
        print_json(info)
        return
    console.print(f"Stored {info['rows']} rows from {info['file']}: {info['foster_households']} "
                  f"foster households, {info['homes']} homes; {info['active']} active with "
                  f"{info['approved_places']} approved places, {info['occupied_places']} "
                  f"filled and {info['vacancies']} vacancies. Carer ids are pseudonymised.")


@app.command("supply")
@friendly_errors
def supply_cmd(json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """The loaded supply register by type, provider and status (small counts hidden)."""
    frame = service.supply_summary(svc.open_workspace(workspace))
    if frame is None:
        raise svc.InputError("no supply register in this workspace: run "
                         "'carecast placements load-supply FILE'")
    if json:
        print_json(frame.astype(object).where(frame.notna(), None).to_dict("records"))
        return
    table = Table(*[c.replace("_", " ") for c in frame.columns], title="Supply register")
    for row in frame.itertuples(index=False):
        table.add_row(*["-" if v is None or (isinstance(v, float) and pd.isna(v)) else
                        f"{v:,.0f}" if isinstance(v, int | float) else str(v) for v in row])
    console.print(table)


@app.command("sufficiency")
@friendly_errors
def sufficiency_cmd(
    council: CouncilArg,
    horizon: HorizonOpt = None,
    ssda903: Ssda903Opt = False,
    register: Annotated[bool, typer.Option(
        "--register/--no-register", help="Use the loaded supply register (default) or the "
        "published own-provision share.")] = True,
    draws: DrawsOpt = None,
    seed: SeedOpt = None,
    json: JsonOpt = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write every table to this "
                                              "Excel file.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Demand against supply by type, age band and year: the gap in places, foster
    households to recruit, the extra cost of the gap and children likely placed out of area."""
    result = service.sufficiency(svc.open_workspace(workspace), council, use_register=register,
                                 horizon=horizon, draws=draws, seed=seed, ssda903=ssda903)
    frames = result.frames()
    if xlsx is not None:
        from carecast.report.export import write_table

        write_table(frames, xlsx, title="Placement sufficiency", sources=[],
                    extra={"Notes": list(result.notes)})
        console.print(f"Wrote {xlsx}")
    if json:
        print_json(result.to_json())
        return
    if xlsx is not None:
        return
    _print_sufficiency(frames, list(result.notes))
    brief = lazy_import("carecast.service.matching").recruitment_brief(
        svc.open_workspace(workspace))
    if brief is not None and not brief.empty:
        from carecast.report.export import publishable

        table = Table("requirement", "value", "children",
                      title="Recruitment brief: homes the waiting children nobody fits need")
        for row in publishable(brief).itertuples(index=False):
            table.add_row(str(row.requirement), str(row.value), str(row.n_children))
        console.print(table)


def _print_sufficiency(frames: dict[str, pd.DataFrame], notes: list[str]) -> None:
    gap = frames["gap"]
    totals = gap[gap["age_band"] == "all"]
    console.print("[bold]Sufficiency[/]: mean [dim](80% interval)[/] at 31 March")
    for group, rows in totals.groupby("group", sort=False):
        console.print(_grid(rows, "measure", {}, f"{group}: demand, in-house places, gap"))
    foster = gap[(gap["group"] == "fostering") & (gap["measure"] == "gap")
                 & (gap["age_band"] != "all")]
    console.print(_grid(foster, "age_band", {}, "Fostering gap by age band"))
    console.print(_grid(frames["recruitment"], "measure", {},
                        "In-house foster households (mainstream)"))
    cost = frames["cost"]
    table = Table("financial year", "extra cost (mean)", "80% interval",
                  title="Extra cost of the gap (England S251 unit costs)")
    for row in cost.itertuples(index=False):
        table.add_row(str(row.period), f"£{row.mean / 1e6:,.2f}m",
                      f"£{row.lo_80 / 1e6:,.2f}m to £{row.hi_80 / 1e6:,.2f}m")
    console.print(table)
    console.print(_grid(frames["out_of_area"], "measure", {},
                        "Children likely placed outside the boundary"))
    summary = frames["summary"].iloc[0]
    console.print(f"To close the fostering gap by {summary['last_year']}: "
                  f"{summary['carers_per_year_to_close']:,.1f} extra in-house households a "
                  "year beyond usual approvals (scenario preset close_fostering_gap).")
    for note in notes:
        console.print(f"[dim]{note}[/]")

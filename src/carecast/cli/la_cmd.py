"""``carecast la``: find councils and show a council's profile."""

from __future__ import annotations

from typing import Annotated, Any

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
from carecast.service import workspace as svc

benchmarking = lazy_import("carecast.service.benchmark")
sections = lazy_import("carecast.service.sections")

app = typer.Typer(help="Councils: list them and show a council's profile.")


def _fmt(value: Any, flag: str | None = None) -> str:
    if value is None:
        return f"[dim]{flag or '-'}[/]"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@app.command("show")
@friendly_errors
def show(
    council: Annotated[str, typer.Argument(help="DfE code (926), ONS code or name.")],
    year: Annotated[
        int | None, typer.Option(help="Year ending 31 March (default: latest).")
    ] = None,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """A council's profile beside England, its region and its statistical neighbours."""
    ws = svc.open_workspace(workspace)
    profile = benchmarking.profile(ws, council, year)
    frames = sections.sections(ws, profile["council"]["code"], year)
    profile["sections"] = sections.as_json(frames)
    cited = [c for frame in frames.values() for c in frame["source"]]
    profile["sources"] = list(dict.fromkeys([*profile["sources"][:-1], *cited,
                                             profile["sources"][-1]]))
    if json:
        print_json(profile)
        return
    c = profile["council"]
    console.print(
        f"[bold]{c['name']}[/] ({c['code']}, {c['ons_code']}), {c['region_name']}: "
        f"year ending 31 March {profile['year']}"
    )
    table = Table(
        "measure",
        "value",
        "England",
        "region",
        "neighbours (mean)",
        "neighbours (median)",
        title="Key figures",
    )
    for info in profile["indicators"].values():
        table.add_row(
            f"{info['label']} [dim]({info['unit']})[/]",
            _fmt(info["value"], info["flag"]),
            _fmt(info["england"]),
            _fmt(info["region"]),
            _fmt(info["neighbours_mean"]),
            _fmt(info["neighbours_median"]),
        )
    console.print(table)
    placements = Table("measure", "year", "value", "England", "region", "neighbours (mean)",
                       title="Placements (percent)")
    for info in profile["placements"].values():
        placements.add_row(f"{info['label']} [dim]({info['unit']})[/]", str(info["year"]),
                           _fmt(info["value"], info["flag"]), _fmt(info["england"]),
                           _fmt(info["region"]), _fmt(info["neighbours_mean"]))
    console.print(placements)
    trend = Table(
        "year",
        "CLA",
        "rate",
        "England",
        "region",
        "neighbours",
        "started",
        "ceased",
        title="Children looked after, rate per 10,000 children",
    )
    for row in profile["trend"]:
        trend.add_row(
            str(row["year"]),
            _fmt(row["cla_at_31_march"]),
            _fmt(row["cla_at_31_march_rate_per_10000"]),
            _fmt(row["england_cla_at_31_march_rate_per_10000"]),
            _fmt(row["region_cla_at_31_march_rate_per_10000"]),
            _fmt(row["neighbours_cla_at_31_march_rate_per_10000"]),
            _fmt(row["cla_started"]),
            _fmt(row["cla_ceased"]),
        )
    console.print(trend)
    for section in profile["sections"].values():
        _print_section(section)
    ofsted, dep, pop = profile["ofsted"], profile["deprivation"], profile["population"]
    if ofsted:
        console.print(
            f"Ofsted (ILACS) overall: [bold]{ofsted['overall']}[/] "
            f"(inspected {ofsted['inspection_date']})"
        )
    console.print(
        f"IMD 2019 rank of average score: {_fmt(dep['imd_rank_of_average_score'])} of "
        f"{dep['councils_ranked']} upper-tier areas in IoD2019 (1 = most deprived)"
    )
    console.print(
        f"Children aged 0-17 (ONS mid-{pop['mid_year']}): {_fmt(pop['pop_0_17_mid_year'])}"
    )
    console.print("Neighbours (DfE/NFER 2025): " + ", ".join(profile["neighbours"]["names"]))
    for note in profile["notes"]:
        console.print(f"[dim]Note: {note}[/]")
    console.print("[dim]Sources: " + " ".join(profile["sources"]) + "[/]")


def _print_section(section: dict[str, Any]) -> None:
    """Workforce, outcomes or assessment factors: each with its period in DfE's terms."""
    table = Table("indicator", "period", "value", "England", "region", "neighbours (mean)",
                  "rank", "band", title=section["title"])
    for row in section["indicators"]:
        value = "suppressed" if row["suppressed"] else _fmt(row["value"])
        if row["filled"]:
            value += " [dim]*[/]"
        rank = f"{row['rank']}/{row['rank_of']}" if row["rank"] is not None else "-"
        table.add_row(row["label"], row["period"], value,
                      _fmt(row["england"]), _fmt(row["region"]), _fmt(row["neighbour_mean"]),
                      rank, _fmt(row["quartile"]))
    console.print(table)
    if any(row["filled"] for row in section["indicators"]):
        console.print("[dim]* carried from another council (see the notes below).[/]")


@app.command("list")
@friendly_errors
def list_councils(json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """List the current councils with their codes and regions."""
    rows = svc.councils()
    if json:
        print_json([c.__dict__ for c in rows])
        return
    table = Table("DfE code", "ONS code", "name", "region", title=f"{len(rows)} councils")
    for c in rows:
        table.add_row(c.code, c.ons_code, c.name, c.region_name)
    console.print(table)

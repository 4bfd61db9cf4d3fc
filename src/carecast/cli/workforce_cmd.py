"""``carecast workforce``: social workers needed at a caseload, and the agency premium."""

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

service = lazy_import("carecast.service.workforce")


def _n(value: Any, digits: int = 0) -> str:
    return "-" if value is None or value != value else f"{value:,.{digits}f}"


@friendly_errors
def workforce(
    council: Annotated[str, typer.Argument(help="DfE code (926), ONS code or name.")],
    caseload: Annotated[float | None, typer.Option(
        help="Target cases per case-holding FTE (default: parameter workforce.target_caseload, "
        "England's average).")] = None,
    agency_rate: Annotated[float | None, typer.Option(
        "--agency-rate", help="Target agency share of social worker FTE, percent (default: "
        "England's).")] = None,
    premium: Annotated[float | None, typer.Option(
        help="Agency minus employed cost, GBP per FTE per week (default: parameter "
        "workforce.agency_premium).")] = None,
    horizon: Annotated[int, typer.Option(help="Years ahead (1-10).")] = 5,
    draws: Annotated[int | None, typer.Option(
        help="Monte Carlo draws (default model.draws).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default model.seed).")] = None,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Social workers a council needs as demand changes, and what a lower agency rate saves."""
    result = service.plan(svc.open_workspace(workspace), council, caseload=caseload,
                          agency_rate=agency_rate, premium=premium, horizon=horizon,
                          draws=draws, seed=seed)
    if json:
        print_json(result.to_json())
        return
    now = result.position.iloc[0]
    console.print(
        f"[bold]{result.council['name']}[/] ({result.council['code']}), {now['period_label']}: "
        f"{_n(now['employed_fte'], 1)} employed and {_n(now['agency_fte'], 1)} agency social "
        f"workers (FTE); {_n(now['cases'])} cases, caseload {_n(now['caseload'], 1)}; "
        f"{_n(now['cases_per_child_in_need'], 2)} cases per child in need; turnover "
        f"{_n(now['turnover_rate_pct'], 1)}%.")
    a = result.assumptions
    table = Table("31 March", "children in need", "of whom looked after", "cases",
                  "case-holding FTE needed (80%)", "all FTE needed (80%)", "gap to now",
                  title=f"Social workers needed at a caseload of {a['target_caseload']:g}")
    def band(r: dict[str, Any], name: str) -> str:
        return (f"{_n(r[name], 1)} ({_n(r[f'{name}_lo_80'], 1)}-"
                f"{_n(r[f'{name}_hi_80'], 1)})")

    for r in result.plan.to_dict(orient="records"):
        table.add_row(str(r["period"]), _n(r["children_in_need"]), _n(r["looked_after"]),
                      _n(r["cases"]), band(r, "case_holding_fte_needed"),
                      band(r, "all_fte_needed"), f"{r['gap_fte']:+,.1f}")
    console.print(table)
    g = result.agency.iloc[0]
    console.print(
        f"Agency: {_n(g['agency_fte'], 1)} FTE ({_n(g['agency_rate_pct'], 1)}%) cost "
        f"GBP {_n(g['premium_now_gbp_per_year'])} a year more than employed staff at GBP "
        f"{_n(g['premium_gbp_per_week'])} a week each. At {_n(g['target_agency_rate_pct'], 1)}% "
        f"agency, {_n(g['agency_fte_converted'], 1)} FTE would be employed instead, saving GBP "
        f"{_n(g['saving_gbp_per_year'])} a year ({a['agency_premium_price_year']} prices).")
    console.print(f"[dim]Premium: {a['agency_premium_source']}[/]", highlight=False)
    console.print(f"[dim]Caseload: {a['target_caseload_source']}[/]", highlight=False)
    for line in result.sources:
        console.print(f"[dim]{line}[/]", highlight=False)

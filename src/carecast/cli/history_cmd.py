"""``carecast history``: what councils have actually achieved, from the public panel."""

from __future__ import annotations

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
from carecast.service import workspace as svc

scenarios = lazy_import("carecast.service.scenarios")

app = typer.Typer(help="History: large falls in children in care, as a check on scenarios.")


def _n(value: object) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:,.0f}"


@app.command("reductions")
@friendly_errors
def reductions(
    threshold: Annotated[float, typer.Option(help="Smallest fall in the rate per 10,000, "
                                             "as a fraction.")] = 0.25,
    window: Annotated[int, typer.Option(help="Most years from high to low.")] = 5,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Councils whose children-looked-after rate fell by at least THRESHOLD within WINDOW
    years, with starts, ceased and CLA spend; Wolverhampton and Ealing checked by name."""
    table, claims = scenarios.history(svc.open_workspace(workspace), threshold, window)
    if json:
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        print_json({"threshold": threshold, "window": window, "councils": records,
                    "claims": claims})
        return
    met = table[table["meets_threshold"]]
    out = Table("council", "years", "rate per 10,000", "fall", "children", "starts",
                "ceased", "CLA spend £k",
                title=f"{len(met)} councils whose rate fell {threshold:.0%}+ within "
                      f"{window} years")
    for _, r in table.iterrows():
        out.add_row(f"{r['name']} ({r['code']})" + ("" if r["meets_threshold"] else " *"),
                    f"{r['start_year']}-{r['end_year']}",
                    f"{r['rate_start']:.0f} -> {r['rate_end']:.0f}", f"{r['fall']:.0%}",
                    f"{_n(r['cla_at_31_march_start'])} -> {_n(r['cla_at_31_march_end'])}",
                    f"{_n(r['cla_started_start'])} -> {_n(r['cla_started_end'])}",
                    f"{_n(r['cla_ceased_start'])} -> {_n(r['cla_ceased_end'])}",
                    f"{_n(r['spend_cla_gbp_thousands_start'])} -> "
                    f"{_n(r['spend_cla_gbp_thousands_end'])}")
    console.print(out)
    for line in claims:
        console.print(line)

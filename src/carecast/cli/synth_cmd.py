"""``carecast synth``: write a realistic synthetic council's SSDA903 returns, or (with
``--supply``) a synthetic supply register of foster households and homes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from carecast.cli.common import WorkspaceOpt, console, friendly_errors, lazy_import
from carecast.service import workspace as svc

records = lazy_import("carecast.service.ssda903")
placements = lazy_import("carecast.service.placements")


@friendly_errors
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the returns into (with "
                                      "--supply: the register file, .csv or .xlsx, or a "
                                      "folder for supply.csv).")],
    children: Annotated[int, typer.Option(help="Children appearing in the returns.")] = 5000,
    years: Annotated[int, typer.Option(help="Number of annual returns.")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same output).")] = 1,
    last_year: Annotated[int, typer.Option(help="Year the last return ends (31 March).")] = 2024,
    fmt: Annotated[str, typer.Option("--format", help="csv or xml.")] = "csv",
    council: Annotated[str | None, typer.Option(help="Calibrate to this council.")] = None,
    uasc: Annotated[bool, typer.Option(
        help="Also write the UASC table for unaccompanied asylum-seeking children.")] = False,
    supply: Annotated[bool, typer.Option(
        "--supply", help="Write a synthetic supply register (foster households and homes) "
        "calibrated to --council instead of 903 returns.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Simulate children's lives in care and write real-format annual returns (or, with
    --supply, a synthetic supply register)."""
    if supply:
        _supply(out, council, seed, workspace)
        return
    if fmt not in ("csv", "xml"):
        raise typer.BadParameter("--format must be csv or xml")
    code = svc.council(council).code if council else None
    syn = records.generate(children=children, years=years, last_year=last_year, seed=seed,
                           council=code)
    written = records.write_returns(syn, out, fmt, uasc=uasc)
    console.print(f"Wrote {len(written)} files to {out}: {syn.episodes['child'].nunique()} "
                  f"children, {len(syn.episodes)} episodes, years ending 31 March "
                  f"{syn.years[0]}-{syn.years[-1]} (targets: {syn.targets.area}).")
    for title, (got, want) in records.synth_shares(syn).items():
        table = Table("group", "generated %", "target %", title=title)
        frame = pd.DataFrame({"got": got, "want": pd.Series(want)}).fillna(0.0) * 100
        for name, row in frame.iterrows():
            table.add_row(str(name), f"{row['got']:.1f}", f"{row['want']:.1f}")
        console.print(table)


def _supply(out: Path, council: str | None, seed: int, workspace: Path | None) -> None:
    if council is None:
        raise svc.InputError("--supply needs --council: the register is calibrated to its "
                             "published placements")
    path = out / "supply.csv" if out.suffix.lower() not in (".csv", ".xlsx") else out
    written, frame = placements.synthetic_supply(svc.open_workspace(workspace), council, path,
                                                 seed=seed)
    active = frame[frame["status"] == "active"]
    fostering = frame["type"].isin(["foster", "kinship"])
    console.print(f"Wrote {written}: {len(frame)} rows ({int(fostering.sum())} foster "
                  f"households, {int((~fostering).sum())} homes), "
                  f"{int(active['approved_places'].sum())} active approved places "
                  f"(synthetic, calibrated to {council}'s published placements).")

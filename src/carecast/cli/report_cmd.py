"""``carecast report``: a council's (or England's) briefing pack as HTML or PDF, or all 153."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from carecast.cli.common import WorkspaceOpt, console, friendly_errors, lazy_import
from carecast.service import workspace as svc
from carecast.service.workspace import InputError

content = lazy_import("carecast.service.report")
packs = lazy_import("carecast.report.pack")
bulk = lazy_import("carecast.report.bulk")

FORMATS = ("html", "pdf")


@friendly_errors
def report(
    council: Annotated[str | None, typer.Argument(
        help="Council (DfE code, ONS code or name), or 'england'.")] = None,
    all_councils: Annotated[bool, typer.Option(
        "--all", help="Every council's pack and England's, into the --out folder.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="html (self-contained) or pdf "
                                     "(printed by Chromium from the same HTML).")] = "pdf",
    out: Annotated[Path | None, typer.Option(
        "--out", help="File to write (a folder with --all).")] = None,
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", help="Scenario file or preset to include (repeatable).")] = None,
    ssda903: Annotated[bool, typer.Option(
        "--ssda903", help="Add the summary of the workspace's ingested 903 returns "
        "(record-level: keep the pack inside the council).")] = False,
    draws: Annotated[int | None, typer.Option(
        help="Monte Carlo draws (default model.draws, as the forecast).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A briefing pack: summary against England, region and neighbours, benchmarks,
    drivers, forecast and its accuracy, spend, scenarios, methods and sources."""
    if fmt not in FORMATS:
        raise InputError(f"--format must be html or pdf, not '{fmt}'")
    if out is None:
        raise InputError("give --out FILE (or --out DIR with --all)")
    if all_councils == (council is not None):
        raise InputError("name one council (or 'england'), or use --all")
    scenarios = list(scenario or [])
    ws = svc.open_workspace(workspace)
    if all_councils:
        if out.exists() and not out.is_dir():
            raise InputError("--out must be a folder with --all", file=str(out))
        if ssda903:
            raise InputError("--ssda903 describes one council's own return; not with --all")
        with Progress(*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("packs", total=bulk.count(ws))
            written = bulk.write_all(ws, out, fmt, scenarios=scenarios, draws=draws,
                                     on_done=lambda: bar.advance(task))
        console.print(f"Wrote {len(written)} packs to {out}")
        return
    if out.suffix.lower() not in packs.suffixes(fmt):
        raise InputError(f"--out must end in {' or '.join(packs.suffixes(fmt))} for "
                         f"--format {fmt}", file=str(out))
    with Progress(console=console, transient=True) as bar:
        bar.add_task("assembling the pack", total=None)
        if council.strip().lower() == "england":
            if scenarios or ssda903:
                raise InputError("England's pack takes no --scenario or --ssda903")
            nat = content.national(ws, draws=draws)
            html = bulk.england(ws, nat)
        else:
            html = packs.council_html(content.council_pack(
                ws, council, scenarios=scenarios, ssda903=ssda903, draws=draws))
        path = packs.write(html, fmt, out)
    console.print(f"Wrote {path}")

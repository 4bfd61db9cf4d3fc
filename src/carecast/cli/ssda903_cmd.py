"""``carecast ssda903``: ingest, validate and summarise record-level SSDA903 returns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

records = lazy_import("carecast.service.ssda903")

app = typer.Typer(help="Record-level SSDA903 (children looked after) returns.",
                  no_args_is_help=True)
FolderArg = Annotated[Path, typer.Argument(help="Folder of annual returns (CSV or XML).")]
SHOW_ROWS = 50


@app.command()
@friendly_errors
def ingest(folder: FolderArg, workspace: WorkspaceOpt = None, json: JsonOpt = False) -> None:
    """Read, check, pseudonymise and store the returns in FOLDER (all or nothing)."""
    result = records.ingest(folder, svc.open_workspace(workspace))
    info = result.summary()
    if json:
        print_json(info)
        return
    for ret in info["returns"]:
        console.print(f"{ret['collection_year']} ({ret['format']}): "
                      + ", ".join(f"{k} {v}" for k, v in ret["rows"].items()))
    console.print(f"Stored {info['episodes']} episodes, {info['periods']} periods of care, "
                  f"{info['children']} children ({info['repaired_episodes']} episodes repaired, "
                  f"{info['open_episodes']} open).")


@app.command()
@friendly_errors
def validate(
    folder: FolderArg,
    workspace: WorkspaceOpt = None,
    json: JsonOpt = False,
    dfe: Annotated[bool, typer.Option("--dfe/--no-dfe", help="Run DfE's rules too.")] = True,
    la: Annotated[str | None, typer.Option(help="Council ONS code for the DfE rules.")] = None,
) -> None:
    """Check the returns in FOLDER; exit 1 when any issue blocks modelling."""
    result = records.validate_folder(folder, svc.open_workspace(workspace), dfe=dfe, la=la)
    if json:
        print_json(result.to_json())
    else:
        _show(result)
    if not result.blocking.empty:
        raise typer.Exit(code=1)


def _show(result: records.Validation) -> None:
    issues = result.issues
    table = Table("severity", "child", "table", "file", "row", "column", "rule", "message")
    for row in issues.head(SHOW_ROWS).itertuples(index=False):
        table.add_row(row.severity, row.child or "", row.table, row.file or "",
                      "" if row.row != row.row or row.row is None else str(int(row.row)),
                      row.column, row.rule, row.message)
    if len(issues):
        console.print(table)
        counts = issues.groupby(["severity", "rule"]).size().sort_values(ascending=False)
        console.print("Issues by rule: " + "; ".join(f"{r} ({s}) {n}" for (s, r), n in
                                                     counts.head(15).items()))
    for note in result.notes:
        console.print(f"Note: {note}")
    blocking = len(result.blocking)
    console.print(f"{blocking} blocking, {len(issues) - blocking} warnings"
                  + (f" (first {SHOW_ROWS} shown; use --json for all)"
                     if len(issues) > SHOW_ROWS else ""))
    if blocking:
        console.print("[red]Modelling is refused until the blocking issues are fixed.[/]")


@app.command("summary")
@friendly_errors
def summary_cmd(workspace: WorkspaceOpt = None, json: JsonOpt = False) -> None:
    """Stock at 31 March by category and age band, starts, and ceased by reason."""
    report = records.summarise(svc.open_workspace(workspace))
    if json:
        years = report.pop("years")
        rule = disclosure.rule()
        print_json({"years": years, "suppressed_below": int(rule.threshold), **report})
        return
    marker = disclosure.rule().marker
    for name in ("stock", "starts", "stock_by_dfe_group", "ceased"):
        rows = report[name]
        if not rows:
            continue
        table = Table(*rows[0].keys(), title=name.replace("_", " "))
        for row in rows:
            table.add_row(*(marker if v is None else str(v) for v in row.values()))
        console.print(table)
    console.print(f"{disclosure.rule().note} Use --json for stock by category and age band.",
                  highlight=False)

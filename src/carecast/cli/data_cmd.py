"""``carecast data``: build the bundled tables, list datasets, add a new DfE release."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from carecast import OGL_ATTRIBUTION
from carecast.cli.common import JsonOpt, WorkspaceOpt, console, friendly_errors, print_json
from carecast.service import data as public_data
from carecast.service import workspace as svc

app = typer.Typer(help="Bundled public data: build it, list it, add new DfE releases.")

DEFAULT_SOURCE = Path("../shared/data/public")


@app.command("build")
@friendly_errors
def build_cmd(
    source: Annotated[
        Path, typer.Option(help="Folder of public source files (shared/data/public).")
    ] = DEFAULT_SOURCE,
    workspace: WorkspaceOpt = None,
) -> None:
    """Rebuild the bundled tables inside the package from the public source files."""
    with console.status("Building bundled tables") as status:
        manifest = public_data.build(source,
                                     progress=lambda step: status.update(f"Building {step}"))
    for name, info in manifest["tables"].items():
        console.print(f"{name}: {info['rows']:,} rows")
    console.print(
        f"Read {len(manifest['sources'])} source files. Workspaces made before this "
        "build keep their copy; delete a workspace's carecast.duckdb to refresh it."
    )


@app.command("list")
@friendly_errors
def list_cmd(json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """List every dataset with its years, unit, source, publisher and licence."""
    frame = public_data.datasets(svc.open_workspace(workspace))
    if json:
        print_json({"datasets": frame.to_dict(orient="records"), "attribution": OGL_ATTRIBUTION})
        return
    table = Table("dataset", "years", "unit", "publisher", "licence", title="Bundled datasets")
    for row in frame.itertuples():
        table.add_row(
            f"[bold]{row.id}[/]\n{row.name}", row.years, row.unit, row.publisher, row.licence
        )
    console.print(table)
    console.print(OGL_ATTRIBUTION)


@app.command("add-release")
@friendly_errors
def add_release_cmd(
    file: Annotated[Path, typer.Argument(help="A DfE Explore Education Statistics CSV file.")],
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a new DfE release file; its years then appear in every command."""
    report = public_data.add_release(svc.open_workspace(workspace), file)
    if json:
        print_json(report.as_dict())
        return
    console.print(
        f"{file}: recognised as [bold]{report.format_id}[/] ({report.dataset}), "
        f"years {report.years[0]}-{report.years[-1]}."
    )
    if not report.changed:
        console.print("No changes: the workspace already holds these figures.")
        return
    if report.years_added:
        console.print(f"New years: {', '.join(map(str, report.years_added))}.")
    if report.years_revised:
        console.print(f"Revised earlier figures in: {', '.join(map(str, report.years_revised))}.")
    console.print(
        f"{report.added:,} values added, {report.revised:,} revised, "
        f"{report.unchanged:,} unchanged"
        + (
            f", {report.superseded:,} older than the figures held (kept the newer)"
            if report.superseded
            else ""
        )
        + "."
    )

"""``carecast match``: referrals, shortlists with reasons, joint proposals, decisions and
the fairness audit. A thin shell over :mod:`carecast.service.matching`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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

service = lazy_import("carecast.service.matching")

app = typer.Typer(help="Match children with foster carers and homes: shortlists with "
                  "reasons, joint proposals, decisions, fairness audit.", no_args_is_help=True)
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a parameter, NAME=VALUE (repeatable), e.g. "
    "placements.matching.max_distance_km=32.")]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="Write every table to this "
                                              "Excel file.")]


def _show(frame: pd.DataFrame, title: str, columns: list[str] | None = None) -> None:
    frame = frame if columns is None else frame[[c for c in columns if c in frame]]
    table = Table(*[c.replace("_", " ") for c in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*["-" if v is None or (isinstance(v, float) and pd.isna(v)) else
                        f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float)
                        else str(v) for v in row])
    console.print(table)


def _xlsx(frames: dict[str, pd.DataFrame], title: str, notes: list[str], path: Path) -> None:
    """Every table as a sheet, counts of children through the one small-number rule."""
    from carecast.report.export import write_table

    if path.suffix.lower() != ".xlsx":
        raise svc.InputError(f"--xlsx takes a .xlsx file, not {path.name}")
    write_table(frames, path, title=title, sources=[], licence=None, extra={"Notes": notes})
    console.print(f"Wrote {path}")


@app.command("load")
@friendly_errors
def load_cmd(
    file: Annotated[Path, typer.Argument(help="Referrals, .csv, .xlsx (first sheet) or .json.")],
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Check, pseudonymise and store the referrals in FILE (all or nothing)."""
    info = service.load_referrals(svc.open_workspace(workspace), file)
    if json:
        print_json(info)
        return
    console.print(f"Stored {info['children']} referrals from {info['file']} "
                  f"({info['sibling_groups']} sibling groups, {info['urgent_today']} needing "
                  "a home today). Children are pseudonymised.")


@app.command("centroids")
@friendly_errors
def centroids_cmd(
    file: Annotated[Path, typer.Argument(help="postcode_district, easting, northing (.csv or "
                                         ".xlsx), e.g. from the ONS Postcode Directory.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Store postcode-district centroids, used where a file gives a district only."""
    rows = service.load_centroids(svc.open_workspace(workspace), file)
    console.print(f"Stored {rows} postcode-district centroids.")


@app.command("synth")
@friendly_errors
def synth_cmd(
    council: Annotated[str, typer.Option(help="Calibrate to this council (code or name).")],
    out: Annotated[Path, typer.Option(help="File to write: .csv, .xlsx or .json.")],
    children: Annotated[int, typer.Option(help="Children to refer.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same file).")] = 1,
) -> None:
    """Write synthetic referrals calibrated to a council's published age, sex, UASC,
    ethnicity and placement-type mix (for demos and tests)."""
    path, frame = service.synthetic_referrals(council, out, children=children, seed=seed)
    console.print(f"Wrote {len(frame)} synthetic referrals to {path}.")


@app.command("child")
@friendly_errors
def child_cmd(
    child: Annotated[str, typer.Argument(help="The child's pseudonym or the council's id.")],
    limit: Annotated[int, typer.Option(help="Homes to list.")] = 10,
    set_: SetOpt = None,
    json: JsonOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """One child's shortlist: eligible homes ranked with every score part and its reason,
    and every constraint that removed a home."""
    result = service.shortlist(svc.open_workspace(workspace), child, limit=limit,
                               overrides=svc.overrides(set_))
    if json:
        print_json(result.to_json())
        return
    facts = result.facts
    console.print(f"[bold]Child {result.child}[/]: aged {facts['age']}, {facts['sex']}, "
                  f"urgency {facts['urgency']}, placed with {facts['siblings_placed_together']}"
                  f" child(ren); {facts['homes_considered']} homes considered.")
    if result.ranked.empty:
        console.print("[bold red]No household or home fits.[/]")
    else:
        parts = [c for c in result.ranked.columns if c.endswith("_points")]
        _show(result.ranked, "Shortlist (points of 100)",
              ["rank", "carer", "type", "provider", "distance_km", "score", *parts])
        top = result.ranked.iloc[0]
        for column in [c for c in result.ranked.columns if c.endswith("_reason")]:
            console.print(f"  {column.removesuffix('_reason')}: "
                          f"{top[column.replace('_reason', '_points')]:.1f} - {top[column]}")
    _show(result.summary, "Homes removed by each constraint")
    if result.profile:
        console.print("[bold]A home that would fit:[/] " + ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in result.profile.items() if v))


@app.command("run")
@friendly_errors
def run_cmd(
    method: Annotated[str, typer.Option(help="best (joint optimum) or greedy (first come, "
                                        "first served).")] = "best",
    set_: SetOpt = None,
    json: JsonOpt = False,
    xlsx: XlsxOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Propose a home for every waiting child at once (nothing is placed: a worker
    decides), list who is left and why, and the recruitment brief."""
    result = service.run(svc.open_workspace(workspace), method=method,
                         overrides=svc.overrides(set_))
    if xlsx is not None:
        _xlsx({"proposals": result.proposals, "unmatched": result.unmatched,
               "recruitment_brief": result.brief}, "Matching proposals",
              [f"{k}: {v}" for k, v in result.summary.items()], xlsx)
    if json:
        print_json(result.to_json())
        return
    if xlsx is not None:
        return
    s = result.summary
    console.print(f"[bold]{s['matched']} of {s['children']} children[/] have a proposal "
                  f"(mean score {s['mean_score']}, mean distance {s['mean_distance_km']} km); "
                  f"{s['no_eligible_home']} have no eligible home.")
    _show(result.proposals, "Proposals", ["child", "sibling_group", "carer", "type",
                                          "distance_km", "score", "eligible_homes"])
    if not result.brief.empty:
        from carecast.report.export import publishable
        _show(publishable(result.brief), "Recruitment brief: homes nobody had")


@app.command("compare")
@friendly_errors
def compare_cmd(set_: SetOpt = None, json: JsonOpt = False,
                workspace: WorkspaceOpt = None) -> None:
    """The best joint assignment beside the first-come baseline on the same data."""
    frame = service.compare(svc.open_workspace(workspace), overrides=svc.overrides(set_))
    if json:
        print_json(frame.astype(object).where(frame.notna(), None).to_dict("records"))
        return
    _show(frame, "Joint assignment against first come, first served")


@app.command("audit")
@friendly_errors
def audit_cmd(
    as_of: Annotated[str | None, typer.Option(help="Count days waiting to this date "
                                              "(default: the day referrals were loaded).")]
    = None,
    set_: SetOpt = None,
    json: JsonOpt = False,
    xlsx: XlsxOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fairness audit by ethnicity, sex, disability and age band, on the current run and on
    stored decisions; gaps beyond the stated threshold are flagged (counts under 5 hidden)."""
    from carecast.report.export import publishable

    result = service.audit(svc.open_workspace(workspace), as_of=as_of,
                           overrides=svc.overrides(set_))
    tables = {"current_run": result.current}
    if result.decided is not None:
        tables["decisions"] = result.decided
    if xlsx is not None:
        _xlsx(tables, "Matching fairness audit", list(result.notes), xlsx)
    if json:
        print_json({"as_of": result.as_of, "notes": list(result.notes), **{
            k: publishable(f).astype(object).where(f.notna(), None).to_dict("records")
            for k, f in tables.items()}})
        return
    for name, frame in tables.items():
        _show(publishable(frame), f"Audit: {name.replace('_', ' ')}",
              [c for c in frame.columns if not c.startswith("p_") and not c.endswith("ratio")])
    flagged = result.flagged()
    console.print("[bold]Flagged:[/] " + ("none" if flagged.empty else "; ".join(
        f"{r.on}: {r.characteristic} {r.group} ({r.flags})" for r in flagged.itertuples())))
    for note in result.notes:
        console.print(f"[dim]{note}[/]")


@app.command("decide")
@friendly_errors
def decide_cmd(
    child: Annotated[str, typer.Argument(help="The child's pseudonym or the council's id.")],
    carer: Annotated[str, typer.Argument(help="The household's or home's pseudonym.")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept or reject the "
                                         "proposal.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    by: Annotated[str, typer.Option("--by", help="The worker deciding.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Record a worker's decision on a proposed match (stored in the workspace)."""
    row: dict[str, Any] = service.decide(
        svc.open_workspace(workspace), child=child, carer=carer,
        decision="accept" if accept else "reject", reason=reason, worker=by)
    console.print(f"Recorded: {row['worker']} {row['decision']}ed {row['carer']} for "
                  f"{row['child']}.")


@app.command("decisions")
@friendly_errors
def decisions_cmd(json: JsonOpt = False, workspace: WorkspaceOpt = None) -> None:
    """Every decision recorded, oldest first."""
    frame = service.decision_log(svc.open_workspace(workspace))
    if json:
        print_json(frame.astype(str).to_dict("records"))
        return
    _show(frame.astype(str), "Decisions")

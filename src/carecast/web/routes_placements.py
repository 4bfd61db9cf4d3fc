"""The signed-in sufficiency page: the workspace's supply register (upload it, see it
summarised), the gap against a council's demand, and every table as a download.

Numbers come from :mod:`carecast.service.placements`, the functions ``carecast placements``
calls, with the same suppression of small numbers. Viewers see and download; analysts
upload. Every view, download and upload is audited; these paths are private (no-store).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from carecast import disclosure
from carecast.service import matching
from carecast.service import placements as service
from carecast.service.workspace import InputError, Workspace, WorkspaceBusy
from carecast.service.workspace import council as find_council
from carecast.web import accounts
from carecast.web.accounts import Account
from carecast.web.routes_public import Format
from carecast.web.routes_ssda903 import _too_large, load_one
from carecast.web.security import check_csrf, require
from carecast.web.tables import Column, Table
from carecast.web.views import cached, download, render, upload_page

router = APIRouter(include_in_schema=False)
VIEWER = require("viewer")
ANALYST = require("analyst")
PATH = "/records/placements"
SUFFIXES = (".csv", ".xlsx")
SOURCE = ("carecast.placements: this workspace's supply register (carers pseudonymised) "
          "against the council's forecast demand")
STAT_KEYS = ("mean", "lo_80", "hi_80", "lo_95", "hi_95")
STATS = [Column("mean", "Mean", "count"), Column("lo_80", "80% lower", "count"),
         Column("hi_80", "80% upper", "count"), Column("lo_95", "95% lower", "count"),
         Column("hi_95", "95% upper", "count")]


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows; a suppressed row's numbers are the disclosure marker, the rest rounded."""
    out = frame.round(1).astype(object).where(frame.notna(), None)
    if "suppressed" in out:
        hidden = frame["suppressed"].to_numpy(bool)
        for key in STAT_KEYS:
            if key in out:
                out.loc[hidden, key] = disclosure.rule().marker
        out = out.drop(columns="suppressed")
    return out.to_dict("records")


def _tables(result: Any, supply: pd.DataFrame | None) -> list[Table]:
    """The page's tables: supply, gap by type and age, recruitment, cost, out of area."""
    frames = result.frames()
    tables = [] if supply is None else [_supply_table(supply)]
    gap = frames["gap"]
    tables.append(Table(
        "gap", "Demand, in-house places and the gap by type of home, age band and year "
        "(31 March)",
        [Column("group", "Type of home"), Column("age_band", "Age band"),
         Column("period", "Year"), Column("measure", "Measure"), *STATS],
        _rows(gap.drop(columns=["la_code"])), SOURCE, licence=None))
    tables.append(Table(
        "recruitment", "In-house mainstream foster households: projected, needed, to recruit, "
        "leavers and usual approvals",
        [Column("period", "Year"), Column("measure", "Measure"), *STATS],
        _rows(frames["recruitment"].drop(columns=["la_code"])), SOURCE,
        licence=None))
    money = [Column(c.key, c.label, "money") for c in STATS]
    tables.append(Table(
        "cost", "Extra cost of the gap at England S251 weekly unit costs",
        [Column("period", "Financial year"), *money],
        _rows(frames["cost"].drop(columns=["la_code", "measure"])), SOURCE, licence=None))
    tables.append(Table(
        "out-of-area", "Children likely to be placed outside the council's boundary",
        [Column("period", "Year"), *STATS],
        _rows(frames["out_of_area"].drop(columns=["la_code", "measure"])),
        SOURCE, licence=None))
    return tables


def _register_version(root: Path) -> str:
    """When the register, referrals and decisions last changed ('' if never): a new load
    recomputes the page."""
    with Workspace.open(root).snapshot() as ws:
        return ";".join(str(ws.query(f"SELECT max({c}) AS at FROM {t}")["at"].iloc[0])
                        if ws.has_table(t) else "" for t, c in (
                            ("placements_supply_loads", "loaded_at"),
                            ("placements_referral_loads", "loaded_at"),
                            ("placements_match_decisions", "decided_at")))


def _compute(root: Path, code: str) -> dict[str, Any]:
    with Workspace.open(root).snapshot() as ws:  # the register and the gap from one state
        supply = service.supply_summary(ws)
        result = service.sufficiency(ws, code)
        brief = matching.recruitment_brief(ws)
    summary = result.summary().iloc[0].to_dict()
    tables = _tables(result, supply)
    if brief is not None:
        tables.append(Table(
            "recruitment-brief", "Recruitment brief: what the homes for the waiting children "
            "nobody fits must offer (from the matching engine)",
            [Column("requirement", "Requirement"), Column("value", "Value"),
             Column("n_children", "Children", "count")],
            disclosure.mark(brief, ["n_children"]).to_dict("records"), SOURCE, licence=None))
    return {"supply": supply, "result": result, "summary": summary,
            "notes": list(result.notes), "tables": tables}


@router.get(PATH)
async def sufficiency_page(
    request: Request,
    council: str | None = None,
    format: Format = None,  # noqa: A002 - the query parameter's public name
    table: str | None = None,
    account: Account = VIEWER,
) -> Response:
    db = request.app.state.db
    root = request.app.state.settings.workspace
    page: dict[str, Any] = {"title": "Placement sufficiency", "council": None, "tables": [],
                            "councils": request.app.state.data.councils}
    if council:
        try:
            found = find_council(council)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        key = ("sufficiency", found.code, _register_version(root))
        page.update(council=found, **await cached(
            request, key, lambda: _compute(root, found.code)))
    else:
        supply = service.supply_summary(Workspace.open(root))
        page["supply_tables"] = [] if supply is None else [_supply_table(supply)]
    if format:
        if not page["tables"]:
            raise HTTPException(404, "Choose a council first.")
        response = download(page, table, format, f"sufficiency-{page['council'].code}")
        accounts.audit(db, account.username, "download", PATH, f"table={table} format={format}")
        return response
    accounts.audit(db, account.username, "view", PATH, f"council={council or ''}")
    return render(request, "placements.html", page)


def _supply_table(supply: pd.DataFrame) -> Table:
    return Table(
        "supply", "Supply register by type, provider and status",
        [Column("type", "Type"), Column("group", "Group"), Column("provider", "Provider"),
         Column("status", "Status"), Column("n_rows", "Households or homes", "count"),
         Column("approved_places", "Approved places", "count"),
         Column("occupied_places", "Filled", "count"),
         Column("vacancies", "Vacancies", "count"),
         Column("mean_weekly_cost_gbp", "Mean weekly cost", "money")],
        _rows(supply), SOURCE, licence=None)


def _form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return upload_page(request, "placements_upload.html", "Upload a supply register", error,
                       status_code)


@router.get(f"{PATH}/upload")
def upload_form(request: Request, account: Account = ANALYST) -> Response:
    accounts.audit(request.app.state.db, account.username, "view", f"{PATH}/upload")
    return _form(request)


def load_upload(upload: UploadFile, root: Path) -> dict[str, Any]:
    """The upload loaded as ``carecast placements load-supply`` loads a file."""
    return load_one(upload, SUFFIXES, "upload a .csv or .xlsx register",
                    lambda path: service.load_supply(Workspace.open(root), path))


@router.post(f"{PATH}/upload")
async def upload(request: Request, account: Account = ANALYST) -> Response:
    db = request.app.state.db
    too_large = _too_large(request)
    if too_large:
        accounts.audit(db, account.username, "supply-refused", PATH, "too large")
        return _form(request, too_large, status_code=413)
    await check_csrf(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form(request, "Select a register file.", status_code=400)
    try:
        info = await run_in_threadpool(load_upload, upload, request.app.state.settings.workspace)
    except WorkspaceBusy as exc:
        accounts.audit(db, account.username, "supply-refused", PATH, "workspace busy")
        return _form(request, str(exc), status_code=409)
    except InputError as exc:
        accounts.audit(db, account.username, "supply-refused", PATH, "invalid file")
        return _form(request, str(exc), status_code=400)
    accounts.audit(db, account.username, "supply-load", PATH, f"rows={info['rows']}")
    return RedirectResponse(PATH, status_code=303)

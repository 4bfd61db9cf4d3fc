"""Signed-in matching pages (analyst and above): upload referrals, see every waiting
child's proposal, one child's shortlist with every score part and reason and the homes
each constraint removed, and record the worker's decision with a reason.

Numbers come from :mod:`carecast.service.matching`, the functions ``carecast match`` calls.
Children and carers appear only as the workspace's pseudonyms; only the audit and the
recruitment brief (counts, small ones suppressed) can be downloaded. Every view, upload and
decision is written to the audit log; these paths are private (no-store).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from carecast import disclosure
from carecast.service import matching as service
from carecast.service.workspace import InputError, Workspace, WorkspaceBusy
from carecast.web import accounts
from carecast.web.accounts import Account
from carecast.web.routes_public import Format
from carecast.web.routes_ssda903 import _too_large, load_one
from carecast.web.security import check_csrf, require
from carecast.web.tables import Column, Table
from carecast.web.views import download, render, upload_page

router = APIRouter(include_in_schema=False)
ANALYST = require("analyst")
PATH = "/records/matching"
SUFFIXES = (".csv", ".xlsx", ".json")
SOURCE = "carecast.match on this workspace's referrals and supply register"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _count_table(name: str, caption: str, frame: pd.DataFrame) -> Table:
    """A downloadable table of counts (no identifiers); the download hides counts 1-4."""
    kinds = {c: "count" if c.startswith("n_") else "number"
             if pd.api.types.is_float_dtype(frame[c]) else "text" for c in frame.columns}
    counts = [c for c, k in kinds.items() if k == "count"]
    return Table(name, caption, [Column(c, c.replace("_", " ").capitalize(), kinds[c])
                                 for c in frame.columns if not c.startswith("p_")],
                 _records(disclosure.mark(frame.round(3), counts)), SOURCE, licence=None)


def _overview(root: Path) -> dict[str, Any]:
    with Workspace.open(root).snapshot() as ws:
        result = service.run(ws)
        compared = service.compare(ws)
        checked = service.audit(ws)
        made = service.decision_log(ws)
    tables = [_count_table("brief", "Recruitment brief: what the homes nobody had must offer",
                           result.brief),
              _count_table("audit", "Fairness audit of the current run", checked.current)]
    if checked.decided is not None:
        tables.append(_count_table("audit-decisions", "Fairness audit of stored decisions",
                                   checked.decided))
    return {"summary": result.summary, "proposals": _records(result.proposals),
            "unmatched": _records(result.unmatched), "compare": _records(compared),
            "flagged": _records(checked.flagged()), "notes": list(checked.notes),
            "decisions": _records(made.astype(str)), "tables": tables}


@router.get(PATH)
async def matching_page(request: Request, format: Format = None,  # noqa: A002
                        table: str | None = None, account: Account = ANALYST) -> Response:
    db = request.app.state.db
    root = request.app.state.settings.workspace
    page: dict[str, Any] = {"title": "Matching children with homes", "tables": []}
    try:
        page.update(await run_in_threadpool(_overview, root))
    except InputError as exc:
        page["missing"] = str(exc)
    if format:
        response = download(page, table, format, "matching")
        accounts.audit(db, account.username, "download", PATH, f"table={table} format={format}")
        return response
    accounts.audit(db, account.username, "view", PATH)
    return render(request, "matching.html", page)


def _child_page(root: Path, child: str) -> dict[str, Any]:
    with Workspace.open(root).snapshot() as ws:
        result = service.shortlist(ws, child, limit=20)
    parts = [c.removesuffix("_points") for c in result.ranked.columns
             if c.endswith("_points")]
    return {"child": result.child, "facts": result.facts, "parts": parts,
            "ranked": _records(result.ranked), "excluded": _records(result.excluded.head(50)),
            "n_excluded": len(result.excluded), "removed": _records(result.summary),
            "profile": result.profile}


@router.get(PATH + "/child/{child}")
async def child_page(request: Request, child: str, account: Account = ANALYST) -> Response:
    root = request.app.state.settings.workspace
    try:
        page = await run_in_threadpool(_child_page, root, child)
    except InputError as exc:
        raise HTTPException(404, str(exc)) from None
    accounts.audit(request.app.state.db, account.username, "view", f"{PATH}/child",
                   f"child={page['child']}")
    return render(request, "matching_child.html", {"title": "Shortlist", **page})


@router.post(PATH + "/decision", dependencies=[Depends(check_csrf)])
async def decision(
    request: Request,
    child: Annotated[str, Form()],
    carer: Annotated[str, Form()],
    choice: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    account: Account = ANALYST,
) -> Response:
    db = request.app.state.db
    root = request.app.state.settings.workspace
    try:
        row = await run_in_threadpool(lambda: service.decide(
            Workspace.open(root), child=child, carer=carer, decision=choice, reason=reason,
            worker=account.username))
    except WorkspaceBusy as exc:
        raise HTTPException(409, str(exc)) from None
    except InputError as exc:
        page = await run_in_threadpool(_child_page, root, child)
        return render(request, "matching_child.html", {"title": "Shortlist", **page,
                                                       "error": str(exc)}, status_code=400)
    accounts.audit(db, account.username, f"match-{row['decision']}", PATH,
                   f"child={row['child']} carer={row['carer']}")
    return RedirectResponse(f"{PATH}/child/{row['child']}?decided=1", status_code=303)


def _form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return upload_page(request, "matching_upload.html", "Upload referrals", error,
                       status_code)


@router.get(PATH + "/upload")
def upload_form(request: Request, account: Account = ANALYST) -> Response:
    accounts.audit(request.app.state.db, account.username, "view", f"{PATH}/upload")
    return _form(request)


def load_upload(upload: UploadFile, root: Path) -> dict[str, Any]:
    """The upload loaded as ``carecast match load`` loads a file."""
    return load_one(upload, SUFFIXES, "upload a .csv, .xlsx or .json referral file",
                    lambda path: service.load_referrals(Workspace.open(root), path))


@router.post(PATH + "/upload")
async def upload(request: Request, account: Account = ANALYST) -> Response:
    db = request.app.state.db
    too_large = _too_large(request)
    if too_large:
        accounts.audit(db, account.username, "referrals-refused", PATH, "too large")
        return _form(request, too_large, status_code=413)
    await check_csrf(request)
    form = await request.form()
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return _form(request, "Select a referral file.", status_code=400)
    try:
        info = await run_in_threadpool(load_upload, upload_file,
                                       request.app.state.settings.workspace)
    except WorkspaceBusy as exc:
        accounts.audit(db, account.username, "referrals-refused", PATH, "workspace busy")
        return _form(request, str(exc), status_code=409)
    except InputError as exc:
        accounts.audit(db, account.username, "referrals-refused", PATH, "invalid file")
        return _form(request, str(exc), status_code=400)
    accounts.audit(db, account.username, "referrals-load", PATH, f"rows={info['children']}")
    return RedirectResponse(PATH, status_code=303)

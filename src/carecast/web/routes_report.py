"""Briefing packs from the web app: every council page links its PDF pack (public data,
no sign-in), and signed-in users can download the record-level pack, which adds the
summary of the workspace's ingested SSDA903 returns (audited, never cached).

The packs are :mod:`carecast.report.pack`'s, built from the same service functions as the
pages (:mod:`carecast.service.report`), so the PDF shows the page's numbers. The national
figures are computed once per app, on the first pack asked for.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from carecast.report import bulk, pack
from carecast.service import report as content
from carecast.service.workspace import InputError, Workspace
from carecast.web import accounts
from carecast.web.accounts import Account
from carecast.web.security import require
from carecast.web.views import cached, data

router = APIRouter(include_in_schema=False)
RECORDS_PATH = "/records/report.pdf"
_national_lock = threading.Lock()


def _national(request: Request) -> content.National:
    state = request.app.state
    with _national_lock:
        if getattr(state, "national", None) is None:
            with Workspace.open(state.settings.workspace).snapshot() as ws:
                state.national = content.national(ws)
        return state.national


def _pdf(body: bytes, name: str) -> Response:
    return Response(body, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/council/{code}/report.pdf")
async def council_report(request: Request, code: str) -> Response:
    """The council's briefing pack (public data) as a PDF, made once per app."""
    council = data(request).by_code.get(code)
    if council is None:
        raise HTTPException(404, f"No current council has the DfE code {code!r}.")

    def build() -> bytes:
        nat = _national(request)
        with Workspace.open(request.app.state.settings.workspace).snapshot() as ws:
            built = content.council_pack(ws, code, nat=nat)
        return pack.render_pdf(pack.council_html(built))

    body = await cached(request, ("report-pdf", code), build)
    return _pdf(body, bulk.file_name(code, council.name, "pdf"))


@router.get(RECORDS_PATH)
def records_report(request: Request, council: str = "926",
                   account: Account = require("viewer")) -> Response:
    """The record-level pack: the council's pack plus its ingested SSDA903 summary."""
    found = data(request).by_code.get(council)
    if found is None:
        raise HTTPException(404, f"No current council has the DfE code {council!r}.")
    nat = _national(request)
    try:
        with Workspace.open(request.app.state.settings.workspace).snapshot() as ws:
            built = content.council_pack(ws, council, ssda903=True, nat=nat)
    except InputError as exc:
        raise HTTPException(404, str(exc)) from None
    accounts.audit(request.app.state.db, account.username, "download", RECORDS_PATH,
                   f"council={council}")
    return _pdf(pack.render_pdf(pack.council_html(built)),
                bulk.file_name(council, found.name, "pdf").replace(".pdf", "-records.pdf"))

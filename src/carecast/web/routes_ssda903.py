"""Record-level SSDA903 pages: the summary of the ingested returns (viewer and above) and
the upload form (analyst and above).

The numbers come from the functions ``carecast ssda903 summary`` and ``ingest`` call, so the
page, its downloads and the CLI always agree, with the same suppression of counts of 1-4.
Every view, download and ingest is audited; nothing here goes through the public page
cache, and the security middleware marks these responses ``Cache-Control: no-store``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from carecast import disclosure
from carecast.service import ssda903 as records
from carecast.service.workspace import InputError, Workspace, WorkspaceBusy
from carecast.web import accounts, ingest_job
from carecast.web.accounts import Account
from carecast.web.routes_public import Format
from carecast.web.security import check_csrf, require
from carecast.web.tables import Column, Table
from carecast.web.views import download, render, upload_page

T = TypeVar("T")
router = APIRouter(include_in_schema=False)
VIEWER = require("viewer")
ANALYST = require("analyst")
PATH = "/records/ssda903"
MB = 1024 * 1024
CHUNK = 1024 * 1024
SUFFIXES = (".csv", ".xml")
SOURCE = "SSDA903 returns ingested into this workspace (children pseudonymised)"
UPLOAD_FOLDER = "web-upload"
MAX_FILES = 200
MAX_PART = 100
"""Longest file or folder name in an upload (file systems allow 255 bytes)."""
MAX_DEPTH = 4


def _root(request: Request) -> Path:
    return request.app.state.settings.workspace


def _when(value: Any) -> str:
    """When the last ingest ran, as the page shows it (stored in UTC)."""
    return "" if value is None or pd.isna(value) else f"{value:%d %B %Y %H:%M} UTC"


def _report(root: Path) -> dict[str, Any] | None:
    """What ``carecast ssda903 summary --json`` prints, or None when nothing is ingested.

    Read from one snapshot, so an ingest finishing meanwhile cannot mix two states."""
    with Workspace.open(root).snapshot() as ws:
        if not ws.has_table("ssda903_episodes"):
            return None
        report = records.summarise(ws)
        returns = ws.query("SELECT collection_year, format FROM ssda903_returns ORDER BY ALL")
        last = ws.query("SELECT max(ingested_at) AS at FROM ssda903_ingests")["at"].iloc[0]
    years = report.pop("years")
    return {"years": years, "returns": returns.to_dict(orient="records"),
            "ingested_at": _when(last), **report}


def _count(record: dict[str, Any]) -> int | str:
    return disclosure.rule().marker if record["count"] is None else int(record["count"])


def _financial(year: int) -> str:
    return f"{year - 1}-{str(year)[2:]}"


def _by_year(name: str, caption: str, keys: list[Column], records: list[dict[str, Any]],
             years: list[int], label: Callable[[int], str],
             order: Callable[[tuple], Any] = lambda key: key) -> Table:
    """Records of (keys..., year, count) as one row per key with a column per year; a key
    absent in a year had no children (0)."""
    grid: dict[tuple, dict[str, Any]] = {}
    for record in records:
        key = tuple(record[c.key] for c in keys)
        row = grid.setdefault(key, {c.key: record[c.key] for c in keys})
        row[f"y{record['year']}"] = _count(record)
    rows = [{**{f"y{y}": 0 for y in years}, **grid[key]} for key in sorted(grid, key=order)]
    columns = keys + [Column(f"y{y}", label(y), "count") for y in years]
    return Table(name, caption, columns, rows, SOURCE, licence=None)


def tables(report: dict[str, Any]) -> list[Table]:
    """The summary's tables, already suppressed by :func:`carecast.service.ssda903.summarise`."""
    years: list[int] = report["years"]
    stock = {r["year"]: _count(r) for r in report["stock"]}
    starts = {r["year"]: _count(r) for r in report["starts"]}
    overview = Table(
        "overview", "Children looked after at 31 March and starts during each year",
        [Column("year", "Year (April to March)"),
         Column("stock", "Looked after at 31 March", "count"),
         Column("starts", "Started to be looked after", "count")],
        [{"year": _financial(y), "stock": stock.get(y, 0), "starts": starts.get(y, 0)}
         for y in years],
        SOURCE,
        licence=None,
    )
    at_31_march = "31 March {}".format
    bands = records.age_bands()
    return [
        overview,
        _by_year("placement-group", "Looked after at 31 March by DfE placement group",
                 [Column("dfe_group", "Placement group")], report["stock_by_dfe_group"],
                 years, at_31_march),
        _by_year("category-age", "Looked after at 31 March by placement category and age band",
                 [Column("category", "Placement category"), Column("age_band", "Age band")],
                 report["stock_by_category"], years, at_31_march,
                 order=lambda key: (key[0], bands.index(key[1]) if key[1] in bands else 99)),
        _by_year("ceased", "Episodes ceased during the year by DfE reason group",
                 [Column("reason", "Reason ceased")], report["ceased"], years, _financial),
    ]


@router.get(PATH)
def ssda903_summary(
    request: Request,
    format: Format = None,  # noqa: A002 - the query parameter's public name
    table: str | None = None,
    account: Account = VIEWER,
) -> Response:
    db = request.app.state.db
    report = _report(_root(request))
    page = {"title": "Children looked after (SSDA903)", "report": report,
            "tables": tables(report) if report else []}
    if format:
        if report is None:
            raise HTTPException(404, "No SSDA903 returns have been ingested yet.")
        response = download(page, table, format, "ssda903")
        accounts.audit(db, account.username, "download", PATH, f"table={table} format={format}")
        return response
    accounts.audit(db, account.username, "view", PATH)
    return render(request, "ssda903.html", page)


def _form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return upload_page(request, "ssda903_upload.html", "Upload SSDA903 returns", error,
                       status_code)


@router.get(f"{PATH}/upload")
def upload_form(request: Request, account: Account = ANALYST) -> Response:
    accounts.audit(request.app.state.db, account.username, "view", f"{PATH}/upload")
    return _form(request)


def _too_large(request: Request) -> str | None:
    """Judge the size from Content-Length before any of the body is read (the server
    refuses a body longer than it declares)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "Send the files from the upload form.")
    limit = request.app.state.settings.max_upload_mb
    if int(length) > limit * MB:
        return (f"The files are {int(length) / MB:,.1f} MB in total, over the {limit} MB "
                "limit. Upload fewer returns at a time.")
    return None


def safe_name(filename: str) -> str:
    """The client's file name (with any sub-folders it sent) made safe to write under the
    upload folder: no absolute paths, '..', hidden parts or odd characters."""
    parts = [re.sub(r"[^A-Za-z0-9._ -]", "_", p).lstrip(". ") for p in
             re.split(r"[\\/]", filename)]
    return "/".join(p for p in parts if p)


def load_one(upload: UploadFile, suffixes: tuple[str, ...], refusal: str,
             load: Callable[[Path], T]) -> T:
    """Save one uploaded file under its safe name in a temporary folder and ``load`` it (the
    CLI's loader, all or nothing); messages name the file, never the folder."""
    name = Path(safe_name(upload.filename or "")).name
    if not name.lower().endswith(suffixes):
        raise InputError(refusal, file=name or "(file)")
    with tempfile.TemporaryDirectory(prefix="carecast-upload-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, CHUNK)
        try:
            return load(path)
        except WorkspaceBusy:
            raise
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), name)) from None


def _shown(name: str) -> str:
    return name if len(name) <= 60 else f"{name[:30]}...{name[-20:]}"


def upload_names(uploads: list[UploadFile]) -> list[str]:
    """Safe names for the uploads, refusing any set that cannot be written as one folder:
    other types, over-long names or folders, and names that clash (ignoring case) with
    each other or with another file's folder (``x.csv`` and ``x.csv/y.csv``)."""
    if len(uploads) > MAX_FILES:
        raise InputError(f"{len(uploads)} files is more than {MAX_FILES} in one upload")
    names = [safe_name(u.filename or "") for u in uploads]
    files: set[str] = set()
    folders: dict[str, str] = {}
    for name in names:
        parts = name.split("/")
        if not name.lower().endswith(SUFFIXES):
            raise InputError("only .csv and .xml files can be uploaded",
                             file=_shown(name) or "(file)")
        if len(parts) > MAX_DEPTH + 1 or max(len(p) for p in parts) > MAX_PART:
            raise InputError(f"file or folder name over {MAX_PART} characters (or more than "
                             f"{MAX_DEPTH} folders deep); rename it", file=_shown(name))
        key = name.lower()
        if key in files:
            raise InputError("two files have this name; put each year's year in its file "
                             "names (2024-episodes.csv) or upload one return at a time",
                             file=_shown(name))
        files.add(key)
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]).lower(), name)
    for name in names:
        if name.lower() in folders:
            raise InputError(f"this name is both a file and the folder of "
                             f"{_shown(folders[name.lower()])}", file=_shown(name))
    return names


def save_uploads(uploads: list[UploadFile], folder: Path) -> int:
    """Write the uploaded files into ``folder`` in chunks; raises InputError on unusable
    names before anything is written."""
    for upload, name in zip(uploads, upload_names(uploads), strict=True):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, CHUNK)
    return len(uploads)


async def ingest_uploads(uploads: list[UploadFile], root: Path) -> int:
    """Save the uploads to a temporary folder and ingest them as ``carecast ssda903 ingest``
    does (all or nothing, in a child process); returns the number of files. Messages never
    show the folder."""
    with tempfile.TemporaryDirectory(prefix="carecast-upload-") as tmp:
        folder = Path(tmp) / UPLOAD_FOLDER
        folder.mkdir()
        try:
            save_uploads(uploads, folder)
            for upload in uploads:
                await upload.close()  # its spooled copy is no longer needed
            return await ingest_job.run(folder, root)
        except InputError as exc:
            hide = str(folder)
            raise type(exc)(exc.message.replace(hide, "the upload"),
                            file=exc.file and exc.file.replace(hide, "the upload"),
                            row=exc.row, column=exc.column) from None


@router.post(f"{PATH}/upload")
async def upload(request: Request, account: Account = ANALYST) -> Response:
    db = request.app.state.db
    too_large = _too_large(request)
    if too_large:
        accounts.audit(db, account.username, "ingest-refused", PATH, "too large")
        return _form(request, too_large, status_code=413)
    form = await request.form(max_files=MAX_FILES + 1, max_fields=10)
    await check_csrf(request)
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not uploads:
        return _form(request, "Select one or more return files.", status_code=400)
    try:
        count = await ingest_uploads(uploads, _root(request))
    except WorkspaceBusy as exc:
        accounts.audit(db, account.username, "ingest-refused", PATH, "workspace busy")
        return _form(request, str(exc), status_code=409)
    except InputError as exc:
        accounts.audit(db, account.username, "ingest-refused", PATH, f"files={len(uploads)}")
        return _form(request, str(exc), status_code=400)
    except RuntimeError:  # the ingest process died (e.g. out of memory): nothing changed
        accounts.audit(db, account.username, "ingest-failed", PATH, f"files={len(uploads)}")
        return _form(request, "The ingest stopped before it finished, so nothing was changed. "
                     "Try again; if it fails again, run 'carecast ssda903 ingest' on the files "
                     "to see why.", status_code=500)
    accounts.audit(db, account.username, "ingest", PATH, f"files={count}")
    return RedirectResponse(PATH, status_code=303)

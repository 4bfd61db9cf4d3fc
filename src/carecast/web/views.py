"""Helpers shared by the route modules: rendering, downloads and the per-app page cache."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from carecast.report.export import MEDIA
from carecast.web.cache import Key, PageCache
from carecast.web.public import PublicData
from carecast.web.security import csrf_token, current_account
from carecast.web.tables import Table

T = TypeVar("T")
Query = dict[str, Any]
ERROR_TITLES = {
    403: "You cannot see this page",
    404: "Page not found",
    405: "Page not found",
    409: "The workspace is busy",
    413: "File too large",
    422: "Check the address",
    429: "Too many attempts",
}
DOWNLOADS = ("csv", "xlsx")


def error_title(status: int) -> str:
    return ERROR_TITLES.get(status, "Sorry, there is a problem with the service")


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in account; the CSRF token is made only if a form asks."""
    templates: Jinja2Templates = request.app.state.templates
    full = {"account": current_account(request), "csrf_token": lambda: csrf_token(request),
            **context}
    return templates.TemplateResponse(request, template, full, status_code=status_code)


async def render_public(
    request: Request, template: str, context: dict[str, Any], key: Key, query: Query
) -> Response:
    """A public page. For visitors who are not signed in it is rendered and compressed once
    per ``key`` (the page's validated parameters, so extra query parameters neither make
    new entries nor show up in its links), since it then depends on nothing else."""
    if current_account(request) is not None:
        return await run_in_threadpool(render, request, template, context)
    canonical = Request({**request.scope, "query_string": urlencode(query, doseq=True).encode()})

    def build() -> tuple[bytes, bytes]:
        html = _html(canonical, template, context).encode()
        return html, gzip.compress(html, compresslevel=6, mtime=0)

    html, packed = await cached(request, ("html", *key), build)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/html; charset=utf-8",
                        headers={"content-encoding": "gzip", "vary": "Accept-Encoding"})
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"vary": "Accept-Encoding"})


def _html(request: Request, template: str, context: dict[str, Any]) -> str:
    templates: Jinja2Templates = request.app.state.templates
    return templates.env.get_template(template).render(
        {"request": request, "account": None, "csrf_token": lambda: csrf_token(request),
         **context}
    )


def upload_page(request: Request, template: str, title: str, error: str | None = None,
                status_code: int = 200) -> Response:
    """An upload form (a record-level page), with the size limit and any refusal shown."""
    context = {"title": title, "error": error,
               "max_mb": request.app.state.settings.max_upload_mb}
    return render(request, template, context, status_code=status_code)


def data(request: Request) -> PublicData:
    return request.app.state.data


async def cached(request: Request, key: Key, build: Callable[[], T]) -> T:
    """A value built once per app and key (public data never changes while it runs)."""
    cache: PageCache = request.app.state.cache
    return await cache.get(key, build)


def download(page: dict[str, Any], table_name: str | None, fmt: str, stem: str) -> Response:
    """One of the page's tables as CSV or XLSX."""
    if fmt not in DOWNLOADS:
        raise HTTPException(404, f"Unknown format {fmt!r}; use csv or xlsx.")
    tables: list[Table] = page["tables"]
    table = next((t for t in tables if t.name == table_name), None)
    if table is None:
        raise HTTPException(404, f"No table {table_name!r} on this page.")
    body = table.download(fmt)
    filename = f"carecast-{stem}-{table.name}.{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"content-disposition": f'attachment; filename="{filename}"'})

"""Helpers shared by the route modules: rendering, downloads and the per-app page cache."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from carecast.report.export import MEDIA
from carecast.web.public import PublicData
from carecast.web.security import csrf_token, current_account
from carecast.web.tables import Table

T = TypeVar("T")
ERROR_TITLES = {
    403: "You cannot see this page",
    404: "Page not found",
    405: "Page not found",
    413: "File too large",
    429: "Too many attempts",
}
CACHE_LIMIT = 2000
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


def render_public(request: Request, template: str, context: dict[str, Any]) -> Response:
    """A public page; for visitors who are not signed in it is rendered and compressed once
    per URL, since it then depends on nothing else (this keeps pages fast under load)."""
    if current_account(request) is not None:
        return render(request, template, context)

    def build() -> tuple[bytes, bytes]:
        html = _html(request, template, context).encode()
        return html, gzip.compress(html, compresslevel=6, mtime=0)

    html, packed = remember(request, ("html", str(request.url)), build)
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


def data(request: Request) -> PublicData:
    return request.app.state.data


def remember(request: Request, key: Hashable, build: Callable[[], T]) -> T:
    """A value built once per app and key (public data never changes while it runs)."""
    cache: dict[Hashable, Any] = request.app.state.cache
    if key not in cache:
        if len(cache) >= CACHE_LIMIT:
            cache.pop(next(iter(cache)))
        cache[key] = build()
    return cache[key]


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

"""Public pages: aggregate data only, no sign-in. Each page's tables download with ?format=."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from carecast.web import pages
from carecast.web.views import data, download, remember, render, render_public

router = APIRouter(include_in_schema=False)
Format = Annotated[str | None, Query(pattern="^(csv|xlsx)$")]


def _page_or_file(
    request: Request, template: str, page: dict, fmt: str | None, table: str | None, stem: str
) -> Response:
    if fmt:
        return download(page, table, fmt, stem)
    return render_public(request, template, page)


@router.get("/")
async def home(
    request: Request,
    indicator: str | None = None,
    year: int | None = None,
    format: Format = None,  # noqa: A002 - the query parameter's public name
    table: str | None = None,
) -> Response:
    page = remember(request, ("home", indicator, year),
                  lambda: pages.home(data(request), indicator, year))
    return _page_or_file(request, "home.html", page, format, table, "map")


@router.get("/council/{code}")
async def council(
    request: Request, code: str, format: Format = None, table: str | None = None  # noqa: A002
) -> Response:
    if code not in data(request).by_code:
        raise HTTPException(404, f"No current council has the DfE code {code!r}.")
    page = remember(request, ("council", code), lambda: pages.council(data(request), code))
    return _page_or_file(request, "council.html", page, format, table, f"council-{code}")


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    found = data(request).search(q)
    if len(found) == 1:
        return RedirectResponse(f"/council/{found[0].code}", status_code=303)
    return render(request, "search.html", {"title": "Find a council", "q": q, "found": found})


@router.get("/compare")
async def compare(
    request: Request,
    councils: Annotated[list[str] | None, Query()] = None,
    indicator: str | None = None,
    format: Format = None,  # noqa: A002
    table: str | None = None,
) -> Response:
    codes = tuple(c for c in (councils or []) if c)
    page = remember(request, ("compare", codes, indicator),
                  lambda: pages.compare(data(request), list(codes), indicator))
    return _page_or_file(request, "compare.html", page, format, table, "compare")


@router.get("/sources")
async def sources(request: Request, format: Format = None, table: str | None = None) -> Response:  # noqa: A002
    page = remember(request, ("sources",), lambda: pages.sources(data(request)))
    return _page_or_file(request, "sources.html", page, format, table, "sources")

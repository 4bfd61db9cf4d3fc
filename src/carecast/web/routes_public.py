"""Public pages: aggregate data only, no sign-in. Each page's tables download with ?format=.

Built pages come from the app's page cache (``web.cache``): built off the event loop, once
per validated set of parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from carecast.web import pages
from carecast.web.page_workers import Build
from carecast.web.query import FormCouncils, Indicator, Year, council_codes
from carecast.web.views import cached, data, download, render, render_public

router = APIRouter(include_in_schema=False)
Format = Annotated[str | None, Query(pattern="^(csv|xlsx)$")]
Table = Annotated[str | None, Query(max_length=100)]


async def _page_or_file(
    request: Request, template: str, key: tuple, query: dict[str, Any],
    build: Build, fmt: str | None, table: str | None, stem: str,
) -> Response:
    page = await cached(request, key, build)
    if fmt:
        return download(page, table, fmt, stem)
    return await render_public(request, template, page, key, query)


@router.get("/")
async def home(
    request: Request,
    indicator: Indicator = None,
    year: Year = None,
    format: Format = None,  # noqa: A002 - the query parameter's public name
    table: Table = None,
) -> Response:
    # The year chooser may still hold a year the newly chosen indicator lacks: the page
    # then shows the indicator's latest year (the API refuses such a year instead).
    chosen, chosen_year = pages.choose(data(request), indicator, year)
    return await _page_or_file(
        request, "home.html", ("home", chosen.id, chosen_year),
        {"indicator": chosen.id, "year": chosen_year},
        Build("home", (chosen.id, chosen_year)), format, table, "map")


@router.get("/council/{code}")
async def council(
    request: Request, code: str, format: Format = None, table: Table = None  # noqa: A002
) -> Response:
    if code not in data(request).by_code:
        raise HTTPException(404, f"No current council has the DfE code {code!r}.")
    return await _page_or_file(
        request, "council.html", ("council", code), {},
        Build("council", (code,)), format, table, f"council-{code}")


@router.get("/search")
def search(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    found = data(request).search(q)
    if len(found) == 1:
        return RedirectResponse(f"/council/{found[0].code}", status_code=303)
    return render(request, "search.html", {"title": "Find a council", "q": q, "found": found})


@router.get("/compare")
async def compare(
    request: Request,
    councils: FormCouncils = None,
    indicator: Indicator = None,
    format: Format = None,  # noqa: A002
    table: Table = None,
) -> Response:
    codes = council_codes(councils)
    chosen = indicator or pages.DEFAULT_INDICATOR
    return await _page_or_file(
        request, "compare.html", ("compare", codes, chosen),
        {"councils": list(codes), "indicator": chosen},
        Build("compare", (list(codes), chosen)), format, table, "compare")


@router.get("/sources")
async def sources(request: Request, format: Format = None, table: Table = None) -> Response:  # noqa: A002
    return await _page_or_file(
        request, "sources.html", ("sources",), {},
        Build("sources"), format, table, "sources")

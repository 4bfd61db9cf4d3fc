"""The JSON API under /api/: the same builders as the pages, so numbers always agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel

from carecast.web import pages
from carecast.web.accounts import Account
from carecast.web.page_workers import Build
from carecast.web.query import Councils, Indicator, Year, council_codes, year_for
from carecast.web.security import require
from carecast.web.views import cached, data


class ErrorOut(BaseModel):
    detail: str


router = APIRouter(prefix="/api", tags=["api"])
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such council."}}
SIGNED_OUT = {401: {"model": ErrorOut, "description": "Not signed in."}}


class CouncilOut(BaseModel):
    code: str
    name: str
    ons_code: str
    region_code: str
    region_name: str


class IndicatorOut(BaseModel):
    id: str
    label: str
    unit: str
    kind: str
    years: list[int]
    period: str
    """How a year is written: at_31_march, year_to_31_march, at_30_september..."""
    section: str
    """Council-page group: "" (benchmarking), workforce, outcomes or assessment."""


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str


class TableOut(BaseModel):
    name: str
    caption: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    source: str
    licence: str


class MapOut(BaseModel):
    indicator: str
    year: int
    england: float | None
    values: dict[str, float]
    tables: list[TableOut]


class CouncilPageOut(BaseModel):
    council: CouncilOut
    profile: list[tuple[str, str]]
    tables: list[TableOut]


class PageOut(BaseModel):
    title: str
    tables: list[TableOut]


def _council(c: Any) -> CouncilOut:
    return CouncilOut(code=c.code, name=c.name, ons_code=c.ons_code, region_code=c.region_code,
                      region_name=c.region_name)


def _tables(page: dict[str, Any]) -> list[TableOut]:
    return [TableOut.model_validate(t.as_json()) for t in page["tables"]]


async def _json(request: Request, key: tuple, make: Callable[[], BaseModel | list]) -> Response:
    """The response body built (and validated by its model) once per key, like the pages:
    public data does not change while the app runs."""

    def build() -> bytes:
        made = make()
        if isinstance(made, list):
            return b"[" + b",".join(m.model_dump_json().encode() for m in made) + b"]"
        return made.model_dump_json().encode()

    return Response(await cached(request, ("json", *key), build),
                    media_type="application/json")


@router.get("/councils", response_model=list[CouncilOut])
async def councils(request: Request) -> Response:
    """Current councils with their DfE and ONS codes and region."""
    return await _json(request, ("councils",),
                       lambda: [_council(c) for c in data(request).councils])


@router.get("/indicators", response_model=list[IndicatorOut])
def indicators(request: Request) -> list[IndicatorOut]:
    """Indicators the map can show, with the years each has data for."""
    d = data(request)
    return [IndicatorOut(id=i.id, label=i.label, unit=i.unit, kind=i.kind, years=d.years(i.id),
                         period=i.period, section=i.section)
            for i in d.indicators.values()]


@router.get("/map", response_model=MapOut, responses={
    404: {"model": ErrorOut, "description": "The indicator has no data for that year."}})
async def map_values(request: Request, indicator: Indicator = None, year: Year = None) -> MapOut:
    """Each council's value of one indicator in one year (the home page's map and table)."""
    year = year_for(request, indicator, year)
    chosen, chosen_year = pages.choose(data(request), indicator, year)
    page = await cached(request, ("home", chosen.id, chosen_year),
                        Build("home", (chosen.id, chosen_year)))
    return MapOut(indicator=chosen.id, year=chosen_year, england=page["england"],
                  values=data(request).la_values(chosen.id, chosen_year), tables=_tables(page))


@router.get("/councils/{code}", response_model=CouncilPageOut, responses=NOT_FOUND)
async def council(request: Request, code: str) -> Response:
    """A council's profile and every table on its page."""
    if code not in data(request).by_code:
        raise HTTPException(404, f"No current council has the DfE code {code!r}.")
    page = await cached(request, ("council", code), Build("council", (code,)))
    return await _json(request, ("council", code), lambda: CouncilPageOut(
        council=_council(page["council"]), profile=page["profile"], tables=_tables(page)))


@router.get("/compare", response_model=PageOut)
async def compare(
    request: Request, councils: Councils = None, indicator: Indicator = None
) -> PageOut:
    """Several councils (DfE codes, up to six) on one indicator over time."""
    codes = council_codes(councils)
    chosen = indicator or pages.DEFAULT_INDICATOR
    page = await cached(request, ("compare", codes, chosen),
                        Build("compare", (list(codes), chosen)))
    return PageOut(title=page["title"], tables=_tables(page))


@router.get("/sources", response_model=PageOut)
async def sources(request: Request) -> PageOut:
    """The public source files behind the bundled data, with licence attribution."""
    page = await cached(request, ("sources",), Build("sources"))
    return PageOut(title=page["title"], tables=_tables(page))


@router.get("/records/me", responses=SIGNED_OUT)
def me(account: Account = require("viewer")) -> dict[str, str]:
    """Who is signed in (record-level API routes answer 401 without a session)."""
    return {"username": account.username, "role": account.role}

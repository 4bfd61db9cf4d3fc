"""The public pages' and API's query parameters, validated strictly and named once.

Indicators and councils are closed sets (the indicator registry, the current councils in
the bundled data), so they are enums in the OpenAPI schema and anything else is a 422.
Years are integers written as digits (``0.0`` and ``2024.0`` are refused, 422); a year the
indicator has no data for is a 404. Parameters a route does not declare are ignored, and
cache keys are built from these validated values only, so they cannot grow the cache.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request
from pydantic import BeforeValidator, Field

from carecast.service import workspace as svc
from carecast.service.benchmark import indicators
from carecast.web.pages import DEFAULT_INDICATOR

MAX_COMPARE = 6
FIRST_YEAR, LAST_YEAR = 1990, 2100
_INDICATORS = tuple(indicators.registry())
_COUNCILS = tuple(c.code for c in svc.councils(current_only=True))
IndicatorId = Literal[_INDICATORS]  # type: ignore[valid-type]
CouncilCode = Literal[_COUNCILS]  # type: ignore[valid-type]


def _digits(value: Any) -> Any:
    """Query strings arrive as text: only plain digits are a year (pydantic would read
    ``0.0`` as 0)."""
    if isinstance(value, str) and not value.isdigit():
        raise ValueError("a year is written as four digits, e.g. 2024")
    return value


Indicator = Annotated[
    IndicatorId | None,
    Query(description="Indicator id (GET /api/indicators lists them); default cla_rate."),
]
Year = Annotated[
    Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)] | None,
    BeforeValidator(_digits),
    Query(description="Year ending 31 March; default the latest with data (404 for a year "
          "the indicator has no data for)."),
]
Councils = Annotated[
    list[CouncilCode] | None,
    Query(max_length=MAX_COMPARE, description=f"DfE council codes, up to {MAX_COMPARE}."),
]
# The compare page's form sends its unused council boxes empty: blanks are ignored there.
FormCouncils = Annotated[
    list[CouncilCode | Literal[""]] | None,
    Query(max_length=MAX_COMPARE,
          description=f"DfE council codes, up to {MAX_COMPARE} (empty values are ignored)."),
]


def year_for(request: Request, indicator: str | None, year: int | None) -> int | None:
    """``year`` when the indicator has data for it; else a 404 naming the years it has (a
    well-formed year the data lacks is a missing resource, not a malformed request)."""
    if year is None:
        return None
    chosen = indicator or DEFAULT_INDICATOR
    years = request.app.state.data.years(chosen)
    if year not in years:
        have = f"{years[0]} to {years[-1]}" if years else "none"
        raise HTTPException(404, f"{chosen} has no data for {year} (years with data: {have})")
    return year


def council_codes(chosen: list[str] | None) -> tuple[str, ...]:
    """The chosen councils without blanks and repeats, in the order given."""
    return tuple(dict.fromkeys(c for c in (chosen or []) if c))


"""The public pages' and API's query parameters, validated strictly and named once.

Indicators and councils are closed sets (the indicator registry, the current councils in
the bundled data), so they are enums in the OpenAPI schema and anything else is a 422.
Years are integers written as digits (``0.0`` and ``2024.0`` are refused) and must be a
year the indicator has data for. Parameters a route does not declare are ignored, and
cache keys are built from these validated values only, so they cannot grow the cache.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator

from carecast.benchmark import indicators
from carecast.data import councils
from carecast.web.pages import DEFAULT_INDICATOR

MAX_COMPARE = 6
_INDICATORS = tuple(indicators.registry())
_COUNCILS = tuple(c.code for c in councils.all_councils(current_only=True))
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
    int | None,
    BeforeValidator(_digits),
    Query(ge=1990, le=2100, description="Year ending 31 March; default the latest with data."),
]
Councils = Annotated[
    list[CouncilCode | Literal[""]] | None,
    Query(max_length=MAX_COMPARE,
          description=f"DfE council codes, up to {MAX_COMPARE} (empty values are ignored)."),
]


def refuse(field: str, value: Any, message: str) -> RequestValidationError:
    """A 422 in FastAPI's own shape (the schema's HTTPValidationError) for one parameter."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


def year_for(request: Request, indicator: str | None, year: int | None) -> int | None:
    """``year`` when the indicator has data for it; else a 422 listing the years it has."""
    if year is None:
        return None
    data = request.app.state.data
    years = data.years(indicator or DEFAULT_INDICATOR)
    if year not in years:
        raise refuse("year", year, f"no data for {year}; years with data: "
                     f"{years[0]}-{years[-1]}" if years else "no years with data")
    return year


def council_codes(chosen: list[str] | None) -> tuple[str, ...]:
    """The chosen councils without blanks and repeats, in the order given."""
    return tuple(dict.fromkeys(c for c in (chosen or []) if c))


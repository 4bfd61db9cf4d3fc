"""How a year is written in the publisher's terms (``parameters/data/periods.yaml``).

carecast keys every figure by one integer year, but the year means different things:
children looked after are counted at 31 March, social workers at 30 September, spend by
financial year. This is the one place that turns (period type, year) into words, so the
CLI, the web pages and the API all say "at 30 September 2024" for a workforce count.
"""

from __future__ import annotations

from functools import cache

from carecast import params

DEFAULT = "year_to_31_march"


@cache
def _templates() -> dict[str, str]:
    return dict(params.value("data.periods"))


def kinds() -> list[str]:
    return sorted(_templates())


def label(period: str, year: int | None) -> str:
    """E.g. ``label("at_30_september", 2024)`` -> "at 30 September 2024"."""
    templates = _templates()
    if period not in templates:
        raise LookupError(f"no period type {period!r}; known: {', '.join(sorted(templates))}")
    if year is None:
        return ""
    return templates[period].format(year=year, previous=year - 1, short=str(year)[-2:])

"""England weekly unit costs by placement category and year, grown after the last published year.

``costs.unit_costs`` holds DfE LAIT's S251 weekly unit costs (all CLA, fostering,
residential, adoption) in cash prices of each financial year; ``costs.category_costs``
says which one prices each placement category. After the last published year each S251
cost grows by its ``costs.inflation`` rate under the assumption named by
``costs.inflation_assumption`` (low, central, high): an assumption every output shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carecast import params


@dataclass(frozen=True)
class Growth:
    """The unit cost growth assumption in force: its name and yearly rate per S251 cost."""

    name: str
    rates: dict[str, float]

    def describe(self) -> str:
        shown = ", ".join(f"{k} {v:.1%}" for k, v in sorted(self.rates.items()))
        return (f"unit costs grow after {last_published_year() - 1}-"
                f"{str(last_published_year())[-2:]} by the '{self.name}' assumption "
                f"(costs.inflation: {shown} a year)")


def growth(name: str | None = None) -> Growth:
    """The growth assumption ``name`` (default ``costs.inflation_assumption``). A number in
    place of the mapping (a user's or scenario's override) applies to every unit cost."""
    name = str(params.value("costs.inflation_assumption")) if name is None else name
    table = params.value("costs.inflation")
    keys = params.value("costs.unit_costs").keys()
    if isinstance(table, int | float):
        return Growth(name, {k: float(table) for k in keys})
    if name not in table:
        raise KeyError(f"costs.inflation has no assumption {name!r}; use {', '.join(table)}")
    chosen = table[name]
    if isinstance(chosen, int | float):
        return Growth(name, {k: float(chosen) for k in keys})
    return Growth(name, {k: float(chosen[k]) for k in keys})


def last_published_year() -> int:
    """The last financial year (ending 31 March) with published England unit costs."""
    return params.get("costs.unit_costs").values[-1].start.year + 1


def s251_key(category: str) -> str:
    """The S251 unit cost that prices a placement category (or an S251 key itself)."""
    mapping = params.value("costs.category_costs")
    key = mapping.get(category, category)
    if key not in params.value("costs.unit_costs"):
        raise KeyError(f"no unit cost for placement category {category!r}")
    return str(key)


def england_weekly(category: str, year: int, assumption: Growth | None = None) -> float:
    """England weekly unit cost (GBP, cash) of ``category`` in the financial year ending
    ``year``: the published S251 figure in force, grown after the last published year."""
    key = s251_key(category)
    last = last_published_year()
    published = float(params.value("costs.unit_costs", dt.date(min(year, last) - 1, 4, 1))[key])
    g = (assumption or growth()).rates[key]
    return published * (1 + g) ** max(0, year - last)


def england_source(category: str, year: int, assumption: Growth | None = None) -> str:
    key = s251_key(category)
    last = last_published_year()
    table = params.get("costs.unit_costs")
    text = f"England S251 {key}: {table.source(dt.date(min(year, last) - 1, 4, 1))}"
    if year > last:
        text += f"; {(assumption or growth()).describe()}"
    return text

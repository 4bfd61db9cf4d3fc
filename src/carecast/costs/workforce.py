"""Workforce planning arithmetic: social workers needed at a caseload, and agency costs.

- Cases follow children: each council's published cases per child in need at its latest
  workforce count (cases at 30 September / children in need at the 31 March before) times
  the children in need forecast, split as children in need who are not looked after (the
  children in need model) plus children looked after (the council forecast).
- Case-holding FTE needed = cases / target caseload (``workforce.target_caseload``); all
  social workers needed = that / the council's share of social workers who hold cases.
- Agency premium = agency FTE x (agency - employed weekly cost, ``workforce.agency_premium``)
  x weeks a year; a lower agency rate converts agency FTE to employed FTE at that premium.

Everything is arrays over (draws, councils, years) or (councils,), so one call covers every
council and draw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from carecast import params
from carecast.costs import calendar
from carecast.data import store
from carecast.data.councils import ENGLAND
from carecast.data.workspace import Workspace

MEASURES = {"employed_fte": "sw_fte", "agency_fte": "sw_agency_fte",
            "leavers_fte": "sw_leavers_fte", "case_holders_fte": "sw_case_holders_fte",
            "cases": "sw_cases"}


def premium_gbp_per_week() -> float:
    return float(params.value("workforce.agency_premium"))


def target_caseload() -> float:
    return float(params.value("workforce.target_caseload"))


def weeks_per_year() -> float:
    return calendar.weeks_per_year()


def premium_path_gbp_per_year(years: np.ndarray, premium: float | None = None) -> np.ndarray:
    """The agency premium a year per FTE in each financial year ending ``years``, in cash:
    the parameter's price year grown (or discounted) by the GDP deflator (costs.gdp_deflator),
    so it is constant in real terms."""
    premium = premium_gbp_per_week() if premium is None else premium
    price_year = str(params.get("workforce.agency_premium").metadata["price_year"])
    base = int(price_year[:4]) + 1   # "2025-26" -> the year ending March 2026
    out = []
    for year in np.asarray(years, int):
        lo, hi = sorted((base, int(year)))
        steps = [float(params.value("costs.gdp_deflator", dt.date(y - 1, 4, 1)))
                 for y in range(lo + 1, hi + 1)]
        factor = float(np.prod([1 + g for g in steps])) if steps else 1.0
        out.append(premium * weeks_per_year() * (factor if year >= base else 1 / factor))
    return np.array(out)


@dataclass(frozen=True)
class Position:
    """Each council's published workforce at one 30 September count (arrays by council)."""

    codes: np.ndarray
    year: int
    employed_fte: np.ndarray
    agency_fte: np.ndarray
    leavers_fte: np.ndarray
    case_holders_fte: np.ndarray
    cases: np.ndarray
    children_in_need: np.ndarray     # at the 31 March before the count
    england_agency_rate: float       # fractions
    england_turnover_rate: float

    @property
    def total_fte(self) -> np.ndarray:
        return self.employed_fte + self.agency_fte

    @property
    def agency_rate(self) -> np.ndarray:
        return self.agency_fte / np.where(self.total_fte > 0, self.total_fte, np.nan)

    @property
    def turnover_rate(self) -> np.ndarray:
        return self.leavers_fte / np.where(self.employed_fte > 0, self.employed_fte, np.nan)

    @property
    def cases_per_child(self) -> np.ndarray:
        return self.cases / np.where(self.children_in_need > 0, self.children_in_need, np.nan)

    @property
    def case_holding_share(self) -> np.ndarray:
        return self.case_holders_fte / np.where(self.total_fte > 0, self.total_fte, np.nan)


def load_position(ws: Workspace, codes: np.ndarray, year: int | None = None) -> Position:
    """The workforce of ``codes`` at 30 September ``year`` (default: the latest count)."""
    panel = store.la_panel(ws)
    values = panel.values
    years = values["sw_fte"].dropna().index.get_level_values(1)
    year = int(years.max()) if year is None else int(year)
    if year not in set(years):
        raise LookupError(f"no workforce count at 30 September {year}; published: "
                          f"{int(years.min())}-{int(years.max())}")
    at = values.xs(year, level=1).reindex(codes)
    cin_year = min(year, int(values["cin_at_31_march"].dropna().index.get_level_values(1).max()))
    cin = values.xs(cin_year, level=1)["cin_at_31_march"].reindex(codes).to_numpy(float)
    england = store.area_panel(ws, "england")
    return Position(
        codes=np.asarray(codes), year=year,
        **{k: at[m].to_numpy(float) for k, m in MEASURES.items()},
        children_in_need=cin,
        england_agency_rate=(england.value(ENGLAND, year, "sw_agency_rate_pct") or np.nan) / 100,
        england_turnover_rate=(england.value(ENGLAND, year, "sw_turnover_rate_pct")
                               or np.nan) / 100,
    )


def social_workers_needed(position: Position, children: np.ndarray, caseload: float
                          ) -> dict[str, np.ndarray]:
    """Cases, case-holding FTE and all social workers (FTE) needed for ``children`` in need
    (draws, councils, years) at ``caseload`` cases per case-holding FTE."""
    if caseload <= 0:
        raise ValueError("the target caseload must be positive")
    cases = children * position.cases_per_child[None, :, None]
    holders = cases / caseload
    return {"cases": cases, "case_holding_fte": holders,
            "all_fte": holders / position.case_holding_share[None, :, None]}


def agency_fte_converted(position: Position, target_rate: np.ndarray | float) -> np.ndarray:
    """Agency FTE that would become employed FTE at ``target_rate`` (a fraction of all social
    worker FTE), per council; never negative (a council already below keeps its agency use)."""
    target = np.broadcast_to(np.asarray(target_rate, float), position.codes.shape)
    return np.clip(position.agency_fte - target * position.total_fte, 0, None)


def agency_premium_gbp_per_year(agency_fte: np.ndarray,
                                premium: float | None = None) -> np.ndarray:
    """What ``agency_fte`` costs a year over employed social workers (GBP, the premium's
    price year)."""
    premium = premium_gbp_per_week() if premium is None else premium
    return np.asarray(agency_fte, float) * premium * weeks_per_year()


def leavers_avoided(position: Position, target_rate: np.ndarray | float) -> np.ndarray:
    """Leavers (FTE a year) fewer at a turnover rate of ``target_rate`` (fraction), >= 0."""
    target = np.broadcast_to(np.asarray(target_rate, float), position.codes.shape)
    return np.clip(position.leavers_fte - target * position.employed_fte, 0, None)

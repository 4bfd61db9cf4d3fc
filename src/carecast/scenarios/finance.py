"""Appraisal: net savings, payback and net present value of a scenario against its baseline.

All functions work on arrays whose last axis is financial years (ending 31 March) and whose
leading axes, if any, are Monte Carlo draws, so one call appraises every draw.

- net savings_t = baseline spend_t - scenario spend_t - investment_t (cash);
- the appraisal runs from its base year (the first year the scenario changes anything,
  never before the year containing ``as_of``) to the horizon; earlier years are projected
  but not appraised;
- payback year = the first appraised year in which cumulative net savings are >= 0; it
  exists only when something is invested (with no investment there is nothing to pay back);
- NPV, as the HM Treasury Green Book asks: cash net savings turned into real prices of the
  base year by the GDP deflator (``costs.gdp_deflator``), discounted at the real rate
  ``scenarios.discount_rate`` (3.5%) with t = 0 in the base year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from carecast import params


def discount_rate(when: dt.date) -> float:
    """The Green Book real discount rate in force on ``when``."""
    return float(params.value("scenarios.discount_rate", when))


def deflator_index(years: np.ndarray, base_year: int) -> np.ndarray:
    """GDP deflator per financial year, 1 in ``base_year``, from each year's assumed growth."""
    growth = np.array([float(params.value("costs.gdp_deflator", dt.date(int(y) - 1, 4, 1)))
                       for y in years])
    level = np.cumprod(1 + growth)
    return level / level[list(years).index(base_year)]


def payback_year(cumulative: np.ndarray, years: np.ndarray, invested: bool) -> np.ndarray:
    """First year with cumulative >= 0 (NaN if none, or if nothing was invested).

    ``cumulative`` may carry leading draw axes; the result has those axes.
    """
    cumulative = np.asarray(cumulative, float)
    ok = cumulative >= 0
    first = np.argmax(ok, axis=-1)
    found = ok.any(axis=-1) & invested
    return np.where(found, np.asarray(years)[first], np.nan).astype(float)


@dataclass(frozen=True)
class Appraisal:
    """Savings of a scenario against its baseline over the appraised years (last axis)."""

    years: np.ndarray
    base_year: int
    baseline_gbp: np.ndarray
    scenario_gbp: np.ndarray
    investment_gbp: np.ndarray
    net_savings_gbp: np.ndarray
    cumulative_gbp: np.ndarray
    npv_gbp: np.ndarray
    payback_year: np.ndarray
    invested: bool
    discount_rate: float


def base_year(years: np.ndarray, starts: list[dt.date], as_of: dt.date | None) -> int:
    """The appraisal's base year: the year of the earliest start, not before ``as_of``'s
    year nor the first projected year, and not after the last."""
    def ending(day: dt.date) -> int:
        return day.year + 1 if day.month >= 4 else day.year

    first = min((ending(d) for d in starts), default=int(years[0]))
    if as_of is not None:
        first = max(first, ending(as_of))
    return int(min(max(first, int(years[0])), int(years[-1])))


def appraise(years: np.ndarray, base: int, baseline_gbp: np.ndarray, scenario_gbp: np.ndarray,
             investment_gbp: np.ndarray, rate: float | None = None) -> Appraisal:
    """Net savings, cumulative savings, payback year and NPV from ``base`` on."""
    years = np.asarray(years)
    keep = years >= base
    rate = discount_rate(dt.date(base - 1, 4, 1)) if rate is None else float(rate)
    investment = np.asarray(investment_gbp, float)[..., keep]
    net = (np.asarray(baseline_gbp, float)[..., keep]
           - np.asarray(scenario_gbp, float)[..., keep] - investment)
    cumulative = np.cumsum(net, axis=-1)
    real = net / deflator_index(years[keep], base)
    npv = (real / (1 + rate) ** np.arange(keep.sum())).sum(axis=-1)
    invested = bool((investment > 0).any())
    return Appraisal(
        years=years[keep], base_year=base,
        baseline_gbp=np.asarray(baseline_gbp, float)[..., keep],
        scenario_gbp=np.asarray(scenario_gbp, float)[..., keep], investment_gbp=investment,
        net_savings_gbp=net, cumulative_gbp=cumulative, npv_gbp=npv,
        payback_year=payback_year(cumulative, years[keep], invested), invested=invested,
        discount_rate=rate,
    )

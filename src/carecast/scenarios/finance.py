"""Money: bed-weeks times weekly unit cost, investment, net savings, payback and NPV.

All functions work on arrays whose last axis is financial years (ending 31 March) and whose
leading axes, if any, are Monte Carlo draws, so one call appraises every draw.

- bed-weeks in financial year t = mean of children at 31 March t-1 and t x weeks a year
  (52.18 = 365.25 / 7), per placement category;
- spend_t = sum over categories of bed-weeks x weekly unit cost x price index_t;
- net savings_t = baseline spend_t - scenario spend_t - investment_t;
- payback year = the first year, from the first year with investment, in which cumulative
  net savings (summed from the first scenario year) are >= 0; none if that never happens
  within the horizon or nothing is invested;
- NPV = sum_t real net savings_t / (1 + r)^t with t = 0 for the first scenario year and r
  the HM Treasury Green Book rate (3.5%, ``parameters/scenarios/discount_rate.yaml``);
  real = cash deflated to first-year prices by the unit-cost price path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from carecast import params


def discount_rate() -> float:
    """The Green Book real discount rate in force today."""
    return float(params.value("scenarios.discount_rate"))


def weeks_per_year() -> float:
    return float(params.value("scenarios.defaults")["weeks_per_year"])


def bed_weeks(stock_start: np.ndarray, stock_end: np.ndarray, weeks: float) -> np.ndarray:
    """Bed-weeks in each year from children at the start and end of it (trapezium rule)."""
    return (np.asarray(stock_start, float) + np.asarray(stock_end, float)) / 2 * weeks


def spend(bed_weeks_by_category: Mapping[str, np.ndarray],
          unit_cost_gbp_per_week: Mapping[str, np.ndarray | float],
          price_index: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
    """Spend (GBP) per category: bed-weeks x weekly unit cost x price index."""
    missing = set(bed_weeks_by_category) - set(unit_cost_gbp_per_week)
    if missing:
        raise KeyError(f"no unit cost for {sorted(missing)}")
    return {c: np.asarray(w, float) * unit_cost_gbp_per_week[c] * price_index
            for c, w in bed_weeks_by_category.items()}


def price_index(inflation: np.ndarray) -> np.ndarray:
    """Cumulative price index from yearly growth fractions (the first year already grown)."""
    return np.cumprod(1 + np.asarray(inflation, float))


def discount_factors(n_years: int, rate: float) -> np.ndarray:
    """1 / (1 + r)^t for t = 0 .. n-1 (the first scenario year is year 0)."""
    return 1 / (1 + rate) ** np.arange(n_years)


def payback_year(cumulative: np.ndarray, years: np.ndarray, investment: np.ndarray
                 ) -> np.ndarray:
    """First year (from the first year with investment) with cumulative >= 0; NaN if none.

    ``cumulative`` may carry leading draw axes; the result has those axes.
    """
    cumulative = np.asarray(cumulative, float)
    has = np.broadcast_to(np.asarray(investment) > 0, cumulative.shape)
    start = np.where(has.any(axis=-1), np.argmax(has, axis=-1), cumulative.shape[-1])
    ok = (cumulative >= 0) & (np.arange(cumulative.shape[-1]) >= start[..., None])
    first = np.argmax(ok, axis=-1)
    return np.where(ok.any(axis=-1), np.asarray(years)[first], np.nan).astype(float)


@dataclass(frozen=True)
class Appraisal:
    """Savings of a scenario against its baseline, by financial year (last axis)."""

    years: np.ndarray
    baseline_gbp: np.ndarray
    scenario_gbp: np.ndarray
    investment_gbp: np.ndarray
    net_savings_gbp: np.ndarray
    cumulative_gbp: np.ndarray
    npv_gbp: np.ndarray
    payback_year: np.ndarray
    discount_rate: float


def appraise(years: np.ndarray, baseline_gbp: np.ndarray, scenario_gbp: np.ndarray,
             investment_gbp: np.ndarray, rate: float | None = None,
             price_index: np.ndarray | None = None) -> Appraisal:
    """Net savings, cumulative savings, payback year and NPV; see the module docstring.

    ``price_index`` (1 in the first year) deflates cash net savings to first-year prices
    before discounting, as the Green Book discounts real values; omit it for cash = real.
    """
    rate = discount_rate() if rate is None else float(rate)
    years = np.asarray(years)
    investment = np.asarray(investment_gbp, float)
    net = np.asarray(baseline_gbp, float) - np.asarray(scenario_gbp, float) - investment
    cumulative = np.cumsum(net, axis=-1)
    real = net if price_index is None else net / np.asarray(price_index, float)
    npv = (real * discount_factors(len(years), rate)).sum(axis=-1)
    return Appraisal(
        years=years, baseline_gbp=np.asarray(baseline_gbp, float),
        scenario_gbp=np.asarray(scenario_gbp, float), investment_gbp=investment,
        net_savings_gbp=net, cumulative_gbp=cumulative, npv_gbp=npv,
        payback_year=payback_year(cumulative, years, investment), discount_rate=rate,
    )


def financial_year(year: int) -> str:
    """'2026-27' for the financial year ending 31 March 2027."""
    return f"{year - 1}-{str(year)[-2:]}"

"""Each council's weekly unit costs, reconciled to what it actually spent.

England's S251 unit costs price each placement category (:mod:`carecast.costs.unit_costs`).
A council's costs are those scaled by one factor so that its own children, in its own
placement mix, reproduce its MHCLG RO3 net spend on children looked after in its last
outturn year up to the first forecast year:

    factor = RO3 spend / (child-weeks x sum over categories of mix x England unit cost)

Child-weeks are the trapezium of the opening and closing 31 March stocks; where the
closing stock is the first forecast year's, the forecast mean is used, so the forecast's
mean spend in that year equals the outturn to the pound. A council with no RO3 return keeps
England's costs (factor 1), and says so. RO3 counts some costs placements do not (UASC,
overheads), which the factor carries into every category alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecast import params
from carecast.costs import unit_costs
from carecast.costs.calendar import child_weeks, financial_year
from carecast.costs.mix import Mix
from carecast.data import store
from carecast.data.workspace import Workspace

RO3 = "spend_cla_total_net_gbp_thousands"


@dataclass(frozen=True)
class CostBase:
    """Weekly unit costs (GBP, cash) per council, category and financial year."""

    codes: np.ndarray
    years: np.ndarray               # financial years, by the year ending 31 March
    categories: tuple[str, ...]
    weekly_gbp: np.ndarray          # (councils, categories, years)
    factor: np.ndarray              # (councils,)
    calibration: pd.DataFrame
    growth: unit_costs.Growth

    def weekly(self, category: str) -> np.ndarray:
        """(councils, years) weekly cost of one category."""
        return self.weekly_gbp[:, self.categories.index(category)]

    def of_mix(self, shares: np.ndarray) -> np.ndarray:
        """(councils, years) weekly cost of a child in a placement mix (councils, categories)."""
        return np.einsum("ic,icy->iy", shares, self.weekly_gbp)

    def select(self, idx: np.ndarray) -> CostBase:
        keep = set(self.codes[idx])
        return CostBase(self.codes[idx], self.years, self.categories, self.weekly_gbp[idx],
                        self.factor[idx],
                        self.calibration[self.calibration["la_code"].isin(keep)]
                        .reset_index(drop=True), self.growth)

    def frame(self) -> pd.DataFrame:
        """Tidy unit costs: la_code, period (financial year), category, gbp_per_week, source."""
        rows = []
        cal = self.calibration.set_index("la_code")
        for i, code in enumerate(self.codes):
            for c, cat in enumerate(self.categories):
                for y, year in enumerate(self.years):
                    rows.append({
                        "la_code": code, "period": financial_year(int(year)), "category": cat,
                        "gbp_per_week": float(self.weekly_gbp[i, c, y]),
                        "source": f"{unit_costs.england_source(cat, int(year), self.growth)}; "
                                  f"{cal.at[code, 'source']}"})
        return pd.DataFrame(rows)


def _stock(values: pd.DataFrame, code: str, year: int) -> float:
    try:
        return float(values.at[(code, year), "cla_at_31_march"])
    except KeyError:
        return float("nan")


def resolve(ws: Workspace, mix: Mix, years: np.ndarray, origin: int,
            stock0: np.ndarray, first_year_mean: np.ndarray,
            growth: unit_costs.Growth | None = None) -> CostBase:
    """Council cost bases for ``mix.codes`` over ``years``, reconciled to RO3 in each
    council's last outturn year up to ``origin + 1``. ``stock0`` is the stock at 31 March
    ``origin`` and ``first_year_mean`` the forecast mean for 31 March ``origin + 1``."""
    growth = growth or unit_costs.growth()
    values = store.la_panel(ws).values
    cats = mix.categories
    england = np.array([[unit_costs.england_weekly(c, int(y), growth) for y in years]
                        for c in cats])
    rows, factor = [], np.ones(len(mix.codes))
    bounds = params.value("costs.ro3_plausible_factor")
    for i, code in enumerate(mix.codes):
        found, skipped = None, []
        for year in range(origin + 1, origin - 9, -1):
            try:
                gbp = float(values.at[(code, year), RO3]) * 1000
            except KeyError:
                continue
            if not np.isfinite(gbp):
                continue
            opening = stock0[i] if year - 1 == origin else _stock(values, code, year - 1)
            closing = first_year_mean[i] if year == origin + 1 else _stock(values, code, year)
            weeks = float(child_weeks(opening, closing))
            if not (np.isfinite(weeks) and weeks > 0):
                continue
            per_week = sum(mix.placement[i, c] * unit_costs.england_weekly(cat, year, growth)
                           for c, cat in enumerate(cats))
            if bounds["min"] <= gbp / (weeks * per_week) <= bounds["max"]:
                found = (year, gbp, weeks, per_week, year == origin + 1)
                break
            skipped.append(financial_year(year))
        if found is None:
            why = (f"RO3 CLA spend in {', '.join(skipped)} is not a cost per child "
                   "(outside costs.ro3_plausible_factor)" if skipped else
                   "no RO3 outturn up to the first forecast year")
            rows.append({"la_code": code, "outturn_year": None, "ro3_gbp": None,
                         "child_weeks": None, "england_gbp": None, "factor": 1.0,
                         "source": f"{why}: England S251 unit costs unscaled"})
            continue
        year, gbp, weeks, per_week, forecast_closing = found
        factor[i] = gbp / (weeks * per_week)
        closing = ("the forecast mean for 31 March" if forecast_closing else "31 March")
        rows.append({"la_code": code, "outturn_year": financial_year(year), "ro3_gbp": gbp,
                     "child_weeks": weeks, "england_gbp": weeks * per_week,
                     "factor": float(factor[i]),
                     "source": f"scaled by {factor[i]:.3f} to MHCLG RO3 net CLA spend "
                               f"{financial_year(year)} (GBP {gbp:,.0f}) over child-weeks "
                               f"from 31 March {year - 1} and {closing} {year} in the "
                               f"council's placement mix {min(mix.years)}-{max(mix.years)}"})
    weekly = factor[:, None, None] * england[None]
    return CostBase(codes=mix.codes.copy(), years=np.asarray(years), categories=cats,
                    weekly_gbp=weekly, factor=factor, calibration=pd.DataFrame(rows),
                    growth=growth)


def england_base(code: str, categories: tuple[str, ...], years: np.ndarray,
                 growth: unit_costs.Growth | None = None) -> CostBase:
    """England's S251 costs unscaled, for a population with no council of its own (a 903
    workspace not named as a council)."""
    growth = growth or unit_costs.growth()
    weekly = np.array([[[unit_costs.england_weekly(c, int(y), growth) for y in years]
                        for c in categories]])
    cal = pd.DataFrame([{"la_code": code, "outturn_year": None, "ro3_gbp": None,
                         "child_weeks": None, "england_gbp": None, "factor": 1.0,
                         "source": "England S251 unit costs unscaled (no council named)"}])
    return CostBase(np.array([code]), np.asarray(years), categories, weekly, np.ones(1), cal,
                    growth)

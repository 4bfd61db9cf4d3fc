"""Spend by financial year from children by placement category: child-weeks x unit cost.

One function prices every path (council forecast, scenario baseline and scenario, record
level), so the same children at the same costs give the same pounds wherever they are
asked about. Intervals are quantiles over the simulation draws; England is the sum of
councils within each draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecast.costs.base import RO3, CostBase
from carecast.costs.calendar import (
    days_in,
    financial_year,
    monthly_child_weeks,
    yearly_child_weeks,
)
from carecast.costs.mix import Mix
from carecast.data import store
from carecast.data.councils import ENGLAND
from carecast.data.workspace import Workspace
from carecast.model.schema import point_frame, summarise


def children_by_category(stock0: np.ndarray, stock: np.ndarray, mix: Mix
                         ) -> dict[str, np.ndarray]:
    """Children at 31 March in each category, origin year first: (draws, councils, years+1)
    from a council path ``stock`` (draws, councils, years) held in each council's mix."""
    full = np.concatenate([np.broadcast_to(stock0[None, :, None], (*stock.shape[:2], 1)),
                           stock], axis=2)
    return {c: full * mix.placement[None, :, i, None] for i, c in enumerate(mix.categories)}


def placement_spend(children: dict[str, np.ndarray], base: CostBase
                    ) -> dict[str, np.ndarray]:
    """Spend (GBP) per category and year, (draws, councils, years), from children at
    31 March (draws, councils, years + 1; the first column is the origin)."""
    return {c: yearly_child_weeks(v[..., 0], v[..., 1:]) * base.weekly(c)[None]
            for c, v in children.items()}


def spend_frame(total: np.ndarray, codes: np.ndarray, years: np.ndarray, model: str,
                measure: str = "spend_cla_gbp") -> pd.DataFrame:
    """Tidy spend rows (period = financial year) for each council and England."""
    labels = np.array([financial_year(int(y)) for y in years])
    n, h = len(codes), len(labels)
    la = point_frame(np.repeat(codes, h), np.tile(labels, n), measure, model,
                     {k: v.ravel() for k, v in summarise(total).items()})
    eng = point_frame(np.repeat(ENGLAND, h), labels, measure, model,
                      summarise(total.sum(axis=1)))
    return pd.concat([la, eng], ignore_index=True)


def ro3_actuals(ws: Workspace) -> pd.DataFrame:
    """RO3 net CLA spend (GBP) by council and financial year, where published."""
    values = store.la_panel(ws).values[RO3].dropna() * 1000
    frame = values.rename("ro3_actual_gbp").reset_index()
    frame["period"] = [financial_year(int(y)) for y in frame["year"]]
    return frame.rename(columns={"area_code": "la_code"}).drop(columns="year")


def monthly_spend(start: pd.Timestamp, dates: pd.DatetimeIndex, stock0: np.ndarray,
                  stock: np.ndarray, categories: tuple[str, ...], base: CostBase
                  ) -> pd.DataFrame:
    """Record-level spend by financial year and category (and ``all``) from monthly stock
    draws (draws, categories, months) after the stock on ``start`` (categories,), at the
    first council of ``base``: period, category, days covered, mean children in care,
    mean and intervals over draws."""
    years, weeks = monthly_child_weeks(start, dates, stock0[None, :], stock)
    idx = [int(np.flatnonzero(base.years == y)[0]) for y in years]
    cost = np.array([base.weekly(c)[0, idx] for c in categories])
    spend = weeks * cost[None]
    days = days_in(years, start, dates)
    rows = []
    for name, draws, child_weeks in (
            *((c, spend[:, i], weeks[:, i]) for i, c in enumerate(categories)),
            ("all", spend.sum(1), weeks.sum(1))):
        stats = summarise(draws)
        for j, year in enumerate(years):
            rows.append({"period": financial_year(year), "category": name, "days": int(days[j]),
                         "children": float(child_weeks[:, j].mean() / (days[j] / 7)),
                         **{k: float(v[j]) for k, v in stats.items()}})
    return pd.DataFrame(rows)

"""Spend by financial year: sum over days of children in care x weekly unit cost / 7.

Unit costs come from ``costs.unit_costs`` (DfE LAIT S251, England, cash prices) and grow by
``costs.inflation`` each year after the last published financial year. Council-level
forecasts give the stock on 31 March only, so a financial year's child-days are the
trapezoid between its opening and closing stock. Intervals are quantiles over draws.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carecast import params
from carecast.data import store
from carecast.data.workspace import Workspace
from carecast.model.council import ENGLAND, CouncilForecast, CouncilRates
from carecast.model.schema import point_frame, summarise


def financial_year(day: dt.date | pd.Timestamp) -> str:
    """'2025-26' for any day from 1 April 2025 to 31 March 2026."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def weekly_cost(category: str, fy_start_year: int) -> float:
    """England weekly unit cost (GBP) of ``category`` in the financial year starting then.

    Categories are LAIT's (all_cla, fostering, residential, adoption) or the placement
    categories of ``costs.category_costs``. Past the last published year, costs grow by
    ``costs.inflation`` a year.
    """
    mapping = params.value("costs.category_costs")
    key = mapping.get(category, category)
    table = params.get("costs.unit_costs")
    last = table.values[-1].start.year
    year = min(fy_start_year, last)
    value = float(table.at(dt.date(year, 4, 1))[key])
    return value * (1 + float(params.value("costs.inflation"))) ** max(0, fy_start_year - last)


def spend_by_financial_year(days: pd.DatetimeIndex, stock: np.ndarray,
                            weekly_gbp: np.ndarray | float) -> tuple[list[str], np.ndarray]:
    """Spend per financial year from a daily (or period-start) stock.

    ``stock`` is (..., len(days)) children in care on each day, held until the next day
    given; ``weekly_gbp`` broadcasts to ``stock`` (per day or per unit). Returns financial
    year labels and spend (..., n_years) in GBP.
    """
    ends = np.append(days.values[1:], (days[-1] + pd.Timedelta(days=1)).to_datetime64())
    lengths = (ends - days.values).astype("timedelta64[D]").astype(float)
    daily = stock * np.asarray(weekly_gbp) / 7 * lengths
    labels = [financial_year(d) for d in days]
    years = sorted(set(labels))
    idx = np.array([years.index(x) for x in labels])
    out = np.zeros((*stock.shape[:-1], len(years)))
    for j in range(len(years)):
        out[..., j] = daily[..., idx == j].sum(-1)
    return years, out


def monthly_child_weeks(start: pd.Timestamp, dates: pd.DatetimeIndex, stock0: np.ndarray,
                        stock: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Child-weeks per financial year from a stock on ``start`` and on each of ``dates``
    (month starts, as the record-level model gives them): trapezoid between consecutive
    dates x days / 7. ``stock`` is (..., len(dates)) and ``stock0`` broadcasts to (...).
    Each interval ends on the 1st of a month, so it lies in one financial year (that of
    its first day). Returns the year labels and child-weeks (..., n_years)."""
    bounds = pd.DatetimeIndex([start.normalize(), *dates])
    lengths = np.diff(bounds.values.astype("datetime64[D]")).astype(float)
    full = np.concatenate([np.broadcast_to(np.asarray(stock0, float), stock.shape[:-1])[..., None],
                           np.asarray(stock, float)], axis=-1)
    weeks = (full[..., :-1] + full[..., 1:]) / 2 * lengths / 7
    labels = [financial_year(d) for d in bounds[:-1]]
    years = sorted(set(labels))
    idx = np.array([years.index(x) for x in labels])
    return years, np.stack([weeks[..., idx == j].sum(-1) for j in range(len(years))], -1)


def category_spend(start: pd.Timestamp, dates: pd.DatetimeIndex, stock0: np.ndarray,
                   stock: np.ndarray, categories: tuple[str, ...]
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spend by financial year and placement category, and in total, from monthly stock
    draws (draws, categories, months) and the stock on ``start`` (categories,), at England
    weekly unit costs (:func:`weekly_cost`). Returns the spend rows (period, category,
    days covered, mean children in care, mean and intervals over draws) and the unit
    costs used (category, period, gbp_per_week, source)."""
    labels, weeks = monthly_child_weeks(start, dates, stock0[None, :], stock)
    cost = np.array([[weekly_cost(c, int(y[:4])) for y in labels] for c in categories])
    spend = weeks * cost[None]
    ends = pd.DatetimeIndex([start.normalize(), *dates])
    days = np.array([sum((b - a).days for a, b in zip(ends[:-1], ends[1:], strict=True)
                         if financial_year(a) == y) for y in labels])
    rows = []
    for name, draws, child_weeks in (
            *((c, spend[:, i], weeks[:, i]) for i, c in enumerate(categories)),
            ("all", spend.sum(1), weeks.sum(1))):
        stats = summarise(draws)
        for j, year in enumerate(labels):
            rows.append({"period": year, "category": name, "days": int(days[j]),
                         "children": float(child_weeks[:, j].mean() / (days[j] / 7)),
                         **{k: float(v[j]) for k, v in stats.items()}})
    table = params.get("costs.unit_costs")
    last = table.values[-1].start.year
    mapping = params.value("costs.category_costs")
    used = pd.DataFrame([
        {"category": c, "period": y, "gbp_per_week": float(cost[i, j]),
         "source": f"England {mapping.get(c, c)}: "
         f"{table.source(dt.date(min(int(y[:4]), last), 4, 1))}"
         + ("" if int(y[:4]) <= last else ", grown by costs.inflation")}
        for i, c in enumerate(categories) for j, y in enumerate(labels)])
    return pd.DataFrame(rows), used


def council_unit_costs(ws: Workspace, rates: CouncilRates) -> pd.DataFrame:
    """All-CLA weekly cost per council for the year after the origin, with its source: the
    council's own RO3 CLA spend / child-weeks for the latest financial year ending by
    origin + 1 where published, else England's LAIT figure, uprated to the origin + 1
    price year. Columns la_code, period (financial year), gbp_per_week, source."""
    panel = store.la_panel(ws).values
    fy_start = rates.origin
    inflation = float(params.value("costs.inflation"))
    england = weekly_cost("all_cla", fy_start)
    table = params.get("costs.unit_costs")
    last = table.values[-1].start.year
    lait_source = (f"England all-CLA: {table.source(dt.date(min(fy_start, last), 4, 1))}"
                   + ("" if fy_start <= last else ", grown by costs.inflation"))
    rows = []
    for code in rates.codes:
        value, source = england, lait_source
        for year in (rates.origin + 1, rates.origin):
            spend = panel.get("spend_cla_total_net_gbp_thousands")
            try:
                gbp = spend.loc[(code, year)] * 1000
                weeks = (panel.loc[(code, year - 1), "cla_at_31_march"]
                         + panel.loc[(code, year), "cla_at_31_march"]) / 2 * 365 / 7
            except KeyError:
                continue
            if np.isfinite(gbp) and np.isfinite(weeks) and weeks > 0:
                value = gbp / weeks * (1 + inflation) ** (fy_start - (year - 1))
                source = (f"MHCLG RO3 net CLA spend {year - 1}-{str(year)[2:]} / child-weeks "
                          f"(31 March stocks), uprated by costs.inflation")
                break
        rows.append({"la_code": code, "period": f"{fy_start}-{str(fy_start + 1)[2:]}",
                     "gbp_per_week": float(value), "source": source})
    return pd.DataFrame(rows)


def council_spend(forecast: CouncilForecast, stock0: np.ndarray, weekly_gbp: np.ndarray,
                  inflation: float | None = None) -> pd.DataFrame:
    """Spend by financial year (tidy schema, measure ``spend_cla_gbp``) for every council and
    England (sum within draws). ``weekly_gbp`` is each council's cost in the first forecast
    year; later years grow by ``inflation`` (default ``costs.inflation``)."""
    g = float(params.value("costs.inflation")) if inflation is None else inflation
    stock = forecast.draws["cla_at_31_march"]
    opening = np.concatenate([np.broadcast_to(stock0, stock.shape[:2])[..., None],
                              stock[..., :-1]], axis=2)
    days = np.array([(dt.date(int(y), 3, 31) - dt.date(int(y) - 1, 3, 31)).days
                     for y in forecast.years])
    growth = (1 + g) ** np.arange(len(forecast.years))
    spend = (opening + stock) / 2 * days * weekly_gbp[None, :, None] / 7 * growth
    labels = np.array([f"{y - 1}-{str(y)[2:]}" for y in forecast.years])
    n, h = len(forecast.codes), len(labels)
    la = point_frame(np.repeat(forecast.codes, h), np.tile(labels, n), "spend_cla_gbp",
                     forecast.model, {k: v.ravel() for k, v in summarise(spend).items()})
    eng = point_frame(np.repeat(ENGLAND, h), labels, "spend_cla_gbp", forecast.model,
                      summarise(spend.sum(axis=1)))
    return pd.concat([la, eng], ignore_index=True)


def ro3_actuals(ws: Workspace) -> pd.DataFrame:
    """RO3 net CLA spend (GBP) by council and financial year, where published (2022-23 on)."""
    values = store.la_panel(ws).values["spend_cla_total_net_gbp_thousands"].dropna() * 1000
    frame = values.rename("ro3_actual_gbp").reset_index()
    frame["period"] = [f"{y - 1}-{str(y)[2:]}" for y in frame["year"]]
    return frame.rename(columns={"area_code": "la_code"}).drop(columns="year")

"""One council against England, its region and its neighbours, as LAIT does, plus an outlier test.

Ranks and quartile bands follow polarity: for "higher" and "lower" indicators rank 1 and band
A are the best; for "neutral" (contested) indicators rank 1 and band A are the HIGHEST value.
Bands use the quartiles of all councils' values in the year (pandas linear interpolation); a
value on a boundary takes the better band. The outlier flag is a funnel-plot test for rates
(Poisson) and percentages (binomial) against the neighbours' pooled value, and neighbour
mean +/- 2 SD (95%) and 3 SD (99.8%) for money and ordinal indicators.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from carecast import OGL_ATTRIBUTION
from carecast.benchmark import indicators, neighbours
from carecast.benchmark.indicators import IndicatorData
from carecast.data import councils
from carecast.data.workspace import Workspace

LEVELS = {"95%": 0.95, "99.8%": 0.998}
TREND_YEARS = 5


def rank(values: pd.Series, polarity: str) -> pd.Series:
    """Rank 1 = best (neutral: highest); ties share the better rank."""
    ascending = polarity == "lower"
    return values.rank(ascending=ascending, method="min").astype(int)


def quartile_band(values: pd.Series, polarity: str) -> pd.Series:
    """Band A (best quarter; neutral: highest quarter) to D."""
    q1, q2, q3 = values.quantile([0.25, 0.5, 0.75])
    if polarity == "lower":
        cuts = np.select([values <= q1, values <= q2, values <= q3], ["A", "B", "C"], "D")
    else:
        cuts = np.select([values >= q3, values >= q2, values >= q1], ["A", "B", "C"], "D")
    return pd.Series(cuts, index=values.index)


def funnel_limits(target: float, denominator: float, kind: str, scale: float) -> dict[str, Any]:
    """Control limits for an observed count given the target level and the denominator."""
    out: dict[str, Any] = {}
    for name, level in LEVELS.items():
        tail = (1 - level) / 2
        if kind == "rate":
            dist = stats.poisson(target * denominator / scale)
        else:
            dist = stats.binom(int(round(denominator)), min(max(target / scale, 0.0), 1.0))
        low, high = dist.ppf(tail), dist.ppf(1 - tail)
        out[name] = {
            "lower": float(low / denominator * scale),
            "upper": float(high / denominator * scale),
            "count_lower": float(low),
            "count_upper": float(high),
        }
    return out


def _position(observed: float, limits: dict[str, Any], key_low: str, key_high: str) -> str:
    for name in ("99.8%", "95%"):
        if observed > limits[name][key_high]:
            return f"above {name}"
        if observed < limits[name][key_low]:
            return f"below {name}"
    return "within"


def outlier(data: IndicatorData, code: str, year: int, peers: list[str]) -> dict[str, Any] | None:
    """Funnel (rates, percentages) or SD test (money, ordinal) against the neighbour group."""
    ind = data.indicator
    la = data.la
    try:
        row = la.loc[(code, year)]
    except KeyError:
        return None
    if pd.isna(row["value"]):
        return None
    group = la[la.index.isin([(p, year) for p in peers])].dropna(subset=["value"])
    if group.empty:
        return None
    if ind.kind in ("rate", "percent") and pd.notna(row["count"]) and row["denominator"] > 0:
        group = group.dropna(subset=["count", "denominator"])
        if group.empty:
            return None
        target = float(group["count"].sum() / group["denominator"].sum() * ind.rate_scale)
        limits = funnel_limits(target, float(row["denominator"]), ind.kind, ind.rate_scale)
        method = "poisson funnel" if ind.kind == "rate" else "binomial funnel"
        position = _position(float(row["count"]), limits, "count_lower", "count_upper")
    else:
        target = float(group["value"].mean())
        sd = float(group["value"].std(ddof=1)) if len(group) > 1 else 0.0
        limits = {
            name: {"lower": target - z * sd, "upper": target + z * sd}
            for name, z in (("95%", 2.0), ("99.8%", 3.0))
        }
        method = "neighbour mean +/- 2 SD (95%) and 3 SD (99.8%)"
        position = _position(float(row["value"]), limits, "lower", "upper")
    return {
        "method": method,
        "target": target,
        "limits": {k: {"lower": v["lower"], "upper": v["upper"]} for k, v in limits.items()},
        "position": position,
        "is_outlier": position != "within",
    }


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _trend(data: IndicatorData, code: str, year: int) -> dict[str, Any]:
    if code not in data.la.index.get_level_values(0):
        return {"values": [], "change": None, "slope_per_year": None, "direction": None}
    series = data.la.loc[code, "value"]
    series = series[(series.index > year - TREND_YEARS) & (series.index <= year)].dropna()
    points = [{"year": int(y), "value": float(v)} for y, v in series.items()]
    if len(series) < 2:
        return {"values": points, "change": None, "slope_per_year": None, "direction": None}
    slope = float(np.polyfit(series.index.astype(float), series.to_numpy(), 1)[0])
    tolerance = 0.01 * abs(float(series.mean()))  # under 1% of the level a year: flat
    direction = "flat" if abs(slope) <= tolerance else ("rising" if slope > 0 else "falling")
    change = float(series.iloc[-1] - series.iloc[0])
    return {"values": points, "change": change, "slope_per_year": slope, "direction": direction}


def _area_value(frame: pd.DataFrame, key: Any) -> float | None:
    try:
        return _num(frame.loc[key, "value"])
    except KeyError:
        return None


def _resolve_year(data: IndicatorData, year: int | None) -> int:
    if year is None:
        return data.latest_year()
    available = sorted(set(data.la.dropna(subset=["value"]).index.get_level_values(1)))
    if year not in available:
        raise LookupError(
            f"no {data.indicator.id} data for {year}; available years: "
            f"{', '.join(str(y) for y in available)}"
        )
    return year


def benchmark(
    ws: Workspace,
    council_code: str,
    indicator_id: str,
    year: int | None = None,
    neighbours: str = "official",
    *,
    data: IndicatorData | None = None,
) -> dict[str, Any]:
    """One council on one indicator; the keys are documented in docs/benchmarking.md."""
    council = councils.lookup(council_code)
    data = data if data is not None else indicators.load(ws, indicator_id)
    ind = data.indicator
    year = _resolve_year(data, year)
    peers = neighbours_for(ws, council.code, neighbours)
    values = data.year_values(year)
    row = data.la.loc[(council.code, year)] if (council.code, year) in data.la.index else None
    value = _num(row["value"]) if row is not None else None
    peer_values = values.reindex(peers)
    names = {c.code: c.name for c in councils.all_councils()}
    ranks = rank(values, ind.polarity)
    bands = quartile_band(values, ind.polarity)
    q1, q2, q3 = (float(q) for q in values.quantile([0.25, 0.5, 0.75]))
    flag = None if row is None or row["flag"] is None or pd.isna(row["flag"]) else str(row["flag"])
    return {
        "indicator": ind.id,
        "label": ind.label,
        "unit": ind.unit,
        "polarity": ind.polarity,
        "council": {"code": council.code, "name": council.name},
        "year": year,
        "value": value,
        "count": _num(row["count"]) if row is not None else None,
        "denominator": _num(row["denominator"]) if row is not None else None,
        "suppressed": value is None and flag is not None,
        "flag": flag,
        "england": _area_value(data.england, year),
        "england_reporting": _reporting(data.england, year),
        "region": {
            "code": council.region_code,
            "name": council.region_name,
            "value": _area_value(data.region, (council.region_code, year)),
            "reporting": _reporting(data.region, (council.region_code, year)),
        },
        "neighbours": {
            "model": neighbours,
            "codes": peers,
            "values": [
                {"code": p, "name": names.get(p, p), "value": _num(peer_values.get(p))}
                for p in peers
            ],
            "n": int(peer_values.notna().sum()),
            "mean": _num(peer_values.mean()),
            "median": _num(peer_values.median()),
        },
        "rank": int(ranks[council.code]) if council.code in ranks else None,
        "rank_of": int(values.size),
        "rank_rule": "1 = highest value" if ind.polarity == "neutral" else "1 = best",
        "quartile": str(bands[council.code]) if council.code in bands else None,
        "quartiles": {"q1": q1, "median": q2, "q3": q3},
        "trend": _trend(data, council.code, year),
        "outlier": outlier(data, council.code, year, peers),
        "note": ind.note,
        "sources": [ind.citation, OGL_ATTRIBUTION],
    }


def _reporting(frame: pd.DataFrame, key: Any) -> dict[str, int] | None:
    """Councils behind a summed area figure ({"councils": n, "of": m}); None if published."""
    if "n_reporting" not in frame or key not in frame.index:
        return None
    n, m = frame.at[key, "n_reporting"], frame.at[key, "n_councils"]
    return None if pd.isna(n) else {"councils": int(n), "of": int(m)}


def neighbours_for(ws: Workspace, code: str, model: str) -> list[str]:
    return neighbours.neighbour_codes(ws, code, model)


def benchmark_table(
    ws: Workspace, council_code: str, year: int | None = None, neighbours: str = "official"
) -> pd.DataFrame:
    """One row per indicator (each at ``year`` if it has data then, else its latest year)."""
    rows = []
    for ind in indicators.registry().values():
        data = indicators.load(ws, ind.id)
        available = set(data.la.dropna(subset=["value"]).index.get_level_values(1))
        wanted = year if year in available else None
        result = benchmark(ws, council_code, ind.id, wanted, neighbours, data=data)
        outlier_result = result["outlier"] or {}
        rows.append(
            {
                "indicator": ind.id,
                "label": ind.label,
                "unit": ind.unit,
                "polarity": ind.polarity,
                "year": result["year"],
                "value": result["value"],
                "suppressed": result["suppressed"],
                "england": result["england"],
                "region": result["region"]["value"],
                "region_councils_reporting": (None if result["region"]["reporting"] is None
                                              else result["region"]["reporting"]["councils"]),
                "neighbour_mean": result["neighbours"]["mean"],
                "neighbour_median": result["neighbours"]["median"],
                "rank": result["rank"],
                "rank_of": result["rank_of"],
                "quartile": result["quartile"],
                "trend": result["trend"]["direction"],
                "outlier": outlier_result.get("position"),
                "source": ind.citation,
            }
        )
    return pd.DataFrame(rows)


def sources(frame_or_results: pd.DataFrame) -> list[str]:
    """Distinct citations in a benchmark table, for export."""
    return list(dict.fromkeys(frame_or_results["source"].tolist()))

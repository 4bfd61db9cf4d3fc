"""One council against England, its region and its neighbours, as LAIT does, plus an outlier test.

Ranks and quartile bands follow polarity: for "higher" and "lower" indicators rank 1 and band
A are the best; for "neutral" (contested) indicators rank 1 and band A are the HIGHEST value.
Bands use the quartiles of all councils' values in the year (pandas linear interpolation); a
value on a boundary takes the better band. The outlier flag is a funnel-plot test for rates
(Poisson) and percentages (binomial) against the neighbours' pooled value, with limits
widened for overdispersion (Spiegelhalter 2005; ``parameters/benchmark/funnel.yaml``), and
neighbour mean +/- 2 SD (95%) and 3 SD (99.8%) for money, ordinal and other indicators.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from carecast import OGL_ATTRIBUTION, params
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


def null_variance(target: float, denominator: float, kind: str, scale: float) -> float:
    """Variance of count / denominator (a proportion) under the target, by chance alone."""
    p = min(max(target / scale, 0.0), 1.0) if kind == "percent" else max(target / scale, 0.0)
    return p * (1 - p) / denominator if kind == "percent" else p / denominator


def funnel_limits(target: float, denominator: float, kind: str, scale: float,
                  inflation: float = 1.0) -> dict[str, Any]:
    """Control limits for an observed count given the target level and the denominator.

    Exact Poisson (rates) or binomial (percentages) quantiles, their distance from the
    target multiplied by ``inflation`` (>= 1) to allow for overdispersion; never below 0.
    """
    out: dict[str, Any] = {}
    expected = target * denominator / scale
    for name, level in LEVELS.items():
        tail = (1 - level) / 2
        if kind == "rate":
            dist = stats.poisson(expected)
        else:
            dist = stats.binom(int(round(denominator)), min(max(target / scale, 0.0), 1.0))
        low = max(expected - (expected - dist.ppf(tail)) * inflation, 0.0)
        high = expected + (dist.ppf(1 - tail) - expected) * inflation
        out[name] = {
            "lower": float(low / denominator * scale),
            "upper": float(high / denominator * scale),
            "count_lower": float(low),
            "count_upper": float(high),
        }
    return out


def _peer_lists(ws: Workspace, model: str) -> dict[str, list[str]]:
    """Every council's neighbours under ``model``, for estimating overdispersion."""
    if model == "open":
        fitted = neighbours.open_model(ws)
        return {str(c): fitted.kneighbors(str(c)) for c in fitted.distances_.index}
    return _official_lists(2021 if model == "official-2021" else 2025)


@cache
def _official_lists(edition: int) -> dict[str, list[str]]:
    return neighbours.official_lists(edition)


def overdispersion(data: IndicatorData, year: int, peer_lists: dict[str, list[str]]
                   ) -> dict[str, Any]:
    """Spiegelhalter's (2005) overdispersion of every council against its own peer target.

    z_i = (y_i - t_i) / s_i with s_i^2 the chance variance at council i's denominator;
    phi = mean of winsorised z^2; tau^2 = max(0, (I phi - (I - 1)) / (sum w - sum w^2 /
    sum w)), w = 1 / s^2, the between-council variance the additive method adds.
    """
    key = ("overdispersion", year, tuple(sorted((k, tuple(v)) for k, v in peer_lists.items())))
    if key in data.cache:
        return data.cache[key]  # type: ignore[return-value]
    ind, settings = data.indicator, params.value("benchmark.funnel")
    rows = data.la.xs(year, level=1) if year in data.la.index.get_level_values(1) else data.la[:0]
    rows = rows.dropna(subset=["count", "denominator"])
    rows = rows[rows["denominator"] > 0]
    position = {str(c): i for i, c in enumerate(rows.index)}
    count, size = rows["count"].to_numpy(float), rows["denominator"].to_numpy(float)
    z, variance = [], []
    for code, i in position.items():
        members = [position[p] for p in peer_lists.get(code, []) if p in position]
        if not members:
            continue
        target = float(count[members].sum() / size[members].sum() * ind.rate_scale)
        var = null_variance(target, float(size[i]), ind.kind, ind.rate_scale)
        if var <= 0:
            continue
        z.append((count[i] / size[i] - target / ind.rate_scale) / np.sqrt(var))
        variance.append(var)
    out: dict[str, Any] = {"method": settings["method"], "councils": len(z), "phi": None,
                           "tau2": 0.0}
    if len(z) >= 10:
        zs = np.asarray(z, dtype=float)
        cut = float(settings["winsorise"])
        zs = np.clip(zs, *np.quantile(zs, [cut, 1 - cut]))
        w = 1 / np.asarray(variance)
        phi = float(np.mean(zs**2))
        n = len(zs)
        out["phi"] = phi
        out["tau2"] = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    data.cache[key] = out
    return out


def _inflation(spread: dict[str, Any], variance: float) -> float:
    """How much wider than chance alone the limits are, by the configured method."""
    if spread["method"] == "additive" and variance > 0:
        return float(np.sqrt(1 + spread["tau2"] / variance))
    if spread["method"] == "multiplicative" and spread["phi"] is not None:
        return float(np.sqrt(max(spread["phi"], 1.0)))
    return 1.0


def _position(observed: float, limits: dict[str, Any], key_low: str, key_high: str) -> str:
    for name in ("99.8%", "95%"):
        if observed > limits[name][key_high]:
            return f"above {name}"
        if observed < limits[name][key_low]:
            return f"below {name}"
    return "within"


def outlier(data: IndicatorData, code: str, year: int, peers: list[str],
            peer_lists: dict[str, list[str]] | None = None) -> dict[str, Any] | None:
    """Funnel (rates, percentages) or SD test (money, ordinal) against the neighbour group.

    ``peer_lists`` (every council's neighbours) lets the funnel estimate overdispersion;
    without it the limits allow for chance alone."""
    ind = data.indicator
    la = data.la
    try:
        row = la.loc[(code, year)]
    except KeyError:
        return None
    if pd.isna(row["value"]):
        return None
    group = la.reindex([(p, year) for p in peers]).dropna(subset=["value"])
    if group.empty:
        return None
    if ind.kind in ("rate", "percent") and pd.notna(row["count"]) and row["denominator"] > 0:
        group = group.dropna(subset=["count", "denominator"])
        if group.empty:
            return None
        target = float(group["count"].sum() / group["denominator"].sum() * ind.rate_scale)
        denominator = float(row["denominator"])
        spread = (overdispersion(data, year, peer_lists) if peer_lists is not None
                  else {"method": "none", "phi": None, "tau2": 0.0, "councils": 0})
        inflation = _inflation(spread, null_variance(target, denominator, ind.kind,
                                                     ind.rate_scale))
        limits = funnel_limits(target, denominator, ind.kind, ind.rate_scale, inflation)
        method = "poisson funnel" if ind.kind == "rate" else "binomial funnel"
        if spread["method"] != "none":
            method += f", {spread['method']} overdispersion (Spiegelhalter 2005)"
        position = _position(float(row["count"]), limits, "count_lower", "count_upper")
        extra = {"overdispersion": {
            "method": spread["method"], "phi": spread["phi"], "councils": spread["councils"],
            "tau": float(np.sqrt(spread["tau2"]) * ind.rate_scale), "inflation": inflation}}
    else:
        target = float(group["value"].mean())
        sd = float(group["value"].std(ddof=1)) if len(group) > 1 else 0.0
        limits = {
            name: {"lower": target - z * sd, "upper": target + z * sd}
            for name, z in (("95%", 2.0), ("99.8%", 3.0))
        }
        method = "neighbour mean +/- 2 SD (95%) and 3 SD (99.8%)"
        position = _position(float(row["value"]), limits, "lower", "upper")
        extra = {}
    return {
        "method": method,
        "target": target,
        "limits": {k: {"lower": v["lower"], "upper": v["upper"]} for k, v in limits.items()},
        "position": position,
        "is_outlier": position != "within",
        **extra,
    }


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _trend(data: IndicatorData, code: str, year: int) -> dict[str, Any]:
    if code not in data.la.index.get_level_values(0):
        return {"values": [], "change": None, "slope_per_year": None, "direction": None}
    rows = data.la.loc[code]
    series = rows["value"]
    series = series[(series.index > year - TREND_YEARS) & (series.index <= year)].dropna()
    points = [{"year": int(y), "value": float(v), "filled": bool(rows.at[y, "filled"])}
              for y, v in series.items()]
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
    filled = bool(row is not None and row["filled"])
    return {
        "indicator": ind.id,
        "label": ind.label,
        "unit": ind.unit,
        "polarity": ind.polarity,
        "section": ind.section,
        "council": {"code": council.code, "name": council.name},
        "year": year,
        "period": ind.period,
        "period_label": ind.period_label(year),
        "value": value,
        "filled": filled,
        "filled_note": data.notes.get((council.code, year)) if filled else None,
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
        "outlier": outlier(data, council.code, year, peers, _peer_lists(ws, neighbours)),
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
    ws: Workspace, council_code: str, year: int | None = None, neighbours: str = "official",
    *, data_by_id: Mapping[str, IndicatorData] | None = None, section: str | None = None,
) -> pd.DataFrame:
    """One row per indicator (each at ``year`` if it has data then, else its latest year).

    ``section`` keeps one council-page group ("" for the original benchmarking table);
    ``data_by_id`` reuses indicators already loaded (the web app keeps them in memory).
    """
    rows = []
    for ind in indicators.registry().values():
        if section is not None and ind.section != section:
            continue
        data = data_by_id[ind.id] if data_by_id else indicators.load(ws, ind.id)
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
                "section": ind.section,
                "year": result["year"],
                "period": result["period_label"],
                "value": result["value"],
                "filled": result["filled"],
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

"""Backtest of the record-level model on synthetic SSDA903 returns, beside the council model.

Each synthetic council (:func:`carecast.data.ssda903.synth.generate`, one seed each) is cut
at 1 April of an origin year: the record-level model is fitted on its episodes as known
then (later ends unknown, open episodes open) and projects monthly; what the generator
simulated afterwards is the truth. The same council's yearly counts (children at 31 March,
started, ceased) join the published panel as one more council, so the council-level models
forecast it exactly as they forecast a real one. Scores per model and horizon over the
synthetic councils: absolute percentage error of the mean, 80% and 95% coverage and the
95% interval's half-width as a share of the mean.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from carecast.data.ssda903.cla import counted_episodes
from carecast.data.ssda903.synth import generate
from carecast.model.council import CouncilData
from carecast.model.records import MultistateModel
from carecast.model.registry import MODELS
from carecast.model.schema import summarise

CODE = "synthetic"


def _open_on(eps: pd.DataFrame, day: pd.Timestamp) -> int:
    """Children in care at the end of ``day``."""
    on = (eps["decom"] <= day) & (eps["dec"].isna() | (eps["dec"] > day))
    return int(eps.loc[on, "child"].nunique())


def yearly(eps: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Children looked after at 31 March, started (new periods of care) and ceased (periods
    ending) in each year to 31 March, as DfE counts them."""
    rows = []
    for year in years:
        lo, hi = pd.Timestamp(year - 1, 3, 31), pd.Timestamp(year, 3, 31)
        started = eps["rne"].eq("S") & (eps["decom"] > lo) & (eps["decom"] <= hi)
        ended = eps["rec"].ne("X1") & (eps["dec"] > lo) & (eps["dec"] <= hi)
        rows.append({"year": year, "stock": _open_on(eps, hi), "starts": int(started.sum()),
                     "ceased": int(ended.sum())})
    return pd.DataFrame(rows).set_index("year")


def censor(eps: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """Episodes as known on ``cut``: later starts dropped, later ends unknown."""
    known = eps[eps["decom"] < cut].copy()
    later = known["dec"] >= cut
    known.loc[later, "dec"] = pd.NaT
    known.loc[later, "rec"] = None
    return known


def with_council(panel: CouncilData, counts: pd.DataFrame, region: str) -> CouncilData:
    """The published panel plus one council with these yearly counts; its 0-17 population
    is set so its entry rate is its region's median (shrinkage then costs it nothing), and
    it publishes no age or UASC breakdown (synthetic UASC are only a label)."""
    years = panel.years
    row = counts.reindex(years)
    idx = panel.regions == region
    year = len(years) - 1
    rates = panel.starts[idx, year] / panel.population[idx, year]
    population = float(np.nanmean(row["starts"])) / float(np.nanmedian(rates))
    def add(a: np.ndarray, value: np.ndarray | float) -> np.ndarray:
        return np.vstack([a, np.broadcast_to(value, (1, len(years))).astype(a.dtype)])
    return replace(
        panel, codes=np.append(panel.codes, CODE), regions=np.append(panel.regions, region),
        stock=add(panel.stock, row["stock"].to_numpy(float)),
        starts=add(panel.starts, row["starts"].to_numpy(float)),
        ceased=add(panel.ceased, row["ceased"].to_numpy(float)),
        population=add(panel.population, np.where(row["stock"].notna(), population, np.nan)),
        share_16_plus=add(panel.share_16_plus, np.nan), share_uasc=add(panel.share_uasc, np.nan),
        own=add(panel.own, True))


def _row(model: str, seed: int, horizon: int, draws: np.ndarray, truth: float
         ) -> dict[str, Any]:
    s = {k: float(v) for k, v in summarise(draws).items()}
    return {"model": model, "seed": seed, "horizon": horizon, "truth": truth, **s,
            "ape": abs(s["mean"] - truth) / truth * 100,
            "in_80": s["lo_80"] <= truth <= s["hi_80"],
            "in_95": s["lo_95"] <= truth <= s["hi_95"],
            "half_width_95": (s["hi_95"] - s["lo_95"]) / 2 / s["mean"] * 100}


def run(panel: CouncilData, *, seeds: list[int], children: int, years: int, origin: int,
        region: str, horizons: tuple[int, ...] = (1, 2), draws: int = 1000,
        council: str | None = None, council_models: tuple[str, ...] = ("stock_flow",),
        ) -> pd.DataFrame:
    """One row per synthetic council (seed), model and horizon (years after ``origin``); the
    synthetic council joins the panel in ``region``."""
    last = origin + max(horizons)
    cut = pd.Timestamp(origin, 4, 1)
    rows = []
    for seed in seeds:
        eps = counted_episodes(generate(children=children, years=years, last_year=last,
                                        seed=seed, council=council).episodes)
        truth = {h: _open_on(eps, pd.Timestamp(origin + h, 3, 31)) for h in horizons}
        for noise in (False, True):
            model = MultistateModel(process_noise=noise, n_draws=draws, random_state=seed)
            sim = model.fit(censor(eps, cut), end=cut).project_draws(12 * max(horizons))
            name = "multistate" + ("_process_noise" if noise else "")
            for h in horizons:
                rows.append(_row(name, seed, h, sim.stock[12 * h - 1].sum((1, 2)), truth[h]))
        counts = yearly(eps, list(range(last - years + 1, last + 1)))
        data = with_council(panel.until(origin), counts[counts.index <= origin], region)
        for name in council_models:
            f = MODELS[name](n_draws=draws, random_state=seed).fit(data, origin).project(
                max(horizons))
            stock = f.draws["cla_at_31_march"][:, -1]
            for h in horizons:
                rows.append(_row(name, seed, h, stock[:, h - 1], truth[h]))
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model and horizon over synthetic councils: MAPE, bias, coverage, half-width."""
    rows = rows.assign(pe=(rows["mean"] - rows["truth"]) / rows["truth"] * 100)
    out = rows.groupby(["model", "horizon"]).agg(
        councils=("seed", "size"), mape=("ape", "mean"), bias=("pe", "mean"),
        coverage_80=("in_80", "mean"), coverage_95=("in_95", "mean"),
        half_width_95=("half_width_95", "mean"))
    out[["coverage_80", "coverage_95"]] *= 100
    return out.round(2).reset_index()

"""Forecasts of children looked after, their cost, and their published accuracy.

Every face asks here: one default model (``model.default_forecast``), fitted on every
council, projected ``PROJECTION_YEARS`` ahead with ``model.draws`` draws and ``model.seed``,
so a council's numbers are the same in the CLI, the web app, the API, a report and a
scenario's baseline. Spend is the scenario baseline's own (:mod:`carecast.scenarios.run`),
so ``forecast --costs`` and every scenario agree to the pound.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carecast import disclosure, params
from carecast.costs import spend as spending
from carecast.costs.base import england_base
from carecast.costs.calendar import year_ending
from carecast.data import store
from carecast.data.councils import ENGLAND
from carecast.data.errors import InputError
from carecast.data.ssda903.store import load_episodes
from carecast.data.workspace import Workspace
from carecast.model import compare, load_council_data, registry
from carecast.model.records import CATEGORIES, MultistateModel, forecast_start
from carecast.scenarios import run as scenario_run
from carecast.service import workspace as checks


@contextlib.contextmanager
def _overridden(overrides: dict[str, Any] | None) -> Iterator[None]:
    """Run under a user's ``--set`` overrides; refuse any that nothing read."""
    with params.overridden(overrides or {}, "--set") as view:
        yield
    try:
        view.require_used()
    except params.UnusedOverride as exc:
        raise InputError(str(exc)) from None


def _model_name(name: str | None) -> str:
    name = registry.default_name() if name is None else name
    if name not in registry.MODELS:
        raise InputError(f"--model must be one of {', '.join(registry.MODELS)}, not '{name}'")
    return name


def _check(ws: Workspace, horizon: int, origin: int | None) -> None:
    if not 1 <= horizon <= registry.PROJECTION_YEARS:
        raise InputError(f"--horizon for council forecasts is 1 to "
                         f"{registry.PROJECTION_YEARS} years, not {horizon}")
    if origin is not None:
        years = load_council_data(ws).years
        if origin not in set(years.tolist()):
            raise InputError(f"--origin must be a data year {years.min()}-{years.max()}, "
                             f"not {origin}")


@dataclass(frozen=True)
class Forecast:
    """Every council's forecast: the tidy frame (councils and England) and its origin."""

    frame: pd.DataFrame
    origin: int
    model: str

    def council(self, code: str | None) -> pd.DataFrame:
        """Rows of one council (all councils and England when ``code`` is None)."""
        rows = self.frame if code is None else self.frame[self.frame["la_code"] == code]
        return rows.sort_values(["la_code", "measure", "period"]).reset_index(drop=True)


def forecast(ws: Workspace, *, horizon: int = 5, origin: int | None = None,
             draws: int | None = None, seed: int | None = None, model: str | None = None,
             overrides: dict[str, Any] | None = None) -> Forecast:
    """Children looked after, starts and ceased for every council and England, with 80%
    and 95% intervals, from data up to ``origin`` (default: the latest year)."""
    name, n, s = _model_name(model), checks.draws(draws), checks.seed(seed)
    _check(ws, horizon, origin)
    with _overridden(overrides):
        fitted = registry.make(name, n_draws=n, random_state=s).fit(load_council_data(ws),
                                                                   origin=origin)
        projected = registry.project(fitted, horizon, n_draws=n, random_state=s)
    return Forecast(frame=projected.to_frame(), origin=int(fitted.origin_), model=name)


@dataclass(frozen=True)
class CostForecast:
    """A forecast with its spend by financial year, the unit costs used, how they were
    reconciled to RO3 outturn, RO3 actuals and the assumptions in force."""

    forecast: pd.DataFrame
    spend: pd.DataFrame
    unit_costs: pd.DataFrame
    calibration: pd.DataFrame
    ro3_actuals: pd.DataFrame
    assumptions: list[str]
    origin: int


def forecast_costs(ws: Workspace, council: str | None = None, *, horizon: int = 5,
                   origin: int | None = None, draws: int | None = None,
                   seed: int | None = None, model: str | None = None,
                   overrides: dict[str, Any] | None = None) -> CostForecast:
    """One council's (or every council's and England's) forecast and spend: the baseline
    of every scenario, priced by :mod:`carecast.costs`."""
    name, n, s = _model_name(model), checks.draws(draws), checks.seed(seed)
    _check(ws, horizon, origin)
    code = checks.council(council).code if council else None
    with _overridden(overrides):
        baseline = scenario_run.prepare(ws, draws=n, seed=s, horizon=horizon, origin=origin,
                                        model=name)
        outcome = scenario_run.baseline_outcome(baseline)
        spend = spending.spend_frame(outcome.total_gbp, baseline.rates.codes, baseline.years,
                                     name)
        growth = baseline.costs.growth.describe()
    frame = baseline.projection.to_frame()
    costs = baseline.costs
    ro3 = spending.ro3_actuals(ws)
    if code is not None:
        if code not in set(baseline.rates.codes):
            raise LookupError(f"no published children-in-care series for council {code}")
        idx = np.flatnonzero(baseline.rates.codes == code)
        frame, spend, ro3 = (f[f["la_code"] == code] for f in (frame, spend, ro3))
        costs = costs.select(idx)
    spend = spend.merge(ro3, on=["la_code", "period"], how="left")
    return CostForecast(
        forecast=frame.sort_values(["la_code", "measure", "period"]).reset_index(drop=True),
        spend=spend.reset_index(drop=True), unit_costs=costs.frame(),
        calibration=costs.calibration, ro3_actuals=ro3.reset_index(drop=True),
        assumptions=[growth, "spend in the first forecast year is reconciled to each "
                     "council's RO3 outturn (carecast.costs.base; docs/costs.md)"],
        origin=int(baseline.rates.origin))


def council_cost_base(ws: Workspace, code: str, years: np.ndarray) -> Any:
    """One council's cost base (reconciled to its RO3 outturn) covering ``years``."""
    last = int(max(years))
    origin = int(load_council_data(ws).years.max())
    horizon = max(1, min(registry.PROJECTION_YEARS, last - origin))
    baseline = scenario_run.prepare(ws, horizon=horizon)
    idx = np.flatnonzero(baseline.rates.codes == code)
    if not len(idx):
        raise LookupError(f"no published children-in-care series for council {code}")
    return baseline.costs.select(idx)


STATS = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]


def _children_hidden(frame: pd.DataFrame, value: str, part: str, keys: list[str],
                     columns: list[str]) -> pd.DataFrame:
    """Record-level rows with small numbers hidden (:mod:`carecast.disclosure`): each
    total (``part`` == "all") on its own, and its parts so that none can be worked out
    from it; ``suppressed`` flags them."""
    is_part = frame[part] != "all"
    totals = disclosure.suppress(frame[~is_part], value, columns=columns)
    parts = disclosure.suppress(frame[is_part], value, columns=columns, within=[keys])
    out = pd.concat([totals, parts]).sort_index()
    out[columns] = out[columns].astype(float)
    return out


@dataclass(frozen=True)
class RecordForecast:
    """A record-level forecast (monthly) and, when asked, its spend by financial year;
    children's data, so small numbers are already hidden (``suppressed`` flags them)."""

    forecast: pd.DataFrame
    spend: pd.DataFrame | None
    unit_costs: pd.DataFrame | None
    ro3_actuals: pd.DataFrame | None


def forecast_records(ws: Workspace, council: str | None = None, *, months: int,
                     reference_days: int, draws: int | None = None,
                     population: float | None = None, seed: int | None = None,
                     costs: bool = False) -> RecordForecast:
    """Fit the multistate model on the workspace's 903 episodes and project monthly from
    1 April after the latest collection year; spend (optional) comes from the same draws.

    The 0-17 population is ``population`` if given, else the named council's latest
    published pop_0_17, else none (entries stay a daily count).
    """
    code = checks.council(council).code if council else None
    n, s = checks.draws(draws), checks.seed(seed)
    if population is None and code is not None:
        series = store.la_panel(ws).series(code, "pop_0_17")
        population = float(series.iloc[-1]) if len(series) else None
    episodes = load_episodes(ws)
    model = MultistateModel(reference_days=reference_days, n_draws=n, population=population,
                            random_state=s).fit(episodes, end=forecast_start(episodes))
    sim = model.project_draws(months)
    frame = _children_hidden(model.summarise(sim).assign(la_code=code or "workspace"),
                             "mean", "state", ["period", "measure"], STATS)
    if not costs:
        return RecordForecast(frame, None, None, None)
    start = model.rates_.start
    years = year_ending(start) + np.arange(months // 12 + 1)
    base = (council_cost_base(ws, code, years) if code else
            england_base("workspace", CATEGORIES, years))
    spend = spending.monthly_spend(start, sim.dates, model.rates_.stock0.sum(0),
                                   sim.category_stock, CATEGORIES, base)
    spend.insert(0, "la_code", code or "workspace")
    unit = base.frame()
    ro3 = None
    if code is not None:
        ro3 = spending.ro3_actuals(ws)
        ro3 = ro3[ro3["la_code"] == code]
        spend = spend.merge(ro3, on=["la_code", "period"], how="left")
        # RO3 is the council's whole CLA spend: beside the total only.
        spend["ro3_actual_gbp"] = spend["ro3_actual_gbp"].where(spend["category"] == "all")
    spend = _children_hidden(spend, "children", "category", ["period"], ["children", *STATS])
    return RecordForecast(frame, spend, unit[unit["period"].isin(spend["period"])], ro3)


def backtest(ws: Workspace, horizons: list[int], *, draws: int | None = None,
             scheduler: Any = None, tick: Callable[[], None] = lambda: None,
             model: str | None = None) -> dict[str, Any]:
    """Every council model and baseline at every origin (bench/results/backtest.json)."""
    if not horizons or min(horizons) < 1 or max(horizons) > registry.PROJECTION_YEARS:
        raise InputError(f"--horizons are whole years from 1 to {registry.PROJECTION_YEARS}")
    return compare.run_comparison(ws, sorted(set(horizons)), checks.draws(draws), scheduler,
                                  tick, primary=_model_name(model))


def n_backtest_models() -> int:
    return len(compare.MODELS) + len(compare.CANDIDATES)


__all__ = ["ENGLAND", "CostForecast", "Forecast", "RecordForecast", "backtest", "forecast",
           "forecast_costs", "forecast_records", "n_backtest_models"]

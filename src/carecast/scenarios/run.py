"""Run a baseline and a scenario side by side with the same random draws.

The council-level model is fitted once on every council (its shrinkage needs the panel);
baseline and scenario are then projected with the same seed, so each scenario draw is the
baseline draw with the levers applied and every difference (entries avoided, savings) is
computed draw by draw: intervals come from the paired differences, not from two
independent bands.

After projection, children in care are split into placement categories by each council's
published 31 March mix (held at its recent level), placement-mix levers move children
between categories (moved children stay moved until they leave care, at the rate the
simulated stock leaves), and spend is bed-weeks x England weekly unit cost
(:mod:`carecast.costs` parameters, LAIT S251) by financial year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from carecast import params
from carecast.data.councils import lookup
from carecast.data.workspace import Workspace
from carecast.model import CouncilModel, CouncilRates, load_council_data
from carecast.model.schema import summarise
from carecast.scenarios import finance
from carecast.scenarios.levers import Shares, apply_levers, load_shares, phase_fraction
from carecast.scenarios.schema import (
    CATEGORIES,
    FosterCarersLever,
    PlacementMoveLever,
    Scenario,
    UnitCostLever,
)

STAT_COLUMNS = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]


def _defaults() -> dict[str, Any]:
    return dict(params.value("scenarios.defaults"))


def _select(rates: CouncilRates, idx: np.ndarray) -> CouncilRates:
    """The rates of some councils only (the common walk stays shared)."""
    def pick(sd: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: (v if v.ndim == 0 else v[idx]).copy() for k, v in sd.items()}

    return replace(rates, codes=rates.codes[idx].copy(), stock0=rates.stock0[idx].copy(),
                   population=rates.population[idx].copy(),
                   log_entry_rate=rates.log_entry_rate[idx].copy(),
                   log_exit_hazard=rates.log_exit_hazard[idx].copy(),
                   sd_entry=pick(rates.sd_entry), sd_exit=pick(rates.sd_exit))


@dataclass(frozen=True)
class Baseline:
    """A fitted council model and published shares for some councils, reused by every
    scenario run against it."""

    model: CouncilModel
    rates: CouncilRates
    shares: Shares
    horizon: int
    draws: int
    seed: int

    @property
    def years(self) -> np.ndarray:
        return self.rates.origin + 1 + np.arange(self.horizon)


def prepare(ws: Workspace, councils: list[str] | None = None, *, draws: int | None = None,
            seed: int | None = None, horizon: int | None = None) -> Baseline:
    """Fit the council model on the whole panel and keep ``councils`` (default: all)."""
    d = _defaults()
    draws = int(d["draws"] if draws is None else draws)
    seed = int(d["seed"] if seed is None else seed)
    horizon = int(d["horizon_years"] if horizon is None else horizon)
    model = CouncilModel(n_draws=draws, random_state=seed).fit(load_council_data(ws))
    codes = model.rates_.codes
    if councils is not None:
        wanted = [lookup(c).code for c in councils]
        missing = [c for c in wanted if c not in set(codes)]
        if missing:
            raise LookupError(f"no published children-in-care series for council {missing}")
        idx = np.array([int(np.flatnonzero(codes == c)[0]) for c in wanted])
    else:
        idx = np.arange(len(codes))
    rates = _select(model.rates_, idx)
    return Baseline(model=model, rates=rates, shares=load_shares(rates.codes),
                    horizon=horizon, draws=draws, seed=seed)


@dataclass(frozen=True)
class Outcome:
    """One side (baseline or scenario): arrays (draws, councils, years)."""

    stock: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    by_category: dict[str, np.ndarray]      # children at 31 March, origin year included
    bed_weeks: dict[str, np.ndarray]
    spend_gbp: dict[str, np.ndarray]
    total_gbp: np.ndarray


def _param(scenario: Scenario | None, name: str) -> list[tuple[dt.date, Any]]:
    """A parameter's dated values with the scenario's overrides (scenario side only)."""
    dated = {v.start: v.value for v in params.get(name).values}
    if scenario is not None:
        dated.update(scenario.parameter_changes.get(name, {}))
    return sorted(dated.items())


def _at(dated: list[tuple[dt.date, Any]], day: dt.date) -> Any:
    in_force = [v for start, v in dated if start <= day]
    return in_force[-1] if in_force else dated[0][1]


def unit_costs(years: np.ndarray, inflation: np.ndarray, overrides: Scenario | None
               ) -> dict[str, np.ndarray]:
    """England weekly unit cost (GBP) per category and financial year ending ``years``:
    LAIT S251 for published years, then grown by ``inflation`` (fractions per year)."""
    table = _param(overrides, "costs.unit_costs")
    category_costs = _at(_param(overrides, "costs.category_costs"), dt.date.today())
    cost_category = params.value("scenarios.placement_groups")["cost_category"]
    last = table[-1][0].year
    growth = np.ones(len(years))
    for i, year in enumerate(years):
        fy_start = int(year) - 1
        growth[i] = np.prod([1 + inflation[j] for j, y in enumerate(years)
                             if last < int(y) - 1 <= fy_start])
    out = {}
    for cat in CATEGORIES:
        key = category_costs.get(cost_category[cat], cost_category[cat])
        base = [float(_at(table, dt.date(min(int(y) - 1, last), 4, 1))[key]) for y in years]
        out[cat] = np.array(base) * growth
    return out


def _inflation(years: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Unit-cost growth per year: the scenario's path if it gives one, else costs.inflation
    (applies to baseline and scenario alike: it is an assumption about prices)."""
    if scenario.inflation_percent is None:
        return np.full(len(years), float(params.value("costs.inflation")))
    return np.array([scenario.inflation_for(int(y)) for y in years])


def _with_origin(stock0: np.ndarray, stock: np.ndarray) -> np.ndarray:
    return np.concatenate([np.broadcast_to(stock0[None, :, None],
                                           (*stock.shape[:2], 1)), stock], axis=2)


def _outcome(baseline: Baseline, side: Scenario | None, costs: dict[str, np.ndarray],
             prices: np.ndarray) -> tuple[Outcome, np.ndarray]:
    """Project one side (None: the baseline); returns the outcome and the investment its
    levers carry (foster carer recruitment)."""
    levers = side.levers if side is not None else []
    rates = apply_levers(baseline.rates, side, baseline.shares) if side else baseline.rates
    fc = baseline.model.project(baseline.horizon, rates=rates, n_draws=baseline.draws,
                                random_state=baseline.seed)
    stock, entries = fc.draws["cla_at_31_march"], fc.draws["cla_started"]
    full = _with_origin(baseline.rates.stock0, stock)
    years = baseline.years
    by_cat = {c: full * baseline.shares.mix[c][None, :, None] for c in CATEGORIES}
    # Share of those at risk in a year still in care at its end, per draw.
    retention = np.ones_like(full)
    retention[..., 1:] = stock / np.maximum(full[..., :-1] + entries, 1e-9)
    for lever in levers:
        if isinstance(lever, PlacementMoveLever):
            phase = phase_fraction(lever.start, lever.phase_in_years, years)
            source = by_cat[lever.from_category]
            moved = np.zeros_like(full)
            if lever.children_per_year is None:
                target = (baseline.shares.neighbour_mix[lever.from_category]
                          if lever.target_share == "neighbours_median"
                          else np.full(len(baseline.rates.codes), lever.target_share))
                excess = np.clip(source - target[None, :, None] * full, 0, None)
                moved[..., 1:] = excess[..., 1:] * phase
            else:
                for h in range(1, full.shape[2]):
                    want = (moved[..., h - 1] * retention[..., h]
                            + lever.children_per_year * phase[h - 1])
                    moved[..., h] = np.minimum(want, source[..., h])
            by_cat[lever.from_category] = by_cat[lever.from_category] - moved
            by_cat[lever.to_category] = by_cat[lever.to_category] + moved
    weeks = finance.weeks_per_year()
    bw = {c: finance.bed_weeks(v[..., :-1], v[..., 1:], weeks) for c, v in by_cat.items()}
    return outcome(levers, years, stock, entries, fc.draws["cla_ceased"], by_cat, bw, costs,
                   prices)


def outcome(levers: list[Any], years: np.ndarray, stock: np.ndarray, entries: np.ndarray,
            exits: np.ndarray, by_category: dict[str, np.ndarray],
            bed_weeks: dict[str, np.ndarray], costs: dict[str, np.ndarray],
            prices: np.ndarray) -> tuple[Outcome, np.ndarray]:
    """Cost one side from its simulated children (shared by the council and record-level
    paths): bed-weeks x unit costs after the cost-only levers (unit cost changes; foster
    carers, whose recruitment cost is returned as extra investment, (councils, years)).
    ``by_category`` holds children at 31 March, origin year included, (draws, councils,
    years + 1); ``bed_weeks`` (draws, councils, years)."""
    extra = np.zeros((stock.shape[1], len(years)))
    swapped = np.zeros_like(by_category["fostering"])
    weeks = finance.weeks_per_year()
    for lever in levers:
        phase = phase_fraction(lever.start, lever.phase_in_years, years)
        if isinstance(lever, FosterCarersLever):
            carers = np.cumsum(lever.carers_per_year * phase)
            capacity = np.concatenate([[0.0], carers * lever.children_per_carer])
            swapped = np.minimum(np.maximum(swapped, 0) + capacity[None, None],
                                 by_category["fostering"])
            extra += lever.carers_per_year * phase * lever.cost_gbp_per_carer
        elif isinstance(lever, UnitCostLever):
            costs = {**costs, lever.category: costs[lever.category]
                     * (1 + lever.change_percent / 100 * phase)}
    spend = finance.spend(bed_weeks, costs)
    total = np.sum(list(spend.values()), axis=0)
    for lever in levers:
        if isinstance(lever, FosterCarersLever):
            premium = lever.ifa_minus_in_house_gbp_per_week * prices
            total = total - finance.bed_weeks(swapped[..., :-1], swapped[..., 1:],
                                              weeks) * premium
    return Outcome(stock=stock, entries=entries, exits=exits, by_category=by_category,
                   bed_weeks=bed_weeks, spend_gbp=spend, total_gbp=total), extra


def investment_gbp(scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """Investment per financial year: each item's annual sum times the share of the year
    it runs (from its start date to its end date, if any)."""
    out = np.zeros(len(years))
    for item in scenario.investment:
        share = phase_fraction(item.start, 0, years)
        if item.end is not None:
            share = share - phase_fraction(item.end, 0, years)
        out += item.annual_gbp * share
    return out


@dataclass(frozen=True)
class ScenarioResult:
    """Baseline and scenario, paired draw by draw, for one or more councils."""

    scenario: Scenario
    codes: np.ndarray
    years: np.ndarray
    baseline: Outcome
    changed: Outcome
    investment_gbp: np.ndarray        # (councils, years)
    appraisal: finance.Appraisal      # arrays (draws, councils, years)
    draws: int
    seed: int
    suppress_below: float | None = None   # children's data (record level): hide small counts

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Tidy tables: children, children_by_category, bed_weeks, spend, summary."""
        fy = [finance.financial_year(int(y)) for y in self.years]
        b, s = self.baseline, self.changed
        children = _long({m: (getattr(b, a), getattr(s, a)) for m, a in
                          (("cla_at_31_march", "stock"), ("cla_started", "entries"),
                           ("cla_ceased", "exits"))}, self.codes, self.years, "measure")
        by_cat = _long({c: (b.by_category[c][..., 1:], s.by_category[c][..., 1:])
                        for c in b.by_category}, self.codes, self.years, "category")
        beds = _long({c: (b.bed_weeks[c], s.bed_weeks[c]) for c in b.bed_weeks},
                     self.codes, fy, "category")
        a = self.appraisal
        inv = np.broadcast_to(self.investment_gbp, a.net_savings_gbp.shape)
        money = {"baseline_gbp": a.baseline_gbp, "scenario_gbp": a.scenario_gbp,
                 "investment_gbp": inv, "net_savings_gbp": a.net_savings_gbp,
                 "cumulative_savings_gbp": a.cumulative_gbp}
        spend = pd.concat([_stats(v, self.codes, fy, measure=k) for k, v in money.items()],
                          ignore_index=True)
        frames = {"children": children, "children_by_category": by_cat, "bed_weeks": beds,
                  "spend": spend, "summary": self.summary()}
        if self.suppress_below is not None:
            weeks = finance.weeks_per_year()
            for name, unit in (("children", 1.0), ("children_by_category", 1.0),
                               ("bed_weeks", weeks)):
                frames[name] = suppress(frames[name], self.suppress_below * unit)
            summary = frames["summary"]
            frames["summary"] = suppress(summary, self.suppress_below,
                                         summary["measure"] == "entries_avoided")
        return frames

    def summary(self) -> pd.DataFrame:
        """Per council: entries avoided, net savings, NPV, payback (with intervals)."""
        a = self.appraisal
        avoided = (self.baseline.entries - self.changed.entries).sum(axis=2)
        rows = []
        for i, code in enumerate(self.codes):
            payback = a.payback_year[:, i]
            mean_path = a.cumulative_gbp[:, i].mean(axis=0)
            mean_payback = finance.payback_year(mean_path, self.years, self.investment_gbp[i])
            for measure, draws in (("entries_avoided", avoided[:, i]),
                                   ("net_savings_total_gbp", a.cumulative_gbp[:, i, -1]),
                                   ("investment_total_gbp",
                                    np.full(self.draws, self.investment_gbp[i].sum())),
                                   ("npv_gbp", a.npv_gbp[:, i])):
                rows.append({"la_code": code, "measure": measure,
                             **{k: float(v) for k, v in summarise(draws).items()}})
            rows.append({"la_code": code, "measure": "payback_year",
                         "mean": float(mean_payback) if np.isfinite(mean_payback) else None,
                         "share_of_draws": float(np.isfinite(payback).mean())})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        frames = self.to_frames()
        return {
            "scenario": self.scenario.model_dump(mode="json", exclude_defaults=True),
            "councils": self.codes.tolist(), "draws": self.draws, "seed": self.seed,
            "discount_rate": self.appraisal.discount_rate,
            "tables": {k: v.astype(object).where(v.notna(), None).to_dict(orient="records")
                       for k, v in frames.items()},
        }


def suppress(frame: pd.DataFrame, below: float, rows: pd.Series | None = None
             ) -> pd.DataFrame:
    """Blank the values of rows (default all) whose mean is under ``below`` in absolute
    value but not exactly 0 (children's data: small numbers are not exported), flagging
    them ``suppressed``."""
    size = pd.to_numeric(frame["mean"], errors="coerce").abs()
    small = (size > 0) & (size < below)
    if rows is not None:
        small &= rows
    out = frame.copy()
    out[STAT_COLUMNS] = out[STAT_COLUMNS].astype(float).mask(small)
    out["suppressed"] = small
    return out


def _stats(draws: np.ndarray, codes: np.ndarray, periods: list[Any], **labels: str
           ) -> pd.DataFrame:
    """Rows (la_code, period, labels..., mean, intervals) from (draws, councils, years)."""
    n, h = draws.shape[1], draws.shape[2]
    frame = pd.DataFrame({"la_code": np.repeat(codes, h), "period": np.tile(periods, n),
                          **labels})
    for k, v in summarise(draws).items():
        frame[k] = v.ravel()
    return frame


def _long(pairs: dict[str, tuple[np.ndarray, np.ndarray]], codes: np.ndarray,
          periods: Any, key: str) -> pd.DataFrame:
    frames = []
    for name, (base, scen) in pairs.items():
        for variant, draws in (("baseline", base), ("scenario", scen),
                               ("difference", scen - base)):
            frames.append(_stats(draws, codes, list(periods), **{key: name,
                                                                 "variant": variant}))
    return pd.concat(frames, ignore_index=True)


Side = Callable[[Scenario | None, dict[str, np.ndarray], np.ndarray], tuple[Outcome, np.ndarray]]


def paired(scenario: Scenario, years: np.ndarray, codes: np.ndarray, side: Side, *,
           draws: int, seed: int, cost_scale: dict[str, float] | None = None,
           rate: float | None = None, suppress_below: float | None = None) -> ScenarioResult:
    """Project and cost both sides with ``side(scenario or None, unit costs, price index)``
    and appraise the paired draws (shared by the council and record-level paths)."""
    inflation = _inflation(years, scenario)
    prices = finance.price_index(inflation) / (1 + inflation[0])
    scale = cost_scale or {}

    def costs(which: Scenario | None) -> dict[str, np.ndarray]:
        return {c: v * scale.get(c, 1.0) for c, v in unit_costs(years, inflation, which).items()}

    base, _ = side(None, costs(None), prices)
    changed, extra = side(scenario, costs(scenario), prices)
    investment = investment_gbp(scenario, years)[None] + extra
    if rate is None and "scenarios.discount_rate" in scenario.parameter_changes:
        rate = _at(_param(scenario, "scenarios.discount_rate"), dt.date.today())
    appraisal = finance.appraise(
        years, base.total_gbp, changed.total_gbp, investment[None], rate=rate,
        price_index=prices,
    )
    return ScenarioResult(scenario=scenario, codes=codes, years=years, baseline=base,
                          changed=changed, investment_gbp=investment, appraisal=appraisal,
                          draws=draws, seed=seed, suppress_below=suppress_below)


def run(baseline: Baseline, scenario: Scenario, *, cost_scale: dict[str, float] | None = None,
        rate: float | None = None) -> ScenarioResult:
    """Baseline and scenario for every council of ``baseline``, paired by draw.

    ``cost_scale`` multiplies unit costs by category on both sides and ``rate`` replaces the
    discount rate (both for sensitivity analysis).
    """
    return paired(scenario, baseline.years, baseline.rates.codes,
                  lambda side, costs, prices: _outcome(baseline, side, costs, prices),
                  draws=baseline.draws, seed=baseline.seed, cost_scale=cost_scale, rate=rate)


def run_scenario(ws: Workspace, scenario: Scenario, council: str, draws: int | None = None,
                 seed: int | None = None, horizon: int | None = None) -> ScenarioResult:
    """One council's baseline and scenario (the call the web page and CLI make)."""
    return run(prepare(ws, [council], draws=draws, seed=seed, horizon=horizon), scenario)

"""Run a baseline and a scenario side by side with the same random draws.

The default council model (:func:`carecast.model.registry.make`) is fitted once on every
council (its shrinkage needs the panel) and projected for every council; a scenario is the
same projection with the levers applied to a deep copy of the rates, with the same seed, so
each scenario draw is the baseline draw changed by the levers and every difference
(entries avoided, savings) is computed draw by draw. The baseline *is* the forecast: the
same model, draws and costs as ``carecast forecast --costs``, so the two agree to the pound.

After projection, children are held in each council's placement mix at 31 March
(:mod:`carecast.costs.mix`); children kept out of care by an entries lever on some ages
are taken out of those ages' placement mix; placement-mix levers move children between
categories (moved children stay moved until they leave care, at the rate the simulated
stock leaves); spend is child-weeks x each council's unit costs, reconciled to its RO3
outturn (:mod:`carecast.costs`). Overrides in the scenario's ``parameter_changes`` apply
to the scenario side only, and an override that nothing reads is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from carecast import disclosure, params
from carecast.costs import base as cost_base
from carecast.costs import unit_costs
from carecast.costs import workforce as wf
from carecast.costs.calendar import financial_year, yearly_child_weeks
from carecast.costs.spend import children_by_category
from carecast.data.councils import lookup
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.model import CouncilRates, load_council_data, registry
from carecast.model.council import CouncilForecast
from carecast.model.schema import summarise
from carecast.scenarios import finance
from carecast.scenarios.levers import (
    Shares,
    apply_levers,
    load_shares,
    phase_fraction,
    segment_share,
)
from carecast.scenarios.schema import (
    EntriesLever,
    FosterCarersLever,
    PlacementMoveLever,
    Scenario,
    UnitCostLever,
    WorkforceLever,
)

STAT_COLUMNS = ["mean", "lo_80", "hi_80", "lo_95", "hi_95"]


@dataclass(frozen=True)
class Baseline:
    """A fitted default council model, its projection, shares and cost base for every
    council, and the councils a run reports on."""

    model: Any
    rates: CouncilRates
    projection: CouncilForecast
    shares: Shares
    costs: cost_base.CostBase
    selected: np.ndarray          # indices of the councils reported
    horizon: int
    draws: int
    seed: int
    workforce: wf.Position | None = None  # published social workers (recruitment lever)

    @property
    def years(self) -> np.ndarray:
        return self.rates.origin + 1 + np.arange(self.horizon)

    @property
    def codes(self) -> np.ndarray:
        return self.rates.codes[self.selected]


def prepare(ws: Workspace, councils: list[str] | None = None, *, draws: int | None = None,
            seed: int | None = None, horizon: int | None = None, origin: int | None = None,
            model: str | None = None) -> Baseline:
    """Fit the default model on the whole panel, project it, cost it; report ``councils``
    (default: all)."""
    draws = int(params.value("model.draws") if draws is None else draws)
    seed = int(params.value("model.seed") if seed is None else seed)
    horizon = int(params.value("scenarios.horizon_years") if horizon is None else horizon)
    if not 1 <= horizon <= registry.PROJECTION_YEARS:
        raise InputError(f"the horizon is 1 to {registry.PROJECTION_YEARS} years, not {horizon}")
    fitted = registry.make(model, n_draws=draws, random_state=seed).fit(
        load_council_data(ws), origin=origin)
    rates = fitted.rates_
    codes = rates.codes
    if councils is None:
        selected = np.arange(len(codes))
    else:
        wanted = [lookup(c).code for c in councils]
        missing = [c for c in wanted if c not in set(codes)]
        if missing:
            raise LookupError(f"no published children-in-care series for council {missing}")
        selected = np.array([int(np.flatnonzero(codes == c)[0]) for c in wanted])
    projection = registry.project(fitted, horizon, n_draws=draws, random_state=seed)
    shares = load_shares(codes, rates.origin)
    years = rates.origin + 1 + np.arange(horizon)
    first_mean = projection.draws["cla_at_31_march"][..., 0].mean(axis=0)
    costs = cost_base.resolve(ws, shares.mix, years, rates.origin, rates.stock0, first_mean)
    return Baseline(model=fitted, rates=rates, projection=projection, shares=shares,
                    costs=costs, selected=selected, horizon=horizon, draws=draws, seed=seed,
                    workforce=wf.load_position(ws, codes))


@dataclass(frozen=True)
class Outcome:
    """One side (baseline or scenario): arrays (draws, councils, years)."""

    stock: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    by_category: dict[str, np.ndarray]      # children at 31 March, origin year included
    child_weeks: dict[str, np.ndarray]
    spend_gbp: dict[str, np.ndarray]
    total_gbp: np.ndarray

    def select(self, idx: np.ndarray) -> Outcome:
        def pick(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {k: v[:, idx] for k, v in d.items()}

        return Outcome(self.stock[:, idx], self.entries[:, idx], self.exits[:, idx],
                       pick(self.by_category), pick(self.child_weeks), pick(self.spend_gbp),
                       self.total_gbp[:, idx])


def _with_origin(stock0: np.ndarray, stock: np.ndarray) -> np.ndarray:
    return np.concatenate([np.broadcast_to(stock0[None, :, None],
                                           (*stock.shape[:2], 1)), stock], axis=2)


def _young_mix(baseline: Baseline, levers: list[EntriesLever]) -> np.ndarray:
    """Placement mix (councils, categories) of the children the entries levers keep out of
    care: each lever's ages' mix, weighted by the entries it avoids at full effect."""
    mix = baseline.shares.mix
    weights, mixes = [], []
    for lever in levers:
        share = segment_share(baseline.shares, lever.segment)
        size = share * (lever.reduce_percent if lever.reduce_percent is not None
                        else lever.reduce_per_year or 0.0)
        ages = list(lever.segment.age) if lever.segment and lever.segment.age else None
        weights.append(size)
        mixes.append(mix.by_age(ages) if ages else mix.placement)
    w = np.array(weights)
    total = w.sum(axis=0)
    w = np.divide(w, total, out=np.full_like(w, 1 / len(levers)), where=total > 0)
    return np.einsum("lc,lck->ck", w, np.array(mixes))


def _placements(baseline: Baseline, side: Scenario | None, fc: CouncilForecast
                ) -> dict[str, np.ndarray]:
    """Children at 31 March by category on one side (see the module docstring)."""
    b = baseline
    stock, entries = fc.draws["cla_at_31_march"], fc.draws["cla_started"]
    by_cat = children_by_category(b.rates.stock0, stock, b.shares.mix)
    levers = side.levers if side is not None else []
    entry_levers = [lv for lv in levers if isinstance(lv, EntriesLever)]
    if entry_levers:
        exit_only = side.model_copy(update={"levers": [lv for lv in levers
                                                       if not isinstance(lv, EntriesLever)]})
        kept = (b.projection if not exit_only.levers else
                registry.project(b.model, b.horizon,
                                 rates=apply_levers(b.rates, exit_only, b.shares),
                                 n_draws=b.draws, random_state=b.seed))
        avoided = _with_origin(b.rates.stock0, kept.draws["cla_at_31_march"] - stock)
        young = _young_mix(b, entry_levers)
        for i, c in enumerate(b.shares.mix.categories):
            shift = b.shares.mix.placement[None, :, i, None] - young[None, :, i, None]
            by_cat[c] = np.clip(by_cat[c] + avoided * shift, 0, None)
    full = _with_origin(b.rates.stock0, stock)
    retention = np.ones_like(full)
    retention[..., 1:] = stock / np.maximum(full[..., :-1] + entries, 1e-9)
    for lever in levers:
        if not isinstance(lever, PlacementMoveLever):
            continue
        phase = phase_fraction(lever.start, lever.phase_in_years, b.years)
        source = by_cat[lever.from_category]
        moved = np.zeros_like(full)
        if lever.children_per_year is None:
            target = (b.shares.neighbour_mix[lever.from_category]
                      if lever.target_share == "neighbours_median"
                      else np.full(len(b.rates.codes), lever.target_share))
            excess = np.clip(source - target[None, :, None] * full, 0, None)
            moved[..., 1:] = excess[..., 1:] * phase
        else:
            for h in range(1, full.shape[2]):
                want = (moved[..., h - 1] * retention[..., h]
                        + lever.children_per_year * phase[h - 1])
                moved[..., h] = np.minimum(want, source[..., h])
        by_cat[lever.from_category] = by_cat[lever.from_category] - moved
        by_cat[lever.to_category] = by_cat[lever.to_category] + moved
    return by_cat


def _outcome(baseline: Baseline, side: Scenario | None, costs: dict[str, np.ndarray]
             ) -> tuple[Outcome, np.ndarray]:
    """Project and cost one side (None: the baseline) for every council."""
    b = baseline
    fc = b.projection if side is None else registry.project(
        b.model, b.horizon, rates=apply_levers(b.rates, side, b.shares), n_draws=b.draws,
        random_state=b.seed)
    by_cat = _placements(b, side, fc)
    weeks = {c: yearly_child_weeks(v[..., 0], v[..., 1:]) for c, v in by_cat.items()}
    return outcome(side.levers if side is not None else [], b.years,
                   fc.draws["cla_at_31_march"], fc.draws["cla_started"],
                   fc.draws["cla_ceased"], by_cat, weeks, costs, workforce=b.workforce)


def baseline_outcome(baseline: Baseline) -> Outcome:
    """The baseline side for every council: the forecast, its children by category and its
    spend (what ``carecast forecast --costs`` shows)."""
    return _outcome(baseline, None, {c: baseline.costs.weekly(c)
                                     for c in baseline.costs.categories})[0]


def outcome(levers: list[Any], years: np.ndarray, stock: np.ndarray, entries: np.ndarray,
            exits: np.ndarray, by_category: dict[str, np.ndarray],
            child_weeks: dict[str, np.ndarray], costs: dict[str, np.ndarray], *,
            workforce: wf.Position | None = None) -> tuple[Outcome, np.ndarray]:
    """Cost one side from its simulated children (shared by the council and record-level
    paths): child-weeks x unit costs (councils, years) after the cost-only levers (unit
    cost changes; foster carers, whose recruitment cost is returned as extra investment,
    (councils, years)). ``by_category`` holds children at 31 March, origin year included,
    (draws, councils, years + 1); ``child_weeks`` (draws, councils, years)."""
    extra = np.zeros((stock.shape[1], len(years)))
    swapped = np.zeros_like(by_category["fostering"])
    fostering_index = costs["fostering"] / costs["fostering"][:, :1]
    for lever in levers:
        phase = phase_fraction(lever.start, lever.phase_in_years, years)
        if isinstance(lever, FosterCarersLever):
            if isinstance(lever.carers_per_year, str):
                raise InputError("foster_carers: carers_per_year 'sufficiency_gap' is set "
                                 "from the council's sufficiency gap by carecast.service."
                                 "placements.resolve_scenario (carecast scenario run does it)")
            carers = np.cumsum(lever.carers_per_year * phase)
            capacity = np.concatenate([[0.0], carers * lever.children_per_carer])
            swapped = np.minimum(np.maximum(swapped, 0) + capacity[None, None],
                                 by_category["fostering"])
            extra += lever.carers_per_year * phase * lever.cost_gbp_per_carer
        elif isinstance(lever, UnitCostLever):
            costs = {**costs, lever.category: costs[lever.category]
                     * (1 + lever.change_percent / 100 * phase)}
    spend = {c: w * costs[c][None] for c, w in child_weeks.items()}
    total = np.sum(list(spend.values()), axis=0)
    for lever in levers:
        if isinstance(lever, FosterCarersLever):
            premium = lever.ifa_minus_in_house_gbp_per_week * fostering_index
            total = total - yearly_child_weeks(swapped[..., 0], swapped[..., 1:]) * premium[None]
        elif isinstance(lever, WorkforceLever):
            total = total - workforce_savings(lever, years, workforce)[None]
    return Outcome(stock=stock, entries=entries, exits=exits, by_category=by_category,
                   child_weeks=child_weeks, spend_gbp=spend, total_gbp=total), extra


def workforce_savings(lever: WorkforceLever, years: np.ndarray, workforce: wf.Position | None
                      ) -> np.ndarray:
    """Savings (councils, years) of a recruitment-and-retention lever: agency FTE converted
    x the agency premium (``workforce.agency_premium``, which a scenario may override) x
    weeks, plus leavers avoided x cost per leaver, each x phase, in cash of each year (the
    premium grown by the GDP deflator from its price year)."""
    if workforce is None:
        raise InputError("the workforce lever needs a council's published social workers: "
                         "run it on the council-level model (without --ssda903)")
    phase = phase_fraction(lever.start, lever.phase_in_years, years)
    saving = np.zeros((len(workforce.codes), len(years)))
    if lever.agency_rate_percent is not None:
        target = (workforce.england_agency_rate if lever.agency_rate_percent == "england"
                  else float(lever.agency_rate_percent) / 100)
        converted = np.nan_to_num(wf.agency_fte_converted(workforce, target))
        saving += converted[:, None] * wf.premium_path_gbp_per_year(years)[None]
    if lever.turnover_rate_percent is not None:
        target = (workforce.england_turnover_rate if lever.turnover_rate_percent == "england"
                  else float(lever.turnover_rate_percent) / 100)
        avoided = np.nan_to_num(wf.leavers_avoided(workforce, target))
        saving += (avoided * lever.cost_gbp_per_leaver)[:, None]
    return saving * phase[None]


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
    appraisal: finance.Appraisal      # arrays (draws, councils, appraised years)
    draws: int
    seed: int
    assumptions: list[str]
    record_level: bool = False   # children's data: small numbers hidden (carecast.disclosure)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Tidy tables: children, children_by_category, child_weeks, spend, summary."""
        fy = [financial_year(int(y)) for y in self.years]
        b, s = self.baseline, self.changed
        children = _long({m: (getattr(b, a), getattr(s, a)) for m, a in
                          (("cla_at_31_march", "stock"), ("cla_started", "entries"),
                           ("cla_ceased", "exits"))}, self.codes, self.years, "measure")
        by_cat = _long({c: (b.by_category[c][..., 1:], s.by_category[c][..., 1:])
                        for c in b.by_category}, self.codes, self.years, "category")
        weeks = _long({c: (b.child_weeks[c], s.child_weeks[c]) for c in b.child_weeks},
                      self.codes, fy, "category")
        a = self.appraisal
        keep = np.isin(self.years, a.years)
        inv = np.broadcast_to(self.investment_gbp[:, keep], a.net_savings_gbp.shape)
        money = {"baseline_gbp": b.total_gbp, "scenario_gbp": s.total_gbp}
        appraised = {"investment_gbp": inv, "net_savings_gbp": a.net_savings_gbp,
                     "cumulative_savings_gbp": a.cumulative_gbp}
        afy = [financial_year(int(y)) for y in a.years]
        spend = pd.concat([*(_stats(v, self.codes, fy, measure=k) for k, v in money.items()),
                           *(_stats(v, self.codes, afy, measure=k)
                             for k, v in appraised.items())], ignore_index=True)
        frames = {"children": children, "children_by_category": by_cat, "child_weeks": weeks,
                  "spend": spend, "summary": self.summary()}
        if self.record_level:
            from carecast.costs.calendar import weeks_per_year

            # Categories add up to each side's children (and child-weeks) in a year.
            parts = [["la_code", "period", "variant"]]
            for name, unit, within in (("children", 1.0, []),
                                       ("children_by_category", 1.0, parts),
                                       ("child_weeks", weeks_per_year(), parts)):
                frames[name] = suppress(frames[name], unit, within=within)
            summary = frames["summary"]
            frames["summary"] = suppress(summary, 1.0,
                                         rows=summary["measure"] == "entries_avoided")
        return frames

    def summary(self) -> pd.DataFrame:
        """Per council: entries avoided, net savings, NPV, payback (with intervals), over
        the appraised years."""
        a = self.appraisal
        keep = np.isin(self.years, a.years)
        measures = {
            "entries_avoided": (self.baseline.entries - self.changed.entries)[..., keep]
            .sum(axis=2),
            "net_savings_total_gbp": a.cumulative_gbp[..., -1],
            "investment_total_gbp": np.broadcast_to(
                self.investment_gbp[:, keep].sum(axis=1), (self.draws, len(self.codes))),
            "npv_gbp": a.npv_gbp,
        }
        stats = {m: summarise(d) for m, d in measures.items()}   # over draws, every council
        mean_payback = finance.payback_year(a.cumulative_gbp.mean(axis=0), a.years, a.invested)
        pays = np.isfinite(a.payback_year).mean(axis=0)
        rows = []
        for i, code in enumerate(self.codes):
            for measure, stat in stats.items():
                rows.append({"la_code": code, "measure": measure,
                             **{k: float(v[i]) for k, v in stat.items()}})
            rows.append({"la_code": code, "measure": "payback_year",
                         "mean": float(mean_payback[i]) if np.isfinite(mean_payback[i])
                         else None,
                         "share_of_draws": float(pays[i]) if a.invested else None,
                         "invested": a.invested})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        frames = self.to_frames()
        return {
            "scenario": self.scenario.model_dump(mode="json", exclude_defaults=True),
            "councils": self.codes.tolist(), "draws": self.draws, "seed": self.seed,
            "discount_rate": self.appraisal.discount_rate,
            "appraisal_base_year": financial_year(self.appraisal.base_year),
            "assumptions": self.assumptions,
            "tables": {k: v.astype(object).where(v.notna(), None).to_dict(orient="records")
                       for k, v in frames.items()},
        }


def suppress(frame: pd.DataFrame, scale: float, *, within: list[list[str]] | None = None,
             rows: pd.Series | None = None) -> pd.DataFrame:
    """Blank the statistics of rows (default all) whose mean :mod:`carecast.disclosure`
    hides (children's data: small numbers are not exported; ``scale`` is the unit, e.g.
    weeks a year for child-weeks), flagging them ``suppressed``."""
    keep = frame if rows is None else frame[rows.to_numpy()]
    hidden = disclosure.suppress(keep, "mean", within=within or [], scale=scale)["suppressed"]
    small = pd.Series(False, index=frame.index)
    small[keep.index] = hidden.to_numpy()
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


Side = Callable[[Scenario | None, dict[str, np.ndarray]], tuple[Outcome, np.ndarray]]


def paired(scenario: Scenario, years: np.ndarray, costs: cost_base.CostBase, side: Side,
           select: np.ndarray, *, draws: int, seed: int, as_of: dt.date | None = None,
           cost_scale: dict[str, float] | None = None, rate: float | None = None,
           record_level: bool = False) -> ScenarioResult:
    """Project and cost both sides with ``side(scenario or None, unit costs)``, the scenario
    side under its parameter overrides, and appraise the paired draws for the councils
    ``select`` (shared by the council and record-level paths)."""
    scale = cost_scale or {}

    def weekly(base: cost_base.CostBase) -> dict[str, np.ndarray]:
        return {c: base.weekly(c) * scale.get(c, 1.0) for c in base.categories}

    base_side, _ = side(None, weekly(costs))
    with params.overridden(scenario.parameter_changes, f"scenario '{scenario.name}'") as view:
        changed_costs = costs
        if scenario.parameter_changes:
            changed_costs = replace(costs, weekly_gbp=costs.factor[:, None, None] * np.array(
                [[unit_costs.england_weekly(c, int(y)) for y in costs.years]
                 for c in costs.categories])[None], growth=unit_costs.growth())
        changed, extra = side(scenario, weekly(changed_costs))
        investment = investment_gbp(scenario, years)[None] + extra
        base = finance.base_year(years, scenario.starts(), as_of)
        appraisal = finance.appraise(years, base, base_side.total_gbp[:, select],
                                     changed.total_gbp[:, select], investment[None, select],
                                     rate=rate)
    try:
        view.require_used()
    except params.UnusedOverride as exc:
        raise InputError(str(exc)) from None
    fy = financial_year(base)
    assumptions = [costs.growth.describe(),
                   f"NPV in {fy} prices (GDP deflator, costs.gdp_deflator), discounted at "
                   f"{appraisal.discount_rate:.1%} a year from {fy}"]
    if changed_costs is not costs:
        assumptions.append(f"scenario side: {changed_costs.growth.describe()}")
    return ScenarioResult(scenario=scenario, codes=costs.codes[select], years=years,
                          baseline=base_side.select(select), changed=changed.select(select),
                          investment_gbp=investment[select], appraisal=appraisal,
                          draws=draws, seed=seed, assumptions=assumptions,
                          record_level=record_level)


def run(baseline: Baseline, scenario: Scenario, *, as_of: dt.date | None = None,
        cost_scale: dict[str, float] | None = None, rate: float | None = None
        ) -> ScenarioResult:
    """Baseline and scenario for the councils of ``baseline``, paired by draw.

    ``cost_scale`` multiplies unit costs by category on both sides and ``rate`` replaces the
    discount rate (both for sensitivity analysis); ``as_of`` keeps the appraisal from
    starting before the financial year that contains it.
    """
    return paired(scenario, baseline.years, baseline.costs,
                  lambda side, costs: _outcome(baseline, side, costs), baseline.selected,
                  draws=baseline.draws, seed=baseline.seed, as_of=as_of,
                  cost_scale=cost_scale, rate=rate)

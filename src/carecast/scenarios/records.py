"""Scenarios on the record-level model (``carecast scenario run FILE --ssda903``).

The multistate model (:class:`carecast.model.records.MultistateModel`) is fitted once on the
workspace's ingested 903 episodes; baseline and scenario are then simulated with the same
seed. Levers never edit the learned event counts (a gamma posterior with another shape
would consume the random stream differently and unpair the draws, and counts cannot be
phased in by date). They become multipliers applied to each draw's sampled rates, month by
month, with the phase of the financial year the month is in (as on the council path):

- entries: each (age, category) cell's arrivals are binomially thinned by
  1 - X x phase x the cell's share of entries in the segment. Thinning a Poisson count
  gives a Poisson count, and every scenario draw is then a subset of its baseline draw.
  Segment shares come from the council's own entries in the reference window: the model
  has age states, and the episodes carry need (CIN) and legal status (LS), so an
  age-and-need segment is counted jointly, not assumed independent;
- exits: a named route raises the hazard of the model's exit reason holding its REC codes
  by X x the route's share of that reason's exits in the window (e.g. child arrangement
  orders, E41, are grouped with special guardianship); shorter time in care divides every
  exit hazard except leaving at 18 by 1 - X;
- placement move (N children a year): an added daily move hazard from one category to the
  other, N x phase / 365.25 / the baseline's mean stock in the source category that year,
  the same at every age; moved children then follow their new category's exit and move
  rates;
- foster carers, unit costs, investment and the appraisal use the council path's code, at
  the named council's unit costs (reconciled to its RO3 outturn) or England's.

Entries levers change only arrivals: exit and move rates are the baseline's, draw by draw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from carecast import params
from carecast.costs.base import CostBase, england_base
from carecast.costs.calendar import monthly_child_weeks, year_ending
from carecast.data.errors import InputError
from carecast.data.ssda903.cla import counted_episodes
from carecast.model.records import (
    CATEGORIES,
    N_AGES,
    REASONS,
    MultistateModel,
    MultistateRates,
    RateFactors,
    exit_reason,
    forecast_start,
    month_dates,
)
from carecast.scenarios import run as council
from carecast.scenarios.levers import phase_fraction
from carecast.scenarios.schema import (
    EntriesLever,
    ExitsLever,
    PlacementMoveLever,
    Scenario,
    Segment,
)

N_CAT, N_EXIT = len(CATEGORIES), len(REASONS) - 1


@dataclass(frozen=True)
class Draws:
    """Simulated months: stock on each of ``dates`` (draws, categories, months), entries
    and exits (all reasons) during the month ending on each date (draws, months)."""

    dates: pd.DatetimeIndex
    stock: np.ndarray
    entries: np.ndarray
    exits: np.ndarray


def simulate(baseline: RecordBaseline, factors: RateFactors | None = None) -> Draws:
    """The baseline's model's draws (:meth:`MultistateModel.project_draws`, its settings,
    seed and month transition cache) with per-month lever factors, by category.

    Without factors these are ``MultistateModel.project``'s draws, draw for draw.
    """
    b = baseline
    d = b.model.project_draws(b.months, rates=b.rates, factors=factors, n_draws=b.draws,
                              random_state=b.seed, cache=b.cache)
    return Draws(dates=d.dates, stock=d.category_stock, entries=d.entries.T,
                 exits=d.exits.sum(-1).T)


def _window_events(episodes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
                   ) -> tuple[pd.DataFrame, pd.Series]:
    """Entries (age year, category, need, legal status) and exit REC codes in the window,
    counted as the model counts them (an episode followed the same day by the next one is
    a move, not an exit or an entry)."""
    eps = episodes.sort_values(["child", "decom"]).reset_index(drop=True)
    decom, dec = pd.to_datetime(eps["decom"]), pd.to_datetime(eps["dec"])
    same_next = eps["child"].shift(-1).eq(eps["child"]) & decom.shift(-1).eq(dec)
    same_prev = eps["child"].shift(1).eq(eps["child"]) & dec.shift(1).eq(decom)
    new = ~same_prev & (decom >= start) & (decom < end)
    category = eps.get("category_broad", eps.get("category"))
    entries = pd.DataFrame({
        "age": ((decom - pd.to_datetime(eps["dob"])).dt.days / 365.25).astype(int)
        .clip(0, N_AGES - 1),
        "category": pd.Categorical(category, categories=CATEGORIES).codes,
        "need": eps.get("cin", pd.Series("", index=eps.index)).fillna("").astype(str),
        "legal_status": eps.get("ls", pd.Series("", index=eps.index)).fillna("").astype(str),
    })[new.to_numpy()]
    entries.loc[entries["category"] < 0, "category"] = CATEGORIES.index("other")
    left = dec.notna() & (dec >= start) & (dec < end) & ~same_next
    return entries, eps.loc[left, "rec"].fillna("").astype(str).str.upper()


@dataclass
class RecordBaseline:
    """A fitted multistate model, the window's entries and exits for lever shares, and the
    projection settings; baseline draws are simulated once and reused."""

    model: MultistateModel
    rates: MultistateRates
    entries: pd.DataFrame
    exit_recs: pd.Series
    code: str
    horizon: int
    draws: int
    seed: int
    costs: CostBase
    cache: dict[str, Any] = field(default_factory=dict)
    _base: Draws | None = None

    @property
    def years(self) -> np.ndarray:
        """Financial years (ending 31 March) projected, from the one containing the start."""
        return year_ending(self.rates.start) + np.arange(self.horizon)

    @property
    def months(self) -> int:
        s = self.rates.start.normalize()
        return (int(self.years[-1]) * 12 + 4) - (s.year * 12 + s.month)

    def baseline_draws(self) -> Draws:
        if self._base is None:
            self._base = simulate(self)
        return self._base


def prepare(episodes: pd.DataFrame, code: str = "workspace", *, draws: int | None = None,
            seed: int | None = None, horizon: int | None = None,
            reference_days: int = 730,
            costs: Callable[[np.ndarray], CostBase] | None = None) -> RecordBaseline:
    """Fit the record-level model on 903 episodes. The model starts on 1 April after the
    latest collection year (903 returns run to 31 March), else the day after the data
    (:func:`carecast.model.records.forecast_start`). Short-break episodes (V3/V4) are left
    out of the fit and the window's entries and exits
    (:func:`carecast.data.ssda903.cla.counted_episodes`). ``costs`` gives the council's cost
    base for the projected years (default: England's unit costs)."""
    episodes = counted_episodes(episodes)
    draws = int(params.value("model.draws") if draws is None else draws)
    seed = int(params.value("model.seed") if seed is None else seed)
    horizon = int(params.value("scenarios.horizon_years") if horizon is None else horizon)
    model = MultistateModel(reference_days=reference_days, n_draws=draws,
                            random_state=seed).fit(episodes, end=forecast_start(episodes))
    rates = model.rates_
    entries, recs = _window_events(episodes, rates.start - pd.Timedelta(days=reference_days),
                                   rates.start)
    s = rates.start
    years = (year_ending(s)) + np.arange(horizon)
    base = england_base(code, tuple(CATEGORIES), years) if costs is None else costs(years)
    if not set(years.tolist()) <= set(base.years.tolist()):
        raise InputError(f"the cost base covers {base.years.min()}-{base.years.max()}, "
                         f"not the record-level years {years.min()}-{years.max()}")
    return RecordBaseline(model=model, rates=rates, entries=entries, exit_recs=recs,
                          code=code, horizon=horizon, draws=draws, seed=seed, costs=base)


def segment_share(baseline: RecordBaseline, segment: Segment | None) -> np.ndarray:
    """Share of each (age, category) cell's window entries that are in the segment."""
    if segment is None:
        return np.ones((N_AGES, N_CAT))
    e = baseline.entries
    names = params.value("scenarios.segments")
    labels = params.value("ssda903.dfe_labels")
    keep = np.ones(len(e), bool)
    if segment.age:
        ages = [labels["age_group_started"][names["age"][a]] for a in segment.age]
        keep &= np.any([(e["age"] >= lo) & (e["age"] < hi) for lo, hi in ages], axis=0)
    if segment.need:
        keep &= e["need"].isin(segment.need).to_numpy()
    if segment.legal_status:
        codes = [labels["legal_status_started"][names["legal_status"][s]]
                 for s in segment.legal_status]
        keep &= e["legal_status"].isin(codes).to_numpy()
    total, inside = np.zeros((N_AGES, N_CAT)), np.zeros((N_AGES, N_CAT))
    np.add.at(total, (e["age"].to_numpy(), e["category"].to_numpy()), 1)
    np.add.at(inside, (e["age"].to_numpy()[keep], e["category"].to_numpy()[keep]), 1)
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0)


def route_share(baseline: RecordBaseline, route: str) -> tuple[int, float]:
    """The model exit reason holding a route's REC codes, and the route's share of that
    reason's exits in the reference window (1 when the window has none)."""
    labels = params.value("ssda903.dfe_labels")["reason_ceased"]
    codes = [c for label in params.value("scenarios.exit_routes")[route]
             for c in labels[label]]
    reasons = set(exit_reason(pd.Series(codes)))
    if len(reasons) != 1:
        raise InputError(f"exit route {route} spans model reasons {sorted(reasons)}")
    reason = reasons.pop()
    recs = baseline.exit_recs
    of_reason = exit_reason(recs) == reason
    n = int(of_reason.sum())
    return REASONS.index(reason), (float(recs[of_reason].isin(codes).sum()) / n if n else 1.0)


def factors(baseline: RecordBaseline, scenario: Scenario) -> RateFactors:
    """The scenario's levers as per-month factors (see the module docstring)."""
    years, r = baseline.years, baseline.rates
    dates, _ = month_dates(r.start, baseline.months)
    starts = pd.DatetimeIndex([r.start.normalize(), *dates[:-1]])
    year_of_month = np.array([years.tolist().index(year_ending(d)) for d in starts])
    shape = (baseline.months, N_AGES, N_CAT)
    entries, exits, moves = None, None, None
    for lever in scenario.levers:
        phase = phase_fraction(lever.start, lever.phase_in_years, years)[year_of_month]
        if isinstance(lever, EntriesLever):
            share = segment_share(baseline, lever.segment)
            if lever.reduce_percent is not None:
                cut = lever.reduce_percent / 100 * phase
            else:
                per_year = (r.entry_events * share).sum() / r.window_days * 365.25
                cut = np.minimum(lever.reduce_per_year * phase / per_year, 1) if per_year else (
                    0 * phase)
            keep = 1 - cut[:, None, None] * share[None]
            entries = keep if entries is None else entries * keep
        elif isinstance(lever, ExitsLever):
            factor = np.ones((*shape, N_EXIT))
            if lever.raise_percent is not None:
                j, share = route_share(baseline, lever.route)  # type: ignore[arg-type]
                factor[..., j] = (1 + lever.raise_percent / 100 * share * phase)[:, None, None]
            else:
                factor *= (1 / (1 - lever.shorten_time_percent / 100 * phase)  # type: ignore[operator]
                           )[:, None, None, None]
            exits = factor if exits is None else exits * factor
        elif isinstance(lever, PlacementMoveLever):
            moves = _moves(baseline, lever, phase, year_of_month,
                           np.zeros((*shape, N_CAT)) if moves is None else moves)
    return RateFactors(entries=entries, exits=exits, moves=moves)


def _moves(baseline: RecordBaseline, lever: PlacementMoveLever, phase: np.ndarray,
           year_of_month: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """Add the daily move hazard that moves ``children_per_year`` from one category."""
    for cat in (lever.from_category, lever.to_category):
        if cat not in CATEGORIES:
            raise InputError(f"placement_move: the record-level model has categories "
                             f"{', '.join(CATEGORIES)} (placed with parents and for adoption "
                             f"are in 'other'), not {cat}")
    if lever.children_per_year is None:
        raise InputError("placement_move with target_share is council-level only; give "
                         "children_per_year with --ssda903")
    src, dst = CATEGORIES.index(lever.from_category), CATEGORIES.index(lever.to_category)
    stock = baseline.baseline_draws().stock[:, src].mean(0)
    mean = np.array([stock[year_of_month == y].mean() for y in range(len(baseline.years))])
    hazard = np.divide(lever.children_per_year / 365.25, mean[year_of_month],
                       out=np.zeros(len(phase)), where=mean[year_of_month] > 0) * phase
    moves = moves.copy()
    moves[:, :, src, dst] += hazard[:, None]
    return moves


def _side(baseline: RecordBaseline, side: Scenario | None, costs: dict[str, np.ndarray]
          ) -> tuple[council.Outcome, np.ndarray]:
    """Simulate and cost one side, shaped (draws, 1, years) like the council path."""
    b = baseline
    draws = (b.baseline_draws() if side is None else
             simulate(b, factors(b, side)))
    years = b.years
    ends = [int(np.flatnonzero(draws.dates == pd.Timestamp(int(y), 4, 1))[0]) for y in years]
    starts = pd.DatetimeIndex([b.rates.start.normalize(), *draws.dates[:-1]])
    fy = np.array([year_ending(d) for d in starts])
    per_year = np.stack([fy == y for y in years], axis=1).astype(float)   # months x years
    stock0 = b.rates.stock0.sum(0)
    by_cat, weeks = {}, {}
    for c, name in enumerate(CATEGORIES):
        at_march = np.concatenate([np.full((b.draws, 1), stock0[c]),
                                   draws.stock[:, c, ends]], axis=1)
        by_cat[name] = at_march[:, None, :]
        labels, w = monthly_child_weeks(b.rates.start, draws.dates, stock0[c],
                                        draws.stock[:, c])
        weeks[name] = w[:, None, [labels.index(int(y)) for y in years]]
    stock = np.sum([v[..., 1:] for v in by_cat.values()], axis=0)
    levers = side.levers if side is not None else []
    return council.outcome(levers, years, stock, (draws.entries @ per_year)[:, None],
                           (draws.exits @ per_year)[:, None], by_cat, weeks,
                           {c: costs[c] for c in CATEGORIES})


def run(baseline: RecordBaseline, scenario: Scenario, *, as_of: dt.date | None = None,
        cost_scale: dict[str, float] | None = None, rate: float | None = None
        ) -> council.ScenarioResult:
    """Baseline and scenario on the record-level model, paired by draw; small numbers are
    suppressed in every exported table."""
    costs = baseline.costs
    idx = [int(np.flatnonzero(costs.years == y)[0]) for y in baseline.years]
    costs = replace(costs, years=costs.years[idx], weekly_gbp=costs.weekly_gbp[..., idx])
    return council.paired(scenario, baseline.years, costs,
                          lambda side, c: _side(baseline, side, c), np.array([0]),
                          draws=baseline.draws, seed=baseline.seed, as_of=as_of,
                          cost_scale=cost_scale, rate=rate, record_level=True)

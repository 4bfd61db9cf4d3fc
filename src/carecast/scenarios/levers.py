"""Turn service-level levers into changes to a deep copy of the baseline model's rates.

The council-level model (:class:`carecast.model.CouncilRates`) projects one entry rate and
one exit hazard per council and year. Levers act on them like this, each multiplied by the
lever's phase-in fraction for the year:

- entries, X% for a segment: entry rate x (1 - X x segment share of entries); N a year:
  x (1 - N / expected baseline entries), never below the segment's own entries;
- exits, route raised by X%: exit hazard x (1 + X x that route's share of exits);
  time in care shortened by X%: hazard / (1 - X) (mean time in care ~ 1 / hazard);
- placement mix and unit costs do not touch the rates; :mod:`carecast.scenarios.run`
  applies them to the simulated children after projection.

Segment and route shares are each council's published shares (DfE 'started' 2018-2022 by
age, need and legal status; 'ceased' by reason; pooled over ``scenarios.started_years`` and
``scenarios.ceased_years``, suppressed cells counted as 0, England's shares where a council
publishes none). Placement mixes are :mod:`carecast.costs.mix`'s, the ones spend is priced
in. A segment
over several dimensions multiplies their shares, i.e. assumes independence, because DfE
publishes each dimension separately. Entries levers change only entry rates and exit levers
only exit hazards; several levers of one kind multiply.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from carecast import params
from carecast.costs.mix import Mix, council_mix
from carecast.data import bundled
from carecast.data.councils import ENGLAND
from carecast.model import CouncilRates
from carecast.scenarios.schema import EntriesLever, ExitsLever, Scenario, Segment


def phase_fraction(start: dt.date, phase_in_years: float | None, years: np.ndarray
                   ) -> np.ndarray:
    """Share of the full effect in each financial year ending 31 March ``years``.

    The effect ramps linearly from 0 at ``start`` to 1 after ``phase_in_years`` (a step
    when 0); a year's fraction is the mean of the ramp at the middle of its 12 months.
    Example: start 1 April 2026 over 2 years gives 0.25, 0.75, 1 for 2026-27, 2027-28,
    2028-29.
    """
    if phase_in_years is None:
        phase_in_years = float(params.value("scenarios.phase_in_years"))
    start_month = start.year * 12 + start.month - 1 + (start.day - 1) / 31
    months = (np.asarray(years)[:, None] - 1) * 12 + 3 + np.arange(12)[None] + 0.5
    elapsed = months - start_month
    if phase_in_years == 0:
        ramp = (elapsed >= 0).astype(float)
    else:
        ramp = np.clip(elapsed / (12 * phase_in_years), 0, 1)
    return ramp.mean(axis=1)


@dataclass(frozen=True)
class Shares:
    """Published shares per council (arrays aligned with ``codes``)."""

    codes: np.ndarray
    started: dict[str, dict[str, np.ndarray]]   # dimension -> short name -> share of entries
    exits: dict[str, np.ndarray]                # route -> share of exits
    mix: Mix                                    # placement and age mix at 31 March
    neighbour_mix: dict[str, np.ndarray]        # median of the statistical neighbours' mix


def _pooled(table: pd.DataFrame, codes: np.ndarray, group: str, years: list[int],
            labels: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Share of each named set of DfE labels in the group's Total, per council."""
    rows = table[(table["cla_group"] == group) & table["year"].isin(years)]
    counts = rows.groupby(["area_code", "characteristic"])["number"].sum(min_count=1)
    counts = counts.unstack("characteristic")
    totals = counts.get("Total")
    out = {}
    for name, members in labels.items():
        present = [m for m in members if m in counts.columns]
        part = counts[present].sum(axis=1) if present else counts["Total"] * 0
        share = (part / totals).where(totals > 0)
        england = share.get(ENGLAND, np.nan)
        out[name] = share.reindex(codes).fillna(england).to_numpy(float)
    return out


def load_shares(codes: np.ndarray, origin: int | None = None) -> Shares:
    """Segment, exit-route and placement-mix shares for these councils (mixes from years
    up to ``origin``)."""
    table = bundled.read_table("cla_characteristics")
    table = table[table["level"].isin(["la", "england"])]
    started = table[table["table"] == "started"]
    segments = params.value("scenarios.segments")
    groups = {"age": "Age group", "need": "Category of need", "legal_status": "Legal status"}
    started_years = list(params.value("scenarios.started_years"))
    started_shares = {
        dim: _pooled(started, codes, groups[dim], started_years,
                     {k: [v] for k, v in segments[dim].items()})
        for dim in groups
    }
    exits = _pooled(table[table["table"] == "ceased"], codes, "Reason episode ceased",
                    list(params.value("scenarios.ceased_years")),
                    params.value("scenarios.exit_routes"))
    at_march = table[(table["table"] == "at_31_march") & (table["level"] == "la")]
    every = council_mix(sorted(set(at_march["area_code"])), origin)
    frame = pd.DataFrame(every.placement, index=every.codes, columns=every.categories)
    neighbours = bundled.read_table("stat_neighbours")
    neighbours = neighbours[neighbours["edition"] == neighbours["edition"].max()]
    median = (neighbours.join(frame, on="neighbour_code").groupby("code")[list(frame.columns)]
              .median())
    return Shares(
        codes=np.asarray(codes), started=started_shares, exits=exits,
        mix=council_mix(codes, origin),
        neighbour_mix={c: median[c].reindex(codes).fillna(frame[c].median()).to_numpy()
                       for c in frame},
    )


def segment_share(shares: Shares, segment: Segment | None) -> np.ndarray:
    """Share of all entries in the segment, per council (1 when no segment)."""
    share = np.ones(len(shares.codes))
    if segment is None:
        return share
    for dim in ("age", "need", "legal_status"):
        chosen = getattr(segment, dim)
        if chosen:
            share = share * np.sum([shares.started[dim][k] for k in chosen], axis=0)
    return share


def _entry_factor(lever: EntriesLever, rates: CouncilRates, shares: Shares,
                  phase: np.ndarray) -> np.ndarray:
    share = segment_share(shares, lever.segment)[:, None]
    if lever.reduce_percent is not None:
        return 1 - lever.reduce_percent / 100 * share * phase[None]
    expected = np.exp(rates.log_entry_rate) * rates.population
    avoided = np.minimum(lever.reduce_per_year * phase[None], share * expected)
    return 1 - avoided / expected


def _exit_factor(lever: ExitsLever, shares: Shares, phase: np.ndarray) -> np.ndarray:
    if lever.raise_percent is not None:
        share = shares.exits[lever.route][:, None]  # type: ignore[index]
        return 1 + lever.raise_percent / 100 * share * phase[None]
    factor = 1 / (1 - lever.shorten_time_percent / 100 * phase)  # type: ignore[operator]
    return np.broadcast_to(factor[None], (len(shares.codes), len(phase)))


def rate_years(rates: CouncilRates) -> np.ndarray:
    """Years ending 31 March that the rate arrays' columns stand for."""
    return rates.origin + 1 + np.arange(rates.log_entry_rate.shape[1])


def apply_levers(rates: CouncilRates, scenario: Scenario, shares: Shares) -> CouncilRates:
    """A new CouncilRates with the scenario's entry and exit levers applied; ``rates`` is
    deep-copied and never changed. With no entry (exit) levers, entry rates (exit hazards)
    are the baseline's own arrays' values, bit for bit."""
    if not np.array_equal(rates.codes, shares.codes):
        raise ValueError("shares and rates are for different councils")
    new = copy.deepcopy(rates)
    years = rate_years(rates)
    changes = {}
    entry = [lv for lv in scenario.levers if isinstance(lv, EntriesLever)]
    exits = [lv for lv in scenario.levers if isinstance(lv, ExitsLever)]
    if entry:
        factor = np.prod([_entry_factor(lv, rates, shares,
                                        phase_fraction(lv.start, lv.phase_in_years, years))
                          for lv in entry], axis=0)
        changes["log_entry_rate"] = new.log_entry_rate + np.log(np.clip(factor, 1e-9, None))
    if exits:
        factor = np.prod([_exit_factor(lv, shares,
                                       phase_fraction(lv.start, lv.phase_in_years, years))
                          for lv in exits], axis=0)
        changes["log_exit_hazard"] = new.log_exit_hazard + np.log(factor)
    return replace(new, **changes)

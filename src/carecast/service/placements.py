"""Placement sufficiency for every face: demand by home and age, the supply register, the
gap, and the foster-carer lever's value, validated and returned as tidy frames.

The CLI (``carecast placements``), the web pages (the council page's Placements section and
the signed-in sufficiency page) and scenarios call these functions, so one council gets one
answer wherever it asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from carecast import disclosure
from carecast.benchmark import indicators
from carecast.data import catalogue, categories
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.placements import demand as demand_mod
from carecast.placements import register, synth_supply
from carecast.placements import sufficiency as gaps
from carecast.placements.demand import Demand
from carecast.scenarios.schema import FosterCarersLever, Scenario
from carecast.service import workspace as checks

MAX_HORIZON = 10
GAP_LEVER = "sufficiency_gap"

DEMAND_SOURCE = (  # the source line of every demand table (page, pack)
    "carecast.placements: the default council forecast's joint draws split by "
    "the council's placement mix and its trend (DfE 31 March placements 2020-2024)")


def _check(horizon: int | None, draws: int | None) -> None:
    """Horizons of 1 to 10 years; draws within ``model.draws_limits`` (as every forecast)."""
    if horizon is not None and not 1 <= horizon <= MAX_HORIZON:
        raise InputError(f"--horizon must be from 1 to {MAX_HORIZON} years, not {horizon}")
    if draws is not None:
        checks.draws(draws)


def _code(council: str | None, ssda903: bool) -> str | None:
    if council is None:
        if not ssda903:
            raise InputError("give a council (DfE code, ONS code or name)")
        return None
    return checks.council(council).code


def indicator_ids() -> list[str]:
    """The registry's placement indicators (section ``placements``)."""
    return [i for i, ind in indicators.registry().items() if ind.section == "placements"]


def forecast_demand(ws: Workspace, council: str | None, *, horizon: int | None = None,
                    draws: int | None = None, seed: int | None = None,
                    ssda903: bool = False) -> demand_mod.Demand:
    """Demand draws for one council: public data, or the workspace's 903 records."""
    _check(horizon, draws)
    code = _code(council, ssda903)
    if ssda903:
        return demand_mod.record_level(ws, code, horizon=horizon, draws=draws, seed=seed)
    return demand_mod.public(ws, [code], horizon=horizon, draws=draws, seed=seed)  # type: ignore[list-item]


@dataclass(frozen=True)
class DemandResult:
    """Tidy demand rows (see :meth:`Demand.to_frame`) with where they came from."""

    frame: pd.DataFrame
    source: str
    notes: tuple[str, ...]
    sources: list[str]

    def to_json(self) -> dict[str, Any]:
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return {"source": self.source, "notes": list(self.notes), "sources": self.sources,
                "suppressed_below": disclosure.rule().threshold,
                "rows": frame.to_dict("records")}


def demand(ws: Workspace, council: str | None, **settings: Any) -> DemandResult:
    """Children needing each group of home by age band and year (mean, 80% and 95%)."""
    d = forecast_demand(ws, council, **settings)
    used = ["cla_panel", "cla_placements"] if d.source == "public" else []
    return DemandResult(d.to_frame(), d.source, d.notes, catalogue.sources_for(used))


def sufficiency(ws: Workspace, council: str | None, *, use_register: bool = True,
                **settings: Any) -> gaps.Gap:
    """Demand against supply for one council (see :mod:`carecast.placements.sufficiency`)."""
    d = forecast_demand(ws, council, **settings)
    return gaps.run(ws, d, use_register=use_register, seed=int(settings.get("seed") or 0))


def all_councils(ws: Workspace, *, horizon: int | None = None, draws: int | None = None,
                 seed: int | None = None) -> gaps.Gap:
    """Every council's demand and gap from public data (the benchmark's workload)."""
    _check(horizon, draws)
    d = demand_mod.public(ws, horizon=horizon, draws=draws, seed=seed)
    return gaps.run(ws, d, use_register=False, seed=int(seed or 0))


def load_supply(ws: Workspace, path: str | Path) -> dict[str, Any]:
    """Check, pseudonymise and store a supply register; its summary (no identifiers)."""
    return register.load_file(path, ws).summary()


def supply_summary(ws: Workspace) -> pd.DataFrame | None:
    """The loaded register by type, provider and status: rows, places, filled, vacancies
    and mean weekly cost; counts from 1 to 4, and the cost of fewer than 5 rows, are DfE's
    'c' (None when no register is loaded)."""
    rows = register.stored(ws)
    if rows is None:
        return None
    grouped = rows.groupby(["type", "provider", "status"], as_index=False).agg(
        n_rows=("carer", "size"), approved_places=("approved_places", "sum"),
        occupied_places=("occupied_places", "sum"), vacancies=("vacancies", "sum"),
        mean_weekly_cost_gbp=("weekly_cost_gbp", "mean"))
    counts = ["n_rows", "approved_places", "occupied_places", "vacancies"]
    rule = disclosure.rule()
    few = rule.is_small(grouped["n_rows"])
    grouped = disclosure.mark(grouped.astype({c: int for c in counts}), counts)
    grouped["mean_weekly_cost_gbp"] = grouped["mean_weekly_cost_gbp"].round(0).astype(
        object).mask(few, rule.marker)
    grouped.insert(1, "group", grouped["type"].map(
        {t: s["group"] for t, s in register.vocabulary()["types"].items()}))
    return grouped


def synthetic_supply(ws: Workspace, council: str, out: str | Path, *, seed: int = 1
                     ) -> tuple[Path, pd.DataFrame]:
    """Write a synthetic register calibrated to ``council`` (CSV, or XLSX by suffix)."""
    frame = synth_supply.generate(ws, council, seed=seed)
    return synth_supply.write(frame, out), frame


def gap_lever_value(ws: Workspace, council: str | None, *, ssda903: bool = False,
                    **settings: Any) -> float:
    """In-house foster households to recruit a year, beyond usual approvals, to close the
    fostering gap by the horizon (``carers_per_year_to_close``)."""
    result = sufficiency(ws, council, ssda903=ssda903, **settings)
    return float(result.summary()["carers_per_year_to_close"].iloc[0])


def resolve_scenario(ws: Workspace, scenario: Scenario, council: str | None, *,
                     ssda903: bool = False) -> tuple[Scenario, list[str]]:
    """The scenario with every foster-carer lever set to ``sufficiency_gap`` given its
    number for ``council``; levers that would recruit no one are dropped. Returns the
    scenario and notes on what was resolved."""
    wanted = [lv for lv in scenario.levers
              if isinstance(lv, FosterCarersLever) and lv.carers_per_year == GAP_LEVER]
    if not wanted:
        return scenario, []
    value = gap_lever_value(ws, council, ssda903=ssda903)
    levers, notes = [], []
    for lever in scenario.levers:
        if lever in wanted:
            if value <= 0:
                notes.append(f"{lever.name or 'foster carers'}: no fostering gap to close, "
                             "so the lever recruits no one and is left out.")
                continue
            lever = lever.model_copy(update={"carers_per_year": value})
            notes.append(f"{lever.name or 'foster carers'}: {value:,.1f} households a year "
                         "from the sufficiency gap (carecast placements sufficiency).")
        levers.append(lever)
    return scenario.model_copy(update={"levers": levers}), notes


def public_demand(ws: Workspace, *, horizon: int | None = None, draws: int | None = None,
                  seed: int | None = None) -> demand_mod.Demand:
    """Every council's demand from public data, drawn once (a council's draws are the same
    as when it is forecast alone)."""
    _check(horizon, draws)
    return demand_mod.public(ws, horizon=horizon, draws=draws, seed=seed)


def council_section(demand: demand_mod.Demand, code: str) -> dict[str, Any]:
    """What a council page's Placements section shows from every council's ``demand``:
    rows by group and year and by age band and year (mean and intervals, small cells
    suppressed), and the notes."""
    if code not in set(demand.codes):
        raise LookupError(f"no placement demand for council {code}")
    frame = demand.select(code).to_frame()
    return {"by_group": frame[frame["age_band"] == demand_mod.ALL],
            "by_age": frame[frame["group"] == demand_mod.ALL],
            "cells": frame, "years": [int(y) for y in demand.years], "notes": demand.notes,
            "groups": [(g, categories.label(g)) for g in demand.groups],
            "bands": list(demand.bands)}


__all__ = ["DEMAND_SOURCE", "Demand", "DemandResult", "all_councils", "council_section",
           "demand", "gap_lever_value", "load_supply", "public_demand", "resolve_scenario",
           "sufficiency", "supply_summary", "synthetic_supply"]

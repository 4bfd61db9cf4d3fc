"""Scenarios: run, compare and stress-test service changes against the forecast.

The baseline is the default forecast (:mod:`carecast.service.forecast`'s numbers, draw for
draw) priced by the one costs engine. Baselines are kept for the last few workspaces and
settings asked for, since a page or a comparison runs several scenarios on one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carecast.data.errors import InputError
from carecast.data.ssda903.store import load_episodes
from carecast.data.workspace import Workspace
from carecast.model.executor import run_tasks
from carecast.scenarios import history as _history
from carecast.scenarios import records, run, schema, sensitivity
from carecast.scenarios.run import Baseline, ScenarioResult
from carecast.scenarios.schema import Scenario
from carecast.service import placements
from carecast.service import workspace as checks
from carecast.service.forecast import council_cost_base

__all__ = ["SOURCE", "Baseline", "Scenario", "ScenarioResult", "baseline", "compare", "history",
           "load", "parse", "presets", "run_scenario", "scenario_from", "tornado"]

SOURCE = ("carecast scenarios on the default council forecast (DfE children looked after "
          "data), priced by carecast.costs and reconciled to MHCLG RO3 outturn")
_BASELINES: OrderedDict[tuple[Any, ...], Baseline] = OrderedDict()
_KEEP = 4


def load(file_or_preset: str | Path) -> Scenario:
    """A scenario file, or a preset by name (``carecast scenario presets``)."""
    return schema.load(file_or_preset)


def parse(text: str, file: str = "scenario.yaml") -> Scenario:
    return schema.parse(text, file=file)


def scenario_from(data: dict[str, Any]) -> Scenario:
    """A scenario from plain data (a web form's levers); bad values raise InputError."""
    try:
        return Scenario.model_validate(data)
    except ValueError as exc:
        raise InputError(str(exc).splitlines()[-1 if "\n" in str(exc) else 0]) from None


def presets() -> list[tuple[str, Scenario]]:
    return [(name, schema.load(name)) for name in schema.preset_names()]


def baseline(ws: Workspace, council: str | None, *, draws: int | None = None,
             seed: int | None = None, horizon: int | None = None) -> Baseline:
    """The default forecast and its costs, reporting ``council`` (every council if None)."""
    codes = None if council is None else [checks.council(council).code]
    key = (str(ws.db_path.resolve()), ws.db_path.stat().st_mtime, checks.draws(draws),
           checks.seed(seed), horizon)
    if key not in _BASELINES:
        _BASELINES[key] = run.prepare(ws, draws=checks.draws(draws), seed=checks.seed(seed),
                                      horizon=horizon)
        while len(_BASELINES) > _KEEP:
            _BASELINES.popitem(last=False)
    _BASELINES.move_to_end(key)
    full = _BASELINES[key]
    if codes is None:
        return full
    if codes[0] not in set(full.rates.codes):
        raise LookupError(f"no published children-in-care series for council {codes[0]}")
    return Baseline(**{**full.__dict__,
                       "selected": np.flatnonzero(full.rates.codes == codes[0])})


def with_gap(ws: Workspace, scenario: Scenario, council: str | None, *,
             ssda903: bool = False) -> Scenario:
    """The scenario with every foster-carer lever set to ``carers_per_year:
    sufficiency_gap`` given the council's number (:mod:`carecast.service.placements`),
    said in its description; other scenarios come back as they are."""
    resolved, notes = placements.resolve_scenario(ws, scenario, council, ssda903=ssda903)
    if not notes:
        return resolved
    return resolved.model_copy(update={"description": " ".join(
        [resolved.description, *notes]).strip()})


def run_scenario(ws: Workspace, scenario: Scenario, council: str | None, *,
                 ssda903: bool = False, draws: int | None = None, seed: int | None = None,
                 horizon: int | None = None, as_of: dt.date | None = None) -> ScenarioResult:
    """Baseline and scenario side by side for one council, or on the workspace's 903
    records (``ssda903``; the council then names the cost base and labels the result)."""
    scenario = with_gap(ws, scenario, council, ssda903=ssda903)
    if not ssda903:
        if not council:
            raise InputError("give --council CODE (or name)")
        return run.run(baseline(ws, council, draws=draws, seed=seed, horizon=horizon),
                       scenario, as_of=as_of)
    code = checks.council(council).code if council else None
    base = records.prepare(
        load_episodes(ws), code or "workspace", draws=checks.draws(draws),
        seed=checks.seed(seed), horizon=horizon,
        costs=None if code is None else functools.partial(council_cost_base, ws, code))
    return records.run(base, scenario, as_of=as_of)


def compare(ws: Workspace, scenarios: list[Scenario], council: str, *,
            draws: int | None = None, seed: int | None = None, scheduler: Any = None,
            as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per scenario against the same baseline draws: entries avoided, net savings,
    NPV with its 80% interval, payback year (None without investment)."""
    if not council:
        raise InputError("give --council CODE (or name)")
    base = baseline(ws, council, draws=draws, seed=seed)
    scenarios = [with_gap(ws, s, council) for s in scenarios]
    results = run_tasks(functools.partial(run.run, base, as_of=as_of), scenarios, scheduler)
    rows = []
    for scenario, result in zip(scenarios, results, strict=True):
        s = result.summary().set_index("measure")
        rows.append({"scenario": scenario.name,
                     **{m: s.loc[m, "mean"] for m in ("entries_avoided",
                                                      "net_savings_total_gbp", "npv_gbp")},
                     "npv_lo_80": s.loc["npv_gbp", "lo_80"],
                     "npv_hi_80": s.loc["npv_gbp", "hi_80"],
                     "payback_year": s.loc["payback_year", "mean"],
                     "invested": bool(s.loc["payback_year", "invested"])})
    return pd.DataFrame(rows)


def tornado(ws: Workspace, scenario: Scenario, council: str, *, swing: float | None = None,
            draws: int | None = None) -> pd.DataFrame:
    """NPV at the low and high value of each assumption, widest first."""
    if not council:
        raise InputError("give --council CODE (or name)")
    if swing is not None and not 0 < swing < 1:
        raise InputError(f"--swing is a fraction between 0 and 1, not {swing}")
    return sensitivity.tornado(baseline(ws, council, draws=draws),
                               with_gap(ws, scenario, council), swing)


def history(ws: Workspace, threshold: float = 0.25, window: int = 5
            ) -> tuple[pd.DataFrame, list[str]]:
    """Councils whose CLA rate fell by ``threshold`` within ``window`` years, and the
    named claims (Wolverhampton, Ealing) checked against them."""
    if not 0 < threshold < 1 or window < 1:
        raise InputError("threshold must be between 0 and 1 and window at least 1 year")
    table = _history.reductions(ws, threshold, window)
    return table, (_history.claim_check(table, window) if not table.empty else [])

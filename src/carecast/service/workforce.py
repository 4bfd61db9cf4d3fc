"""Workforce planning for one council (``carecast workforce``): social workers needed and
what a lower agency rate would save.

Children needing a social worker are forecast as children in need who are not looked after
(:class:`carecast.model.cin.CinModel`) plus children looked after (the default council
model, :func:`carecast.model.registry.make`), draw by draw; the arithmetic is
:mod:`carecast.costs.workforce`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carecast import OGL_ATTRIBUTION, disclosure, params
from carecast.costs import workforce as wf
from carecast.data import catalogue, councils, periods
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.model import registry
from carecast.model.cin import CinModel, load_cin_data
from carecast.model.council import load_council_data
from carecast.model.schema import summarise
from carecast.service import workspace as checks


@dataclass(frozen=True)
class Plan:
    """The tables ``carecast workforce`` prints (and returns as JSON)."""

    council: dict[str, str]
    position: pd.DataFrame   # the published workforce now
    plan: pd.DataFrame       # by year: children, cases, social workers needed (intervals)
    agency: pd.DataFrame     # the agency premium now and at the target rate
    assumptions: dict[str, Any]
    sources: list[str]

    def to_json(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")

        return {"council": self.council, "position": records(self.position)[0],
                "plan": records(self.plan), "agency": records(self.agency)[0],
                "assumptions": self.assumptions, "sources": self.sources}


def _draws(frame_draws: np.ndarray, codes: np.ndarray, code: str) -> np.ndarray:
    return frame_draws[:, [int(np.flatnonzero(codes == code)[0])], :]


def plan(ws: Workspace, council: str, *, caseload: float | None = None,
         agency_rate: float | None = None, premium: float | None = None, horizon: int = 5,
         draws: int | None = None, seed: int | None = None) -> Plan:
    """Social workers ``council`` needs each year at ``caseload`` (default the parameter) and
    the agency premium now and at ``agency_rate`` percent (default England's rate)."""
    found = councils.lookup(council)
    caseload = wf.target_caseload() if caseload is None else float(caseload)
    if caseload <= 0:
        raise InputError("--caseload must be a positive number of cases per FTE")
    if agency_rate is not None and not 0 <= agency_rate <= 100:
        raise InputError("--agency-rate is a percentage from 0 to 100")
    if not 1 <= horizon <= 10:
        raise InputError("--horizon is 1 to 10 years")
    draws, seed = checks.draws(draws), checks.seed(seed)
    cin = CinModel(n_draws=draws, random_state=seed).fit(load_cin_data(ws)).project(horizon)
    fitted = registry.make(n_draws=draws, random_state=seed).fit(load_council_data(ws))
    cla = registry.project(fitted, horizon, n_draws=draws, random_state=seed)
    if cin.years[0] != cla.years[0]:
        raise InputError("the children in need and looked-after series end in different years")
    code = found.code
    not_looked_after = _draws(cin.draws["cin_not_looked_after"], cin.codes, code)
    looked_after = _draws(cla.draws["cla_at_31_march"], cla.codes, code)
    children = not_looked_after + looked_after
    position = wf.load_position(ws, np.array([code]))
    if not np.isfinite(position.cases_per_child[0]):
        raise LookupError(f"{found.name} has no published caseload at 30 September "
                          f"{position.year}")
    needed = wf.social_workers_needed(position, children, caseload)
    rows = []
    for h, year in enumerate(cin.years):
        row: dict[str, Any] = {"period": int(year), "period_label": periods.label(
            "at_31_march", int(year))}
        for name, values in (("children_in_need", children), ("looked_after", looked_after),
                             ("cases", needed["cases"]),
                             ("case_holding_fte_needed", needed["case_holding_fte"]),
                             ("all_fte_needed", needed["all_fte"])):
            stats = summarise(values[:, 0, h])
            row.update({f"{name}_{k}" if k != "mean" else name: float(v)
                        for k, v in stats.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    # Small counts of children are not published (carecast.disclosure), even as forecasts.
    for name in ("children_in_need", "looked_after"):
        small = disclosure.rule().is_small(frame[name])
        columns = [c for c in frame if c == name or c.startswith(f"{name}_")]
        frame.loc[small, columns] = np.nan
    frame["all_fte_now"] = float(position.total_fte[0])
    frame["gap_fte"] = frame["all_fte_needed"] - frame["all_fte_now"]
    target = position.england_agency_rate if agency_rate is None else agency_rate / 100
    converted = wf.agency_fte_converted(position, target)
    weekly = wf.premium_gbp_per_week() if premium is None else float(premium)
    agency = pd.DataFrame([{
        "agency_fte": float(position.agency_fte[0]),
        "agency_rate_pct": float(position.agency_rate[0] * 100),
        "premium_gbp_per_week": weekly,
        "premium_now_gbp_per_year": float(wf.agency_premium_gbp_per_year(
            position.agency_fte, weekly)[0]),
        "target_agency_rate_pct": float(target * 100),
        "agency_fte_converted": float(converted[0]),
        "saving_gbp_per_year": float(wf.agency_premium_gbp_per_year(converted, weekly)[0]),
    }])
    now = pd.DataFrame([{
        "period_label": periods.label("at_30_september", position.year),
        "employed_fte": float(position.employed_fte[0]),
        "agency_fte": float(position.agency_fte[0]),
        "case_holders_fte": float(position.case_holders_fte[0]),
        "cases": float(position.cases[0]),
        "caseload": float(position.cases[0] / position.case_holders_fte[0]),
        "children_in_need": float(position.children_in_need[0]),
        "cases_per_child_in_need": float(position.cases_per_child[0]),
        "turnover_rate_pct": float(position.turnover_rate[0] * 100),
    }])
    entry = params.get("workforce.agency_premium").entry_at()
    return Plan(
        council={"code": code, "name": found.name},
        position=now, plan=frame, agency=agency,
        assumptions={
            "target_caseload": caseload,
            "target_caseload_source": params.get("workforce.target_caseload").source(),
            "agency_premium_gbp_per_week": weekly,
            "agency_premium_source": (params.get("workforce.agency_premium").source()
                                      if premium is None else "set by the user"),
            "agency_premium_price_year": params.get("workforce.agency_premium").metadata.get(
                "price_year"),
            "agency_premium_in_force_from": entry.start.isoformat(),
            "weeks_per_year": wf.weeks_per_year(),
            "models": {"children_in_need": cin.model, "looked_after": cla.model},
            "draws": draws, "seed": seed,
        },
        sources=[*catalogue.sources_for({"workforce", "cin_panel", "cla_panel"})[:-1],
                 OGL_ATTRIBUTION],
    )

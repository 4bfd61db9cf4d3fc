"""Tornado: how much the scenario's net present value moves with each assumption.

Each numeric assumption (every lever setting, each investment, the residential and fostering
unit costs, the discount rate and the phase-in) is set in turn to (1 - swing) and
(1 + swing) times its value, everything else held, and the scenario re-run against the same
baseline draws; bars are sorted by the width of the NPV range. The swing (default 50%) is
``scenarios.tornado_swing``. Percentages are capped at their allowed range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from carecast import params
from carecast.scenarios.run import Baseline, run
from carecast.scenarios.schema import Scenario

NUMERIC = ("reduce_percent", "reduce_per_year", "raise_percent", "shorten_time_percent",
           "children_per_year", "carers_per_year", "children_per_carer",
           "ifa_minus_in_house_gbp_per_week", "cost_gbp_per_carer", "change_percent",
           "phase_in_years", "agency_rate_percent", "turnover_rate_percent",
           "cost_gbp_per_leaver")
LIMITS = {"reduce_percent": 100.0, "shorten_time_percent": 95.0, "children_per_carer": 6.0,
          "agency_rate_percent": 100.0, "turnover_rate_percent": 100.0}


def _npv(baseline: Baseline, scenario: Scenario, **kw: Any) -> float:
    return float(run(baseline, scenario, **kw).appraisal.npv_gbp.mean())


def _variants(scenario: Scenario) -> list[tuple[str, float, Callable[[float], Scenario]]]:
    """(label, value, rebuild with a new value) for each numeric assumption of the file."""
    out = []
    for i, lever in enumerate(scenario.levers):
        label = lever.name or f"{lever.kind} {i + 1}"
        for field in NUMERIC:
            value = getattr(lever, field, None)
            if value is None and field == "phase_in_years":
                value = float(params.value("scenarios.phase_in_years"))
            if not isinstance(value, int | float) or value == 0:
                continue

            def rebuild(v: float, i: int = i, field: str = field) -> Scenario:
                levers = list(scenario.levers)
                levers[i] = levers[i].model_copy(update={field: min(v, LIMITS.get(field, v))})
                return scenario.model_copy(update={"levers": levers})

            out.append((f"{label}: {field}", float(value), rebuild))
    for i, item in enumerate(scenario.investment):
        field = "gbp_per_year" if item.gbp_per_year is not None else "gbp_per_family"

        def rebuild_inv(v: float, i: int = i, field: str = field) -> Scenario:
            items = list(scenario.investment)
            items[i] = items[i].model_copy(update={field: v})
            return scenario.model_copy(update={"investment": items})

        out.append((f"{item.name or f'investment {i + 1}'}: {field}",
                    float(getattr(item, field)), rebuild_inv))
    return out


def tornado(baseline: Baseline, scenario: Scenario, swing: float | None = None
            ) -> pd.DataFrame:
    """One row per assumption: value, low/high values and the mean NPV at each, widest
    first. Uses the first council of ``baseline`` if it holds several."""
    swing = float(params.value("scenarios.tornado_swing")) if swing is None else swing
    central = _npv(baseline, scenario)
    rows = []
    for label, value, rebuild in _variants(scenario):
        low, high = value * (1 - swing), value * (1 + swing)
        rows.append({"assumption": label, "value": value, "low": low, "high": high,
                     "npv_low_gbp": _npv(baseline, rebuild(low)),
                     "npv_high_gbp": _npv(baseline, rebuild(high))})
    for category in ("residential", "fostering"):
        rows.append({"assumption": f"unit cost: {category}", "value": 1.0,
                     "low": 1 - swing, "high": 1 + swing,
                     "npv_low_gbp": _npv(baseline, scenario,
                                         cost_scale={category: 1 - swing}),
                     "npv_high_gbp": _npv(baseline, scenario,
                                          cost_scale={category: 1 + swing})})
    rate = float(params.value("scenarios.discount_rate"))
    rows.append({"assumption": "discount rate", "value": rate, "low": rate * (1 - swing),
                 "high": rate * (1 + swing),
                 "npv_low_gbp": _npv(baseline, scenario, rate=rate * (1 - swing)),
                 "npv_high_gbp": _npv(baseline, scenario, rate=rate * (1 + swing))})
    table = pd.DataFrame(rows)
    table["central_npv_gbp"] = central
    table["range_gbp"] = (table["npv_high_gbp"] - table["npv_low_gbp"]).abs()
    return table.sort_values("range_gbp", ascending=False, ignore_index=True)

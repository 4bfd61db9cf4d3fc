"""Choice of council model by backtest: every candidate beside persistence and linear trend.

``MODELS`` names the council models ``carecast forecast --model`` offers (the first is the
default); ``run_comparison`` backtests them with the other candidates tried for issue 5 and
returns the payload written to bench/results/backtest.json, with the targets (1-year MAPE at
most 0.90 x persistence's, 3-year at most 0.80 x, 80% coverage in 75-85%) checked for the
chosen model, and the accuracy on origins 2015-2019 (where settings were chosen) and
2020-2023 (held out) beside all origins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from carecast import params
from carecast.data.workspace import Workspace
from carecast.model.backtest import accuracy, backtest
from carecast.model.baselines import LinearTrend, Persistence
from carecast.model.council import load_council_data
from carecast.model.pooled import PooledModel
from carecast.model.registry import MODELS, default_name

ORIGINS = range(2015, 2024)
PERIODS = {"all": ORIGINS, "choice_2015_2019": range(2015, 2020),
           "held_out_2020_2023": range(2020, 2024)}
RATIO_TARGETS = {1: 0.90, 3: 0.80}
CANDIDATES: dict[str, Callable[..., Any]] = {
    "pooled_direct": lambda **kw: PooledModel(level_weight=1.0, relative_weight=0.0,
                                              name="pooled_direct", **kw),
    "blend_geometric": lambda **kw: PooledModel(level_weight=0.7, relative_weight=0.0,
                                                name="blend_geometric", **kw),
    "persistence": Persistence,
    "linear_trend": LinearTrend,
}


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    table = accuracy(frame)
    table = table[table["measure"] == "cla_at_31_march"]
    pers = table[table["model"] == "persistence"].set_index(["level", "horizon"])["mape"]
    return table.assign(mape_ratio_to_persistence=[
        round(r.mape / pers[(r.level, r.horizon)], 3) for r in table.itertuples()]
    ).drop(columns="measure")


def run_comparison(ws: Workspace, horizons: list[int], n_draws: int = 1000,
                   scheduler: Any = None, tick: Callable[[], None] = lambda: None,
                   primary: str | None = None) -> dict[str, Any]:
    """Backtest every model at origins 2015-2023; targets are checked for ``primary``
    (default: the default model)."""
    primary = default_name() if primary is None else primary
    data = load_council_data(ws)
    frames = []
    for make in [*MODELS.values(), *CANDIDATES.values()]:
        frames.append(backtest(make(n_draws=n_draws), data, ORIGINS, horizons,
                               scheduler=scheduler))
        tick()
    frame = pd.concat(frames, ignore_index=True)
    tables = {k: _table(frame[frame["origin"].isin(v)]) for k, v in PERIODS.items()}
    la = tables["all"][tables["all"]["level"] == "la"]
    chosen = la[la["model"] == primary].set_index("horizon")
    targets = []
    for h, limit in RATIO_TARGETS.items():
        if h in chosen.index:
            value = float(chosen.at[h, "mape_ratio_to_persistence"])
            targets.append({"target": f"{h}-year MAPE <= {limit} x persistence",
                            "value": value, "met": value <= limit})
    for h in chosen.index:
        value = float(chosen.at[h, "coverage_80"])
        targets.append({"target": f"{h}-year 80% interval coverage in 75-85%", "value": value,
                        "met": 75 <= value <= 85})
    flows = accuracy(frame[frame["model"] == primary])
    return {
        "generated": dt.date.today().isoformat(),
        "command": "carecast backtest --horizons " + ",".join(map(str, horizons)),
        "origins": [ORIGINS.start, ORIGINS.stop - 1],
        "n_draws": n_draws,
        "primary_model": primary,
        "settings": {"stock_flow": params.value("model.council_forecast"),
                     "stock_flow_pooled": params.value("model.pooled_forecast")},
        "councils": la.drop(columns="level").to_dict(orient="records"),
        "england": tables["all"][tables["all"]["level"] == "england"].drop(columns="level")
        .to_dict(orient="records"),
        "councils_by_period": {k: t[t["level"] == "la"].drop(columns="level")
                               .to_dict(orient="records") for k, t in tables.items()
                               if k != "all"},
        "flows_" + primary: flows[flows["measure"] != "cla_at_31_march"].to_dict(
            orient="records"),
        "targets": targets,
    }

"""The published backtest: the stock-flow model beside persistence and linear trend.

Targets (issue 5): council 1-year MAPE at most 0.90 x persistence's, 3-year at most
0.80 x, and 80% intervals covering 75-85% of outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from carecast.data.workspace import Workspace
from carecast.model.backtest import accuracy, backtest
from carecast.model.baselines import LinearTrend, Persistence
from carecast.model.council import CouncilModel, load_council_data

ORIGINS = range(2015, 2024)
RATIO_TARGETS = {1: 0.90, 3: 0.80}


def run_backtest(ws: Workspace, horizons: list[int], n_draws: int = 1000, scheduler: Any = None,
                 tick: Callable[[], None] = lambda: None) -> dict[str, Any]:
    """Backtest all three models and return the JSON payload written to bench/results."""
    data = load_council_data(ws)
    frames = []
    model = CouncilModel(n_draws=n_draws)
    for m in (model, Persistence(n_draws=n_draws), LinearTrend(n_draws=n_draws)):
        frames.append(backtest(m, data, ORIGINS, horizons, scheduler=scheduler))
        tick()
    table = accuracy(pd.concat(frames, ignore_index=True))
    table = table[table["measure"] == "cla_at_31_march"]
    pers = table[table["model"] == "persistence"].set_index(["level", "horizon"])["mape"]
    table = table.assign(mape_ratio_to_persistence=[
        round(r.mape / pers[(r.level, r.horizon)], 3) for r in table.itertuples()])
    la = table[table["level"] == "la"]
    sf = la[la["model"] == model.name].set_index("horizon")
    targets = []
    for h, limit in RATIO_TARGETS.items():
        if h in sf.index:
            value = float(sf.at[h, "mape_ratio_to_persistence"])
            targets.append({"target": f"{h}-year MAPE <= {limit} x persistence",
                            "value": value, "met": value <= limit})
    for h in sf.index:
        value = float(sf.at[h, "coverage_80"])
        targets.append({"target": f"{h}-year 80% interval coverage in 75-85%", "value": value,
                        "met": 75 <= value <= 85})
    flows = accuracy(frames[0])
    return {
        "generated": dt.date.today().isoformat(),
        "command": "carecast backtest --horizons " + ",".join(map(str, horizons)),
        "origins": [ORIGINS.start, ORIGINS.stop - 1],
        "n_draws": n_draws,
        "settings": CouncilModel().fit(data).settings_,
        "councils": la.drop(columns=["level", "measure"]).to_dict(orient="records"),
        "england": table[table["level"] == "england"].drop(columns=["level", "measure"])
        .to_dict(orient="records"),
        "flows_stock_flow": flows[flows["measure"] != "cla_at_31_march"].to_dict(
            orient="records"),
        "targets": targets,
    }

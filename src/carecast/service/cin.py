"""Children in need, child protection plans and referrals: forecast and published backtest.

``carecast forecast --measure cin`` and ``carecast backtest --measure cin`` call these; the
model is :class:`carecast.model.cin.CinModel`, backtested with the shared rolling-origin
machinery (:func:`carecast.model.backtest`) against persistence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from carecast import params
from carecast.data import councils
from carecast.data.errors import InputError
from carecast.data.workspace import Workspace
from carecast.model.backtest import accuracy, backtest
from carecast.model.baselines import Persistence
from carecast.model.cin import MEASURES, CinModel, load_cin_data
from carecast.service import workspace as checks

ORIGINS = range(2016, 2024)
PERIODS = {"all": ORIGINS, "choice_2016_2019": range(2016, 2020),
           "held_out_2020_2023": range(2020, 2024)}
LABELS = {
    "cin_at_31_march": "Children in need at 31 March",
    "cin_not_looked_after": "Children in need at 31 March who are not looked after",
    "cpp_at_31_march": "Children on a child protection plan at 31 March",
    "referrals": "Referrals in the year ending 31 March",
}


def forecast(ws: Workspace, council: str | None = None, *, horizon: int = 5,
             origin: int | None = None, draws: int | None = None,
             seed: int | None = None) -> pd.DataFrame:
    """Every measure of :data:`carecast.model.cin.MEASURES` for one council (or all and
    England) in the tidy forecast schema, rounded to one decimal."""
    if not 1 <= horizon <= 10:
        raise InputError("--horizon for council forecasts is 1 to 10 years")
    data = load_cin_data(ws)
    if origin is not None and origin not in set(data.years.tolist()):
        raise InputError(f"--origin must be a year with children in need data "
                         f"{data.years.min()}-{data.years.max()}")
    model = CinModel(n_draws=checks.draws(draws), random_state=checks.seed(seed))
    frame = model.fit(data, origin).project(horizon).to_frame()
    if council is not None:
        frame = frame[frame["la_code"] == councils.lookup(council).code]
    return frame.sort_values(["la_code", "measure", "period"]).round(1).reset_index(drop=True)


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    table = accuracy(frame)
    pers = table[table["model"] == "persistence"].set_index(["level", "measure", "horizon"])
    ratio = [round(r.mape / pers.at[(r.level, r.measure, r.horizon), "mape"], 3)
             for r in table.itertuples()]
    return table.assign(mape_ratio_to_persistence=ratio)


def run_backtest(ws: Workspace, horizons: Iterable[int] = (1, 3), n_draws: int | None = None,
                 scheduler: Any = None, tick: Callable[[], None] = lambda: None
                 ) -> dict[str, Any]:
    """The CIN model and persistence at every origin 2016-2023 (bench/results/backtest_cin.json)."""
    data = load_cin_data(ws)
    horizons = sorted(set(horizons))
    n_draws = checks.draws(n_draws)
    frames = []
    for make in (CinModel, Persistence):
        frames.append(backtest(make(n_draws=n_draws), data, ORIGINS, horizons,
                               scheduler=scheduler))
        tick()
    frame = pd.concat(frames, ignore_index=True)
    tables = {k: _table(frame[frame["origin"].isin(v)]) for k, v in PERIODS.items()}

    def records(table: pd.DataFrame, level: str) -> list[dict[str, Any]]:
        return table[table["level"] == level].drop(columns="level").to_dict(orient="records")

    fitted = CinModel(n_draws=10).fit(data)
    return {
        "command": "carecast backtest --measure cin --horizons " + ",".join(map(str, horizons)),
        "origins": [ORIGINS.start, ORIGINS.stop - 1],
        "n_draws": n_draws,
        "measures": {m: LABELS[m] for m in MEASURES},
        "settings": params.value("model.cin_forecast"),
        "learnt_reversion_at_2024": fitted.reversion_,
        "councils": records(tables["all"], "la"),
        "england": records(tables["all"], "england"),
        "councils_by_period": {k: records(t, "la") for k, t in tables.items() if k != "all"},
    }

"""Choice of council model by backtest: every model and candidate beside the baselines.

``MODELS`` names the council models ``carecast forecast --model`` offers; ``CANDIDATES``
are the steps from issue 5's stock-flow settings to today's (one change at a time, so the
published table says what each gains), the pooled direct regression and the naive
baselines. ``run_comparison`` backtests them all at every origin the data allow and returns
the payload written to bench/results/backtest.json: accuracy over all origins, over the
origins where settings were chosen and the later ones that check them, per origin and
horizon for councils and England, the default's combination weights per origin, and the
targets of ``model.backtest`` checked for the primary model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from carecast import params
from carecast.data.workspace import Workspace
from carecast.model.backtest import accuracy, backtest, backtest_periods, settings
from carecast.model.baselines import LinearTrend, Persistence
from carecast.model.council import CouncilData, CouncilModel, load_council_data
from carecast.model.pooled import PooledModel
from carecast.model.registry import MODELS, default_name

# The stock-flow settings chosen for issue 5, before the changes each step below adds back.
ISSUE5 = {"uasc_apart": False, "age_exit_ratio": 1.0, "reversion": 1.0, "national_decay": 0.5,
          "national_persistence": 1.0}
STEPS = {
    "stock_flow_issue5": (),
    "sf_uasc_apart": ("uasc_apart",),
    "sf_uasc_age": ("uasc_apart", "age_exit_ratio"),
    "sf_uasc_age_reversion": ("uasc_apart", "age_exit_ratio", "reversion"),
}


def _step(name: str, adopted: tuple[str, ...]) -> Callable[..., Any]:
    def make(**kw: Any) -> CouncilModel:
        now = params.value("model.council_forecast")
        chosen = {k: (now[k] if k in adopted else v) for k, v in ISSUE5.items()}
        return CouncilModel(**chosen, name=name, **kw)
    return make


CANDIDATES: dict[str, Callable[..., Any]] = {
    **{name: _step(name, adopted) for name, adopted in STEPS.items()},
    "pooled_direct": lambda **kw: PooledModel(level_weight=1.0, relative_weight=0.0,
                                              name="pooled_direct", **kw),
    "persistence": Persistence,
    "linear_trend": LinearTrend,
}


def _table(frame: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Accuracy of the stock at 31 March, with each MAPE's ratio to persistence's."""
    table = accuracy(frame[frame["measure"] == "cla_at_31_march"], by=by)
    keys = ["level", "horizon", *by]
    pers = table[table["model"] == "persistence"].set_index(keys)["mape"]
    ratio = table.set_index(keys).index.map(lambda k: pers.get(k, float("nan")))
    return table.assign(mape_ratio_to_persistence=(table["mape"] / ratio.to_numpy()).round(3)
                        ).drop(columns="measure")


def _records(table: pd.DataFrame, level: str) -> list[dict[str, Any]]:
    return table[table["level"] == level].drop(columns="level").to_dict(orient="records")


def _targets(la: pd.DataFrame, by_origin: pd.DataFrame, england: pd.DataFrame,
             primary: str, recent: list[int]) -> list[dict[str, Any]]:
    t = settings()["targets"]
    mine = la[la["model"] == primary].set_index("horizon")
    out = []
    for h, limit in t["la_mape_ratio"].items():
        if int(h) in mine.index:
            value = float(mine.at[int(h), "mape_ratio_to_persistence"])
            out.append({"target": f"councils {h}-year MAPE <= {limit} x persistence",
                        "value": value, "met": value <= limit})
    each = by_origin[(by_origin["model"] == primary) & (by_origin["level"] == "la")]
    for h, limit in t["la_mape_ratio_each_recent"].items():
        rows = each[(each["horizon"] == int(h)) & each["origin"].isin(recent)]
        values = dict(zip(rows["origin"].astype(int), rows["mape_ratio_to_persistence"],
                          strict=True))
        out.append({"target": f"councils {h}-year MAPE <= {limit} x persistence at each of "
                    f"origins {', '.join(map(str, recent))}", "value": values,
                    "met": bool(values) and all(v <= limit for v in values.values())})
    eng = england[england["model"] == primary].set_index("horizon")
    for h, limit in t["england_mae"].items():
        if int(h) in eng.index:
            value = float(eng.at[int(h), "mape"])
            out.append({"target": f"England {h}-year mean absolute error <= {limit}%",
                        "value": value, "met": value <= limit})
    lo, hi = t["coverage_80"]
    for name, table in (("councils", mine), ("England", eng)):
        for h in table.index:
            value = float(table.at[h, "coverage_80"])
            out.append({"target": f"{name} {h}-year 80% interval coverage in {lo}-{hi}%",
                        "value": value, "met": lo <= value <= hi})
    return out


def _weights(data: CouncilData, origins: list[int], primary: str) -> dict[int, list[float]]:
    """The combination weights the default learns at each origin (if it combines)."""
    out = {}
    for origin in origins:
        model = MODELS[primary](n_draws=10).fit(data, origin)
        if hasattr(model, "weights_"):
            out[origin] = [round(float(w), 2) for w in model.weights_]
    return out


def run_comparison(ws: Workspace, horizons: list[int], n_draws: int = 1000,
                   scheduler: Any = None, tick: Callable[[], None] = lambda: None,
                   primary: str | None = None) -> dict[str, Any]:
    """Backtest every model and candidate at every origin; targets are checked for
    ``primary`` (default: the default model)."""
    primary = default_name() if primary is None else primary
    data = load_council_data(ws)
    periods = backtest_periods(data)
    frames = []
    for make in [*MODELS.values(), *CANDIDATES.values()]:
        frames.append(backtest(make(n_draws=n_draws), data, periods["all"], horizons,
                               scheduler=scheduler))
        tick()
    frame = pd.concat(frames, ignore_index=True)
    tables = {k: _table(frame[frame["origin"].isin(v)]) for k, v in periods.items()}
    by_origin = _table(frame, by=("origin",))
    recent = periods["all"][-int(settings()["targets"]["recent_origins"]):]
    la, england = (tables["all"][tables["all"]["level"] == x] for x in ("la", "england"))
    flows = accuracy(frame[frame["model"] == primary])
    return {
        "generated": dt.date.today().isoformat(),
        "command": "carecast backtest --horizons " + ",".join(map(str, horizons)),
        "origins": periods["all"],
        "periods": {"choice": periods["choice"], "held_out": periods["held_out"]},
        "n_draws": n_draws,
        "primary_model": primary,
        "models": [*MODELS, *CANDIDATES],
        "settings": {name: params.value(f"model.{name}") for name in (
            "default_forecast", "council_forecast", "uasc_forecast", "combined_forecast",
            "pooled_forecast", "backtest")},
        "councils": _records(tables["all"], "la"),
        "england": _records(tables["all"], "england"),
        "councils_by_period": {k: _records(tables[k], "la") for k in ("choice", "held_out")},
        "england_by_period": {k: _records(tables[k], "england")
                              for k in ("choice", "held_out")},
        "by_origin": by_origin.to_dict(orient="records"),
        "combination_weights_by_origin": _weights(data, periods["all"], primary),
        "flows_" + primary: flows[flows["measure"] != "cla_at_31_march"].to_dict(
            orient="records"),
        "uasc": accuracy(frame[frame["model"].isin([primary, "persistence"])
                               & (frame["measure"] == "cla_uasc_at_31_march")]).to_dict(
            orient="records"),
        "targets": _targets(la, by_origin, england, primary, recent),
    }

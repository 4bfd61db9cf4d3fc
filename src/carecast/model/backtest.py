"""Rolling-origin backtests in the tidy schema, and the accuracy tables reports publish.

``backtest(model, data, origins, horizons)`` refits a copy of ``model`` at every origin on
data published up to that origin only, projects, and returns forecast rows with ``origin``
and ``actual`` added (England's actual is its own published figure). ``backtest_origins``
are
every year from ``model.backtest``'s first origin to the year before the data's last, so a
newly added release adds an origin. ``accuracy(frame, by)`` gives, per model, level, measure
and horizon (and ``by``, e.g. origin): MAPE, median APE, bias (mean signed percentage
error) and 80%/95% interval coverage.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from carecast import params
from carecast.model.council import ENGLAND, CouncilData
from carecast.model.executor import run_tasks

_ACTUAL = {"cla_at_31_march": "stock", "cla_started": "starts", "cla_ceased": "ceased",
           "cla_uasc_at_31_march": "uasc"}


def settings() -> dict[str, Any]:
    return dict(params.value("model.backtest"))


def backtest_origins(data: CouncilData) -> list[int]:
    """Every origin from the first backtest origin that has at least one year after it."""
    first = int(settings()["first_origin"])
    return [int(y) for y in data.years if first <= y < data.years.max()]


def backtest_periods(data: CouncilData) -> dict[str, list[int]]:
    """Origins where settings were chosen and the later ones that check them."""
    last_choice = int(settings()["last_choice_origin"])
    every = backtest_origins(data)
    return {"all": every, "choice": [o for o in every if o <= last_choice],
            "held_out": [o for o in every if o > last_choice]}


def _actuals(data: CouncilData) -> pd.DataFrame:
    if hasattr(data, "actuals"):  # other panels (children in need) say what their actuals are
        return data.actuals()
    frames = []
    for measure, attr in _ACTUAL.items():
        values = data.share_uasc * data.stock if attr == "uasc" else getattr(data, attr)
        la = pd.DataFrame(values, index=data.codes, columns=data.years).stack()
        summed = pd.Series(np.where(np.isfinite(values).all(0), values.sum(0), np.nan),
                           index=data.years)
        england = data.england(attr).combine_first(summed)
        england.index = pd.MultiIndex.from_product([[ENGLAND], england.index])
        both = pd.concat([la, england]).rename("actual").reset_index()
        both.columns = ["la_code", "period", "actual"]
        frames.append(both.assign(measure=measure))
    return pd.concat(frames, ignore_index=True)


def _one_origin(task: tuple[Any, CouncilData, int, list[int]]) -> pd.DataFrame:
    model, data, origin, reach = task
    fitted = copy.deepcopy(model).fit(data, origin=origin)
    frame = fitted.project(max(reach)).to_frame()
    return frame[(frame["period"] - origin).isin(reach)].assign(origin=origin)


def backtest(model: Any, data: CouncilData, origins: Iterable[int] | None = None,
             horizons: Iterable[int] = (1, 3), scheduler: Any = None) -> pd.DataFrame:
    """Forecasts from every origin (default :func:`backtest_origins`) beside what happened;
    rows with no actual are dropped.

    Each origin refits a deep copy of ``model`` on ``data.until(origin)``; origins run
    through :func:`carecast.model.executor.run_tasks` (in-process unless ``scheduler``).
    """
    horizons = sorted(set(horizons))
    last = int(data.years.max())
    chosen = backtest_origins(data) if origins is None else list(origins)
    tasks = [(model, data.until(origin), origin, [h for h in horizons if origin + h <= last])
             for origin in chosen]
    tasks = [t for t in tasks if t[3]]
    out = pd.concat(run_tasks(_one_origin, tasks, scheduler, max_workers=1 if scheduler is None
                              else None), ignore_index=True)
    out = out.merge(_actuals(data), on=["la_code", "period", "measure"], how="left")
    out["horizon"] = out["period"] - out["origin"]
    return out[out["actual"].notna()].reset_index(drop=True)


def accuracy(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per model, level (la or england), measure and horizon (and ``by``): MAPE, median APE,
    bias and interval coverage. Percentages exclude council-years whose actual is zero."""
    f = frame[frame["actual"] > 0].copy()
    f["level"] = np.where(f["la_code"] == ENGLAND, "england", "la")
    f["pe"] = (f["mean"] - f["actual"]) / f["actual"] * 100
    f["ape"] = f["pe"].abs()
    f["in_80"] = f["actual"].between(f["lo_80"], f["hi_80"])
    f["in_95"] = f["actual"].between(f["lo_95"], f["hi_95"])
    table = f.groupby(["model", "level", "measure", "horizon", *by]).agg(
        n=("ape", "size"), mape=("ape", "mean"), median_ape=("ape", "median"),
        bias=("pe", "mean"), coverage_80=("in_80", "mean"), coverage_95=("in_95", "mean"),
    )
    table[["coverage_80", "coverage_95"]] *= 100
    return table.round(2).reset_index()

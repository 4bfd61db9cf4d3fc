"""Rolling-origin backtests in the tidy schema, and the accuracy table reports publish.

``backtest(model, data, origins, horizons)`` refits a copy of ``model`` at every origin on
data published up to that origin only, projects, and returns forecast rows with ``origin``
and ``actual`` added. ``accuracy(frame)`` gives, per model, measure and horizon: MAPE,
median APE, bias (mean signed percentage error) and 80%/95% interval coverage.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from carecast.model.council import ENGLAND, CouncilData
from carecast.model.executor import run_tasks

_ACTUAL = {"cla_at_31_march": "stock", "cla_started": "starts", "cla_ceased": "ceased"}


def _actuals(data: CouncilData) -> pd.DataFrame:
    if hasattr(data, "actuals"):  # other panels (children in need) say what their actuals are
        return data.actuals()
    frames = []
    for measure, attr in _ACTUAL.items():
        values = getattr(data, attr)
        la = pd.DataFrame(values, index=data.codes, columns=data.years).stack()
        eng = pd.Series(np.where(np.isfinite(values).all(0), values.sum(0), np.nan),
                        index=pd.MultiIndex.from_product([[ENGLAND], data.years]))
        both = pd.concat([la, eng]).rename("actual").reset_index()
        both.columns = ["la_code", "period", "actual"]
        frames.append(both.assign(measure=measure))
    return pd.concat(frames, ignore_index=True)


def _one_origin(task: tuple[Any, CouncilData, int, list[int]]) -> pd.DataFrame:
    model, data, origin, reach = task
    fitted = copy.deepcopy(model).fit(data, origin=origin)
    frame = fitted.project(max(reach)).to_frame()
    return frame[(frame["period"] - origin).isin(reach)].assign(origin=origin)


def backtest(model: Any, data: CouncilData, origins: Iterable[int] = range(2015, 2024),
             horizons: Iterable[int] = (1, 3), scheduler: Any = None) -> pd.DataFrame:
    """Forecasts from every origin beside what happened; rows with no actual are dropped.

    Each origin refits a deep copy of ``model`` on ``data.until(origin)``; origins run
    through :func:`carecast.model.executor.run_tasks` (in-process unless ``scheduler``).
    """
    horizons = sorted(set(horizons))
    last = int(data.years.max())
    tasks = [(model, data.until(origin), origin, [h for h in horizons if origin + h <= last])
             for origin in origins]
    tasks = [t for t in tasks if t[3]]
    out = pd.concat(run_tasks(_one_origin, tasks, scheduler, max_workers=1 if scheduler is None
                              else None), ignore_index=True)
    out = out.merge(_actuals(data), on=["la_code", "period", "measure"], how="left")
    out["horizon"] = out["period"] - out["origin"]
    return out[out["actual"].notna()].reset_index(drop=True)


def accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model, level (la or england), measure and horizon: MAPE, median APE, bias and
    interval coverage. Percentages exclude council-years whose actual is zero."""
    f = frame[frame["actual"] > 0].copy()
    f["level"] = np.where(f["la_code"] == ENGLAND, "england", "la")
    f["pe"] = (f["mean"] - f["actual"]) / f["actual"] * 100
    f["ape"] = f["pe"].abs()
    f["in_80"] = f["actual"].between(f["lo_80"], f["hi_80"])
    f["in_95"] = f["actual"].between(f["lo_95"], f["hi_95"])
    table = f.groupby(["model", "level", "measure", "horizon"]).agg(
        n=("ape", "size"), mape=("ape", "mean"), median_ape=("ape", "median"),
        bias=("pe", "mean"), coverage_80=("in_80", "mean"), coverage_95=("in_95", "mean"),
    )
    table[["coverage_80", "coverage_95"]] *= 100
    return table.round(2).reset_index()

"""The one tidy forecast schema every model returns.

A forecast is a long DataFrame with one row per (la_code, period, measure, model):

============  ===============================================================
la_code       DfE 3-digit council code, ``E92000001`` for England, or a label
              (``workspace``) for a record-level forecast of one 903 return
period        year ending 31 March (int) for council-level forecasts; month
              start (``YYYY-MM-01``) for record-level; financial year
              (``2025-26``) for spend
measure       ``cla_at_31_march``, ``cla_started``, ``cla_ceased``, ``stock``,
              ``entries``, ``exits``, ``spend_gbp`` ... (record-level adds a
              ``state`` or ``reason`` column)
model         the model's name (``stock_flow``, ``persistence`` ...)
mean          mean over simulation draws
lo_80 hi_80   10th and 90th percentiles of the draws (80% prediction interval)
lo_95 hi_95   2.5th and 97.5th percentiles (95% prediction interval)
============  ===============================================================

Backtests add ``origin`` (the last data year used) and ``actual``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FORECAST_COLUMNS = [
    "la_code", "period", "measure", "model", "mean", "lo_80", "hi_80", "lo_95", "hi_95",
]
QUANTILES = (0.10, 0.90, 0.025, 0.975)


def summarise(draws: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and interval bounds over axis 0 (draws) of an array of simulated values."""
    q = np.quantile(draws, QUANTILES, axis=0)
    return {"mean": draws.mean(axis=0), "lo_80": q[0], "hi_80": q[1], "lo_95": q[2],
            "hi_95": q[3]}


def point_frame(la_code: np.ndarray, period: np.ndarray, measure: str, model: str,
                values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Rows of the tidy schema from aligned 1-d arrays."""
    frame = pd.DataFrame({"la_code": la_code, "period": period, "measure": measure,
                          "model": model})
    for column in FORECAST_COLUMNS[4:]:
        frame[column] = values[column]
    return frame

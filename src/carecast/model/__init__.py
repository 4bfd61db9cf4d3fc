"""Forecasting models: council-level stock-flow, record-level multistate, baselines, backtests.

Every model follows one contract (settings in a keyword-only ``__init__``, ``fit`` returns
self, learned state ends in ``_``, ``project`` is pure and seeded) and returns the tidy
forecast schema of :mod:`carecast.model.schema`.
"""

from carecast.model.backtest import accuracy, backtest
from carecast.model.baselines import LinearTrend, Persistence
from carecast.model.council import (
    CouncilData,
    CouncilModel,
    CouncilRates,
    load_council_data,
)
from carecast.model.records import MultistateModel, MultistateRates
from carecast.model.schema import FORECAST_COLUMNS

__all__ = [
    "FORECAST_COLUMNS", "CouncilData", "CouncilModel", "CouncilRates", "LinearTrend",
    "MultistateModel", "MultistateRates", "Persistence", "accuracy", "backtest",
    "load_council_data",
]

"""Backtest API, baselines and the executor."""

from __future__ import annotations

import pytest

from carecast.model import CouncilModel, Persistence, accuracy, backtest
from carecast.model.executor import run_tasks


def test_backtest_rows_carry_origin_and_actual(data):
    frame = backtest(Persistence(n_draws=50), data, origins=[2020, 2023], horizons=[1, 3])
    assert set(frame.origin) == {2020, 2023}
    assert set(frame.horizon) == {1, 3}  # 2023 + 3 has no actual and is dropped
    row = frame[(frame.la_code == "926") & (frame.measure == "cla_at_31_march")
                & (frame.origin == 2020) & (frame.horizon == 1)].iloc[0]
    assert row["mean"] == pytest.approx(1105) and row["actual"] == pytest.approx(1083)
    table = accuracy(frame)
    assert {"mape", "median_ape", "bias", "coverage_80", "coverage_95"} <= set(table.columns)


def test_stock_flow_beats_persistence_at_three_years(data):
    frames = [backtest(m, data, origins=range(2016, 2022), horizons=[3])
              for m in (CouncilModel(n_draws=100), Persistence(n_draws=50))]
    import pandas as pd
    table = accuracy(pd.concat(frames))
    la = table[(table.level == "la") & (table.measure == "cla_at_31_march")].set_index("model")
    assert la.at["stock_flow", "mape"] < la.at["persistence", "mape"]


def _square(x: int) -> int:
    return x * x


def test_executor_runs_on_dask_local_cluster(data):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert run_tasks(_square, [1, 2, 3], scheduler=client) == [1, 4, 9]
        frame = backtest(Persistence(n_draws=20), data, origins=[2021, 2022], horizons=[1],
                         scheduler=client)
    assert set(frame.origin) == {2021, 2022}


def test_executor_local_processes_keep_order():
    assert run_tasks(_square, list(range(5)), max_workers=2) == [0, 1, 4, 9, 16]

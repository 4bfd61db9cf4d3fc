"""Backtest API, baselines and the executor."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.model import CouncilModel, Persistence, accuracy, backtest, load_council_data
from carecast.model.backtest import backtest_origins, backtest_periods
from carecast.model.executor import run_tasks

CLA_RELEASE = "cla/raw/cla_number_and_rate_per_10k_children_release2024.csv"


def test_backtest_rows_carry_origin_and_actual(data):
    frame = backtest(Persistence(n_draws=50), data, origins=[2020, 2023], horizons=[1, 3])
    assert set(frame.origin) == {2020, 2023}
    assert set(frame.horizon) == {1, 3}  # 2023 + 3 has no actual and is dropped
    row = frame[(frame.la_code == "926") & (frame.measure == "cla_at_31_march")
                & (frame.origin == 2020) & (frame.horizon == 1)].iloc[0]
    assert row["mean"] == pytest.approx(1105) and row["actual"] == pytest.approx(1083)
    # England is scored against its own published figure (DfE: 80,780 at 31 March 2021).
    england = frame[(frame.la_code == "E92000001") & (frame.measure == "cla_at_31_march")
                    & (frame.origin == 2020) & (frame.horizon == 1)].iloc[0]
    assert england["actual"] == 80780
    table = accuracy(frame, by=("origin",))
    assert {"mape", "median_ape", "bias", "coverage_80", "coverage_95"} <= set(table.columns)
    assert set(table.origin) == {2020, 2023}


def test_origins_come_from_the_data_and_a_new_release_adds_one(fresh_workspace, shared_public,
                                                               tmp_path):
    data = load_council_data(fresh_workspace)
    assert backtest_origins(data) == list(range(2015, 2024))
    periods = backtest_periods(data)
    assert periods["choice"] == list(range(2015, 2020))
    assert periods["held_out"] == list(range(2020, 2024))
    with fresh_workspace.change() as con:  # as before DfE published 2024
        con.execute("DELETE FROM bundled_observations WHERE year = 2024 AND measure IN "
                    "('cla_at_31_march', 'cla_started', 'cla_ceased', 'pop_0_17')")
    assert backtest_origins(load_council_data(fresh_workspace))[-1] == 2022
    release = tmp_path / "release.csv"
    release.write_bytes((shared_public / CLA_RELEASE).read_bytes())
    result = CliRunner().invoke(app, ["data", "add-release", str(release), "--workspace",
                                      str(fresh_workspace.root)])
    assert result.exit_code == 0, result.output
    assert backtest_origins(load_council_data(fresh_workspace))[-1] == 2023


def test_stock_flow_beats_persistence_at_three_years(data):
    frames = [backtest(m, data, origins=range(2016, 2022), horizons=[3])
              for m in (CouncilModel(n_draws=100), Persistence(n_draws=50))]
    table = accuracy(pd.concat(frames))
    la = table[(table.level == "la") & (table.measure == "cla_at_31_march")].set_index("model")
    assert la.at["stock_flow", "mape"] < 0.95 * la.at["persistence", "mape"]


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

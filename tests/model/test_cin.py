"""The children in need model keeps the model contract, uses no data after its origin, and is
backtested with the shared machinery against persistence."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.data import store
from carecast.model.backtest import accuracy, backtest
from carecast.model.baselines import Persistence
from carecast.model.cin import MEASURES, CinModel, load_cin_data
from carecast.model.schema import FORECAST_COLUMNS

runner = CliRunner()


@pytest.fixture(scope="module")
def cin_data(workspace):
    return load_cin_data(workspace)


@pytest.fixture(scope="module")
def fitted(cin_data):
    return CinModel(n_draws=300).fit(cin_data, origin=2022)


def test_data_are_the_published_series(workspace, cin_data):
    panel = store.la_panel(workspace)
    i = int(np.flatnonzero(cin_data.codes == "926")[0])
    j = int(np.flatnonzero(cin_data.years == 2024)[0])
    assert cin_data.counts["cin_at_31_march"][i, j] == panel.value("926", 2024, "cin_at_31_march")
    assert cin_data.counts["cin_not_looked_after"][i, j] == (
        panel.value("926", 2024, "cin_at_31_march") - panel.value("926", 2024, "cla_at_31_march"))
    england = store.area_panel(workspace, "england")
    assert cin_data.england["referrals"][j] == england.value("E92000001", 2024, "referrals")
    assert list(cin_data.years) == list(range(2013, 2025))


def test_fit_returns_self_and_leaves_settings_alone(cin_data):
    model = CinModel(n_draws=50)
    settings = copy.deepcopy(vars(model))
    assert model.fit(cin_data, origin=2020) is model
    assert {k: v for k, v in vars(model).items() if not k.endswith("_")} == settings
    assert set(model.reversion_) == set(MEASURES)
    assert all(0 <= phi <= 1 for phi in model.reversion_.values())


def test_forecast_ignores_data_after_origin(cin_data):
    before = CinModel(n_draws=100).fit(cin_data, origin=2019).project(3).to_frame()
    mutated = copy.deepcopy(cin_data)
    for arr in (*mutated.counts.values(), mutated.population):
        arr[:, mutated.years > 2019] *= 3.0
    after = CinModel(n_draws=100).fit(mutated, origin=2019).project(3).to_frame()
    np.testing.assert_array_equal(before["mean"].to_numpy(), after["mean"].to_numpy())


def test_project_is_pure_seeded_and_in_the_schema(fitted):
    state = copy.deepcopy({k: v for k, v in vars(fitted).items() if not k.endswith("_")})
    a = fitted.project(2, random_state=4).to_frame()
    assert a.equals(fitted.project(2, random_state=4).to_frame())
    assert not a.equals(fitted.project(2, random_state=5).to_frame())
    assert {k: v for k, v in vars(fitted).items() if not k.endswith("_")} == state
    assert list(a.columns) == FORECAST_COLUMNS
    assert set(a["measure"]) == set(MEASURES) and "E92000001" in set(a["la_code"])
    assert ((a["lo_95"] <= a["lo_80"]) & (a["lo_80"] <= a["mean"]) & (a["mean"] <= a["hi_80"])
            & (a["hi_80"] <= a["hi_95"])).all()
    assert (a["lo_95"] > 0).all()


def test_persistence_at_full_reversion_with_no_noise_repeats_the_last_rate(cin_data):
    model = CinModel(reversion=1.0, interval_scale=1e-9, n_draws=20).fit(cin_data, origin=2023)
    frame = model.project(1).to_frame()
    i = int(np.flatnonzero(cin_data.codes == "926")[0])
    last = cin_data.counts["cpp_at_31_march"][i, cin_data.years == 2023][0]
    row = frame[(frame["la_code"] == "926") & (frame["measure"] == "cpp_at_31_march")]
    growth = model.population_[i, 0] / cin_data.population[i, cin_data.years == 2023][0]
    assert row["mean"].iloc[0] == pytest.approx(last * growth, rel=1e-6)


def test_backtest_uses_the_shared_machinery_against_persistence(cin_data):
    frames = [backtest(make(n_draws=100), cin_data, range(2019, 2022), (1, 2))
              for make in (CinModel, Persistence)]
    table = accuracy(pd.concat(frames))
    assert set(table["model"]) == {"cin_reverting_level", "persistence"}
    assert set(table["measure"]) == set(MEASURES)
    england = frames[0][frames[0]["la_code"] == "E92000001"]
    assert england["actual"].notna().all() and len(england) > 0
    assert (frames[0]["period"] - frames[0]["origin"]).isin([1, 2]).all()


def test_forecast_cli_measure_cin_for_norfolk(workspace):
    result = runner.invoke(app, ["forecast", "926", "--measure", "cin", "--horizon", "3",
                                 "--json", "--draws", "200", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["measure"] for r in rows} == set(MEASURES)
    assert {r["period"] for r in rows} == {2025, 2026, 2027}
    assert {r["la_code"] for r in rows} == {"926"}
    bad = runner.invoke(app, ["forecast", "926", "--measure", "cpp", "--workspace",
                              str(workspace.root)])
    assert bad.exit_code == 2 and "--measure must be cla or cin" in bad.output

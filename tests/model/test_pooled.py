"""Pooled direct regression blended with the stock-flow model, on the bundled public data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast.model import CouncilModel, Persistence, accuracy, backtest
from carecast.model.pooled import PooledModel, features


@pytest.fixture(scope="module")
def fitted(data):
    return PooledModel(n_draws=300).fit(data, origin=2022)


def test_forecast_ignores_data_after_origin(data):
    before = PooledModel(n_draws=100).fit(data, origin=2019).project(3).to_frame()
    mutated = data.until(2024)
    for arr in (mutated.stock, mutated.starts, mutated.ceased, mutated.population):
        arr[:, mutated.years > 2019] *= 3.0
    after = PooledModel(n_draws=100).fit(mutated, origin=2019).project(3).to_frame()
    np.testing.assert_array_equal(before["mean"].to_numpy(), after["mean"].to_numpy())


def test_features_use_only_data_up_to_origin(data):
    mutated = data.until(2024)
    mutated.stock[:, mutated.years > 2018] = 1.0
    pd.testing.assert_frame_equal(features(data, 2018), features(mutated, 2018))


def test_stock_identity_holds_in_every_draw(fitted):
    f = fitted.project(5)
    stock, entries, exits = (f.draws[m] for m in ("cla_at_31_march", "cla_started",
                                                  "cla_ceased"))
    start = np.broadcast_to(fitted.stock_flow_.rates_.stock0, stock.shape[:2])[..., None]
    previous = np.concatenate([start, stock[..., :-1]], axis=2)
    np.testing.assert_allclose(stock, previous + entries - exits, rtol=1e-12, atol=1e-9)
    assert (exits >= 0).all() and (stock >= 0).all()


def test_default_moves_councils_but_keeps_the_stock_flow_england_level(fitted):
    pooled = fitted.project(3)
    base = fitted.stock_flow_.project(3)
    ratio = pooled.draws["cla_at_31_march"].mean(0) / base.draws["cla_at_31_march"].mean(0)
    assert np.abs(np.log(ratio)).max() > 0.02  # the regression does move councils
    # Moves are centred on the median council, so England hardly changes.
    england = pooled.england()["cla_at_31_march"].mean(0)
    np.testing.assert_allclose(england, base.england()["cla_at_31_march"].mean(0), rtol=0.02)


def test_high_rate_councils_are_pulled_down(fitted, data):
    """Mean reversion: the regression expects councils far above their region to fall."""
    gap = features(data, 2022)["rate_gap_reg"].to_numpy()
    change = fitted.log_change_[:, 2]
    assert np.corrcoef(gap, change)[0, 1] < -0.3


def test_direct_model_alone_is_a_level_weight_of_one(data):
    direct = PooledModel(level_weight=1.0, relative_weight=0.0, n_draws=200).fit(data, 2021)
    mean = direct.project(2).draws["cla_at_31_march"].mean(0)
    expected = direct.stock0_[:, None] * np.exp(direct.log_change_[:, :2])
    ok = expected > 40  # tiny councils may hit the zero-exit cap
    np.testing.assert_allclose(mean[ok], expected[ok], rtol=1e-6)


def test_project_is_pure_and_seeded(fitted):
    a = fitted.project(2, random_state=4).to_frame()
    b = fitted.project(2, random_state=4).to_frame()
    assert a.equals(b)


def test_horizons_beyond_training_hold_the_last_fitted_change(data):
    model = PooledModel(n_draws=50).fit(data, origin=2016)
    assert model.fitted_horizons_ == 3  # 2013-2016 features, pairs up to 2016
    assert model.project(5).draws["cla_at_31_march"].shape[2] == 5


def test_beats_stock_flow_and_persistence_at_three_years(data):
    frames = [backtest(m, data, origins=range(2016, 2022), horizons=[3])
              for m in (PooledModel(n_draws=100), CouncilModel(n_draws=100),
                        Persistence(n_draws=50))]
    table = accuracy(pd.concat(frames))
    la = table[(table.level == "la") & (table.measure == "cla_at_31_march")].set_index("model")
    assert la.at["stock_flow_pooled", "mape"] < la.at["stock_flow", "mape"]
    assert la.at["stock_flow", "mape"] < la.at["persistence", "mape"]
    assert 75 <= la.at["stock_flow_pooled", "coverage_80"] <= 90

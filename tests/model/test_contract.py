"""The contract every council-level forecaster keeps (scikit-learn style, STYLE.md point 3/4)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from carecast.model import CouncilModel
from carecast.model.pooled import PooledModel

MODELS = [CouncilModel, PooledModel]


def _start_stock(model):
    rates = model.rates_ if hasattr(model, "rates_") else model.stock_flow_.rates_
    return rates.stock0


@pytest.fixture(scope="module", params=MODELS, ids=lambda m: m.__name__)
def fitted(request, data):
    return request.param(n_draws=200).fit(data, origin=2022)


@pytest.mark.parametrize("make", MODELS, ids=lambda m: m.__name__)
def test_fit_returns_self_and_leaves_settings_alone(make, data):
    model = make(n_draws=50)
    settings = copy.deepcopy(vars(model))
    assert model.fit(data, origin=2020) is model
    assert {k: v for k, v in vars(model).items() if not k.endswith("_")} == settings


@pytest.mark.parametrize("make", MODELS, ids=lambda m: m.__name__)
def test_forecast_ignores_data_after_origin(make, data):
    before = make(n_draws=100).fit(data, origin=2019).project(3).to_frame()
    mutated = data.until(2024)
    for arr in (mutated.stock, mutated.starts, mutated.ceased, mutated.population):
        arr[:, mutated.years > 2019] *= 3.0
    after = make(n_draws=100).fit(mutated, origin=2019).project(3).to_frame()
    np.testing.assert_array_equal(before["mean"].to_numpy(), after["mean"].to_numpy())


def test_stock_flow_identity_holds_in_every_draw(fitted):
    f = fitted.project(5)
    stock, entries, exits = (f.draws[m] for m in ("cla_at_31_march", "cla_started", "cla_ceased"))
    start = np.broadcast_to(_start_stock(fitted), stock.shape[:2])[..., None]
    previous = np.concatenate([start, stock[..., :-1]], axis=2)
    np.testing.assert_allclose(stock, previous + entries - exits, rtol=1e-12, atol=1e-9)
    assert (exits >= 0).all() and (stock >= 0).all()


def test_project_is_pure_and_seeded(fitted):
    state = copy.deepcopy({k: v for k, v in vars(fitted).items() if not k.endswith("_")})
    a = fitted.project(2, random_state=4).to_frame()
    b = fitted.project(2, random_state=4).to_frame()
    assert a.equals(b)
    assert {k: v for k, v in vars(fitted).items() if not k.endswith("_")} == state


def test_output_follows_the_forecast_schema(fitted):
    frame = fitted.project(2).to_frame()
    assert list(frame.columns[:9]) == [
        "la_code",
        "period",
        "measure",
        "model",
        "mean",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
    ]
    assert (frame["lo_95"] <= frame["lo_80"]).all() and (frame["hi_80"] <= frame["hi_95"]).all()

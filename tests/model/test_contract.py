"""The contract every council-level forecaster keeps (scikit-learn style, STYLE.md point 3/4),
and what scenarios rely on: ``rates_`` and ``project(h, rates=...)``."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from carecast.benchmark.drivers import DriversModel
from carecast.benchmark.neighbours import OpenNeighbours
from carecast.model import CouncilModel, LinearTrend, MultistateModel, Persistence
from carecast.model.combined import CombinedModel
from carecast.model.panel import COUNCIL_ARRAYS
from carecast.model.pooled import PooledModel

MODELS = [CouncilModel, PooledModel, CombinedModel]
PARTS = ("cla_uasc_at_31_march", "cla_not_uasc_at_31_march")


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
    for name in COUNCIL_ARRAYS:
        if name != "own":
            getattr(mutated, name)[:, mutated.years > 2019] *= 3.0
    for series in mutated.national.values():
        series[mutated.national_years > 2019] *= 3.0
    after = make(n_draws=100).fit(mutated, origin=2019).project(3).to_frame()
    np.testing.assert_array_equal(before["mean"].to_numpy(), after["mean"].to_numpy())


def test_stock_flow_identity_holds_in_every_draw(fitted):
    f = fitted.project(5)
    stock, entries, exits = (f.draws[m] for m in ("cla_at_31_march", "cla_started", "cla_ceased"))
    start = np.broadcast_to(fitted.rates_.stock0, stock.shape[:2])[..., None]
    previous = np.concatenate([start, stock[..., :-1]], axis=2)
    np.testing.assert_allclose(stock, previous + entries - exits, rtol=1e-12, atol=1e-9)
    assert (exits >= 0).all() and (stock >= 0).all()


def test_uasc_and_the_rest_add_up_to_the_total_in_every_draw(fitted):
    f = fitted.project(5)
    assert set(PARTS) <= set(f.draws)
    uasc, rest = (f.draws[m] for m in PARTS)
    assert (uasc >= 0).all() and (rest >= 0).all()
    np.testing.assert_allclose(uasc + rest, f.draws["cla_at_31_march"], rtol=1e-12, atol=1e-9)


def test_england_is_the_sum_of_council_draws_for_every_measure(fitted):
    f = fitted.project(3)
    frame = f.to_frame()
    for measure, draws in f.draws.items():
        rows = frame[frame["measure"] == measure]
        england = rows[rows["la_code"] == "E92000001"].set_index("period")
        np.testing.assert_allclose(england["mean"], draws.sum(axis=1).mean(0), rtol=1e-12)
        np.testing.assert_allclose(england["hi_80"], np.quantile(draws.sum(axis=1), 0.9, axis=0),
                                   rtol=1e-12)


def test_projecting_the_fitted_rates_is_the_forecast(fitted):
    a = fitted.project(4, random_state=3)
    b = fitted.project(4, rates=copy.deepcopy(fitted.rates_), random_state=3)
    for measure in a.draws:
        np.testing.assert_array_equal(a.draws[measure], b.draws[measure])


def test_fewer_entries_mean_fewer_children_and_the_lever_keeps_its_effect(fitted):
    base = fitted.project(4, random_state=3)
    fewer = fitted.project(4, rates=fitted.rates_.scaled(entry=0.9), random_state=3)
    np.testing.assert_allclose(fewer.draws["cla_started"], 0.9 * base.draws["cla_started"],
                               rtol=1e-12)
    stock, less = base.draws["cla_at_31_march"], fewer.draws["cla_at_31_march"]
    assert (less <= stock + 1e-9).all() and less[..., -1].mean() < stock[..., -1].mean()
    # A re-centred model moves both sides by the same fixed factors, so the lever's effect
    # is the stock-flow model's own, not undone by re-centring on the changed projection.
    sf = fitted.stock_flow_ if hasattr(fitted, "stock_flow_") else fitted
    sf_base = sf.project(4, random_state=3).draws["cla_at_31_march"].sum((0, 1))
    sf_less = sf.project(4, rates=fitted.rates_.scaled(entry=0.9), random_state=3).draws[
        "cla_at_31_march"].sum((0, 1))
    np.testing.assert_allclose(less.sum((0, 1)) / stock.sum((0, 1)), sf_less / sf_base,
                               rtol=0.01)


def test_some_councils_project_from_their_selected_rates(fitted):
    idx = np.array([0, 5, 17])
    part = fitted.project(2, rates=fitted.rates_.select(idx))
    assert list(part.codes) == list(fitted.rates_.codes[idx])
    assert part.draws["cla_at_31_march"].shape[1:] == (3, 2)


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


# Every other estimator keeps the same contract; what each cannot do is written down.
# - Persistence and LinearTrend project each series alone, so they hold no stock identity.
# - DriversModel and OpenNeighbours are cross-sectional: no origin, no draws; their
#   "predict" is ``predict(frame)`` and ``kneighbors(code)``.
# - MultistateModel fits episodes, not the council panel; its projection is monthly.


def _drivers_frame():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 2))
    frame = pd.DataFrame(x, columns=["a", "b"], index=[f"c{i}" for i in range(60)])
    frame["actual"] = 50 + 10 * frame["a"] - 4 * frame["b"] + rng.normal(scale=2, size=60)
    return frame


ESTIMATORS = {
    "Persistence": (lambda: Persistence(n_draws=50), "data",
                    lambda m: m.project(2).to_frame()),
    "LinearTrend": (lambda: LinearTrend(n_draws=50), "data",
                    lambda m: m.project(2).to_frame()),
    "MultistateModel": (lambda: MultistateModel(n_draws=20, reference_days=365), "episodes",
                        lambda m: m.project(6)),
    "DriversModel": (lambda: DriversModel(drivers=["a", "b"], folds=5, repeats=1), "drivers",
                     lambda m: m.predict(_drivers_frame()).to_frame()),
    "OpenNeighbours": (lambda: OpenNeighbours(k=3), "features",
                       lambda m: pd.DataFrame({"n": m.kneighbors("c0")})),
}


@pytest.fixture(scope="module")
def inputs(data, planted):
    features = _drivers_frame()[["a", "b"]]
    return {"data": ((data,), {"origin": 2020}), "episodes": ((planted(800),), {}),
            "drivers": ((_drivers_frame(),), {}), "features": ((features,), {})}


def _settings(model):
    return copy.deepcopy({k: v for k, v in vars(model).items() if not k.endswith("_")})


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_fits_to_self_learns_only_underscored_state_and_predicts_purely(
        name, inputs):
    make, kind, predict = ESTIMATORS[name]
    args, kwargs = inputs[kind]
    model = make()
    settings = _settings(model)
    assert model.fit(*args, **kwargs) is model
    assert _settings(model) == settings            # learned state ends in "_"
    first = predict(model)
    assert _settings(model) == settings            # predicting changes nothing
    pd.testing.assert_frame_equal(predict(model), first)
    again = make().fit(*args, **kwargs)            # refitting gives the same answers
    pd.testing.assert_frame_equal(predict(again), first)


def test_changed_rates_keep_their_effect(fitted):
    """Scenarios change a copy of ``rates_`` and project it with the same seed."""
    same = fitted.project(3, rates=fitted.rates_, random_state=2).to_frame()
    pd.testing.assert_frame_equal(same, fitted.project(3, random_state=2).to_frame())
    fewer = fitted.project(3, rates=fitted.rates_.scaled(entry=0.8), random_state=2)
    base = fitted.project(3, random_state=2)
    assert (fewer.draws["cla_started"] <= base.draws["cla_started"] + 1e-9).all()
    assert (fewer.draws["cla_at_31_march"].mean(0) < base.draws["cla_at_31_march"].mean(0)).all()

"""The drivers regression against a hand computation, and on the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast.benchmark import drivers


def _tiny() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x1 = np.arange(12, dtype=float)
    x2 = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], dtype=float)
    actual = 5 + 2 * x1 - 1.5 * x2 + rng.normal(0, 0.5, 12)
    return pd.DataFrame({"actual": actual, "x1": x1, "x2": x2}, index=[f"c{i}" for i in range(12)])


def test_coefficients_match_least_squares() -> None:
    frame = _tiny()
    model = drivers.DriversModel(drivers=["x1", "x2"], folds=3, repeats=2).fit(frame)
    design = np.column_stack([np.ones(12), frame["x1"], frame["x2"]])
    hand, *_ = np.linalg.lstsq(design, frame["actual"].to_numpy(), rcond=None)
    assert model.coefficients_["coef"].to_numpy() == pytest.approx(hand)
    fitted = design @ hand
    resid = frame["actual"] - fitted
    r2 = 1 - (resid**2).sum() / ((frame["actual"] - frame["actual"].mean()) ** 2).sum()
    assert model.r2_ == pytest.approx(r2)
    assert model.predictions_["expected"].to_numpy() == pytest.approx(fitted)
    assert model.predictions_["residual"].to_numpy() == pytest.approx(resid.to_numpy())
    assert 0 < model.cv_r2_ < model.r2_
    inside = model.predictions_
    assert ((inside["lower"] < inside["expected"]) & (inside["expected"] < inside["upper"])).all()


def test_an_extreme_council_is_named_outside_the_prediction_interval() -> None:
    rng = np.random.default_rng(7)
    x1 = rng.uniform(0, 10, 40)
    frame = pd.DataFrame({"actual": 3 + x1 + rng.normal(0, 0.5, 40), "x1": x1})
    frame.loc[5, "actual"] += 30
    model = drivers.DriversModel(drivers=["x1"], folds=5, repeats=1).fit(frame)
    positions = model.predictions_["position"]
    assert positions[5] == "above"
    assert (positions.drop(5) != "above").all()


def test_rows_with_missing_drivers_are_dropped_and_listed() -> None:
    frame = _tiny()
    frame.loc["c0", "x2"] = np.nan
    model = drivers.DriversModel(drivers=["x1", "x2"], folds=3, repeats=1).fit(frame)
    assert model.n_ == 11 and model.dropped_ == ["c0"]


def test_cla_rate_model_on_real_data(workspace) -> None:
    model, summary = drivers.run(workspace, "cla_rate")
    assert summary["councils"] >= 148
    assert summary["cv_r2"] >= 0.60
    assert summary["cv_r2"] < summary["r2"]
    assert len(summary["councils_table"]) == summary["councils"]
    assert summary["driver_years"]["idaci"] == [2019]
    terms = {c["term"] for c in summary["coefficients"]}
    assert {"const", "idaci", "log_pop_0_17"} <= terms
    named = {c["code"] for c in summary["above_expectation"] + summary["below_expectation"]}
    outside = model.predictions_[model.predictions_["position"] != "within"]
    assert named == set(outside.index)


def test_unknown_target_is_a_lookup_error(workspace) -> None:
    with pytest.raises(LookupError, match="known"):
        drivers.run(workspace, "happiness")

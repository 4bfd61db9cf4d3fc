"""The default: the stock-flow model combined with persistence by rolling-origin weights."""

from __future__ import annotations

import numpy as np
import pytest

from carecast.model import CouncilModel
from carecast.model.combined import CombinedModel, combine


def test_weights_are_learnt_only_from_origins_before_the_fit(data):
    early = CombinedModel(n_draws=50).fit(data, origin=2015)
    assert early.origins_ == [2013, 2014]  # fewer than min_origins: the model alone
    np.testing.assert_array_equal(early.weights_, np.ones(5))
    late = CombinedModel(n_draws=50).fit(data, origin=2023)
    assert late.origins_ == list(range(2013, 2023))
    assert ((late.weights_ >= 0) & (late.weights_ <= 1)).all()
    assert late.weights_[0] < 1  # a year ahead, persistence earns some weight


def test_combination_lies_between_the_model_and_the_last_value():
    model, last = np.array([110.0, 90.0, 50.0]), np.array([100.0, 100.0, 50.0])
    mixed = combine(model, last, 0.5, keep_total=False)
    assert ((mixed - model) * (mixed - last) <= 1e-9).all()
    kept = combine(model, last, 0.5, keep_total=True)
    assert kept.sum() == pytest.approx(model.sum()) and np.argmax(kept) == 0


def test_england_keeps_the_stock_flow_level(data):
    combined = CombinedModel(n_draws=200).fit(data, origin=2022)
    # Fixed at fit from the 10-year, 200-draw, seed-0 projection; the same projection here.
    ours = combined.project(10, random_state=0).england()["cla_at_31_march"].mean(0)
    base = combined.stock_flow_.project(10, random_state=0).england()["cla_at_31_march"].mean(0)
    np.testing.assert_allclose(ours, base, rtol=1e-3)
    moved = combined.project(1).draws["cla_at_31_march"].mean(0)[:, 0]
    assert np.abs(np.log(moved / combined.stock_flow_.project(1).draws[
        "cla_at_31_march"].mean(0)[:, 0])).max() > 0.01


def test_split_councils_are_fitted_on_their_own_years(data):
    """Cumberland's and Westmorland and Furness's apportioned Cumbria years (before 2024)
    do not reach their rates: changing them changes nothing."""
    base = CouncilModel(n_draws=50).fit(data, origin=2024).rates_
    mutated = data.until(2024)
    rows = np.isin(mutated.codes, ["942", "943"])[:, None] & ~mutated.own
    mutated.starts[rows] *= 3.0
    mutated.ceased[rows] *= 3.0
    other = CouncilModel(n_draws=50).fit(mutated, origin=2024).rates_
    np.testing.assert_array_equal(base.log_entry_rate, other.log_entry_rate)
    np.testing.assert_array_equal(base.log_exit_hazard, other.log_exit_hazard)

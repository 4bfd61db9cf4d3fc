"""Council-level stock-flow model on the bundled public data."""

from __future__ import annotations

import numpy as np
import pytest

from carecast.model import CouncilModel
from carecast.model.simulate import stock_flow


@pytest.fixture(scope="module")
def fitted(data):
    return CouncilModel(n_draws=300).fit(data, origin=2022)




def test_exits_never_exceed_children_at_risk():
    entries = np.full((2, 1, 3), 5.0)
    stock, exits = stock_flow(np.array([10.0]), entries, np.full((2, 1, 3), 2.0), 0.5)
    assert (stock == 0).all() and exits[0, 0, 0] == 15


def test_intervals_widen_with_horizon(fitted):
    frame = fitted.project(5).to_frame()
    for code in ("926", "E92000001"):
        rows = frame[(frame.la_code == code) & (frame.measure == "cla_at_31_march")]
        width = (rows.hi_80 - rows.lo_80).to_numpy()
        assert (np.diff(width) > 0).all()
        assert ((rows.lo_95 <= rows.lo_80) & (rows.hi_80 <= rows.hi_95)).all()


def test_england_is_sum_of_joint_draws_not_of_bounds(fitted):
    f = fitted.project(3)
    frame = f.to_frame()
    stock = frame[frame.measure == "cla_at_31_march"]
    england = stock[stock.la_code == "E92000001"].set_index("period")
    councils = stock[stock.la_code != "E92000001"].groupby("period").sum(numeric_only=True)
    np.testing.assert_allclose(england["mean"], councils["mean"], rtol=1e-9)
    assert (england.hi_80 < councils.hi_80).all()  # adding bounds would overstate width






def test_entry_change_leaves_exit_hazards_alone(fitted):
    scenario = fitted.rates_.scaled(entry=0.9)
    np.testing.assert_array_equal(scenario.log_exit_hazard, fitted.rates_.log_exit_hazard)
    base = fitted.project(3).draws["cla_started"].mean()
    fewer = fitted.project(3, rates=scenario).draws["cla_started"].mean()
    assert fewer == pytest.approx(0.9 * base, rel=1e-9)

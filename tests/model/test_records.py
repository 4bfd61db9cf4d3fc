"""Record-level multistate model: planted-rate recovery and leaving care at 18."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast.model import MultistateModel
from carecast.model.records import forecast_start

END = pd.Timestamp("2022-01-01")


@pytest.fixture(scope="module")
def fitted(planted):
    return MultistateModel(n_draws=200, reference_days=730).fit(planted(), END)


def test_planted_exit_rate_is_recovered(fitted):
    r = fitted.rates_
    rate = r.exit_events[1:16, 0].sum() / r.exposure[1:16, 0].sum()
    assert rate == pytest.approx(1 / 500, rel=0.08)


def test_every_child_leaves_by_18(planted):
    model = MultistateModel(n_draws=20).fit(planted(exit_per_day=1e-6), END)
    rates = model.rates_
    frame = model.project(12 * 18 + 1, rates=rates.with_entries(0.0))
    stock = frame[(frame.measure == "stock") & (frame.state == "all")]
    last = stock[stock.period == stock.period.max()]
    assert last["hi_95"].max() == 0
    exits = frame[frame.measure == "exits"].groupby("state")["mean"].sum()
    assert exits["age_18"] == pytest.approx(rates.stock0.sum(), rel=0.01)


def test_children_are_conserved(fitted):
    frame = fitted.project(12, n_draws=50)
    by_state = frame[(frame.measure == "stock") & (frame.state != "all")]
    stock = by_state.groupby("period")["mean"].sum()
    total = frame[(frame.measure == "stock") & (frame.state == "all")].set_index("period")["mean"]
    np.testing.assert_allclose(stock.to_numpy(), total.to_numpy(), rtol=1e-9)
    entries = frame[frame.measure == "entries"]["mean"].sum()
    exits = frame[frame.measure == "exits"]["mean"].sum()
    start = fitted.rates_.stock0.sum()
    assert stock.iloc[-1] == pytest.approx(start + entries - exits, rel=1e-6)


def test_process_noise_conserves_children_in_every_draw_and_widens_intervals(planted):
    eps = planted()
    quiet, noisy = (MultistateModel(n_draws=400, process_noise=on).fit(eps, END)
                    .project_draws(12) for on in (False, True))
    stock0 = MultistateModel(process_noise=True).fit(eps, END).rates_.stock0.sum()
    for sim in (quiet, noisy):
        left = sim.exits.sum((0, 2))
        np.testing.assert_allclose(sim.stock[-1].sum((1, 2)),
                                   stock0 + sim.entries.sum(0) - left, rtol=1e-9)
    width = [np.subtract(*np.quantile(s.stock[-1].sum((1, 2)), [0.9, 0.1])) for s in
             (quiet, noisy)]
    assert width[1] > 1.1 * width[0]
    assert noisy.stock[-1].sum((1, 2)).mean() == pytest.approx(
        quiet.stock[-1].sum((1, 2)).mean(), rel=0.01)


def test_entry_scenario_keeps_exit_rates(fitted):
    fewer = fitted.rates_.with_entries(0.5)
    assert fewer.exit_events is not fitted.rates_.exit_events
    np.testing.assert_array_equal(fewer.exit_events, fitted.rates_.exit_events)
    base = fitted.project(6, n_draws=100)
    half = fitted.project(6, n_draws=100, rates=fewer)
    assert (half[half.measure == "entries"]["mean"].sum()
            == pytest.approx(0.5 * base[base.measure == "entries"]["mean"].sum(), rel=0.1))
    assert pd.Series(half["period"]).str.match(r"\d{4}-\d{2}-01").all()


def test_forecast_start_is_1_april_after_the_latest_return():
    episodes = pd.DataFrame({"decom": pd.to_datetime(["2022-05-01", "2023-06-01"]),
                             "dec": pd.to_datetime(["2023-03-30", None]),
                             "return_year": [2023, 2024]})
    assert forecast_start(episodes) == pd.Timestamp("2024-04-01")
    assert forecast_start(episodes.drop(columns="return_year")) is None  # model's default
    late = episodes.assign(dec=pd.to_datetime(["2023-03-30", "2024-04-02"]))
    assert forecast_start(late) is None  # data beyond the return: the day after the data

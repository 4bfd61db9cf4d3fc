"""UASC apart from the other children in care: counts, share rule, draws and the identity."""

from __future__ import annotations

import numpy as np
import pytest

from carecast.model import CouncilModel, uasc


def test_known_counts_fill_gaps_between_published_years_and_carry_the_last_forward():
    share = np.array([[0.1, np.nan, 0.3, np.nan]])
    stock = np.array([[100.0, 100.0, 200.0, 300.0]])
    np.testing.assert_allclose(uasc.known_counts(share, stock), [[10, 20, 60, 90]])


def test_shares_move_towards_the_population_share_and_national_sd_is_the_series():
    counts = np.array([[90.0, 90.0], [10.0, 10.0]])
    national = np.array([100.0, 120.0, 90.0, 100.0])
    rates = uasc.fit(counts, np.array([500.0, 500.0]), national, max_horizon=3)
    lam = uasc.settings()["share_adjustment"]
    np.testing.assert_allclose(rates.share[:, 0], [0.9 - lam * 0.4, 0.1 + lam * 0.4])
    assert abs(rates.share[0, 2] - 0.5) < abs(rates.share[0, 0] - 0.5)
    assert rates.sd_national == pytest.approx(np.diff(np.log(national)).std(ddof=1))


def test_draws_keep_the_expected_level_on_average():
    rates = uasc.UascRates(uasc0=np.array([300.0, 100.0]), share=np.full((2, 3), 0.5),
                           sd_national=0.2, sd_share=0.3)
    draws = uasc.draws(rates, 3, 40_000, np.random.default_rng(0))
    np.testing.assert_allclose(draws.mean(0), 200.0, rtol=0.02)
    # England's walk is common: councils move together within a draw.
    assert np.corrcoef(np.log(draws[:, 0, 2]), np.log(draws[:, 1, 2]))[0, 1] > 0.2


def test_total_is_rest_plus_uasc_and_ceased_never_negative():
    rest = np.array([[[95.0, 90.0]]])
    rest_exits = np.array([[[10.0, 2.0]]])
    kids = np.array([[[8.0, 20.0]]])  # 15 more UASC than the rest lets leave in year 2
    total, ceased, kept = uasc.add_apart(rest, rest_exits, kids, np.array([5.0]))
    np.testing.assert_allclose(kept, [[[8.0, 10.0]]])
    np.testing.assert_allclose(ceased, [[[7.0, 0.0]]])
    np.testing.assert_allclose(total, rest + kept)


def test_uasc_forecast_starts_from_the_published_count(data):
    model = CouncilModel(n_draws=2000).fit(data, origin=2024)
    kent = int(np.flatnonzero(data.codes == "886")[0])
    assert model.rates_.uasc.uasc0[kent] == pytest.approx(494, rel=0.01)  # DfE, 31 March 2024
    england = model.project(1).england()["cla_uasc_at_31_march"].mean()
    assert england == pytest.approx(model.rates_.uasc.uasc0.sum(), rel=0.05)
    # Without the split the model forecasts no UASC measure at all.
    plain = CouncilModel(n_draws=50, uasc_apart=False).fit(data, origin=2024).project(1)
    assert "cla_uasc_at_31_march" not in plain.draws

"""Demand by type of home and age band comes from the forecast's own joint draws."""

import numpy as np
import pandas as pd
import pytest
from tests.placements.conftest import PLANTED

from carecast import disclosure
from carecast.data import categories
from carecast.data.ssda903 import summary
from carecast.model import load_council_data, registry
from carecast.placements import demand


def test_types_and_ages_sum_to_the_forecast_total_in_every_draw(workspace, all_demand):
    forecast = registry.make(n_draws=300, random_state=5).fit(
        load_council_data(workspace)).project(4)
    total = forecast.draws["cla_at_31_march"]
    assert all_demand.draws.shape == (300, len(forecast.codes), 4, 6, 5)
    assert np.array_equal(all_demand.codes, forecast.codes)
    np.testing.assert_allclose(all_demand.draws.sum((3, 4)), total, rtol=1e-12)
    assert (all_demand.draws >= 0).all()


def test_a_council_alone_gets_the_same_draws_as_with_every_council(workspace, all_demand):
    alone = demand.public(workspace, ["Norfolk"], horizon=4, draws=300, seed=5)
    np.testing.assert_array_equal(alone.draws[:, 0], all_demand.select("926").draws[:, 0])


def test_shares_follow_the_published_mix_and_ages(workspace, all_demand):
    """The first forecast year's mix is close to the council's 2024 mix (no trend can move
    a share far in one damped step) and no supported accommodation is under 16."""
    panel = workspace.query(
        "SELECT area_code, measure, value FROM bundled_observations WHERE year = 2024 "
        "AND level = 'la' AND area_code = '926' AND measure LIKE 'cla_placed_%'")
    published = panel.set_index("measure")["value"]
    groups = categories.published_groups()
    by_group = pd.Series(0.0, index=categories.names("group"))
    for measure, group in groups.items():
        by_group[group] += published.get(measure, 0.0)
    share = by_group / by_group.sum()
    d = all_demand.select("926")
    first = d.by_group()[:, 0, 0].mean(0)
    got = pd.Series(first / first.sum(), index=d.groups)
    assert (got - share).abs().max() < 0.05
    supported = d.groups.index("supported")
    assert d.draws[..., supported, :4].max() == 0.0


def test_frame_has_intervals_totals_and_suppression(all_demand):
    frame = all_demand.select("926").to_frame()
    assert set(frame["age_band"]) == {*demand.band_labels(), "all"}
    assert set(frame["group"]) == {*categories.names("group"), "all"}
    ok = frame.dropna(subset=["mean"])
    assert ((ok["lo_95"] <= ok["lo_80"]) & (ok["lo_80"] <= ok["mean"] + 1e-9)
            & (ok["mean"] <= ok["hi_80"] + 1e-9) & (ok["hi_80"] <= ok["hi_95"])).all()
    small = frame["suppressed"]
    assert small.any()
    assert frame.loc[small, "mean"].isna().all()
    means = frame["mean"].dropna()
    assert not disclosure.rule().is_small(means).any()


def test_record_level_route_recovers_a_planted_mix(ws_903, planted_returns):
    d = demand.record_level(ws_903, horizon=2, draws=200, seed=1)
    np.testing.assert_allclose(d.draws.sum((3, 4)), d.total())
    first = d.by_group()[:, 0, 0].mean(0)
    got = pd.Series(first / first.sum(), index=d.groups)
    labels = categories.published_label_groups()
    planted = pd.Series(PLANTED).groupby(labels).sum()
    generated = summary.counts(planted_returns[1].episodes, [2024])["stock_by_dfe_group"]
    generated = generated.groupby(generated["dfe_group"].map(labels))["count"].sum()
    generated = generated / generated.sum()
    assert (got - planted.reindex(got.index)).abs().max() < 0.05
    assert (got - generated.reindex(got.index).fillna(0)).abs().max() < 0.03
    assert int(d.years[0]) == 2025


def test_record_level_route_needs_903_data(workspace):
    from carecast.data.errors import InputError

    with pytest.raises(InputError, match="no SSDA903 data"):
        demand.record_level(workspace, horizon=1, draws=100)

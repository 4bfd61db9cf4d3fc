"""Levers change only what they should, on a copy; an empty scenario is the baseline."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from carecast.scenarios import run, schema
from carecast.scenarios.levers import apply_levers, segment_share
from carecast.service import scenarios

ENTRIES_ONLY = """
name: entries only
levers:
  - kind: entries
    start: 2025-04-01
    phase_in_years: 2
    reduce_percent: 20
    segment: {age: [under_1, 1_to_4, 5_to_9], need: [N4, N5]}
  - kind: entries
    start: 2026-04-01
    reduce_per_year: 10
"""


def test_empty_scenario_reproduces_baseline_exactly(baseline: run.Baseline) -> None:
    result = run.run(baseline, schema.Scenario(name="nothing"))
    for side in ("stock", "entries", "exits", "total_gbp"):
        np.testing.assert_array_equal(getattr(result.baseline, side),
                                      getattr(result.changed, side))
    assert not result.appraisal.net_savings_gbp.any()
    assert np.isnan(result.appraisal.payback_year).all()


def test_entries_only_leaves_exit_and_transition_rates_untouched(baseline: run.Baseline
                                                                  ) -> None:
    """Regression test for the 0.5.1 bug: an entries lever must not move exit hazards."""
    before = copy.deepcopy(baseline.rates)
    changed = apply_levers(baseline.rates, schema.parse(ENTRIES_ONLY), baseline.shares)
    np.testing.assert_array_equal(changed.log_exit_hazard, baseline.rates.log_exit_hazard)
    for key in ("transient", "walk", "common"):
        np.testing.assert_array_equal(changed.sd_exit[key], baseline.rates.sd_exit[key])
        np.testing.assert_array_equal(changed.sd_entry[key], baseline.rates.sd_entry[key])
    assert changed.exit_fraction == baseline.rates.exit_fraction
    np.testing.assert_array_equal(changed.stock0, baseline.rates.stock0)
    assert (changed.log_entry_rate <= baseline.rates.log_entry_rate).all()
    assert (changed.log_entry_rate < baseline.rates.log_entry_rate).any()
    # The baseline itself was not mutated.
    np.testing.assert_array_equal(baseline.rates.log_entry_rate, before.log_entry_rate)


def test_children_kept_out_of_care_leave_their_ages_placement_mix(baseline: run.Baseline
                                                                   ) -> None:
    """Costs by age: children under 10 kept out of care are taken out of the under-10s'
    placement mix (no supported accommodation), not the all-ages mix."""
    scenario = schema.parse(ENTRIES_ONLY.split("  - kind: entries\n    start: 2026")[0])
    result = run.run(baseline, scenario)
    mix = baseline.shares.mix
    young = mix.by_age(["under_1", "1_to_4", "5_to_9"])[baseline.selected]
    avoided = result.baseline.stock - result.changed.stock
    for i, category in enumerate(mix.categories):
        taken = (result.baseline.by_category[category]
                 - result.changed.by_category[category])[..., 1:]
        np.testing.assert_allclose(taken, avoided * young[None, :, i, None], atol=1e-9)
    assert (young[:, mix.categories.index("supported")] == 0).all()
    total = sum(result.changed.by_category.values())[..., 1:]
    np.testing.assert_allclose(total, result.changed.stock)


def test_entries_reduction_matches_segment_share_and_phase(baseline: run.Baseline) -> None:
    scenario = schema.parse(ENTRIES_ONLY.split("  - kind: entries\n    start: 2026")[0])
    result = run.run(baseline, scenario)
    share = segment_share(baseline.shares, scenario.levers[0].segment)[baseline.selected]
    assert ((share > 0) & (share < 0.3)).all()
    ratio = result.changed.entries / result.baseline.entries  # same draws: exact per draw
    # Years 2025 (2024-25) to 2030; from 1 April 2025 over two years.
    phase = np.array([0, 0.25, 0.75, 1, 1, 1])
    expected = 1 - 0.2 * share[:, None] * phase[None]
    np.testing.assert_allclose(ratio, np.broadcast_to(expected, ratio.shape))


def test_exit_lever_changes_only_exits(baseline: run.Baseline) -> None:
    scenario = schema.parse("""
name: reunification
levers:
  - kind: exits
    start: 2024-04-01
    phase_in_years: 0
    route: reunification
    raise_percent: 50
""")
    changed = apply_levers(baseline.rates, scenario, baseline.shares)
    np.testing.assert_array_equal(changed.log_entry_rate, baseline.rates.log_entry_rate)
    expected = np.log(1 + 0.5 * baseline.shares.exits["reunification"])
    np.testing.assert_allclose(changed.log_exit_hazard - baseline.rates.log_exit_hazard,
                               np.broadcast_to(expected[:, None], changed.log_exit_hazard.shape))
    result = run.run(baseline, scenario)
    np.testing.assert_array_equal(result.changed.entries, result.baseline.entries)
    assert (result.changed.stock[..., -1].mean(0) < result.baseline.stock[..., -1].mean(0)).all()


def test_placement_move_keeps_children_and_saves_money(baseline: run.Baseline) -> None:
    scenario = schema.parse("""
name: residential to fostering
levers:
  - kind: placement_move
    start: 2024-04-01
    phase_in_years: 0
    children_per_year: 2
""")
    result = run.run(baseline, scenario)
    np.testing.assert_array_equal(result.changed.stock, result.baseline.stock)
    total = sum(result.changed.by_category.values())
    np.testing.assert_allclose(total[..., 1:], result.changed.stock)
    moved = (result.baseline.by_category["residential"]
             - result.changed.by_category["residential"])
    assert (moved >= -1e-9).all() and moved[..., 1].mean() == pytest.approx(2.0)
    assert (result.appraisal.net_savings_gbp[..., 1:] > 0).all()


def test_run_scenario_frames(workspace: object) -> None:
    result = scenarios.run_scenario(workspace, schema.load("avoidable_entries"),
                                    "Wolverhampton", draws=50, seed=1)
    frames = result.to_frames()
    assert set(frames) == {"children", "children_by_category", "child_weeks", "spend",
                           "summary"}
    assert set(frames["spend"]["period"]) >= {"2026-27", "2029-30"}
    summary = frames["summary"].set_index("measure")
    assert summary.loc["entries_avoided", "mean"] > 0
    assert summary.loc["entries_avoided", "lo_80"] <= summary.loc["entries_avoided", "hi_80"]

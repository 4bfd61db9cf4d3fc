"""One contract for both scenario runners (council level and record level, STYLE.md 3/4):
an empty scenario is the baseline bit for bit, inputs are never changed, levers move only
what they name, and both return the same tables."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from carecast.scenarios import records, run, schema

ENTRIES = """
name: fewer entries
levers:
  - {kind: entries, start: 2025-04-01, phase_in_years: 0, reduce_percent: 20}
"""
EXITS = """
name: reunification
levers:
  - {kind: exits, start: 2025-04-01, phase_in_years: 0, route: reunification, raise_percent: 40}
"""
FRAMES = {"children", "children_by_category", "child_weeks", "spend", "summary"}


@pytest.fixture(params=["council", "records"])
def runner(request, baseline, record_baseline):
    if request.param == "council":
        return baseline, run.run
    return record_baseline, records.run


def test_empty_scenario_is_the_baseline(runner):
    base, go = runner
    result = go(base, schema.Scenario(name="nothing"))
    for side in ("stock", "entries", "exits", "total_gbp"):
        np.testing.assert_array_equal(getattr(result.baseline, side),
                                      getattr(result.changed, side))
    assert not result.appraisal.net_savings_gbp.any()
    assert not result.appraisal.invested and np.isnan(result.appraisal.payback_year).all()


def test_running_leaves_the_baseline_untouched(runner):
    base, go = runner
    before = copy.deepcopy(base.rates)
    go(base, schema.parse(ENTRIES))
    for name, value in vars(before).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(base.rates, name), value)


def test_entries_levers_change_entries_not_exits_rates(runner):
    base, go = runner
    result = go(base, schema.parse(ENTRIES))
    assert (result.changed.entries <= result.baseline.entries + 1e-9).all()
    assert result.changed.entries.sum() < result.baseline.entries.sum()
    assert result.changed.stock[..., -1].mean() < result.baseline.stock[..., -1].mean()
    assert result.appraisal.net_savings_gbp[..., -1].mean() > 0


def test_exit_levers_change_exits_not_entries(runner):
    base, go = runner
    result = go(base, schema.parse(EXITS))
    np.testing.assert_allclose(result.changed.entries, result.baseline.entries)
    assert result.changed.stock[..., -1].mean() < result.baseline.stock[..., -1].mean()


def test_both_runners_return_the_same_tables(runner):
    base, go = runner
    frames = go(base, schema.parse(ENTRIES)).to_frames()
    assert set(frames) == FRAMES
    assert set(frames["spend"]["measure"]) == {"baseline_gbp", "scenario_gbp", "investment_gbp",
                                               "net_savings_gbp", "cumulative_savings_gbp"}

"""Scenarios on the record-level model: paired draws, levers that change only what they
should, the council path's result structure, and small numbers suppressed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.data.workspace import Workspace
from carecast.model.records import REASONS
from carecast.scenarios import records, schema

RUNNER = CliRunner()
ENTRIES_ONLY = """
name: entries only
levers:
  - kind: entries
    start: 2025-04-01
    phase_in_years: 2
    reduce_percent: 30
    segment: {age: [under_1, 1_to_4, 5_to_9]}
  - kind: entries
    start: 2026-04-01
    reduce_per_year: 5
"""


def test_baseline_draws_are_the_models_own_projection(record_baseline) -> None:
    b = record_baseline
    assert b.rates.start == np.datetime64("2024-04-01") and b.years.tolist() == list(
        range(2025, 2031))
    frame = b.model.project(b.months, n_draws=b.draws, random_state=b.seed)
    stock = frame[(frame["measure"] == "stock") & (frame["state"] == "all")]["mean"]
    np.testing.assert_allclose(b.baseline_draws().stock.sum(1).mean(0), stock, rtol=1e-12)


def test_empty_scenario_reproduces_baseline_exactly(record_baseline) -> None:
    result = records.run(record_baseline, schema.Scenario(name="nothing"))
    for side in ("stock", "entries", "exits", "total_gbp"):
        np.testing.assert_array_equal(getattr(result.baseline, side),
                                      getattr(result.changed, side))
    assert not result.appraisal.net_savings_gbp.any()


def test_entries_only_leaves_exit_and_transition_rates_identical(record_baseline) -> None:
    before = copy.deepcopy(record_baseline.rates)
    scenario = schema.parse(ENTRIES_ONLY)
    f = records.factors(record_baseline, scenario)
    assert f.exits is None and f.moves is None
    assert ((f.entries >= 0) & (f.entries <= 1)).all() and (f.entries < 1).any()
    # Ages 10+ are outside the age segment: only the per-year lever touches them.
    assert (f.entries[:12, 10:] == 1).all()
    for name in ("exposure", "exit_events", "exit_prior", "move_events", "move_prior",
                 "entry_events", "stock0"):
        np.testing.assert_array_equal(getattr(record_baseline.rates, name),
                                      getattr(before, name))
    result = records.run(record_baseline, scenario)
    base, changed = result.baseline, result.changed
    # Thinned arrivals: every scenario draw has at most its baseline draw's entries.
    assert (changed.entries <= base.entries).all() and (changed.entries < base.entries).any()
    # Same exit and move rates, draw by draw: with no entries at all in either side the
    # first forecast year (no lever yet) is identical.
    np.testing.assert_array_equal(changed.stock[..., 0], base.stock[..., 0])
    summary = result.summary().set_index("measure")
    assert summary.loc["entries_avoided", "lo_80"] > 0


def test_exit_lever_uses_the_routes_rec_codes_and_leaves_entries(record_baseline) -> None:
    scenario = schema.parse("""
name: more SGOs
levers:
  - {kind: exits, start: 2024-04-01, phase_in_years: 0, route: special_guardianship,
     raise_percent: 50}
""")
    j, share = records.route_share(record_baseline, "special_guardianship")
    assert REASONS[j] == "special_guardianship" and 0 < share <= 1
    f = records.factors(record_baseline, scenario)
    np.testing.assert_allclose(f.exits[..., j], 1 + 0.5 * share)
    assert (np.delete(f.exits, j, axis=-1) == 1).all() and f.entries is None
    result = records.run(record_baseline, scenario)
    np.testing.assert_array_equal(result.changed.entries, result.baseline.entries)
    assert (result.changed.stock <= result.baseline.stock + 1e-9).all()
    assert (result.appraisal.net_savings_gbp[..., -1] > 0).all()


def test_placement_move_moves_children_and_saves(record_baseline) -> None:
    scenario = schema.parse("""
name: residential to fostering
levers:
  - {kind: placement_move, start: 2024-04-01, phase_in_years: 0, children_per_year: 3}
""")
    result = records.run(record_baseline, scenario)
    moved = (result.baseline.by_category["residential"]
             - result.changed.by_category["residential"])[..., 1].mean()
    assert 1.5 < moved < 3.5   # about 3 a year, less those who leave care soon after
    assert result.appraisal.net_savings_gbp[..., 1:].mean() > 0
    with pytest.raises(Exception, match="children_per_year"):
        records.run(record_baseline, schema.parse(
            "name: x\nlevers:\n  - {kind: placement_move, start: 2025-04-01, "
            "target_share: 0.05}\n"))


def test_exported_tables_match_council_keys_and_suppress_small_numbers(record_baseline
                                                                      ) -> None:
    result = records.run(record_baseline, schema.load("early_help_young_children"))
    payload = result.to_json()
    assert set(payload) == {"scenario", "councils", "draws", "seed", "discount_rate",
                            "appraisal_base_year", "assumptions", "tables"}
    assert payload["appraisal_base_year"] == "2026-27"   # the preset starts in April 2026
    assert set(payload["tables"]) == {"children", "children_by_category", "child_weeks",
                                      "spend", "summary"}
    by_cat = payload["tables"]["children_by_category"]
    small = [r for r in by_cat if r["suppressed"]]
    assert small and all(r["mean"] is None and r["lo_95"] is None for r in small)
    shown = [r for r in by_cat if not r["suppressed"]]
    assert shown and all(abs(r["mean"]) >= 5 or r["mean"] == 0 for r in shown)


def test_cli_scenario_run_ssda903(records_ws: Workspace, tmp_path: Path) -> None:
    args = ["--workspace", str(records_ws.root)]
    result = RUNNER.invoke(app, ["scenario", "run", "reunification", "--ssda903", "--draws",
                                 "30", "--json", *args])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["councils"] == ["workspace"] and payload["draws"] == 30
    table = RUNNER.invoke(app, ["scenario", "run", "early_help_young_children", "--ssda903",
                                "--council", "926", "--draws", "30", *args])
    assert table.exit_code == 0, table.output
    assert "record-level" in table.stdout and "NPV" in table.stdout
    bad = RUNNER.invoke(app, ["scenario", "run", "residential_to_neighbours_median",
                              "--ssda903", "--draws", "30", *args])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_cli_forecast_ssda903_costs(records_ws: Workspace) -> None:
    result = RUNNER.invoke(app, ["forecast", "--ssda903", "--costs", "--horizon", "2",
                                 "--draws", "50", "--json", "--workspace",
                                 str(records_ws.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    spend = [r for r in payload["spend"] if r["days"] >= 365]
    total = {r["period"]: r for r in spend if r["category"] == "all"}
    assert "2024-25" in total  # the first full financial year after the data
    parts = [r["mean"] for r in spend if r["period"] == "2024-25" and r["category"] != "all"
             and not r["suppressed"]]
    assert sum(parts) <= total["2024-25"]["mean"] * (1 + 1e-9)
    assert total["2024-25"]["lo_80"] < total["2024-25"]["mean"] < total["2024-25"]["hi_80"]
    assert all(r["source"].startswith("England") for r in payload["unit_costs"])


def test_cli_forecast_ssda903_costs_starts_with_a_whole_financial_year(
        records_ws: Workspace) -> None:
    """The record-level forecast starts on 1 April after the latest return, as scenarios
    do, so no spend row is a stub of the year the data end in."""
    result = RUNNER.invoke(app, ["forecast", "--ssda903", "--costs", "--horizon", "2",
                                 "--draws", "20", "--json", "--workspace",
                                 str(records_ws.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    first = payload["spend"][0]
    assert (first["period"], first["days"]) == ("2024-25", 365)
    assert {(r["period"], r["days"]) for r in payload["spend"]} == {("2024-25", 365),
                                                                    ("2025-26", 365)}
    assert min(r["period"] for r in payload["forecast"]) == "2024-05-01"

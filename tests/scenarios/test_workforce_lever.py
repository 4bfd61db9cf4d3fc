"""The recruitment-and-retention lever: agency premium and leavers avoided as savings, with
payback and NPV; children's numbers unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from carecast.costs import workforce as wf
from carecast.data.errors import InputError
from carecast.scenarios import run, schema
from carecast.scenarios.levers import phase_fraction

LEVER = """
name: fewer agency social workers
levers:
  - kind: workforce
    start: 2026-04-01
    phase_in_years: 2
    agency_rate_percent: 2
    turnover_rate_percent: 5
    cost_gbp_per_leaver: 12000
investment:
  - {start: 2026-04-01, gbp_per_year: 50000}
"""
NO_INVESTMENT = LEVER.split("investment:")[0]


def _council(baseline: run.Baseline, code: str) -> tuple[int, int]:
    """(index among all councils, index among the councils the run reports)."""
    return (int(np.flatnonzero(baseline.rates.codes == code)[0]),
            int(np.flatnonzero(baseline.codes == code)[0]))


def test_workforce_savings_are_the_agency_premium_and_leavers_avoided(baseline):
    scenario = schema.parse(LEVER)
    result = run.run(baseline, scenario)
    position = baseline.workforce
    i, j = _council(baseline, "926")
    converted = max(position.agency_fte[i] - 0.02 * position.total_fte[i], 0)
    avoided = max(position.leavers_fte[i] - 0.05 * position.employed_fte[i], 0)
    years = result.appraisal.years
    premium = wf.premium_path_gbp_per_year(years)
    # 2026-27 is a year after the premium's 2025-26 prices: grown by the 2% GDP deflator.
    assert years[0] == 2027 and premium[0] == pytest.approx(520 * wf.weeks_per_year() * 1.02)
    phase = phase_fraction(scenario.levers[0].start, 2, years)
    expected = (converted * premium + avoided * 12000) * phase - 50000
    net = result.appraisal.net_savings_gbp[:, j]
    np.testing.assert_allclose(net, np.broadcast_to(expected, net.shape), rtol=1e-9)
    np.testing.assert_array_equal(result.changed.stock, result.baseline.stock)
    assert np.isfinite(result.appraisal.npv_gbp[:, j]).all()
    summary = result.to_frames()["summary"]
    payback = summary[(summary["la_code"] == "926") & (summary["measure"] == "payback_year")]
    assert payback["mean"].iloc[0] == 2027  # savings beat the investment in its first year


def test_the_premium_parameter_can_be_overridden_by_the_scenario(baseline):
    agency_only = NO_INVESTMENT.replace("cost_gbp_per_leaver: 12000", "cost_gbp_per_leaver: 0")
    plain = run.run(baseline, schema.parse(agency_only))
    doubled = run.run(baseline, schema.parse(
        agency_only + "parameter_changes:\n  workforce.agency_premium: {2025-10-13: 1040}\n"))
    np.testing.assert_allclose(doubled.appraisal.net_savings_gbp,
                               2 * plain.appraisal.net_savings_gbp)
    with_leavers = run.run(baseline, schema.parse(NO_INVESTMENT))
    assert (with_leavers.appraisal.net_savings_gbp >= plain.appraisal.net_savings_gbp).all()


def test_england_targets_and_the_preset_run(baseline):
    result = run.run(baseline, schema.load("recruitment_retention"))
    position = baseline.workforce
    above = (position.agency_rate > position.england_agency_rate)[baseline.selected]
    savings = result.appraisal.net_savings_gbp + result.appraisal.investment_gbp
    assert (savings[:, ~above] == 0).all()
    assert (savings[:, above][..., -1] > 0).all()


@pytest.mark.parametrize("lever, message", [
    ("{kind: workforce, start: 2026-04-01}", "agency_rate_percent and/or turnover"),
    ("{kind: workforce, start: 2026-04-01, agency_rate_percent: 140}", "0 to 100"),
    ("{kind: workforce, start: 2026-04-01, agency_rate_percent: scotland}", "agency_rate_percent"),
])
def test_bad_workforce_levers_are_refused_naming_the_key(lever, message):
    with pytest.raises(InputError, match=message):
        schema.parse(f"name: x\nlevers:\n  - {lever}\n")

"""Savings arithmetic against a hand-computed case an analyst can check (cases/*.yaml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from carecast import params
from carecast.costs.calendar import child_weeks
from carecast.scenarios import finance
from carecast.scenarios.levers import phase_fraction

CASES = sorted((Path(__file__).parent / "cases").glob("finance_*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_hand_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    i, o, tol = case["input"], case["output"], case["absolute_error_margin"]
    years = np.array(i["years"])
    with params.overridden({"costs.days_per_year": i["days_per_year"],
                            "costs.gdp_deflator": i["gdp_deflator"]}):
        spend = {}
        for side in ("baseline", "scenario"):
            stock = i["children_at_31_march"][side]
            weeks = {c: child_weeks(np.array(s[:-1]), np.array(s[1:])) for c, s in stock.items()}
            if side == "scenario":
                for c, expected in o["scenario_child_weeks"].items():
                    np.testing.assert_allclose(weeks[c], expected, atol=tol)
            spend[side] = sum(w * i["unit_cost_gbp_per_week"][c] for c, w in weeks.items())
        a = finance.appraise(years, int(years[0]), spend["baseline"], spend["scenario"],
                             np.array(i["investment_gbp"], float), rate=i["discount_rate"])
    np.testing.assert_allclose(a.baseline_gbp, o["baseline_gbp"], atol=tol)
    np.testing.assert_allclose(a.scenario_gbp, o["scenario_gbp"], atol=tol)
    np.testing.assert_allclose(a.net_savings_gbp, o["net_savings_gbp"], atol=tol)
    np.testing.assert_allclose(a.cumulative_gbp, o["cumulative_gbp"], atol=tol)
    assert float(a.npv_gbp) == pytest.approx(o["npv_gbp"], abs=tol)
    assert float(a.payback_year) == o["payback_year"]


def test_payback_needs_investment_and_a_turn_to_positive() -> None:
    years = np.array([2026, 2027])
    assert np.isnan(finance.payback_year(np.array([-5.0, -1.0]), years, True))
    # Savings with nothing invested: there is nothing to pay back.
    assert np.isnan(finance.payback_year(np.array([5.0, 6.0]), years, False))
    cum = np.array([[-1.0, 2.0], [1.0, 3.0]])   # per draw: leading axes are kept
    np.testing.assert_array_equal(finance.payback_year(cum, years, True), [2027, 2026])


def test_appraisal_starts_at_its_base_year() -> None:
    years = np.array([2025, 2026, 2027])
    a = finance.appraise(years, 2026, np.array([9.0, 10.0, 10.0]), np.array([9.0, 5.0, 5.0]),
                         np.zeros(3), rate=0.0)
    np.testing.assert_array_equal(a.years, [2026, 2027])
    np.testing.assert_allclose(a.net_savings_gbp, [5.0, 5.0])
    assert not a.invested


def test_base_year_is_the_first_start_and_not_before_as_of() -> None:
    years = np.array([2025, 2026, 2027, 2028])
    starts = [dt.date(2026, 4, 1), dt.date(2027, 1, 1)]
    assert finance.base_year(years, starts, None) == 2027          # 2026-27
    assert finance.base_year(years, starts, dt.date(2027, 6, 1)) == 2028
    assert finance.base_year(years, [], None) == 2025
    assert finance.base_year(years, [dt.date(2020, 1, 1)], None) == 2025


def test_npv_deflates_by_the_gdp_deflator_to_base_year_prices() -> None:
    with params.overridden({"costs.gdp_deflator": 0.10}):
        a = finance.appraise(np.array([2026, 2027]), 2026, np.array([0.0, 110.0]),
                             np.zeros(2), np.zeros(2), rate=0.0)
    assert float(a.npv_gbp) == pytest.approx(100.0)


def test_green_book_rate_and_deflator_are_the_defaults() -> None:
    assert finance.discount_rate(dt.date(2026, 4, 1)) == 0.035
    a = finance.appraise(np.array([2026, 2027]), 2026, np.array([1.0, 1.035 * 1.02]),
                         np.zeros(2), np.zeros(2))
    assert float(a.npv_gbp) == pytest.approx(2.0)


def test_phase_in_follows_dates() -> None:
    years = np.array([2026, 2027, 2028, 2029])
    np.testing.assert_allclose(phase_fraction(dt.date(2026, 4, 1), 2, years), [0, .25, .75, 1])
    # A step change on 1 October 2026 counts for half of 2026-27.
    np.testing.assert_allclose(phase_fraction(dt.date(2026, 10, 1), 0, years), [0, .5, 1, 1])

"""Savings arithmetic against a hand-computed case an analyst can check (cases/*.yaml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from carecast.scenarios import finance
from carecast.scenarios.levers import phase_fraction

CASES = sorted((Path(__file__).parent / "cases").glob("finance_*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_hand_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    i, o, tol = case["input"], case["output"], case["absolute_error_margin"]
    years = np.array(i["years"])
    spend = {}
    for side in ("baseline", "scenario"):
        stock = i["children_at_31_march"][side]
        bw = {c: finance.bed_weeks(np.array(s[:-1]), np.array(s[1:]), i["weeks_per_year"])
              for c, s in stock.items()}
        if side == "scenario":
            for c, expected in o["scenario_bed_weeks"].items():
                np.testing.assert_allclose(bw[c], expected, atol=tol)
        spend[side] = sum(finance.spend(bw, i["unit_cost_gbp_per_week"]).values())
    a = finance.appraise(years, spend["baseline"], spend["scenario"], i["investment_gbp"],
                         rate=i["discount_rate"])
    np.testing.assert_allclose(a.baseline_gbp, o["baseline_gbp"], atol=tol)
    np.testing.assert_allclose(a.scenario_gbp, o["scenario_gbp"], atol=tol)
    np.testing.assert_allclose(a.net_savings_gbp, o["net_savings_gbp"], atol=tol)
    np.testing.assert_allclose(a.cumulative_gbp, o["cumulative_gbp"], atol=tol)
    assert float(a.npv_gbp) == pytest.approx(o["npv_gbp"], abs=tol)
    assert float(a.payback_year) == o["payback_year"]


def test_payback_never_and_without_investment() -> None:
    years = np.array([2026, 2027])
    assert np.isnan(finance.payback_year(np.array([-5.0, -1.0]), years, np.array([5, 0])))
    assert np.isnan(finance.payback_year(np.array([5.0, 6.0]), years, np.zeros(2)))
    # Per draw: leading axes are kept.
    cum = np.array([[-1.0, 2.0], [1.0, 3.0]])
    np.testing.assert_array_equal(finance.payback_year(cum, years, np.array([1, 1])),
                                  [2027, 2026])


def test_npv_deflates_to_first_year_prices() -> None:
    a = finance.appraise(np.array([2026, 2027]), np.array([0.0, 110.0]), np.zeros(2),
                         np.zeros(2), rate=0.0, price_index=np.array([1.0, 1.1]))
    assert float(a.npv_gbp) == pytest.approx(100.0)


def test_green_book_rate_is_the_default() -> None:
    assert finance.discount_rate() == 0.035
    np.testing.assert_allclose(finance.discount_factors(3, 0.035), [1, 1 / 1.035, 1 / 1.035**2])


def test_phase_in_follows_dates() -> None:
    years = np.array([2026, 2027, 2028, 2029])
    np.testing.assert_allclose(phase_fraction(dt.date(2026, 4, 1), 2, years), [0, .25, .75, 1])
    # A step change on 1 October 2026 counts for half of 2026-27.
    np.testing.assert_allclose(phase_fraction(dt.date(2026, 10, 1), 0, years), [0, .5, 1, 1])

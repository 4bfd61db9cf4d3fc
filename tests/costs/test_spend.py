"""The costs engine: one calendar, England unit costs, growth, and spend by financial year."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from carecast import params
from carecast.costs import calendar, unit_costs
from carecast.costs.mix import ipf
from carecast.costs.spend import spend_frame

WEEKS = 365.25 / 7


def test_financial_years_are_keyed_by_the_year_they_end() -> None:
    assert calendar.financial_year(2025) == "2024-25"
    assert calendar.year_ending(dt.date(2025, 3, 31)) == 2025
    assert calendar.year_ending(dt.date(2025, 4, 1)) == 2026


def test_child_weeks_are_the_trapezium_of_31_march_stocks() -> None:
    np.testing.assert_allclose(calendar.child_weeks(10, 10), 10 * WEEKS)
    # One days-per-year parameter, read everywhere.
    with params.overridden({"costs.days_per_year": 364}):
        np.testing.assert_allclose(calendar.yearly_child_weeks(np.array([10.0]),
                                                               np.array([[20.0, 20.0]])),
                                   [[15 * 52, 20 * 52]])


def test_monthly_child_weeks_use_exact_days() -> None:
    start = pd.Timestamp("2026-02-01")
    dates = pd.DatetimeIndex(["2026-03-01", "2026-04-01", "2026-05-01"])
    years, weeks = calendar.monthly_child_weeks(start, dates, np.array(7.0),
                                                np.array([7.0, 7.0, 14.0]))
    assert years == [2026, 2027]
    np.testing.assert_allclose(weeks, [7 * (28 + 31) / 7, 10.5 * 30 / 7])


def test_unit_costs_are_lait_and_grow_by_the_named_assumption() -> None:
    assert unit_costs.england_weekly("fostering", 2025) == 765
    assert unit_costs.england_weekly("residential", 2025) == 7385
    assert unit_costs.england_weekly("supported", 2025) == 2100   # assumption: all-CLA
    central = unit_costs.growth()
    assert central.name == "central"
    assert unit_costs.england_weekly("residential", 2027) == pytest.approx(
        7385 * (1 + central.rates["residential"]) ** 2)
    low = unit_costs.growth("low")
    assert unit_costs.england_weekly("fostering", 2026, low) == pytest.approx(765 * 1.02)
    with params.overridden({"costs.inflation": 0.0}):
        assert unit_costs.england_weekly("residential", 2030) == 7385


def test_central_and_high_growth_are_derived_from_the_published_costs() -> None:
    """costs.inflation's central rates are each S251 cost's 2016-17 to 2024-25 growth, and
    high is the faster of that and 2020-21 to 2024-25 (its note says so)."""
    table = {v.start.year: v.value for v in params.get("costs.unit_costs").values}
    rates = params.value("costs.inflation")
    for key in table[2024]:
        long = (table[2024][key] / table[2016][key]) ** (1 / 8) - 1
        recent = (table[2024][key] / table[2020][key]) ** (1 / 4) - 1
        assert rates["central"][key] == pytest.approx(long, abs=5e-5)
        assert rates["high"][key] == pytest.approx(max(long, recent), abs=5e-5)
        assert rates["low"][key] <= rates["central"][key] <= rates["high"][key]


def test_ipf_keeps_both_mixes_and_the_legal_zeros() -> None:
    age = np.array([[0.2, 0.5, 0.3]])
    placement = np.array([[0.7, 0.2, 0.1]])
    seed = np.ones((3, 3))
    seed[:2, 2] = 0.0                     # the third category only at the oldest age
    joint = ipf(age, placement, seed)
    np.testing.assert_allclose(joint.sum(axis=2), age, atol=1e-9)
    np.testing.assert_allclose(joint.sum(axis=1), placement, atol=1e-9)
    assert joint[0, 0, 2] == 0 and joint[0, 1, 2] == 0


def test_spend_frame_england_is_the_sum_of_councils_within_each_draw() -> None:
    rng = np.random.default_rng(0)
    total = rng.gamma(5, 1e6, size=(50, 3, 2))
    frame = spend_frame(total, np.array(["926", "340", "908"]), np.array([2025, 2026]), "m")
    eng = frame[frame["la_code"] == "E92000001"].set_index("period")
    la = frame[frame["la_code"] != "E92000001"].groupby("period")["mean"].sum()
    np.testing.assert_allclose(eng["mean"], la)
    assert list(eng.index) == ["2024-25", "2025-26"]
    # Quantiles of the sum, not the sum of quantiles.
    assert (eng["hi_95"] < frame[frame["la_code"] != "E92000001"]
            .groupby("period")["hi_95"].sum()).all()

"""Costs add up by financial year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast.costs import financial_year, spend_by_financial_year, weekly_cost
from carecast.costs.spend import council_spend
from carecast.model.council import CouncilForecast


def test_constant_stock_costs_days_times_weekly_over_seven():
    days = pd.date_range("2025-04-01", "2027-03-31", freq="D")
    years, spend = spend_by_financial_year(days, np.full((1, len(days)), 10.0), 700.0)
    assert years == ["2025-26", "2026-27"]
    # 10 children x GBP 100 a day x 365 days in each financial year.
    np.testing.assert_allclose(spend[0], [365_000, 365_000])


def test_monthly_stock_is_held_until_next_month():
    days = pd.DatetimeIndex(["2026-02-01", "2026-03-01", "2026-04-01"])
    years, spend = spend_by_financial_year(days, np.array([7.0, 14.0, 7.0]), 70.0)
    assert years == ["2025-26", "2026-27"]
    np.testing.assert_allclose(spend, [7 * 10 * 28 + 14 * 10 * 31, 7 * 10 * 1])


def test_financial_year_boundaries():
    assert financial_year(pd.Timestamp("2025-03-31")) == "2024-25"
    assert financial_year(pd.Timestamp("2025-04-01")) == "2025-26"


def test_unit_costs_are_lait_and_inflate_after_last_year():
    assert weekly_cost("fostering", 2024) == 765
    assert weekly_cost("residential", 2024) == 7385
    assert weekly_cost("supported", 2024) == 2100  # assumption: all-CLA average
    assert weekly_cost("all_cla", 2026) == pytest.approx(2100 * 1.085 ** 2)


def test_council_spend_trapezoid_and_england_sum():
    stock = np.array([[[10.0, 20.0]], [[10.0, 20.0]]])  # 2 draws, 1 council, 2 years
    f = CouncilForecast(codes=np.array(["926"]), years=np.array([2025, 2026]),
                        draws={"cla_at_31_march": stock}, model="m")
    frame = council_spend(f, np.array([10.0]), np.array([70.0]), inflation=0.0)
    la = frame[frame.la_code == "926"].set_index("period")["mean"]
    assert la["2024-25"] == pytest.approx(10 * 365 * 10)
    assert la["2025-26"] == pytest.approx(15 * 365 * 10)
    eng = frame[frame.la_code == "E92000001"].set_index("period")["mean"]
    assert eng.sum() == pytest.approx(la.sum())

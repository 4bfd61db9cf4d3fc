"""The arrays the council models fit: age and UASC shares, own years, England's series."""

from __future__ import annotations

import numpy as np
import pytest


def _row(data, code):
    return int(np.flatnonzero(data.codes == code)[0])


def test_shares_come_from_the_published_breakdowns(data):
    kent, year = _row(data, "886"), list(data.years).index(2024)
    assert data.share_uasc[kent, year] == pytest.approx(494 / 1956, rel=1e-6)
    assert data.share_16_plus[kent, year] == pytest.approx(826 / 1956, rel=1e-6)
    # No council breakdown is published for 2018-2019 here: missing, never zero.
    gap = np.isin(data.years, [2018, 2019])
    assert np.isnan(data.share_uasc[:, gap]).all()


def test_split_councils_own_only_the_years_they_reported(data):
    for code, first in (("942", 2024), ("943", 2024), ("940", 2022)):
        own = data.own[_row(data, code)]
        np.testing.assert_array_equal(own, data.years >= first)
    assert data.own[_row(data, "926")].all()


def test_englands_published_series_goes_back_to_1994_and_stops_at_the_origin(data):
    assert data.england("stock")[1994] == 47590 and data.england("uasc")[2024] == 7380
    assert data.until(2019).england("ceased").index.max() == 2019

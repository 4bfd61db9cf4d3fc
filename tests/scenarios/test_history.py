"""Historical falls in children-in-care rates, checked against the published panel."""

from __future__ import annotations

import pandas as pd

from carecast.scenarios import history


def test_largest_fall_within_window() -> None:
    s = pd.Series([100.0, 120.0, 90.0, 80.0, 70.0, 60.0, 130.0],
                  index=range(2010, 2017))
    assert history.largest_fall(s, 5) == (2011, 2015, 120.0, 60.0)
    assert history.largest_fall(s, 1) == (2011, 2012, 120.0, 90.0)
    assert history.largest_fall(pd.Series([1.0, 2.0], index=[2010, 2011]), 5) is None


def test_wolverhampton_and_ealing(workspace: object) -> None:
    table = history.reductions(workspace, threshold=0.25, window=5).set_index("code")
    wolves, ealing = table.loc["336"], table.loc["307"]
    # Published rates: Wolverhampton 109 (2018) -> 78 (2023); Ealing 60 (2010) -> 44 (2015).
    assert (wolves["start_year"], wolves["end_year"]) == (2018, 2023)
    assert wolves["fall"] == round(1 - 78 / 109, 4) and wolves["meets_threshold"]
    assert (ealing["rate_start"], ealing["rate_end"]) == (60, 44) and ealing["meets_threshold"]
    assert ealing["spend_cla_gbp_thousands_start"] > 0  # S251 2009-10
    met = table[table["meets_threshold"]]
    assert "316" in met.index and (met["fall"] >= 0.25).all()
    lines = history.claim_check(table.reset_index(), 5)
    assert "Wolverhampton (336)" in lines[0] and "meets" in lines[0]

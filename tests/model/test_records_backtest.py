"""The record-level backtest's pieces: what is known at the cut, DfE-style yearly counts, and
a synthetic council joining the panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast.model import records_backtest as rb


def _episodes() -> pd.DataFrame:
    t = pd.Timestamp
    return pd.DataFrame({
        "child": ["a", "a", "b", "c"],
        "decom": [t(2021, 5, 1), t(2021, 9, 1), t(2021, 12, 1), t(2022, 6, 1)],
        "dec": [t(2021, 9, 1), t(2022, 8, 1), pd.NaT, t(2023, 1, 1)],
        "rne": ["S", "P", "S", "S"], "rec": ["X1", "E4A", None, "E11"],
    })


def test_censoring_hides_everything_after_the_cut():
    known = rb.censor(_episodes(), pd.Timestamp(2022, 4, 1))
    assert list(known["child"]) == ["a", "a", "b"]
    assert known["dec"].isna().sum() == 2 and known.iloc[1]["rec"] is None


def test_yearly_counts_follow_dfe():
    counts = rb.yearly(_episodes(), [2022, 2023])
    assert counts.loc[2022].tolist() == [2, 2, 0]  # a and b in care; two periods started
    assert counts.loc[2023].tolist() == [1, 1, 2]  # b; c started; a and c ceased


def test_a_synthetic_council_joins_the_panel_at_its_regions_entry_rate(data):
    counts = pd.DataFrame({"stock": 600.0, "starts": 260.0, "ceased": 250.0},
                          index=range(2015, 2023))
    panel = rb.with_council(data.until(2022), counts, "E12000006")
    assert panel.codes[-1] == rb.CODE and len(panel.codes) == len(data.codes) + 1
    row = panel.stock[-1]
    assert np.isnan(row[panel.years < 2015]).all() and (row[panel.years >= 2015] == 600).all()
    east = data.regions == "E12000006"
    last = list(data.years).index(2022)
    median = np.nanmedian(data.starts[east, last] / data.population[east, last])
    assert 260 / panel.population[-1, -1] == pytest.approx(median, rel=1e-9)

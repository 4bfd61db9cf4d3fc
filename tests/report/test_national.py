"""The national figures packs share are kept in the workspace folder and read back."""

from __future__ import annotations

import pandas as pd

from carecast.service import report


def test_national_figures_are_read_back_from_the_workspace(workspace, pack_national) -> None:
    files = sorted(p.name for p in (workspace.root / "derived").glob("national-200-*.pickle"))
    assert len(files) == 1
    again = report.national(workspace, draws=200)
    pd.testing.assert_frame_equal(again.costs.spend, pack_national.costs.spend)
    assert again.accuracy.table.equals(pack_national.accuracy.table)
    # The published accuracy is the default model's own backtest: 1-year MAPE as published.
    one_year = again.accuracy.table.set_index("horizon").loc[1]
    assert 3 < one_year["mape"] < 10 and 75 <= one_year["coverage_80"] <= 90

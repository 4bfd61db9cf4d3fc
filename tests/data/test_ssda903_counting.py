"""Record-level starts and ceased count children, as DfE's tables do (ssda903.counting)."""

from __future__ import annotations

import pandas as pd

from carecast.data.ssda903 import summary


def _episodes() -> pd.DataFrame:
    rows = [
        # child A starts twice and leaves twice in 2023-24; B once; C is in care throughout.
        ("A", "2023-05-01", "2023-07-01", "S", "E4A", "2015-01-01"),
        ("A", "2023-10-01", "2024-01-15", "S", "E11", "2015-01-01"),
        ("B", "2023-06-01", "2023-12-01", "S", "E13", "2012-06-01"),
        ("C", "2022-01-01", None, "S", None, "2010-03-01"),
    ]
    frame = pd.DataFrame(rows, columns=["child", "decom", "dec", "rne", "rec", "dob"])
    for col in ("decom", "dec", "dob"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.assign(place="U1", place_provider="PR1", ls="C2")


def test_a_child_who_starts_or_leaves_twice_counts_once():
    counts = summary.counts(_episodes(), [2024])
    assert counts["starts"].set_index("year").at[2024, "count"] == 2
    ceased = counts["ceased"].set_index("reason")["count"]
    assert ceased.sum() == 2
    # A's last reason (adoption) is the one counted, not the earlier return home.
    assert "Adopted" in ceased.index
    assert counts["stock"].set_index("year").at[2024, "count"] == 1

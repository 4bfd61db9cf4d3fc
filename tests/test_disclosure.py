"""The one small-number rule: primary suppression, zeros, and secondary suppression that
leaves no hidden cell recoverable from its total and the other cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecast import disclosure, params


def recoverable(values: np.ndarray, hidden: np.ndarray, threshold: float = 5) -> bool:
    """Whether a reader who sees the total and the shown cells can pin down a hidden one:
    one hidden cell, or hidden cells adding up to a small number (two 1s)."""
    n, total = int(hidden.sum()), float(values[hidden].sum())
    return n == 1 or (n > 1 and 0 < total < threshold)


def test_primary_hides_one_to_four_and_shows_zeros() -> None:
    assert disclosure.hidden([0, 1, 4, 5, 12, None]).tolist() == [False, True, True, False,
                                                                  False, False]
    rule = disclosure.rule()
    assert rule.marker == "c" and rule.threshold == 5 and rule.zeros_shown
    assert "explore-education-statistics" in rule.source


def test_the_issue_example_cannot_be_recovered_from_its_total() -> None:
    """2024: 1,345 in care; residential schools 1, the other groups 1,344."""
    groups = pd.DataFrame({"year": [2024] * 4, "group": ["foster", "homes", "other",
                                                         "residential schools"],
                           "count": [1100, 200, 44, 1]})
    out = disclosure.suppress(groups, "count", within=[["year"]])
    hidden = out["suppressed"].to_numpy()
    assert hidden.tolist() == [False, False, True, True]   # 44 hidden too
    shown = out.loc[~hidden, "count"].sum()
    assert 1345 - shown == 45   # what a reader can work out: 45 across two cells


def test_two_small_cells_summing_to_under_five_take_a_third() -> None:
    hidden = disclosure.hidden([1, 1, 30, 40], [["y"] * 4])
    assert hidden.tolist() == [True, True, True, False]


def test_a_cell_hidden_in_one_total_is_rechecked_in_the_others() -> None:
    # Rows are categories, columns age bands; totals by row and by column are published.
    values = [[3, 20, 30], [10, 12, 50]]
    flat = [v for row in values for v in row]
    rows = [r for r, row in enumerate(values) for _ in row]
    cols = [c for row in values for c in range(len(row))]
    hidden = disclosure.hidden(flat, [rows, cols])
    grid = np.array(hidden).reshape(2, 3)
    arr = np.array(values, dtype=float)
    for r in range(2):
        assert not recoverable(arr[r], grid[r])
    for c in range(3):
        assert not recoverable(arr[:, c], grid[:, c])


@pytest.mark.parametrize("seed", range(40))
def test_no_hidden_cell_is_ever_recoverable(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"year": np.repeat([2023, 2024], 6),
                          "group": np.tile(list("abcdef"), 2),
                          "count": rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40], size=12)})
    out = disclosure.suppress(frame, "count", within=[["year"]])
    assert not out.loc[~out["suppressed"], "count"].between(1, 4).any()
    for _, part in out.assign(raw=frame["count"]).groupby("year"):
        if part["raw"].sum() >= 5:   # a smaller total is itself hidden where published
            assert not recoverable(part["raw"].to_numpy(float), part["suppressed"].to_numpy())


def test_the_rule_is_a_parameter() -> None:
    with params.overridden({"disclosure.small_counts": {"threshold": 10, "marker": "x",
                                                        "zeros": "shown", "secondary": False}}):
        assert disclosure.hidden([7, 12]).tolist() == [True, False]
        assert disclosure.rule().marker == "x"
        assert "1 to 9" in disclosure.rule().note
    assert disclosure.hidden([7]).tolist() == [False]


def test_mark_shows_the_marker_and_keeps_other_columns() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "n_children": [3, 12], "rate": [1.5, 2.0]})
    out = disclosure.mark(frame, ["n_children"])
    assert out["n_children"].tolist() == ["c", 12] and out["rate"].tolist() == [1.5, 2.0]

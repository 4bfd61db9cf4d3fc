"""Official and open statistical neighbours: distances on a hand-made example, real lists."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from carecast.benchmark import neighbours


def _toy() -> pd.DataFrame:
    return pd.DataFrame(
        {"x": [0.0, 1.0, 2.0, 10.0], "y": [0.0, 0.0, 2.0, 0.0]}, index=["A", "B", "C", "D"]
    )


def test_weighted_distance_matches_a_hand_computation() -> None:
    frame = _toy()
    model = neighbours.OpenNeighbours(weights={"x": 2.0, "y": 1.0}, k=2).fit(frame)
    sx = np.std([0, 1, 2, 10])  # population SD, as the model standardises
    sy = np.std([0, 0, 2, 0])
    hand = math.sqrt(2.0 * ((0 - 2) / sx) ** 2 + 1.0 * ((0 - 2) / sy) ** 2)
    assert model.distance("A", "C") == pytest.approx(hand)
    assert model.distance("C", "A") == pytest.approx(hand)
    assert model.kneighbors("A") == ["B", "C"]
    assert "A" not in model.kneighbors("A")


def test_weights_change_who_is_nearest() -> None:
    frame = _toy()
    x_only = neighbours.OpenNeighbours(weights={"x": 1.0, "y": 0.0}, k=1).fit(frame)
    y_heavy = neighbours.OpenNeighbours(weights={"x": 1.0, "y": 100.0}, k=1).fit(frame)
    assert x_only.kneighbors("C") == ["B"]
    assert y_heavy.kneighbors("C") == ["B"]  # B is still closest in x; y ties A, B, D
    assert y_heavy.kneighbors("D") == ["B"]
    assert x_only.kneighbors("D") == ["C"]


def test_missing_feature_is_skipped_and_scaled_up() -> None:
    frame = _toy()
    frame.loc["D", "y"] = np.nan
    model = neighbours.OpenNeighbours(weights={"x": 1.0, "y": 1.0}, k=1).fit(frame)
    z = model.z_
    hand = math.sqrt((z.at["A", "x"] - z.at["D", "x"]) ** 2 * 2.0)
    assert model.distance("A", "D") == pytest.approx(hand)


def test_official_2025_list_for_926_is_the_published_row(shared_public) -> None:
    path = shared_public / "stat_neighbours" / "stat_neighbours_2025_wide.csv"
    with path.open(encoding="utf-8-sig") as handle:
        row = next(r for r in csv.DictReader(handle) if r["old_la_code"] == "926")
    assert neighbours.official("926") == [row[f"SN_{i}"] for i in range(1, 11)]


def test_2021_edition_differs_and_unknown_edition_fails() -> None:
    assert len(neighbours.official("926", 2021)) == 10
    with pytest.raises(LookupError):
        neighbours.official("926", 2019)


def test_open_model_overlap_with_official_is_reported(workspace) -> None:
    result = neighbours.compare(workspace, "926")
    official = [n["code"] for n in result["official"]["neighbours"]]
    opened = [n["code"] for n in result["open"]["neighbours"]]
    assert len(opened) == 10 and "926" not in opened
    assert result["overlap"]["count"] == len(set(official) & set(opened))
    stats = result["model_overlap"]
    assert stats["councils"] == 153
    assert sum(stats["distribution"].values()) == 153
    assert 0 < stats["mean"] < 10


def test_features_carried_from_cumbria_are_flagged(workspace) -> None:
    assert "idaci" in neighbours.compare(workspace, "942")["carried_features"]
    assert neighbours.compare(workspace, "926")["carried_features"] == []

"""Public placement indicators: in the registry, from DfE's files, and a later release of
the same files goes in with ``carecast data add-release`` without a code change."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.benchmark import compare, indicators
from carecast.cli import app
from carecast.data import releases
from carecast.service import placements

runner = CliRunner()
FILES = {
    "cla/la_cla_31march_by_characteristics_2020_2024.csv": ("cla_31_march_placements",
                                                            "outside_la_pct"),
    "placements/la_cla_placement_stability_2021_2024.csv": ("cla_placement_stability",
                                                            "placements_3plus_pct"),
    "placements/la_cla_new_placements_during_year_2021_2024.csv": ("cla_new_placements",
                                                                   "new_outside_over_20_pct"),
    "placements/la_cla_school_moves_2020_2024.csv": ("cla_school_moves",
                                                     "school_moves_midyear_pct"),
}


@pytest.mark.parametrize("relative", [*FILES, "cla/raw/la_cla_at_31_march_placement_"
                                      "stability_indicator_release2022.csv"])
def test_each_file_is_recognised_by_its_columns_and_labels(shared_public, relative):
    release = releases.parse_release(shared_public / relative)
    expected = FILES.get(relative, ("cla_placement_stability",))[0]
    assert release.format_id == expected
    assert release.observations["value"].notna().sum() > 1000


def test_the_existing_cla_release_is_still_read_as_before(shared_public):
    release = releases.parse_release(
        shared_public / "cla/raw/cla_number_and_rate_per_10k_children_release2024.csv")
    assert release.format_id == "cla_number_and_rate"


def test_placement_indicators_are_benchmarked_like_any_other(workspace):
    ids = placements.indicator_ids()
    assert {"fostering_pct", "own_provision_pct", "outside_la_pct", "placements_3plus_pct",
            "long_term_stability_pct", "new_outside_over_20_pct",
            "school_moves_midyear_pct"} <= set(ids)
    data = indicators.load(workspace, "fostering_pct")
    assert {2011, 2017, 2020, 2024} <= set(data.la.index.get_level_values(1))
    england = data.england["value"]  # over the councils that published both parts
    assert england[2024] == pytest.approx(55960 / 83530 * 100, abs=0.05)
    result = compare.benchmark(workspace, "926", "placements_3plus_pct")
    assert result["year"] == 2024 and result["rank"] and result["quartile"]
    assert result["trend"]["direction"] is not None


def _next_year(source, tmp_path, name: str) -> tuple:
    """The 2024 rows of a file relabelled 2025, Norfolk's counts 10% higher: a stand-in
    for DfE's next release of the same file."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame[frame["time_period"] == "2024"].copy()
    frame["time_period"] = "2025"
    count = next(c for c in ("number", "children_count") if c in frame)
    norfolk = frame["old_la_code"] == "926"
    numeric = pd.to_numeric(frame.loc[norfolk, count], errors="coerce")
    frame.loc[norfolk, count] = numeric.mul(1.1).round().astype("Int64").astype(str).where(
        numeric.notna(), frame.loc[norfolk, count])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, frame


@pytest.mark.parametrize("relative", list(FILES))
def test_a_later_release_goes_in_with_add_release(fresh_workspace, shared_public, tmp_path,
                                                  relative):
    fmt, indicator = FILES[relative]
    path, _ = _next_year(shared_public / relative, tmp_path, "release2025.csv")
    result = runner.invoke(app, ["data", "add-release", str(path), "--json",
                                 "--workspace", str(fresh_workspace.root)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format_id"] == fmt and report["years_added"] == [2025]
    data = indicators.load(fresh_workspace, indicator)
    assert data.latest_year() == 2025
    assert data.la.loc[("926", 2025), "value"] > 0
    assert compare.benchmark(fresh_workspace, "926", indicator)["year"] == 2025


def test_an_unknown_label_in_a_known_group_is_refused(shared_public, tmp_path):
    frame = pd.read_csv(shared_public / "placements/la_cla_placement_stability_2021_2024.csv",
                        dtype=str, keep_default_na=False)
    frame.loc[5, "placement_stability"] = "With 4 or more placements"
    path = tmp_path / "renamed.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(releases.InputError, match="unknown label") as caught:
        releases.parse_release(path)
    assert (caught.value.row, caught.value.column) == (7, "cla_group | placement_stability")


def test_la_show_has_the_placements_block(workspace):
    shown = json.loads(runner.invoke(app, ["la", "show", "Norfolk", "--json", "--workspace",
                                           str(workspace.root)]).stdout)
    block = shown["placements"]
    assert block["cla_placed_foster_pct"]["value"] == pytest.approx(63.9, abs=0.1)
    assert block["cla_placed_foster_pct"]["england"] == pytest.approx(67.0, abs=0.1)
    assert {"cla_3plus_placements_pct", "cla_placed_outside_la_pct"} <= set(block)

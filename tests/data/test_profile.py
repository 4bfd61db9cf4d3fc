"""``carecast la show``: a council's figures beside England, region and neighbours."""

import json

import pandas as pd
from typer.testing import CliRunner

from carecast.cli import app

runner = CliRunner()


def _show(workspace, *args):
    result = runner.invoke(app, ["la", "show", *args, "--json", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_norfolk_2024_matches_the_published_panel(workspace, shared_public):
    panel = pd.read_csv(
        shared_public / "cla/la_cla_panel_2010_2024.csv", dtype={"old_la_code": str}
    )
    row = panel[(panel["old_la_code"] == "926") & (panel["time_period"] == 2024)].iloc[0]
    profile = _show(workspace, "926")
    assert profile["year"] == 2024
    cla = profile["indicators"]["cla_at_31_march"]
    rate = profile["indicators"]["cla_at_31_march_rate_per_10000"]
    assert cla["value"] == row["cla_at_31_march"]
    assert rate["value"] == row["rate_per_10000"]
    for comparator in ("england", "region", "neighbours_mean", "neighbours_median"):
        assert rate[comparator] is not None
    assert rate["england"] == 70  # DfE's published England rate for 2024


def test_neighbour_figures_use_the_official_2025_neighbours(workspace, shared_public):
    wide = pd.read_csv(
        shared_public / "stat_neighbours/stat_neighbours_2025_wide.csv",
        dtype=str,
        encoding="utf-8-sig",
    )
    expected = wide.loc[wide["old_la_code"] == "926", [f"SN_{i}" for i in range(1, 11)]].iloc[0]
    profile = _show(workspace, "norfolk")
    assert profile["neighbours"]["codes"] == expected.tolist()
    panel = pd.read_csv(
        shared_public / "cla/la_cla_panel_2010_2024.csv", dtype={"old_la_code": str}
    )
    rates = panel[(panel["time_period"] == 2024) & panel["old_la_code"].isin(expected)][
        "rate_per_10000"
    ]
    rate = profile["indicators"]["cla_at_31_march_rate_per_10000"]
    assert rate["neighbours_mean"] == round(rates.mean(), 1)
    assert rate["neighbours_median"] == rates.median()


def test_profile_for_an_earlier_year_and_text_output(workspace):
    profile = _show(workspace, "E10000020", "--year", "2019")
    assert profile["year"] == 2019
    assert profile["trend"][-1]["year"] == 2019
    result = runner.invoke(app, ["la", "show", "Norfolk", "--workspace", str(workspace.root)])
    assert result.exit_code == 0
    assert "Norfolk" in result.stdout and "Open Government Licence" in result.stdout


def test_unknown_council_and_abolished_council_fail_cleanly(workspace):
    result = runner.invoke(app, ["la", "show", "Norfok", "--workspace", str(workspace.root)])
    assert result.exit_code == 2
    assert "Did you mean 'Norfolk'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["la", "show", "909", "--workspace", str(workspace.root)])
    assert result.exit_code == 2
    assert "abolished" in result.output


def test_data_list_prints_the_catalogue_with_licences(workspace):
    result = runner.invoke(app, ["data", "list", "--json", "--workspace", str(workspace.root)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    by_id = {d["id"]: d for d in data["datasets"]}
    assert by_id["cla_panel"]["years"] == "2010-2024"
    assert by_id["cla_panel"]["licence"] == "Open Government Licence v3.0"
    assert "Open Government Licence" in data["attribution"]

"""``carecast data add-release``: new years appear everywhere; bad files change nothing."""

import hashlib
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.data.workspace import Workspace

runner = CliRunner()
CLA_RELEASE = "cla/raw/cla_number_and_rate_per_10k_children_release2024.csv"
CLA_MEASURES = ("cla_at_31_march", "cla_started", "cla_ceased", "pop_0_17")


def _cli(ws: Workspace, *args: str):
    return runner.invoke(app, [*args, "--workspace", str(ws.root)])


def _digest(ws: Workspace) -> str:
    return hashlib.sha256(ws.db_path.read_bytes()).hexdigest()


def _drop_year(ws: Workspace, year: int) -> None:
    """Make a workspace that lacks ``year`` of the CLA series, as before a release."""
    measures = [*CLA_MEASURES] + [f"{m}_rate_per_10000" for m in CLA_MEASURES[:3]]
    with ws.change() as con:
        con.execute(
            f"DELETE FROM bundled_observations WHERE year = {year} AND measure IN "
            f"({', '.join(repr(m) for m in measures)})"
        )


@pytest.fixture()
def release_file(shared_public, tmp_path):
    target = tmp_path / "cla_release.csv"
    target.write_bytes((shared_public / CLA_RELEASE).read_bytes())
    return target


def test_a_new_year_appears_for_every_council_and_readding_changes_nothing(
    fresh_workspace, release_file
):
    _drop_year(fresh_workspace, 2024)
    before = json.loads(_cli(fresh_workspace, "la", "show", "926", "--json").stdout)
    assert before["year"] == 2023

    result = _cli(fresh_workspace, "data", "add-release", str(release_file), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["format_id"] == "cla_number_and_rate"
    assert report["years_added"] == [2024]
    assert report["added"] > 0

    for code in ("926", "942", "201", "839"):
        profile = json.loads(_cli(fresh_workspace, "la", "show", code, "--json").stdout)
        assert profile["year"] == 2024
        assert profile["indicators"]["cla_at_31_march"]["value"] is not None or code == "201"
    norfolk = json.loads(_cli(fresh_workspace, "la", "show", "926", "--json").stdout)
    assert norfolk["indicators"]["cla_at_31_march"]["value"] == 1152
    assert norfolk["indicators"]["cla_at_31_march_rate_per_10000"]["value"] == 68

    digest = _digest(fresh_workspace)
    again = _cli(fresh_workspace, "data", "add-release", str(release_file))
    assert again.exit_code == 0
    assert "No changes" in again.stdout
    assert _digest(fresh_workspace) == digest


def test_a_release_revising_an_earlier_year_updates_it_and_says_so(fresh_workspace, release_file):
    _drop_year(fresh_workspace, 2024)
    assert _cli(fresh_workspace, "data", "add-release", str(release_file)).exit_code == 0
    frame = pd.read_csv(release_file, dtype=str, encoding="utf-8-sig")
    target = (
        (frame["time_period"] == "2024")
        & (frame["old_la_code"] == "926")
        & frame["population_count"].str.startswith("Children looked after")
    )
    frame.loc[target, "number"] = "1160"
    revised = release_file.with_name("revised.csv")
    frame.to_csv(revised, index=False)
    result = _cli(fresh_workspace, "data", "add-release", str(revised), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["revised"] == 1 and report["years_revised"] == [2024]
    assert report["years_added"] == []
    profile = json.loads(_cli(fresh_workspace, "la", "show", "926", "--json").stdout)
    assert profile["indicators"]["cla_at_31_march"]["value"] == 1160
    text = _cli(fresh_workspace, "data", "add-release", str(release_file)).stdout
    assert "Revised earlier figures in: 2024" in text


def test_an_older_release_never_overrides_newer_figures(fresh_workspace, shared_public):
    older = shared_public / "cla/raw/cla_number_and_rate_per_10k_children_release2023.csv"
    result = _cli(fresh_workspace, "data", "add-release", str(older), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["superseded"] > 0
    profile = json.loads(
        _cli(fresh_workspace, "la", "show", "926", "--year", "2023", "--json").stdout
    )
    assert profile["indicators"]["cla_at_31_march"]["value"] == 1215  # the 2025 release's figure


def _broken(release_file, how: str):
    lines = release_file.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    if how == "missing column":
        frame = pd.read_csv(release_file, dtype=str, encoding="utf-8-sig")
        return frame.drop(columns="time_period").to_csv(index=False), 1, "time_period"
    if how == "non-numeric count":
        parts = lines[5].split(",")
        parts[header.index("number")] = "twelve"
        lines[5] = ",".join(parts)
        return "\n".join(lines), 6, "number"
    if how == "unknown council":
        index = next(i for i, line in enumerate(lines) if ",926," in line)
        lines[index] = lines[index].replace(",926,", ",999,")
        return "\n".join(lines), index + 1, "old_la_code"
    if how == "truncated":
        text = "\n".join(lines)
        return text[: len(text) // 2], None, None
    if how == "duplicate year":
        return "\n".join([*lines, lines[10]]), len(lines) + 1, "time_period"
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how", ["missing column", "non-numeric count", "unknown council", "truncated", "duplicate year"]
)
def test_bad_files_exit_non_zero_naming_file_row_column_and_change_nothing(
    fresh_workspace, release_file, how
):
    text, row, column = _broken(release_file, how)
    bad = release_file.with_name(f"{how.replace(' ', '_')}.csv")
    bad.write_text(text, encoding="utf-8")
    digest = _digest(fresh_workspace)
    result = _cli(fresh_workspace, "data", "add-release", str(bad))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(bad) in result.output.replace("\n", "")
    if row is not None:
        assert f"row {row}" in result.output
    if column is not None:
        assert column in result.output
    if how == "truncated":
        assert "truncated" in result.output
    assert _digest(fresh_workspace) == digest


def test_non_utf8_and_unrecognised_files_are_refused(fresh_workspace, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "time_period,geographic_level,la_name\n2024,National,Caf\xe9\n".encode("latin-1")
    )
    result = _cli(fresh_workspace, "data", "add-release", str(latin))
    assert result.exit_code == 2 and "UTF-8" in result.output and "row 2" in result.output
    other = tmp_path / "other.csv"
    other.write_text("time_period,geographic_level,apples\n2024,National,3\n", encoding="utf-8")
    result = _cli(fresh_workspace, "data", "add-release", str(other))
    assert result.exit_code == 2 and "match no known release table" in result.output

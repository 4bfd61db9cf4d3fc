"""Workforce, social worker changes, assessment factors and care leavers: the bundled values
equal DfE's published files, suppression holds, shared services are split, and a later
release goes in with ``data add-release`` alone."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast.benchmark import indicators
from carecast.cli import app
from carecast.data import periods, store
from carecast.data.releases import parse_release
from carecast.data.workspace import Workspace

runner = CliRunner()
CSWW = "workforce/csww_indicators_2017_to_2024.csv"
SW_CHANGES = "workforce/la_cla_social_worker_changes_2024.csv"
FACTORS = "cin/raw/c3_factors_identified_at_end_of_assessment_2018_to_2024.csv"
ACCOMMODATION = "care_leavers/la_care_leavers_accommodation_2021_2024.csv"
ACTIVITY = "care_leavers/la_care_leavers_activity_2021_2024.csv"
NEW = ("workforce", "outcomes", "assessment")


def _cli(ws: Workspace, *args: str):
    return runner.invoke(app, [*args, "--workspace", str(ws.root)])


def _edited(source, target, change) -> int:
    """Copy a CSV, letting ``change(row)`` (a dict) edit rows; returns the first edited row's
    file row number."""
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8-sig"))))
    first = None
    for number, row in enumerate(rows, start=2):
        if change(row) and first is None:
            first = number
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    assert first is not None
    return first


def _raw(shared_public, relative: str) -> pd.DataFrame:
    return pd.read_csv(shared_public / relative, dtype=str)


def _published(raw: pd.DataFrame, code: str, year: int, column: str, **where: str) -> float:
    rows = raw[(raw["old_la_code"] == code) & (raw["time_period"] == str(year))]
    for key, value in where.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1
    return float(rows[column].iloc[0])


def test_norfolk_workforce_equals_the_published_file(workspace, shared_public):
    raw = _raw(shared_public, CSWW)
    panel = store.la_panel(workspace)
    for measure, column in [("sw_turnover_rate_pct", "turnover_rate_fte"),
                            ("sw_agency_rate_pct", "agency_rate_fte"),
                            ("sw_vacancy_rate_pct", "vacancy_rate_fte"),
                            ("sw_caseload", "caseload_fte"),
                            ("sw_absence_rate_pct", "absence_rate_fte"),
                            ("sw_fte", "inpost_fte")]:
        for year in range(2017, 2025):
            assert panel.value("926", year, measure) == _published(raw, "926", year, column)
    assert panel.value("926", 2024, "sw_turnover_rate_pct") == 12.4


def test_outcomes_and_factors_equal_the_published_counts(workspace, shared_public):
    panel = store.la_panel(workspace)
    changes = _raw(shared_public, SW_CHANGES)
    three = _published(changes, "926", 2024, "number",
                       sw_stability="3 or more social workers during the year")
    total = _published(changes, "926", 2024, "number", sw_stability="Total children")
    assert panel.value("926", 2024, "cla_3plus_social_workers_pct") == pytest.approx(
        three / total * 100)
    # DfE prints whole percentages; carecast keeps the unrounded share of the counts.
    printed = _published(changes, "926", 2024, "percentage",
                         sw_stability="3 or more social workers during the year")
    assert abs(panel.value("926", 2024, "cla_3plus_social_workers_pct") - printed) <= 0.5
    factors = _raw(shared_public, FACTORS)
    assert panel.value("926", 2024, "factor_neglect") == _published(factors, "926", 2024,
                                                                      "Neglect")
    activity = _raw(shared_public, ACTIVITY)
    eet = _published(activity, "926", 2024, "care_leaver_count", care_leaver_age="19 to 21 years",
                     breakdown="Total in education, employment or training")
    base = _published(activity, "926", 2024, "care_leaver_count",
                      care_leaver_age="19 to 21 years", breakdown="Total")
    assert panel.value("926", 2024, "care_leavers_19_21_eet_pct") == pytest.approx(
        eet / base * 100)


def test_england_cin_and_cpp_rates_use_dfes_own_denominator(workspace):
    england = store.area_panel(workspace, "england")
    assert round(england.value("E92000001", 2024, "cin_rate_per_10000"), 1) == 332.9
    assert round(england.value("E92000001", 2024, "cpp_rate_per_10000"), 1) == 41.6
    # The denominator is the one DfE printed with its 2024 release (mid-2023 estimate).
    assert england.value("E92000001", 2024, "pop_0_17") == 11_998_646


def test_suppressed_cells_stay_missing_with_their_marker(workspace, shared_public):
    raw = _raw(shared_public, ACTIVITY)
    marked = raw[(raw["geographic_level"] == "Local authority")
                 & (raw["care_leaver_count"] == "c")
                 & (raw["breakdown"] == "Total in education, employment or training")].iloc[0]
    age = "17_18" if marked["care_leaver_age"].startswith("17") else "19_21"
    panel = store.la_panel(workspace, harmonised=False)
    code, year = marked["old_la_code"], int(marked["time_period"])
    assert panel.value(code, year, f"care_leavers_{age}_eet") is None
    assert panel.flag(code, year, f"care_leavers_{age}_eet") == "c"


def test_a_small_count_a_release_prints_is_suppressed_everywhere(fresh_workspace, shared_public,
                                                                 tmp_path):
    def three(row: dict) -> bool:
        if (row["old_la_code"], row["time_period"], row["care_leaver_age"], row["breakdown"]) == (
                "926", "2024", "19 to 21 years", "Total in education, employment or training"):
            row["care_leaver_count"] = "3"
            return True
        return False

    small = tmp_path / "activity.csv"
    _edited(shared_public / ACTIVITY, small, three)
    assert _cli(fresh_workspace, "data", "add-release", str(small)).exit_code == 0
    ws = Workspace.open(fresh_workspace.root)
    data = indicators.load(ws, "care_leavers_eet_19_21")
    row = data.la.loc[("926", 2024)]
    assert pd.isna(row["value"]) and pd.isna(row["count"]) and row["flag"] == "c"
    shown = json.loads(_cli(ws, "la", "show", "926", "--json").stdout)
    eet = next(r for r in shown["sections"]["outcomes"]["indicators"]
               if r["indicator"] == "care_leavers_eet_19_21")
    assert eet["suppressed"] and eet["value"] is None
    one = json.loads(_cli(ws, "benchmark", "926", "--indicator", "care_leavers_eet_19_21",
                          "--json").stdout)
    assert one["suppressed"] and one["flag"] == "c" and one["count"] is None


def test_every_new_indicator_says_its_period_in_dfes_terms():
    registry = indicators.registry()
    assert registry["sw_turnover"].period_label(2024) == "at 30 September 2024"
    assert registry["care_leavers_eet_19_21"].period_label(2024) == "year ending 31 March 2024"
    assert periods.label("financial_year", 2025) == "financial year 2024-25"
    with pytest.raises(LookupError):
        periods.label("at_1_april", 2024)


def test_shared_services_are_split_by_population_and_flagged(workspace, shared_public):
    raw = _raw(shared_public, CSWW)
    joint = raw[(raw["old_la_code"] == "314 / 318") & (raw["time_period"] == "2024")].iloc[0]
    panel = store.la_panel(workspace)
    parts = [panel.value(c, 2024, "sw_fte") for c in ("314", "318")]
    assert sum(parts) == pytest.approx(float(joint["inpost_fte"]))
    share = panel.value("314", 2024, "pop_0_17") / sum(
        panel.value(c, 2024, "pop_0_17") for c in ("314", "318"))
    assert parts[0] / sum(parts) == pytest.approx(share)
    for code in ("314", "318"):
        assert panel.value(code, 2024, "sw_turnover_rate_pct") == float(
            joint["turnover_rate_fte"])
        assert panel.is_filled(code, 2024, "sw_turnover_rate_pct")
        assert "reported jointly" in panel.notes[(code, 2024)]
    assert not panel.is_filled("926", 2024, "sw_turnover_rate_pct")


@pytest.mark.parametrize("relative, format_id", [
    (CSWW, "csww_indicators"), (SW_CHANGES, "cla_social_worker_changes"),
    (FACTORS, "cin_c3"), (ACCOMMODATION, "care_leavers"), (ACTIVITY, "care_leavers"),
])
def test_each_file_is_recognised_by_its_columns_and_labels(shared_public, relative, format_id):
    assert parse_release(shared_public / relative).format_id == format_id


@pytest.mark.parametrize("relative, measure", [
    (CSWW, "sw_turnover_rate_pct"), (ACTIVITY, "care_leavers_19_21_eet"),
    (SW_CHANGES, "cla_3plus_social_workers"), (FACTORS, "factor_neglect"),
])
def test_a_later_release_goes_in_with_add_release_alone(fresh_workspace, shared_public,
                                                        tmp_path, relative, measure):
    release = parse_release(shared_public / relative).observations
    measures = sorted(set(release["measure"]))
    with fresh_workspace.change() as con:
        con.execute(f"DELETE FROM bundled_observations WHERE year = 2024 AND measure IN "
                    f"({', '.join(repr(m) for m in measures)})")
    ws = Workspace.open(fresh_workspace.root)
    assert store.la_panel(ws).value("926", 2024, measure) is None
    copy = tmp_path / "release.csv"
    copy.write_bytes((shared_public / relative).read_bytes())
    result = _cli(ws, "data", "add-release", str(copy), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["years_added"] == [2024]
    assert store.la_panel(Workspace.open(ws.root)).value("926", 2024, measure) is not None
    again = json.loads(_cli(ws, "data", "add-release", str(copy), "--json").stdout)
    assert not again["changed"]


@pytest.mark.parametrize("how", ["word in a rate", "unknown label", "unknown council"])
def test_bad_outcome_files_name_file_row_and_column_and_change_nothing(
        fresh_workspace, shared_public, tmp_path, how):
    relative = ACTIVITY if how == "unknown label" else CSWW
    column = {"word in a rate": "turnover_rate_fte", "unknown label": "breakdown",
              "unknown council": "old_la_code"}[how]

    def spoil(row: dict) -> bool:
        if row["old_la_code"] != "926":
            return False
        if how == "word in a rate":
            row["turnover_rate_fte"] = "twelve"
        elif how == "unknown label":
            if row["breakdown"] != "Education other than higher education":
                return False
            row["breakdown"] = "Education (other)"
        else:
            row["old_la_code"] = "998"
        return True

    bad = tmp_path / "bad.csv"
    row = _edited(shared_public / relative, bad, spoil)
    digest = hashlib.sha256(fresh_workspace.db_path.read_bytes()).hexdigest()
    result = _cli(fresh_workspace, "data", "add-release", str(bad))
    assert result.exit_code == 2
    text = result.output.replace("\n", "")
    assert str(bad) in text and f"row {row}" in text and column in text
    assert hashlib.sha256(fresh_workspace.db_path.read_bytes()).hexdigest() == digest


def test_la_show_has_workforce_and_outcomes_sections(workspace):
    result = _cli(workspace, "la", "show", "926", "--json")
    assert result.exit_code == 0, result.output
    sections = json.loads(result.stdout)["sections"]
    assert set(NEW) <= set(sections)
    turnover = next(r for r in sections["workforce"]["indicators"]
                    if r["indicator"] == "sw_turnover")
    assert turnover["value"] == 12.4 and turnover["period"] == "at 30 September 2024"
    assert turnover["england"] == 13.9
    eet = next(r for r in sections["outcomes"]["indicators"]
               if r["indicator"] == "care_leavers_eet_19_21")
    assert eet["period"] == "year ending 31 March 2024"
    text = _cli(workspace, "la", "show", "926").stdout
    assert "Workforce" in text and "at 30" in text

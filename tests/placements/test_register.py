"""The supply register: every bad row refused with file, row and column, nothing written."""

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from carecast.data.errors import InputError
from carecast.data.ssda903.pseudonymise import pseudonym, workspace_secret
from carecast.placements import register

GOOD = {
    "carer_id": "F001", "type": "foster", "provider": "in_house", "status": "active",
    "approved_places": "2", "occupied_places": "1", "vacancies": "1", "age_min": "0",
    "age_max": "10", "postcode_district": "NR1", "sibling_capacity": "2",
    "skills": "emergency;teenagers", "in_area": "yes", "weekly_cost_gbp": "£410.50",
    "approved_date": "2019-06-01",
}


def write(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    header = header or list(GOOD)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def rows(n: int = 6) -> list[dict[str, str]]:
    return [{**GOOD, "carer_id": f"F{i:03d}"} for i in range(n)]


def test_loads_csv_and_xlsx_with_carers_pseudonymised(fresh_workspace, register_csv, tmp_path):
    ws = fresh_workspace
    info = register.load_file(register_csv, ws).summary()
    stored = register.stored(ws)
    raw = pd.read_csv(register_csv, dtype=str)
    assert info["rows"] == len(raw) == len(stored)
    assert stored["carer"].str.match(r"^h[0-9a-f]{16}$").all()
    assert not set(raw["carer_id"]) & set(stored["carer"])
    assert "carer_id" not in stored
    secret = workspace_secret(ws.root)
    first = raw["carer_id"].iloc[0]
    assert pseudonym(first, secret, "carer") in set(stored["carer"])
    assert pseudonym(first, secret, "carer")[1:] != pseudonym(first, secret)[1:]
    xlsx = tmp_path / "supply.xlsx"
    raw.to_excel(xlsx, index=False)
    register.load_file(xlsx, ws)
    again = register.stored(ws)
    assert sorted(again["carer"]) == sorted(stored["carer"])
    log = ws.query("SELECT source, rows FROM placements_supply_loads ORDER BY loaded_at")
    assert log["source"].tolist() == ["supply.csv", "supply.xlsx"]
    assert first not in log.to_csv()


def test_full_postcodes_are_cut_to_their_district(fresh_workspace, tmp_path):
    data = rows(2)
    data[0]["postcode_district"] = "nr1 3ab"
    data[1]["postcode_district"] = "SW1A1AA"
    register.load_file(write(tmp_path / "r.csv", data), fresh_workspace)
    assert sorted(register.stored(fresh_workspace)["postcode_district"]) == ["NR1", "SW1A"]


BAD = [
    ("carer_id", "", "required"),
    ("type", "flat", "not one of"),
    ("provider", "council", "not one of"),
    ("status", "gone", "not one of"),
    ("approved_places", "two", "whole number"),
    ("approved_places", "25", "more than 20"),
    ("occupied_places", "3", "occupied of"),
    ("vacancies", "2", "exceed"),
    ("age_min", "18", "0 to 17"),
    ("age_max", "-1", "whole number"),
    ("sibling_capacity", "3", "sibling_capacity"),
    ("skills", "juggling", "unknown skill"),
    ("postcode_district", "NOT A CODE", "postcode district"),
    ("in_area", "maybe", "yes or no"),
    ("weekly_cost_gbp", "cheap", "amount"),
    ("approved_date", "31/31/2020", "not a date"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD,
                         ids=[f"{c}={v or 'blank'}" for c, v, _ in BAD])
def test_each_bad_value_is_refused_with_file_row_and_column(fresh_workspace, register_csv,
                                                            tmp_path, column, value, message):
    ws = fresh_workspace
    register.load_file(register_csv, ws)
    before = register.stored(ws)
    loads = len(ws.query("SELECT * FROM placements_supply_loads"))
    data = rows()
    data[3][column] = value
    path = write(tmp_path / "bad.csv", data)
    with pytest.raises(InputError, match=message) as caught:
        register.load_file(path, ws)
    error = caught.value
    assert (error.file, error.row, error.column) == (str(path), 5, column)
    pd.testing.assert_frame_equal(register.stored(ws), before)
    assert len(ws.query("SELECT * FROM placements_supply_loads")) == loads


def test_rules_between_columns(fresh_workspace, tmp_path):
    cases = [
        ({"carer_id": "F001"}, "carer_id", "also on row 3"),
        ({"status": "active", "approved_places": "0", "occupied_places": "0",
          "vacancies": "0", "sibling_capacity": ""}, "approved_places", "at least 1"),
        ({"age_min": "12", "age_max": "5"}, "age_max", "below age_min"),
        ({"type": "supported_accommodation", "age_min": "15", "age_max": "17"}, "age_min",
         "aged 16 and over"),
    ]
    for change, column, message in cases:
        data = rows(4)
        data[2].update(change)
        path = write(tmp_path / "bad.csv", data)
        with pytest.raises(InputError, match=message) as caught:
            register.prepare(path, fresh_workspace)
        assert (caught.value.row, caught.value.column) == (4, column)
    assert register.stored(fresh_workspace) is None


def test_the_first_problem_is_named_with_a_count_of_the_rest(fresh_workspace, tmp_path):
    data = rows()
    data[1]["type"] = "flat"
    data[4]["age_min"] = "20"
    with pytest.raises(InputError, match=r"\(1 more problem in the file\)") as caught:
        register.prepare(write(tmp_path / "bad.csv", data), fresh_workspace)
    assert (caught.value.row, caught.value.column) == (3, "type")


def test_columns_outside_the_format_and_missing_columns_are_refused(fresh_workspace, tmp_path):
    header = [*GOOD, "carer_name"]
    data = [{**r, "carer_name": "A Person"} for r in rows(2)]
    with pytest.raises(InputError, match="unexpected column 'carer_name'") as caught:
        register.prepare(write(tmp_path / "extra.csv", data, header), fresh_workspace)
    assert (caught.value.row, caught.value.column) == (1, "carer_name")
    header = [c for c in GOOD if c != "vacancies"]
    with pytest.raises(InputError, match="missing column 'vacancies'") as caught:
        register.prepare(write(tmp_path / "short.csv", rows(2), header), fresh_workspace)
    assert (caught.value.row, caught.value.column) == (1, "vacancies")


def test_unreadable_files_are_refused(fresh_workspace, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        register.prepare(empty, fresh_workspace)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a workbook")
    with pytest.raises(InputError, match="not a readable XLSX"):
        register.prepare(fake, fresh_workspace)
    with pytest.raises(InputError, match="unsupported file type"):
        register.prepare(tmp_path / "register.ods", fresh_workspace)


def test_xlsx_rows_are_named_by_their_spreadsheet_row(fresh_workspace, tmp_path):
    data = pd.DataFrame(rows(5))
    data.loc[2, "provider"] = "council"
    path = tmp_path / "bad.xlsx"
    data.to_excel(path, index=False)
    with pytest.raises(InputError) as caught:
        register.prepare(path, fresh_workspace)
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        str(path), 4, "provider")

"""Malformed SSDA903 input: a clear error naming file, row and column; workspace unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.data.errors import InputError
from carecast.data.ssda903 import store
from carecast.data.workspace import Workspace

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
            "PL_POST,URN\n")
GOOD_HEADER = HEADER + "1001,1,01/02/2010,WBRI,UN2,,\n1002,2,03/04/2012,WBRI,UN2,,\n"
GOOD_EPISODES = EPISODES + (
    "1001,01/05/2022,S,V2,N1,U4,PR1,01/06/2022,X1,CARPL,AB1 2CD,AB2 3EF,XXXXXXX\n"
    "1001,01/06/2022,P,V2,N1,U6,PR4,,,,AB1 2CD,AB3 4GH,XXXXXXX\n"
    "1002,10/10/2022,S,C1,N1,K2,PR4,01/03/2023,E4A,,AB1 2CD,AB2 3EF,SC123456\n"
)


def write(folder: Path, header: str | bytes = GOOD_HEADER,
          episodes: str | bytes = GOOD_EPISODES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("header.csv", header), ("episodes.csv", episodes)):
        data = text.encode() if isinstance(text, str) else text
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws")
    store.ingest(write(tmp_path / "good"), workspace)
    return workspace


CASES = {
    "truncated": (dict(episodes=GOOD_EPISODES[:-40]), "episodes.csv", 4, "REC", "truncated"),
    "wrong columns": (dict(episodes=EPISODES.replace("DECOM", "DATE_START") + "1,2\n"),
                      "episodes.csv", 1, 2, "column 2 is not an SSDA903 column name (perhaps "
                      "DECOM)"),
    "column of another table": (dict(episodes=EPISODES.replace("RNE", "DOB")),
                                "episodes.csv", 1, "DOB", "DOB is not a Episodes column"),
    "bad date": (dict(episodes=GOOD_EPISODES.replace("10/10/2022", "31/02/2022")),
                 "episodes.csv", 4, "DECOM", "not a dd/mm/YYYY date"),
    "missing DOB": (dict(header=GOOD_HEADER.replace("03/04/2012", "")), "header.csv", 3, "DOB",
                    "DOB is blank"),
    "non-UTF-8": (dict(header=GOOD_HEADER.encode().replace(b"WBRI,UN2,,\n1002",
                                                           b"W\xe9RI,UN2,,\n1002")),
                  "header.csv", 2, "ETHNIC", "not UTF-8"),
    "empty file": (dict(header=""), "header.csv", 1, None, "empty"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_csv_refused_with_location(case: str, ws: Workspace, tmp_path: Path) -> None:
    kwargs, file, row, column, text = CASES[case]
    before = ws.query("SELECT * FROM ssda903_episodes ORDER BY ALL")
    folder = write(tmp_path / "bad", **kwargs)
    with pytest.raises(InputError) as caught:
        store.ingest(folder, ws)
    err = caught.value
    assert err.file and err.file.endswith(file)
    assert err.row == row
    assert err.column == column
    assert text in str(err)
    assert "1001" not in str(err) and "1002" not in str(err)  # never a child id
    assert ws.query("SELECT * FROM ssda903_episodes ORDER BY ALL").equals(before)


RECORD_VALUES = ("1001", "1002", "AB1 2CD", "AB2 3EF", "01/05/2022", "01/02/2010", "UN2",
                 "WBRI")


def _headerless(folder: Path, text: bytes = GOOD_EPISODES.encode()) -> Path:
    return write(folder, episodes=text.split(b"\n", 1)[1])


@pytest.mark.parametrize("damage", ["none", "non-UTF-8", "form feed"])
def test_a_file_without_its_header_row_is_refused_without_quoting_records(
    damage: str, ws: Workspace, tmp_path: Path
) -> None:
    """The first data row stands where the header should: its child id, postcodes and
    dates never appear in the message, from the data layer or either CLI command."""
    text = GOOD_EPISODES.encode()
    if damage == "non-UTF-8":
        text = text.replace(b"AB3 4GH", b"AB3 4\xe9H")
    folder = _headerless(tmp_path / "bad", text)
    with pytest.raises(InputError) as caught:
        store.ingest(folder, ws)
    err = caught.value
    assert err.file.endswith("episodes.csv") and err.row in (1, 2)
    assert not any(value in str(err) for value in RECORD_VALUES), str(err)
    for command in (["ingest"], ["validate", "--no-dfe"], ["validate"]):
        result = CliRunner().invoke(app, ["ssda903", *command, str(folder),
                                          "--workspace", str(ws.root)])
        assert result.exit_code == 2, result.output
        assert "episodes.csv" in result.output and "Traceback" not in result.output
        assert not any(value in result.output for value in RECORD_VALUES), result.output
    if damage == "none":
        assert "header row may be missing" in str(err)


def test_unreadable_lines_are_not_quoted(ws: Workspace, tmp_path: Path) -> None:
    lines = GOOD_EPISODES.split("\n")
    lines.insert(2, "\f")  # Arrow cannot read a line of other whitespace
    folder = write(tmp_path / "bad", episodes="\n".join(lines))
    with pytest.raises(InputError) as caught:
        store.ingest(folder, ws)
    assert not any(value in str(caught.value) for value in RECORD_VALUES), str(caught.value)


def test_xml_that_is_not_a_return(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "xml"
    folder.mkdir()
    (folder / "other.xml").write_text("<?xml version='1.0'?><CINCensus><Child/></CINCensus>")
    with pytest.raises(InputError, match="not an SSDA903 return") as caught:
        store.ingest(folder, ws)
    assert caught.value.file.endswith("other.xml") and caught.value.row == 1
    (folder / "other.xml").write_text("<EXPSSDA903><CHILD><HEADER>")
    with pytest.raises(InputError, match="not well-formed XML"):
        store.ingest(folder, ws)


def test_empty_folder_and_size_guard(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .csv or .xml files"):
        store.ingest(tmp_path / "empty", ws)
    folder = write(tmp_path / "big")
    with pytest.raises(InputError, match="over the .* MB limit") as caught:
        store.ingest(folder, ws, max_bytes=100)
    assert caught.value.file.endswith(".csv")


def test_cli_reports_without_traceback(ws: Workspace, tmp_path: Path) -> None:
    folder = write(tmp_path / "bad", episodes=GOOD_EPISODES[:-40])
    result = CliRunner().invoke(app, ["ssda903", "ingest", str(folder),
                                      "--workspace", str(ws.root)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "row 4" in result.output and "'REC'" in result.output


def test_errors_name_the_file_with_its_year_folder(ws: Workspace, tmp_path: Path) -> None:
    """Two years in sub-folders: the error names the second year's file relative to the
    folder given, so a user can tell 2023/episodes.csv from 2024/episodes.csv."""
    folder = tmp_path / "returns"
    write(folder / "2023")
    later = GOOD_EPISODES.replace("2023", "2024").replace("2022", "2023")
    write(folder / "2024", episodes=later.replace("10/10/2023", "31/02/2023"))
    before = ws.query("SELECT * FROM ssda903_episodes ORDER BY ALL")
    shown = str(Path("2024", "episodes.csv"))
    with pytest.raises(InputError) as caught:
        store.ingest(folder, ws)
    err = caught.value
    assert (err.file, err.row, err.column) == (shown, 4, "DECOM")
    assert "1001" not in str(err) and "1002" not in str(err)  # never a child id
    result = CliRunner().invoke(app, ["ssda903", "ingest", str(folder),
                                      "--workspace", str(ws.root)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    output = " ".join(result.output.split())
    assert f"{shown}, row 4, column 'DECOM': DECOM is not a dd/mm/YYYY date" in output
    assert "1001" not in result.output and "1002" not in result.output
    assert ws.query("SELECT * FROM ssda903_episodes ORDER BY ALL").equals(before)

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
                      "episodes.csv", 1, "DATE_START", "do not match"),
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

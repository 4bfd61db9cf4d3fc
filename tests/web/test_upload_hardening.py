"""The SSDA903 upload and summary pages under hostile and concurrent use: odd file names,
a busy workspace, a file without its header row, and a CLI ingest while users read."""

from __future__ import annotations

import subprocess
import sys

import pytest

from carecast.data import lock
from carecast.data.ssda903 import synth, synth_writer
from carecast.data.workspace import LOCK_NAME, Workspace

from .conftest import TestClient, csrf_from, sign_in

SUMMARY = "/records/ssda903"
UPLOAD = "/records/ssda903/upload"
EPISODES = ("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
            "PL_POST,URN\n")
ROW = "7340012,01/05/2022,S,V2,N1,U4,PR1,01/06/2022,X1,CARPL,ZX9 8QW,ZX8 7RT,XXXXXXX\n"


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    small, large = tmp_path_factory.mktemp("small"), tmp_path_factory.mktemp("large")
    synth_writer.write_returns(synth.generate(children=300, years=2, seed=4), small)
    synth_writer.write_returns(synth.generate(children=5000, years=3, seed=5), large)
    files = [(p.relative_to(small).as_posix(), p.read_bytes())
             for p in sorted(small.rglob("*.csv"))]
    return files, large


def post(client, files):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get(UPLOAD).text)
    return client.post(UPLOAD, data={"csrf_token": token},
                       files=[("files", (name, body, "text/csv")) for name, body in files],
                       follow_redirects=False)


@pytest.mark.parametrize("names, message", [
    (["a" * 300 + ".csv"], "over 100 characters"),
    (["x.csv", "x.csv/y.csv"], "both a file and the folder"),
    (["2024/Header.csv", "2024/header.CSV"], "two files have this name"),
    (["/".join(["d"] * 8) + "/e.csv"], "folders deep"),
])
def test_unusable_file_names_are_refused_with_a_message(app, client, names, message) -> None:
    sign_in(client, "analyst")
    response = post(client, [(name, b"CHILD\n1\n") for name in names])
    assert response.status_code == 400, response.text
    assert message in response.text and "govuk-error-summary" in response.text


def test_a_file_without_its_header_row_is_refused_without_showing_records(app, client) -> None:
    sign_in(client, "analyst")
    header = b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n7340012,1,01/02/2010,WBRI,UN2,,\n"
    response = post(client, [("2023/header.csv", header),
                             ("2023/episodes.csv", ROW.encode())])
    assert response.status_code == 400
    assert "2023/episodes.csv, row 1" in response.text
    assert "header row may be missing" in response.text
    for value in ("7340012", "ZX9 8QW", "ZX8 7RT", "01/05/2022"):
        assert value not in response.text


def test_an_upload_while_the_workspace_is_busy_says_so(app, client, returns) -> None:
    files, _ = returns
    sign_in(client, "analyst")
    root = app.state.settings.workspace
    with lock.exclusive(root / LOCK_NAME, "SSDA903 ingest"):
        response = post(client, files)
    assert response.status_code == 409
    assert "the workspace is busy" in response.text and "SSDA903 ingest" in response.text
    assert post(client, files).status_code == 303  # once it is free


def test_reads_keep_working_while_the_cli_ingests(app, returns) -> None:
    """A signed-in user polls the summary while `carecast ssda903 ingest` runs in another
    process: every poll answers 200 (old figures, then new) and the CLI succeeds."""
    files, large = returns
    root = app.state.settings.workspace
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, "viewer")
        before = client.get(SUMMARY)
        assert before.status_code == 200
        ingest = subprocess.Popen(
            [sys.executable, "-c", "from carecast.cli import main; main()", "ssda903",
             "ingest", str(large), "--workspace", str(root)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        statuses = []
        while ingest.poll() is None:
            statuses.append(client.get(SUMMARY).status_code)
            statuses.append(client.get(SUMMARY, params={"format": "csv",
                                                        "table": "overview"}).status_code)
        _, err = ingest.communicate()
        after = client.get(SUMMARY)
    assert ingest.returncode == 0, err
    assert "Traceback" not in err and "lock" not in err.lower()
    assert statuses and set(statuses) == {200}
    assert after.status_code == 200 and after.text != before.text
    assert Workspace.open(root).has_table("ssda903_episodes")

"""The record-level SSDA903 pages: roles, upload and ingest, agreement with the CLI,
refused uploads leaving the workspace unchanged, audit rows and no caching."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecast.cli import app as cli
from carecast.data.ssda903 import synth, synth_writer
from carecast.web.accounts import audit_log
from carecast.web.routes_ssda903 import safe_name

from .conftest import TestClient, csrf_from, sign_in

SUMMARY = "/records/ssda903"
UPLOAD = "/records/ssda903/upload"


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    """Two years of a small synthetic return, as (name with its year folder, bytes)."""
    out = tmp_path_factory.mktemp("synth")
    syn = synth.generate(children=300, years=2, seed=3)
    paths = synth_writer.write_returns(syn, out)
    return [(p.relative_to(out).as_posix(), p.read_bytes()) for p in paths]


def post_files(client, files: list[tuple[str, bytes]], token: str):  # type: ignore[no-untyped-def]
    return client.post(
        UPLOAD, data={"csrf_token": token},
        files=[("files", (name, body, "text/csv")) for name, body in files],
        follow_redirects=False,
    )


def cli_summary(root: Path) -> dict:
    result = CliRunner().invoke(cli, ["ssda903", "summary", "--workspace", str(root), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def download(client, table: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """A table's CSV download, without the source and licence lines."""
    response = client.get(SUMMARY, params={"format": "csv", "table": table})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    lines = response.content.decode("utf-8-sig").splitlines()
    about = [line[2:] for line in lines if line.startswith("# ")]
    assert about[1].startswith("Source: SSDA903 returns ingested")
    assert not any("Open Government Licence" in line for line in about)  # not OGL-licensed
    return list(csv.reader(io.StringIO("\n".join(lines[len(about):]))))


def shown(value: int | None) -> str:
    return "c" if value is None else str(value)


@pytest.fixture(scope="module")
def uploaded(app, returns):  # type: ignore[no-untyped-def]
    """The analyst's upload of the synthetic returns (the summary is empty before it)."""
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, "analyst")
        empty = client.get(SUMMARY)
        assert empty.status_code == 200
        assert "No SSDA903 returns have been ingested" in empty.text
        assert f'href="{UPLOAD}"' in empty.text
        response = post_files(client, returns, csrf_from(client.get(UPLOAD).text))
    assert response.status_code == 303 and response.headers["location"] == SUMMARY
    return cli_summary(app.state.settings.workspace)


@pytest.mark.parametrize("path", [SUMMARY, UPLOAD])
def test_signed_out_visitors_are_sent_to_login(client, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_viewer_sees_the_summary_but_cannot_upload(client, uploaded) -> None:
    sign_in(client, "viewer")
    page = client.get(SUMMARY)
    assert page.status_code == 200 and "<caption" in page.text
    assert f'href="{UPLOAD}"' not in page.text
    assert client.get(UPLOAD).status_code == 403
    token = csrf_from(page.text)
    refused = client.post(UPLOAD, data={"csrf_token": token},
                          files=[("files", ("a.csv", b"x", "text/csv"))])
    assert refused.status_code == 403
    records = client.get("/records").text
    assert f'href="{SUMMARY}"' in records and "/scenarios" not in records


def test_summary_matches_the_cli(client, uploaded) -> None:
    assert uploaded["years"] == [2023, 2024]
    sign_in(client, "analyst")
    page = client.get(SUMMARY)
    assert "2022-23 (CSV), 2023-24 (CSV)" in page.text
    for caption in ("Children looked after at 31 March and starts during each year",
                    "Looked after at 31 March by placement category and age band",
                    "Episodes ceased during the year by DfE reason group"):
        assert f">{caption}</caption>" in page.text

    stock = {r["year"]: shown(r["count"]) for r in uploaded["stock"]}
    starts = {r["year"]: shown(r["count"]) for r in uploaded["starts"]}
    header, *rows = download(client, "overview")
    assert header == ["Year (April to March)", "Looked after at 31 March",
                      "Started to be looked after"]
    assert rows == [["2022-23", stock[2023], starts[2023]], ["2023-24", stock[2024], starts[2024]]]
    assert int(stock[2024]) > 50
    assert f"{int(stock[2024]):,}" in page.text

    header, *rows = download(client, "category-age")
    assert header[2:] == ["31 March 2023", "31 March 2024"]
    got = {(r[0], r[1], year): value for r in rows
           for year, value in zip((2023, 2024), r[2:], strict=True)}
    want = {(r["category"], r["age_band"], r["year"]): shown(r["count"])
            for r in uploaded["stock_by_category"]}
    assert {k: v for k, v in got.items() if v != "0"} == want
    assert "c" in want.values()  # small groups exist and are suppressed

    header, *rows = download(client, "ceased")
    got = {(r[0], year): value for r in rows for year, value in zip((2023, 2024), r[1:],
                                                                      strict=True)}
    want = {(r["reason"], r["year"]): shown(r["count"]) for r in uploaded["ceased"]}
    assert {k: v for k, v in got.items() if v != "0"} == want

    xlsx = client.get(SUMMARY, params={"format": "xlsx", "table": "placement-group"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(SUMMARY, params={"format": "csv", "table": "nope"}).status_code == 404


def test_a_malformed_upload_is_refused_and_changes_nothing(
    app, client, uploaded, returns
) -> None:
    sign_in(client, "analyst")
    before = client.get(SUMMARY).text
    token = csrf_from(client.get(UPLOAD).text)
    broken = [(name, body.replace(b"/20", b"-20", 1) if name.endswith("2023-24/episodes.csv")
               else body) for name, body in returns]
    response = post_files(client, broken, token)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    # The data layer names the file with its year folder, as uploaded.
    assert ("2023-24/episodes.csv, row 2, column &#39;DECOM&#39;: DECOM is not a dd/mm/YYYY "
            "date" in response.text)
    assert "carecast-upload-" not in response.text and "/tmp" not in response.text
    assert cli_summary(app.state.settings.workspace) == uploaded
    assert client.get(SUMMARY).text.count("<td") == before.count("<td")

    for files, message in (
        ([("notes.txt", b"hello")], "only .csv and .xml files can be uploaded"),
        ([("header.csv", b"a"), ("Header.csv", b"b")], "two files have this name"),
    ):
        refused = post_files(client, files, token)
        assert refused.status_code == 400 and message in refused.text
    empty = client.post(UPLOAD, data={"csrf_token": token},
                        files=[("files", ("", b"", "application/octet-stream"))])
    assert empty.status_code == 400 and "Select one or more return files" in empty.text
    assert post_files(client, returns, "wrong-token").status_code == 403
    assert cli_summary(app.state.settings.workspace) == uploaded


def test_uploads_over_the_limit_are_refused_before_reading(
    app, client, uploaded
) -> None:
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, max_upload_mb=1)
    try:
        sign_in(client, "analyst")
        token = csrf_from(client.get(UPLOAD).text)
        response = post_files(client, [("2024-episodes.csv", b"x" * 1024 * 1024)], token)
    finally:
        app.state.settings = settings
    assert response.status_code == 413
    assert "over the 1 MB limit" in response.text and "govuk-error-summary" in response.text
    assert cli_summary(app.state.settings.workspace) == uploaded


def test_views_downloads_and_ingests_are_audited(app, client, uploaded) -> None:
    sign_in(client, "viewer")
    client.get(SUMMARY)
    client.get(SUMMARY, params={"format": "csv", "table": "ceased"})
    events = [(e.username, e.action, e.resource, e.detail) for e in audit_log(app.state.db)]
    assert ("viewer", "view", SUMMARY, "") in events
    assert ("viewer", "download", SUMMARY, "table=ceased format=csv") in events
    assert ("analyst", "ingest", SUMMARY, "files=4") in events
    assert ("analyst", "view", UPLOAD, "") in events
    text = " ".join(f"{e.resource} {e.detail}" for e in audit_log(app.state.db))
    assert "episodes.csv" not in text


def test_record_pages_are_never_cached(app, client, uploaded) -> None:
    sign_in(client, "analyst")
    for path in (SUMMARY, UPLOAD, "/records", "/login"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store", path
    assert "cache-control" not in client.get("/sources").headers
    assert not [key for key in app.state.cache if "records" in str(key)]


def test_analyst_sees_scenario_links_and_page(client) -> None:
    sign_in(client, "analyst")
    records = client.get("/records").text
    assert 'href="/scenarios"' in records and f'href="{UPLOAD}"' in records
    page = client.get("/scenarios")
    assert page.status_code == 200 and "<h1" in page.text and "Scenarios" in page.text
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("given, safe", [
    ("2023-24/episodes.csv", "2023-24/episodes.csv"),
    ("../../etc/passwd.csv", "etc/passwd.csv"),
    ("C:\\returns\\2024 header.csv", "C_/returns/2024 header.csv"),
    ("/abs/.hidden.xml", "abs/hidden.xml"),
    ("..", ""),
])
def test_upload_names_cannot_escape_the_folder(given: str, safe: str) -> None:
    assert safe_name(given) == safe

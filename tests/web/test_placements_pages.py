"""Placements on the web: a section on every council page and the signed-in sufficiency
page (roles, upload refused with file, row and column, downloads, suppression, audit)."""

from __future__ import annotations

import csv
import io

import pytest

from carecast.data.workspace import Workspace
from carecast.placements import register, synth_supply
from carecast.web.accounts import audit_log

from .conftest import TestClient, csrf_from, sign_in

PAGE = "/records/placements"
UPLOAD = "/records/placements/upload"


def rows_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The table of a downloaded CSV (header first), without the writer's '# ' lines."""
    rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return [r for r in rows if r and not r[0].startswith("# ")]


def no_small_numbers(rows: list[list[str]]) -> bool:
    """No cell below the header is a number from 1 to 4.999 (small counts are 'c')."""
    for row in rows[1:]:
        for cell in row:
            try:
                value = float(cell)
            except ValueError:
                continue
            if 0 < value < 5:
                return False
    return True


def test_council_page_has_a_placements_section_with_tables(client: TestClient) -> None:
    page = client.get("/council/926")
    assert page.status_code == 200
    assert 'id="placements"' in page.text and "Homes children will need" in page.text
    assert "Children looked after placed outside the council&#39;s boundary" in page.text
    data = client.get("/api/councils/926").json()
    names = [t["name"] for t in data["tables"]]
    assert {"placement-demand", "placement-demand-age", "trend-fostering_pct"} <= set(names)
    table = client.get("/council/926", params={"format": "csv",
                                                "table": "placement-demand-age"})
    rows = rows_of(table)
    assert rows[0][0] == "Age band" and rows[-1][0] == "all"
    assert no_small_numbers(rows)
    assert "c" in {cell for row in rows for cell in row}


def test_sufficiency_page_needs_sign_in_and_analyst_to_upload(client: TestClient) -> None:
    assert client.get(PAGE, follow_redirects=False).headers["location"] == (
        f"/login?next={PAGE}")
    sign_in(client, "viewer")
    page = client.get(PAGE)
    assert page.status_code == 200 and "Show the gap" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert client.get(UPLOAD).status_code == 403


@pytest.fixture()
def register_file(app, tmp_path):  # type: ignore[no-untyped-def]
    ws = Workspace.open(app.state.settings.workspace)
    return synth_supply.write(synth_supply.generate(ws, "926", seed=4), tmp_path / "s.csv")


def test_upload_refused_with_file_row_and_column_then_accepted(app, client: TestClient,
                                                               register_file) -> None:
    sign_in(client, "analyst")
    token = csrf_from(client.get(UPLOAD).text)
    text = register_file.read_text(encoding="utf-8").splitlines()
    cells = text[3].split(",")
    cells[1] = "castle"
    bad = "\n".join([*text[:3], ",".join(cells), *text[4:]]).encode()
    ws = Workspace.open(app.state.settings.workspace)
    before = register.stored(ws)
    refused = client.post(UPLOAD, data={"csrf_token": token},
                          files={"file": ("register.csv", bad, "text/csv")})
    assert refused.status_code == 400
    assert "register.csv, row 4, column &#39;type&#39;" in refused.text
    assert "carecast-supply-" not in refused.text  # the temporary folder is never shown
    after = register.stored(ws)
    assert (before is None and after is None) or before.equals(after)
    accepted = client.post(UPLOAD, data={"csrf_token": token}, follow_redirects=False,
                           files={"file": ("s.csv", register_file.read_bytes(), "text/csv")})
    assert accepted.status_code == 303 and accepted.headers["location"] == PAGE
    actions = [e.action for e in audit_log(app.state.db) if e.resource == PAGE]
    assert {"supply-refused", "supply-load"} <= set(actions)


def test_gap_page_and_downloads_after_upload(app, client: TestClient, register_file) -> None:
    sign_in(client, "analyst")
    token = csrf_from(client.get(UPLOAD).text)
    client.post(UPLOAD, data={"csrf_token": token},
                files={"file": ("s.csv", register_file.read_bytes(), "text/csv")})
    page = client.get(PAGE, params={"council": "926"})
    assert page.status_code == 200
    assert "The workspace's supply register" in page.text
    assert "Extra households a year to close it" in page.text
    for table in ("supply", "gap", "recruitment", "cost", "out-of-area"):
        download = client.get(PAGE, params={"council": "926", "format": "csv",
                                            "table": table})
        assert download.status_code == 200, table
        assert download.headers["cache-control"] == "no-store"
        rows = rows_of(download)
        if table != "cost":
            assert no_small_numbers(rows), table
    carers = register.stored(Workspace.open(app.state.settings.workspace))["carer"]
    supply = client.get(PAGE, params={"council": "926", "format": "csv", "table": "supply"})
    assert not set(carers) & set(supply.text.split(","))
    assert "SYN" not in supply.text

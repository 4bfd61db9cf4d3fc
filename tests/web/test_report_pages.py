"""Norfolk's PDF pack from the council page holds the council page's numbers (read back
with pdftotext); it is tagged A4 with page numbers; the record-level pack needs sign-in."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from carecast.benchmark import indicators
from carecast.service import report

from .conftest import TestClient, sign_in

PDFTOTEXT = shutil.which("pdftotext")


def _require_poppler() -> None:
    if PDFTOTEXT is None:
        message = "pdftotext is missing; run scripts/setup-web.sh --with-browser"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def norfolk(app, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The council page's JSON and the PDF its download link gives, as text."""
    _require_poppler()
    with TestClient(app, base_url="http://testserver") as client:
        page = client.get("/council/926")
        assert "/council/926/report.pdf" in page.text
        api = client.get("/api/councils/926").json()
        response = client.get("/council/926/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="926-norfolk.pdf"' in response.headers["content-disposition"]
    path = tmp_path_factory.mktemp("pdf") / "norfolk.pdf"
    path.write_bytes(response.content)
    text = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True,
                          text=True).stdout
    return {"api": api, "text": text, "info": info}


def _table(api: dict, name: str) -> dict:
    return next(t for t in api["tables"] if t["name"] == name)


def test_the_pdf_shows_the_council_pages_numbers(norfolk) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(norfolk["text"].split())
    bench = _table(norfolk["api"], "benchmark")
    headline = {indicators.get(i).label for i in report.HEADLINE}
    for row in bench["rows"]:
        if row["label"] in headline:
            # "Children looked after per 10,000 children, at 31 March 2024: 68.0, below
            # England (70.0), ..."
            assert f"{row['label']}, {row['period']}: {row['value']}," in text, row["label"]
            assert f"England ({row['england']})" in text, row["label"]
        cells = f"{row['value']} {row['england']} {row['region']} {row['neighbours']}"
        assert cells in text, row["label"]   # the benchmark table's row
    forecast = _table(norfolk["api"], "forecast")["rows"][-1]
    assert f"forecast {forecast['mean']:,.0f} at 31 March {forecast['year']}" in text
    assert f"80% interval {forecast['lo_80']:,.0f} to {forecast['hi_80']:,.0f}" in text
    drivers = _table(norfolk["api"], "drivers")["rows"][0]
    assert f"{drivers['expected']:,.1f}" in text
    assert "£144.4m RO3 outturn in 2024-25" in text   # MHCLG RO3, Norfolk
    assert "Correlation, not cause" in text
    shown = [r for r in _table(norfolk["api"], "placement-demand")["rows"]
             if isinstance(r["mean"], float) and abs(r["mean"] % 1 - 0.5) > 0.06]
    assert shown   # the Placements section: children needing each type of home
    for row in shown:
        assert f"{row['group']} {row['year']} {row['mean']:,.0f}" in text, row


def test_the_pdf_is_tagged_a4_with_page_numbers(norfolk) -> None:  # type: ignore[no-untyped-def]
    info = norfolk["info"]
    assert "Tagged:          yes" in info
    assert "594.96 x 841.92 pts (A4)" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert pages >= 8
    assert f"Page 1 of {pages}" in norfolk["text"] and f"Page {pages} of {pages}" in norfolk["text"]
    assert "Norfolk: children's social care briefing pack" in info   # the document title


def test_record_level_pack_needs_sign_in_and_a_return(client) -> None:  # type: ignore[no-untyped-def]
    refused = client.get("/records/report.pdf", params={"council": "926"},
                         follow_redirects=False)
    assert refused.status_code == 303 and "/login" in refused.headers["location"]
    sign_in(client, "viewer")
    missing = client.get("/records/report.pdf", params={"council": "926"})
    assert missing.status_code == 404 and "no SSDA903 returns" in missing.text
    assert client.get("/council/999/report.pdf").status_code == 404

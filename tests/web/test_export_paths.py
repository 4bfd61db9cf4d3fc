"""Every path that publishes record-level counts suppresses them identically: the service
summary, ``carecast ssda903 summary --json``, the web page's CSV and XLSX downloads, the
table writer's CSV/XLSX/JSON and the record-level briefing pack. No count of 1-4 is shown
anywhere, none can be worked out from a year's total and its other cells, and the record
forecast and scenario tables hide small numbers the same way."""

from __future__ import annotations

import csv
import html as html_text
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from carecast import disclosure
from carecast.cli import app as cli
from carecast.data.ssda903 import summary as raw_summary
from carecast.data.ssda903 import synth, synth_writer
from carecast.data.ssda903.store import load_episodes
from carecast.report import export, pack
from carecast.service import forecast, scenarios, ssda903
from carecast.service import report as content
from carecast.service.workspace import Workspace

from .conftest import TestClient, sign_in

TABLES = {"placement-group": ("stock_by_dfe_group", "dfe_group"),
          "ceased": ("ceased", "reason")}
Cells = dict[tuple[str, int], str]


@pytest.fixture(scope="module")
def ws(app, tmp_path_factory: pytest.TempPathFactory) -> Workspace:  # type: ignore[no-untyped-def]
    """The app's workspace with a small synthetic return ingested (small groups exist)."""
    out = tmp_path_factory.mktemp("returns")
    synth_writer.write_returns(synth.generate(children=300, years=2, seed=3), out)
    workspace = Workspace.open(app.state.settings.workspace)
    ssda903.ingest(out, workspace)
    return workspace


@pytest.fixture(scope="module")
def truth(ws: Workspace) -> dict[str, pd.DataFrame]:
    episodes = load_episodes(ws)
    years = sorted(int(y) for y in episodes["return_year"].unique())
    return raw_summary.counts(episodes, years)


def _records(rows: list[dict], key: str) -> Cells:
    marker = disclosure.rule().marker
    return {(str(r[key]), int(r["year"])): marker if r["count"] is None else str(int(r["count"]))
            for r in rows}


def _wide(rows: list[list[str]], years: list[int]) -> Cells:
    """A page table (key, one column per year) as cells; absent groups are the zeros."""
    return {(r[0], y): str(v) for r in rows for y, v in zip(years, r[1:], strict=True)
            if str(v) != "0"}


def _csv_rows(body: bytes) -> list[list[str]]:
    lines = [line for line in body.decode("utf-8-sig").splitlines() if not line.startswith("# ")]
    return list(csv.reader(io.StringIO("\n".join(lines))))[1:]


def _pack_cells(html: str, caption: str, years: list[int]) -> Cells:
    table = html[html.index(f"<caption>{caption}</caption>"):]
    table = table[:table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [html_text.unescape(re.sub(r"<[^>]+>", "", c))
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        rows.append([cells[0], *(c.replace(",", "") for c in cells[1:])])
    return _wide(rows, years)


def test_every_path_hides_the_same_cells_and_none_is_recoverable(
        app, ws, truth, pack_national, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service = ssda903.summarise(ws)
    years = service["years"]
    cli_json = json.loads(CliRunner().invoke(cli, ["ssda903", "summary", "--json",
                                                   "--workspace", str(ws.root)]).stdout)
    html = pack.council_html(content.council_pack(ws, "926", ssda903=True, nat=pack_national))
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, "viewer")
        pages = {name: (client.get("/records/ssda903", params={"format": "csv", "table": name}),
                        client.get("/records/ssda903", params={"format": "xlsx", "table": name}))
                 for name in TABLES}
    captions = {"stock_by_dfe_group": "Looked after at 31 March by DfE placement group",
                "ceased": "Ceased during the year by DfE reason"}
    threshold = disclosure.rule().threshold
    for page_name, (name, key) in TABLES.items():
        paths: dict[str, Cells] = {
            "service": _records(service[name], key),
            "cli --json": _records(cli_json[name], key),
            "web csv": _wide(_csv_rows(pages[page_name][0].content), years),
            "pack": _pack_cells(html, captions[name], years),
        }
        sheet = load_workbook(io.BytesIO(pages[page_name][1].content))["Data"]
        paths["web xlsx"] = _wide([[str(c) for c in r] for r in
                                   sheet.iter_rows(min_row=2, values_only=True)], years)
        frame = pd.DataFrame(service[name])
        for fmt in export.FORMATS:
            body = export.render(frame, fmt, title="t", sources=["s"], licence=None)
            if fmt == "csv":
                back = pd.read_csv(io.BytesIO(body), comment="#", dtype=str)
            elif fmt == "xlsx":
                back = pd.read_excel(io.BytesIO(body), sheet_name="Data", dtype=str)
            else:
                t = json.loads(body)["tables"]["Data"]
                back = pd.DataFrame(t["rows"], columns=t["columns"]).astype(str)
            paths[f"export {fmt}"] = {(str(r[key]), int(r["year"])): str(r["count"])
                                      for r in back.to_dict(orient="records")}
        first = paths["service"]
        for label, cells in paths.items():
            assert {k: v for k, v in cells.items() if v != "0"} == \
                {k: v for k, v in first.items() if v != "0"}, label
        marker = disclosure.rule().marker
        assert marker in first.values()   # the synthetic return has small groups
        shown = [int(v) for v in first.values() if v != marker]
        assert not any(1 <= v < threshold for v in shown)
        raw = truth[name]
        for year, part in raw.groupby("year"):
            counts = part["count"].to_numpy(float)
            hidden = np.array([first[(str(k), int(year))] == marker for k in part[key]])
            if counts.sum() >= threshold:
                n, total = hidden.sum(), counts[hidden].sum()
                assert n != 1 and not 0 < total < threshold, (name, year)


def test_record_forecast_and_scenario_tables_hide_small_numbers(ws) -> None:  # type: ignore[no-untyped-def]
    threshold = disclosure.rule().threshold
    result = forecast.forecast_records(ws, months=12, reference_days=365, draws=50)
    frame = result.forecast
    shown = frame[~frame["suppressed"]]
    assert not shown["mean"].abs().between(1e-9, threshold, inclusive="left").any()
    parts = frame[frame["state"] != "all"]
    for _, group in parts.groupby(["period", "measure"]):
        hidden = group["suppressed"].to_numpy()
        assert hidden.sum() != 1
    run = scenarios.run_scenario(ws, scenarios.load("reunification"), None, ssda903=True,
                                 draws=50)
    by_cat = run.to_frames()["children_by_category"]
    visible = by_cat[~by_cat["suppressed"]]
    assert not visible["mean"].abs().between(1e-9, threshold, inclusive="left").any()
    body = export.render(by_cat, "csv", title="t", sources=["s"], licence=None)
    back = pd.read_csv(io.BytesIO(body), comment="#", dtype=str)
    assert (back.loc[back["suppressed"] == "True", "mean"] == disclosure.rule().marker).all()


def test_record_level_pack_for_signed_in_users(app, ws) -> None:  # type: ignore[no-untyped-def]
    from carecast.web.accounts import audit_log

    with TestClient(app, base_url="http://testserver") as client:
        assert client.get("/records/report.pdf", follow_redirects=False).status_code == 303
        sign_in(client, "viewer")
        response = client.get("/records/report.pdf", params={"council": "926"})
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    assert response.headers["cache-control"] == "no-store"
    assert "926-norfolk-records.pdf" in response.headers["content-disposition"]
    events = audit_log(app.state.db)
    assert any(e.resource == "/records/report.pdf" and e.action == "download" for e in events)

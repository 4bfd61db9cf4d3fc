"""``carecast report``: a council's pack (HTML here; the PDF in the web tests), England's,
several councils through the executor, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecast.cli import app
from carecast.report import bulk
from carecast.service.workspace import Workspace

RUNNER = CliRunner()


def _invoke(ws: Workspace, *args: str):  # type: ignore[no-untyped-def]
    return RUNNER.invoke(app, ["report", *args, "--workspace", str(ws.root)])


def test_council_pack_html_with_a_scenario(workspace, pack_national, tmp_path: Path) -> None:
    bulk.remember_national(workspace, 200, pack_national)
    out = tmp_path / "norfolk.html"
    result = _invoke(workspace, "Norfolk", "--format", "html", "--out", str(out),
                     "--scenario", "reunification", "--draws", "200")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<h1>Norfolk</h1>" in html and "More children home safely" in html
    for heading in ("Summary: the five numbers that matter", "Benchmarks, quartiles and trends",
                    "Drivers: actual against expected", "Forecast and its accuracy",
                    "Spend against forecast cost", "Scenarios", "Methods and sources"):
        assert heading in html
    assert "Net present value" in html and "Payback" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # self-contained
    assert "<script" not in html and "<link" not in html


def test_england_and_a_folder_of_packs(workspace, pack_national, tmp_path: Path) -> None:
    bulk.remember_national(workspace, 200, pack_national)
    ticks: list[int] = []
    written = bulk.write_all(workspace, tmp_path / "packs", "html", draws=200,
                             codes=["926", "Cornwall", "202"], on_done=lambda: ticks.append(1))
    assert [p.name for p in written] == ["202-camden.html", "908-cornwall.html",
                                        "926-norfolk.html", "england.html"]
    assert len(ticks) == 4
    england = written[-1].read_text(encoding="utf-8")
    assert "<h1>England</h1>" in england and "Councils ranked" in england
    assert "North East" in england and "Norfolk" in england


@pytest.mark.parametrize("args", [
    ["926", "--format", "docx", "--out", "x.docx"],
    ["926", "--format", "pdf", "--out", "x.html"],
    ["926"],
    ["926", "--all", "--out", "packs"],
    ["--out", "x.pdf"],
    ["atlantis", "--out", "x.pdf"],
    ["926", "--format", "html", "--out", "x.html", "--scenario", "no_such_preset"],
    ["england", "--format", "html", "--out", "x.html", "--scenario", "reunification"],
])
def test_bad_input_is_one_line_and_writes_nothing(workspace, tmp_path: Path, args,
                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = RUNNER.invoke(app, ["report", *args, "--workspace", str(workspace.root)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())

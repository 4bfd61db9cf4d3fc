"""The benchmark, neighbours and drivers commands, and table export with attribution."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from carecast import OGL_ATTRIBUTION
from carecast.cli import app
from carecast.report.export import write_table

runner = CliRunner()


def _run(workspace, *args: str):
    return runner.invoke(app, [*args, "--workspace", str(workspace.root)])


def test_neighbours_926_json_lists_official_open_and_overlap(workspace, shared_public) -> None:
    result = _run(workspace, "neighbours", "926", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    path = shared_public / "stat_neighbours" / "stat_neighbours_2025_wide.csv"
    with path.open(encoding="utf-8-sig") as handle:
        row = next(r for r in csv.DictReader(handle) if r["old_la_code"] == "926")
    official = [n["code"] for n in payload["official"]["neighbours"]]
    assert official == [row[f"SN_{i}"] for i in range(1, 11)]
    opened = [n["code"] for n in payload["open"]["neighbours"]]
    assert len(opened) == 10
    assert set(payload["overlap"]["codes"]) == set(official) & set(opened)
    assert payload["model_overlap"]["mean"] > 0
    assert payload["sources"][-1] == OGL_ATTRIBUTION


def test_benchmark_926_cla_rate_json(workspace) -> None:
    result = _run(workspace, "benchmark", "926", "--indicator", "cla_rate", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in ("value", "england", "region", "neighbours", "rank", "quartile", "trend"):
        assert payload[key] is not None
    assert payload["council"] == {"code": "926", "name": "Norfolk"}


def test_benchmark_all_indicators_writes_csv_and_xlsx(workspace, tmp_path) -> None:
    out_csv, out_xlsx = tmp_path / "b.csv", tmp_path / "b.xlsx"
    result = _run(
        workspace,
        "benchmark",
        "926",
        "--neighbours",
        "open",
        "--csv",
        str(out_csv),
        "--xlsx",
        str(out_xlsx),
    )
    assert result.exit_code == 0, result.output
    text = out_csv.read_text(encoding="utf-8")
    assert f"# {OGL_ATTRIBUTION}" in text
    table = pd.read_csv(out_csv, comment="#")
    assert "cla_rate" in set(table["indicator"])
    about = pd.read_excel(out_xlsx, sheet_name="About")["About"].tolist()
    assert OGL_ATTRIBUTION in about


def test_drivers_json_and_chart(workspace, tmp_path) -> None:
    chart = tmp_path / "drivers.svg"
    result = _run(
        workspace,
        "drivers",
        "--target",
        "cla_rate",
        "--json",
        "--chart",
        str(chart),
        "--council",
        "926",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["councils"] >= 148 and "cv_r2" in payload
    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Norfolk" in svg


@pytest.mark.parametrize(
    "args",
    [
        ("benchmark", "926", "--indicator", "happiness"),
        ("benchmark", "nowhere-shire"),
        ("neighbours", "926", "--model", "closest"),
        ("drivers", "--target", "cla_rate", "--chart", "out.png"),
    ],
)
def test_bad_input_is_a_one_line_error(workspace, args) -> None:
    result = _run(workspace, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_write_table_suppresses_small_counts_and_attributes(tmp_path) -> None:
    frame = pd.DataFrame({"name": ["a", "b", "c"], "cla_count": [0, 3, 12], "rate": [1.0, 2, 3]})
    path = write_table(frame, tmp_path / "t.csv", title="Test", sources=["DfE, CLA."])
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[:3] == ["# Test", "# Source: DfE, CLA.", f"# {OGL_ATTRIBUTION}"]
    back = pd.read_csv(path, comment="#", dtype=str)
    assert back["cla_count"].tolist() == ["0", "c", "12"]
    assert back["rate"].tolist() == ["1.0", "2.0", "3.0"]
    with pytest.raises(ValueError, match="unsupported"):
        write_table(frame, tmp_path / "t.txt", title="Test", sources=[])

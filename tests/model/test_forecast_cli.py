"""CLI smoke tests for forecast and backtest."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from carecast.cli import app

runner = CliRunner()


def test_forecast_one_council_json(workspace):
    result = runner.invoke(app, ["forecast", "norfolk", "--horizon", "2", "--draws", "100",
                                 "--json", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["la_code"] for r in rows} == {"926"} and {r["period"] for r in rows} == {2025, 2026}


def test_forecast_unknown_council_is_friendly(workspace):
    result = runner.invoke(app, ["forecast", "atlantis", "--workspace", str(workspace.root)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_forecast_all_csv_with_origin(workspace):
    result = runner.invoke(app, ["forecast", "--all", "--origin", "2020", "--horizon", "1",
                                 "--draws", "50", "--csv", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert "E92000001" in result.stdout and ",2021," in result.stdout


def test_backtest_writes_json(workspace, tmp_path):
    out = tmp_path / "backtest.json"
    result = runner.invoke(app, ["backtest", "--horizons", "1", "--draws", "50", "--out",
                                 str(out), "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["targets"] and payload["councils"]

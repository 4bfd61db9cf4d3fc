"""CLI smoke tests for forecast and backtest."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from carecast.cli import app

runner = CliRunner()


def test_forecast_one_council_json(workspace):
    result = runner.invoke(app, ["forecast", "norfolk", "--horizon", "2", "--draws", "100",
                                 "--json", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["la_code"] for r in rows} == {"926"} and {r["period"] for r in rows} == {2025, 2026}


def test_forecast_costs_json_has_spend_unit_costs_and_ro3(workspace):
    result = runner.invoke(app, ["forecast", "926", "--costs", "--origin", "2023", "--horizon",
                                 "2", "--draws", "100", "--json", "--workspace",
                                 str(workspace.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"forecast", "spend", "unit_costs", "ro3_actuals", "assumptions"}
    spend = {r["period"]: r for r in payload["spend"]}
    assert set(spend) == {"2023-24", "2024-25"}
    for r in spend.values():
        assert r["la_code"] == "926" and r["lo_95"] <= r["lo_80"] < r["mean"] < r["hi_80"]
    # The first forecast year is reconciled to the council's RO3 outturn in that year.
    assert spend["2023-24"]["mean"] == pytest.approx(spend["2023-24"]["ro3_actual_gbp"])
    actual = spend["2024-25"]["ro3_actual_gbp"]
    assert actual and 0.7 < spend["2024-25"]["mean"] / actual < 1.3
    units = payload["unit_costs"]
    assert {u["period"] for u in units} == {"2023-24", "2024-25"}
    assert {u["category"] for u in units} >= {"fostering", "residential", "supported"}
    assert all("RO3" in u["source"] and u["gbp_per_week"] > 0 for u in units)
    assert any("central" in line for line in payload["assumptions"])
    assert {r["period"] for r in payload["ro3_actuals"]} >= {"2022-23", "2023-24"}


def test_forecast_unknown_council_is_friendly(workspace):
    result = runner.invoke(app, ["forecast", "atlantis", "--workspace", str(workspace.root)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_forecast_all_csv_with_origin(workspace):
    result = runner.invoke(app, ["forecast", "--all", "--origin", "2020", "--horizon", "1",
                                 "--draws", "50", "--csv", "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert "E92000001" in result.stdout and ",2021," in result.stdout


def test_backtest_prints_and_writes_every_origin(workspace, tmp_path):
    out = tmp_path / "backtest.json"
    result = runner.invoke(app, ["backtest", "--horizons", "1", "--draws", "20", "--out",
                                 str(out), "--workspace", str(workspace.root)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["targets"] and payload["councils"]
    assert payload["origins"] == list(range(2015, 2024))
    rows = {(r["model"], r["level"], r["origin"]) for r in payload["by_origin"]}
    for model in payload["models"]:
        for origin in payload["origins"]:
            assert (model, "la", origin) in rows and (model, "england", origin) in rows
    assert "England by origin" in result.output and "Councils by origin" in result.output
    assert set(payload["combination_weights_by_origin"]) == {str(o) for o in payload["origins"]}

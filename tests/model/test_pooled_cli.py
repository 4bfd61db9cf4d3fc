"""``--model`` on carecast forecast: the backtest's choice by default, stock-flow on request."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from carecast.cli import app

runner = CliRunner()


def _forecast(workspace, *extra: str) -> list[dict]:
    result = runner.invoke(app, ["forecast", "norfolk", "--horizon", "3", "--draws", "100",
                                 "--json", "--workspace", str(workspace.root), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_default_is_pooled_and_stock_flow_is_available(workspace):
    assert {r["model"] for r in _forecast(workspace)} == {"stock_flow_pooled"}
    assert {r["model"] for r in _forecast(workspace, "--model", "stock_flow")} == {"stock_flow"}


def test_unknown_model_is_friendly(workspace):
    result = runner.invoke(app, ["forecast", "norfolk", "--model", "prophet",
                                 "--workspace", str(workspace.root)])
    assert result.exit_code == 2 and "stock_flow_pooled" in result.output
    assert "Traceback" not in result.output

"""``--model`` on carecast forecast: the backtest's choice by default, others on request."""

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


def test_default_is_the_registered_one_and_the_others_are_available(workspace):
    from carecast.model.registry import default_name

    assert {r["model"] for r in _forecast(workspace)} == {default_name()}
    assert default_name() == "stock_flow_combined"
    for name in ("stock_flow", "stock_flow_pooled"):
        assert {r["model"] for r in _forecast(workspace, "--model", name)} == {name}


def test_unknown_model_is_friendly(workspace):
    result = runner.invoke(app, ["forecast", "norfolk", "--model", "prophet",
                                 "--workspace", str(workspace.root)])
    assert result.exit_code == 2 and "stock_flow_combined" in result.output
    assert "Traceback" not in result.output

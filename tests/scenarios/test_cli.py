"""``carecast scenario`` and ``carecast history`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from carecast.cli import app

RUNNER = CliRunner()
BROKEN = Path(__file__).parent / "broken"


def _invoke(workspace: object, *args: str):  # type: ignore[no-untyped-def]
    return RUNNER.invoke(app, [*args, "--workspace", str(workspace.root)])


def test_scenario_run_json(workspace: object) -> None:
    result = _invoke(workspace, "scenario", "run", "reunification", "--council", "307",
                     "--draws", "50", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["councils"] == ["307"] and payload["discount_rate"] == 0.035
    assert {r["measure"] for r in payload["tables"]["summary"]} >= {"npv_gbp", "payback_year"}


def test_scenario_run_table_compare_and_xlsx(workspace: object, tmp_path: Path) -> None:
    result = _invoke(workspace, "scenario", "run", "in_house_foster_carers", "--council",
                     "Ealing", "--draws", "50")
    assert result.exit_code == 0, result.output
    assert "Payback" in result.stdout and "2026-27" in result.stdout
    out = tmp_path / "r.xlsx"
    assert _invoke(workspace, "scenario", "run", "reunification", "--council", "307",
                   "--draws", "50", "--xlsx", str(out)).exit_code == 0
    assert out.stat().st_size > 0
    compared = _invoke(workspace, "scenario", "compare", "avoidable_entries", "reunification",
                       "--council", "307", "--draws", "50", "--json")
    assert compared.exit_code == 0, compared.output
    assert [r["scenario"] for r in json.loads(compared.stdout)] == [
        "Avoidable entries", "More children home safely"]


def test_tornado(workspace: object) -> None:
    result = _invoke(workspace, "scenario", "tornado", "early_help_young_children",
                     "--council", "307", "--draws", "50", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {"discount rate", "unit cost: residential"} <= {r["assumption"] for r in rows}
    ranges = [r["range_gbp"] for r in rows]
    assert ranges == sorted(ranges, reverse=True)


def test_bad_scenario_file_exits_2_with_file_line_and_key(workspace: object) -> None:
    result = _invoke(workspace, "scenario", "run", str(BROKEN / "unknown_key.yaml"),
                     "--council", "307")
    assert result.exit_code == 2
    assert "unknown_key.yaml, row 5" in result.output and "reduce_percnt" in result.output
    assert "Traceback" not in result.output


def test_history_reductions(workspace: object) -> None:
    result = _invoke(workspace, "history", "reductions", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert any(c["code"] == "336" and c["meets_threshold"] for c in payload["councils"])
    assert payload["claims"][1].startswith("Ealing (307)")
    assert _invoke(workspace, "history", "reductions", "--threshold", "2").exit_code == 2

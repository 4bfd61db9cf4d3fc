"""Bad command-line input ends in one line and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecast.cli import app

RUNNER = CliRunner()


@pytest.mark.parametrize("args, says", [
    (["forecast", "926", "--draws", "-5"], "--draws must be a whole number from 20"),
    (["forecast", "926", "--draws", "0"], "--draws must be a whole number from 20"),
    (["forecast", "926", "--draws", "50000000"], "not 50,000,000"),
    (["forecast", "926", "--horizon", "12"], "1 to 10 years"),
    (["forecast", "926", "--set", "costs.nothing=1"], "no parameter"),
    (["forecast", "926", "--set", "costs.inflation"], "NAME=VALUE"),
    (["data", "add-release", "."], "Is a directory"),
    (["scenario", "run", "reunification", "--council", "926", "--as-of", "2026-02-30"],
     "--as-of must be a date"),
])
def test_bad_arguments_are_one_line_errors(args, says, workspace):
    result = RUNNER.invoke(app, [*args, "--workspace", str(workspace.root)])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_an_impossible_date_in_a_scenario_file_names_file_line_and_key(tmp_path: Path,
                                                                       workspace):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlevers:\n  - kind: entries\n    start: 2026-13-45\n"
                   "    reduce_percent: 5\n")
    result = RUNNER.invoke(app, ["scenario", "run", str(bad), "--council", "926",
                                 "--workspace", str(workspace.root)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "bad.yaml, row 4" in result.output and "levers.0.start" in result.output

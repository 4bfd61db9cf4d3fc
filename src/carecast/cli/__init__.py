"""The ``carecast`` command line: a thin shell over the Python API.

Each command group lives in its own module and is registered here. Every command takes
``--workspace``; bad input ends with a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import typer

from carecast.cli import (
    data_cmd,
    la_cmd,
    match_cmd,
    placements_cmd,
    serve_cmd,
    ssda903_cmd,
    synth_cmd,
    users_cmd,
)
from carecast.cli.benchmark_cmd import benchmark, drivers_command, neighbours_command
from carecast.cli.forecast_cmd import backtest, forecast
from carecast.cli.history_cmd import app as history_app
from carecast.cli.report_cmd import report
from carecast.cli.scenario_cmd import app as scenario_app
from carecast.cli.workforce_cmd import workforce

app = typer.Typer(
    name="carecast",
    help="Understand, benchmark, forecast and change demand for children's social care.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_cmd.app, name="data")
app.add_typer(la_cmd.app, name="la")
app.add_typer(ssda903_cmd.app, name="ssda903")
app.command("synth")(synth_cmd.synth)
app.command("forecast")(forecast)
app.command("backtest")(backtest)
app.command("benchmark")(benchmark)
app.command("neighbours")(neighbours_command)
app.command("drivers")(drivers_command)
app.command("workforce")(workforce)
app.command("report")(report)

app.command("serve")(serve_cmd.serve)
app.add_typer(users_cmd.app, name="users")
app.add_typer(scenario_app, name="scenario")
app.add_typer(history_app, name="history")
app.add_typer(placements_cmd.app, name="placements")
app.add_typer(match_cmd.app, name="match")


def main() -> None:
    app()

"""The ``carecast`` command line: a thin shell over the Python API.

Each command group lives in its own module and is registered here. Every command takes
``--workspace``; bad input ends with a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import typer

from carecast.cli import data_cmd, la_cmd, serve_cmd, users_cmd

app = typer.Typer(
    name="carecast",
    help="Understand, benchmark, forecast and change demand for children's social care.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_cmd.app, name="data")
app.add_typer(la_cmd.app, name="la")

app.command("serve")(serve_cmd.serve)
app.add_typer(users_cmd.app, name="users")


def main() -> None:
    app()

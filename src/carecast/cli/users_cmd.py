"""``carecast users``: manage the web app's accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from carecast.cli.common import WorkspaceOpt, console, friendly_errors
from carecast.cli.serve_cmd import DatabaseOpt

app = typer.Typer(help="Manage web app accounts (roles: viewer, analyst, admin).",
                  no_args_is_help=True)


@app.command("add")
@friendly_errors
def add(
    username: Annotated[str, typer.Argument(help="The new account's username.")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                     envvar="CARECAST_NEW_PASSWORD",
                     help="Asked for when not given (or set $CARECAST_NEW_PASSWORD)."),
    ] = "",
    database: DatabaseOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Create an account (passwords are stored only as argon2 hashes)."""
    from carecast.web.accounts import add_user, audit
    from carecast.web.db import open_database
    from carecast.web.settings import Settings

    settings = Settings.from_workspace(workspace, database)
    db = open_database(settings.database_url)
    account = add_user(db, username, password, role)
    audit(db, "cli", "create-user", f"user:{account.username}", f"role={account.role}")
    console.print(f"Added {account.username} ({account.role}).")


@app.command("list")
@friendly_errors
def list_(database: DatabaseOpt = None, workspace: WorkspaceOpt = None) -> None:
    """List accounts and their roles."""
    from carecast.web.accounts import list_users
    from carecast.web.db import open_database
    from carecast.web.settings import Settings

    settings = Settings.from_workspace(workspace, database)
    for user in list_users(open_database(settings.database_url)):
        console.print(f"{user.username}\t{user.role}\t{'active' if user.is_active else 'inactive'}")

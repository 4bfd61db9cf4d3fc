"""``carecast users``: manage the web app's accounts."""

from __future__ import annotations

from pathlib import Path
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


def _database(workspace: Path | None, database: str | None):  # type: ignore[no-untyped-def]
    from carecast.web.db import open_database
    from carecast.web.settings import Settings

    return open_database(Settings.from_workspace(workspace, database).database_url)


@app.command("set-password")
@friendly_errors
def set_password(
    username: Annotated[str, typer.Argument(help="The account's username.")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                     envvar="CARECAST_NEW_PASSWORD",
                     help="Asked for when not given (or set $CARECAST_NEW_PASSWORD)."),
    ] = "",
    database: DatabaseOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Give an account a new password; every session of the account ends."""
    from carecast.web.accounts import audit, find_account
    from carecast.web.accounts import set_password as change

    db = _database(workspace, database)
    account = find_account(db, username)
    change(db, account.id, password)
    audit(db, "cli", "change-password", f"user:{account.username}")
    console.print(f"New password set for {account.username}; their sessions have ended.")


@app.command("reset-2fa")
@friendly_errors
def reset_two_factor(
    username: Annotated[str, typer.Argument(help="The account's username.")],
    database: DatabaseOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Turn an account's two-factor sign-in off (a lost phone); its sessions end."""
    from carecast.web import totp
    from carecast.web.accounts import audit, find_account, revoke_sessions

    db = _database(workspace, database)
    account = find_account(db, username)
    totp.disable(db, account.id)
    revoke_sessions(db, account.id)
    audit(db, "cli", "two-factor-reset", f"user:{account.username}")
    console.print(f"Two-factor sign-in is off for {account.username}; they can set it up "
                  "again from 'Your account'.")


@app.command("admin-2fa")
@friendly_errors
def admin_two_factor(
    policy: Annotated[str, typer.Argument(help="required or optional.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Whether admins must use two-factor sign-in in this workspace (applies on restart)."""
    from carecast.service.workspace import InputError, open_workspace
    from carecast.web.settings import ADMIN_TWO_FACTOR

    if policy not in ("required", "optional"):
        raise InputError(f"policy must be required or optional, not {policy!r}")
    open_workspace(workspace).set_setting(ADMIN_TWO_FACTOR, policy)
    console.print(f"Two-factor sign-in is {policy} for admins (restart 'carecast serve').")

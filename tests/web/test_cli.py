"""``carecast users``: accounts made on the command line can sign in to the web app."""

from __future__ import annotations

from typer.testing import CliRunner

from carecast.cli import app
from carecast.web.accounts import authenticate
from carecast.web.db import open_database
from carecast.web.settings import database_url

PASSWORD = "a long enough password"


def test_users_add_creates_an_account_that_can_sign_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "alice", "--role", "analyst",
                                 "--password", PASSWORD, "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    db = open_database(database_url(None, tmp_path))
    account = authenticate(db, "alice", PASSWORD, "127.0.0.1", max_failures=5, window_s=900)
    assert account is not None and account.role == "analyst"
    listed = runner.invoke(app, ["users", "list", "--workspace", str(tmp_path)])
    assert "alice" in listed.output and "analyst" in listed.output


def test_users_add_refuses_a_short_password_with_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["users", "add", "bob", "--password", "short",
                                      "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "at least 12 characters" in result.output

"""Sign-in under attack, on SQLite and PostgreSQL: an atomic attempt limit, client
addresses only from trusted proxies, sessions that end for good, local redirects only,
and TOTP two-factor sign-in (optional, required for admins when the workspace says so)."""

from __future__ import annotations

import dataclasses
import stat
import threading
import time
import uuid
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from carecast.cli import app as cli
from carecast.web import create_app
from carecast.web.accounts import add_user, audit_log, authenticate
from carecast.web.db import LoginAttempt, User
from carecast.web.security import safe_next

from .conftest import PASSWORD, TestClient, csrf_from, make_settings, sign_in


@pytest.fixture(scope="module")
def app(db_app):  # type: ignore[no-untyped-def]
    return db_app


def fresh_user(app, role: str = "viewer") -> str:  # type: ignore[no-untyped-def]
    name = f"u{uuid.uuid4().hex[:10]}"
    add_user(app.state.db, name, PASSWORD, role)
    return name


def test_concurrent_wrong_passwords_get_exactly_the_limit(app) -> None:  # type: ignore[no-untyped-def]
    """30 tries at once: 5 passwords are checked, 25 are refused before any check."""
    name = fresh_user(app)
    limit = app.state.settings.login_max_failures
    outcomes: list[str] = []
    barrier = threading.Barrier(30)

    def attempt() -> None:
        barrier.wait()
        try:
            authenticate(app.state.db, name, "wrong password here", "10.0.0.1",
                         max_failures=limit, window_s=900)
            outcomes.append("checked")
        except Exception as exc:  # noqa: BLE001 - RateLimited, or a database error to see
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["RateLimited"] * (30 - limit) + ["checked"] * limit
    with app.state.db() as session:
        checked = session.scalars(select(LoginAttempt).where(LoginAttempt.username == name))
        assert len(list(checked)) == limit


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(app, client) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app)
    for n in range(app.state.settings.login_max_failures):
        client.headers["x-forwarded-for"] = f"192.0.2.{n}"  # a new "address" each time
        assert sign_in(client, name, "wrong password here").status_code == 401
    client.headers["x-forwarded-for"] = "192.0.2.200"
    assert sign_in(client, name).status_code == 429  # still the same peer

    settings = dataclasses.replace(app.state.settings, trusted_proxies=("testclient",))
    proxied = create_app(settings)
    with TestClient(proxied, base_url="http://testserver") as via_proxy:
        via_proxy.headers["x-forwarded-for"] = "198.51.100.7"
        assert sign_in(via_proxy, name).status_code == 303  # another client, own allowance
    with proxied.state.db() as session:
        ips = {a.ip for a in session.scalars(select(LoginAttempt)
                                             .where(LoginAttempt.username == name))}
    assert ips == {"testclient", "198.51.100.7"}


def test_signing_out_ends_the_session_on_the_server(app) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app)
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, name)
        stolen = client.cookies.get("carecast_session")
        page = client.get("/records")
        client.post("/logout", data={"csrf_token": csrf_from(page.text)})
    with TestClient(app, base_url="http://testserver") as attacker:
        attacker.cookies.set("carecast_session", stolen)
        assert attacker.get("/api/records/me").status_code == 401


def test_a_password_change_ends_every_other_session(app) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app)
    new = "a brand new passphrase 42"
    with TestClient(app, base_url="http://testserver") as other, \
            TestClient(app, base_url="http://testserver") as this:
        sign_in(other, name)
        sign_in(this, name)
        page = this.get("/records/account")
        changed = this.post("/records/account/password", data={
            "current": PASSWORD, "new": new, "confirm": new,
            "csrf_token": csrf_from(page.text)}, follow_redirects=False)
        assert changed.status_code == 303
        assert this.get("/api/records/me").json()["username"] == name  # this one goes on
        assert other.get("/api/records/me").status_code == 401
    with TestClient(app, base_url="http://testserver") as client:
        assert sign_in(client, name, PASSWORD).status_code == 401
        assert sign_in(client, name, new).status_code == 303
    assert any(e.action == "change-password" and e.resource == f"user:{name}"
               for e in audit_log(app.state.db))


@pytest.mark.parametrize("target, expected", [
    ("/records/ssda903", "/records/ssda903"),
    ("/records/ssda903?format=csv&table=overview", "/records/ssda903?format=csv&table=overview"),
    ("//evil.example", "/records"),
    ("/\\evil.example", "/records"),
    ("/\\/evil.example", "/records"),
    ("https://evil.example/", "/records"),
    ("/\t/evil.example", "/records"),
    ("javascript:alert(1)", "/records"),
    ("records", "/records"),
])
def test_next_is_only_ever_a_local_path(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_login_form_will_not_redirect_off_site(app, client) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": name, "password": PASSWORD,
                                           "csrf_token": token, "next": "/\\evil.example"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/records"


def _code(app, name: str, offset: int = 0) -> str:  # type: ignore[no-untyped-def]
    with app.state.db() as session:
        user = session.scalar(select(User).where(User.username == name))
    secret = user.totp_secret or user.totp_pending
    return pyotp.TOTP(secret).at(time.time() + offset)


def _turn_on(app, client, name: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/records/account/two-factor")
    assert page.status_code == 200 and "<svg" in page.text and "style=" not in page.text
    wrong = client.post("/records/account/two-factor", data={
        "code": "000000", "csrf_token": csrf_from(page.text)})
    assert wrong.status_code == 400
    on = client.post("/records/account/two-factor", data={
        "code": _code(app, name), "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert on.status_code == 303


def test_two_factor_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app, "analyst")
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, name)
        _turn_on(app, client, name)
        assert client.get("/api/records/me").status_code == 200
    with TestClient(app, base_url="http://testserver") as client:
        password_only = sign_in(client, name)
        assert password_only.headers["location"] == "/login/two-factor"
        assert client.get("/api/records/me").status_code == 401  # not signed in yet
        form = client.get("/login/two-factor")
        token = csrf_from(form.text)
        bad = client.post("/login/two-factor", data={"code": "123456", "csrf_token": token})
        assert bad.status_code == 401
        code = _code(app, name, offset=30)  # the next step: unused so far
        good = client.post("/login/two-factor", data={"code": code, "csrf_token": token},
                           follow_redirects=False)
        assert good.status_code == 303 and good.headers["location"] == "/records"
        assert client.get("/api/records/me").json()["username"] == name
    with TestClient(app, base_url="http://testserver") as replay:
        sign_in(replay, name)
        token = csrf_from(replay.get("/login/two-factor").text)
        again = replay.post("/login/two-factor", data={"code": code, "csrf_token": token})
        assert again.status_code == 401  # a code works once


def test_two_factor_codes_are_rate_limited_too(app) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app)
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, name)
        _turn_on(app, client, name)
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, name)  # one attempt used by the password
        token = csrf_from(client.get("/login/two-factor").text)
        statuses = [client.post("/login/two-factor", data={"code": "000000",
                                                           "csrf_token": token}).status_code
                    for _ in range(app.state.settings.login_max_failures)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}


def test_admins_must_set_up_two_factor_when_the_workspace_requires_it(app) -> None:  # type: ignore[no-untyped-def]
    name = fresh_user(app, "admin")
    required = create_app(dataclasses.replace(app.state.settings, admin_two_factor=True))
    with TestClient(required, base_url="http://testserver") as client:
        signed = sign_in(client, name)
        assert signed.headers["location"] == "/records/account/two-factor"
        blocked = client.get("/records/users", follow_redirects=False)
        assert blocked.headers["location"] == "/records/account/two-factor"
        assert client.get("/api/records/me").status_code == 403
        _turn_on(required, client, name)
        assert client.get("/records/users").status_code == 200
        page = client.get("/records/account/two-factor")
        off = client.post("/records/account/two-factor/off", data={
            "code": _code(required, name, 30), "csrf_token": csrf_from(page.text)})
        assert off.status_code == 403
    with required.state.db() as session:
        assert session.scalar(select(User.totp_secret).where(User.username == name))


def test_cli_resets_two_factor_and_sets_the_workspace_policy(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    application = create_app(make_settings(root))
    add_user(application.state.db, "alice", PASSWORD, "admin")
    with application.state.db.begin() as session:
        user = session.scalar(select(User).where(User.username == "alice"))
        user.totp_secret = pyotp.random_base32()
    runner = CliRunner()
    done = runner.invoke(cli, ["users", "reset-2fa", "alice", "--workspace", str(root)])
    assert done.exit_code == 0, done.output
    with application.state.db() as session:
        assert session.scalar(select(User.totp_secret).where(User.username == "alice")) is None
    assert runner.invoke(cli, ["users", "admin-2fa", "always", "--workspace",
                               str(root)]).exit_code == 2
    assert runner.invoke(cli, ["users", "admin-2fa", "required", "--workspace",
                               str(root)]).exit_code == 0
    from carecast.web.settings import Settings

    assert Settings.from_workspace(root).admin_two_factor is True


def test_the_accounts_database_is_owner_only(tmp_path: Path) -> None:
    from carecast.web.settings import DB_FILE, Settings

    root = tmp_path / "ws"
    create_app(Settings.from_workspace(root))
    assert stat.S_IMODE((root / DB_FILE).stat().st_mode) == 0o600
    (root / DB_FILE).chmod(0o644)  # made by an older version
    create_app(Settings.from_workspace(root))
    assert stat.S_IMODE((root / DB_FILE).stat().st_mode) == 0o600

"""Sign-in, roles, CSRF, rate limiting and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from carecast.data.errors import InputError
from carecast.web.accounts import add_user, audit_log
from carecast.web.db import AuditEvent, LoginAttempt, User

PASSWORD = "correct horse battery staple"  # the fixture accounts' password (conftest)


@pytest.fixture(scope="module")
def app(db_app):  # type: ignore[no-untyped-def]
    """Every test here runs on SQLite and on PostgreSQL."""
    return db_app




@pytest.mark.parametrize("path", ["/records", "/records/users", "/records/audit"])
def test_record_pages_redirect_to_login_when_signed_out(client, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_record_api_answers_401_when_signed_out(client) -> None:
    response = client.get("/api/records/me")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]


def test_public_pages_need_no_login(client) -> None:
    for path in ("/", "/council/926", "/compare", "/sources", "/api/map"):
        assert client.get(path).status_code == 200


def test_sign_in_sets_a_secure_session_and_is_audited(app, client, sign_in) -> None:
    response = sign_in(client, "viewer")
    assert response.status_code == 303 and response.headers["location"] == "/records"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/api/records/me").json() == {"username": "viewer", "role": "viewer"}
    assert client.get("/records").status_code == 200
    events = [(e.username, e.action, e.resource) for e in audit_log(app.state.db)]
    assert ("viewer", "view", "/records") in events
    assert ("viewer", "sign-in", "session") in events


def test_cookie_is_secure_over_https(https_client, sign_in) -> None:
    response = sign_in(https_client, "viewer")
    assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_password_is_refused(client, sign_in) -> None:
    response = sign_in(client, "viewer", "not the password at all")
    assert response.status_code == 401
    assert "Enter a correct username and password" in response.text
    assert client.get("/api/records/me").status_code == 401


def test_roles_are_enforced(client, sign_in) -> None:
    sign_in(client, "analyst")
    assert client.get("/records").status_code == 200
    assert client.get("/records/users").status_code == 403
    assert client.get("/records/audit").status_code == 403


def test_admin_adds_a_user_through_the_form(app, client, sign_in, csrf_from) -> None:
    sign_in(client, "admin")
    page = client.get("/records/users")
    name = f"u{uuid.uuid4().hex[:8]}"
    response = client.post("/records/users", data={
        "username": name, "password": PASSWORD, "role": "analyst",
        "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert name in client.get("/records/users").text
    assert any(e.action == "create-user" and e.resource == f"user:{name}"
               for e in audit_log(app.state.db))


def test_post_without_csrf_token_is_refused(client, sign_in) -> None:
    sign_in(client, "admin")
    response = client.post("/records/users", data={
        "username": "mallory", "password": PASSWORD, "role": "admin", "csrf_token": "forged"})
    assert response.status_code == 403
    assert "mallory" not in client.get("/records/users").text
    login = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert login.status_code == 403


def test_login_is_rate_limited_per_username_and_address(app, client, sign_in) -> None:
    name = f"r{uuid.uuid4().hex[:8]}"
    add_user(app.state.db, name, PASSWORD, "viewer")
    for _ in range(app.state.settings.login_max_failures):
        assert sign_in(client, name, "wrong password here").status_code == 401
    locked = sign_in(client, name)  # the right password, but too late
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    with app.state.db() as session:
        attempts = session.scalars(select(LoginAttempt).where(LoginAttempt.username == name))
        assert [a.succeeded for a in attempts] == [False] * 5


def test_sign_out_ends_the_session(client, sign_in, csrf_from) -> None:
    sign_in(client, "viewer")
    page = client.get("/records")
    response = client.post("/logout", data={"csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/records/me").status_code == 401


def test_add_user_refuses_bad_input(app) -> None:
    with pytest.raises(InputError, match="unknown role"):
        add_user(app.state.db, "x1", PASSWORD, "superuser")
    with pytest.raises(InputError, match="at least 12"):
        add_user(app.state.db, "x2", "short", "viewer")
    with pytest.raises(InputError, match="already exists"):
        add_user(app.state.db, "viewer", PASSWORD, "viewer")


def test_passwords_are_stored_as_argon2_hashes(app) -> None:
    with app.state.db() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "viewer"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_audit_rows_have_time_user_action_resource(app, client, sign_in) -> None:
    sign_in(client, "admin")
    client.get("/records/audit")
    with app.state.db() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.username, last.action, last.resource) == ("admin", "view", "/records/audit")
    assert last.at is not None

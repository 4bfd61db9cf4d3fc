"""Fixtures: an app over a temporary workspace, on SQLite and (marked ``postgres``) PostgreSQL."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from carecast.web import Settings, create_app
from carecast.web.accounts import add_user
from carecast.web.settings import database_url, find_govuk_frontend

with warnings.catch_warnings():  # Starlette prefers httpx2, which is not packaged yet
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

POSTGRES_ENV = "CARECAST_TEST_POSTGRES_URL"
PASSWORD = "correct horse battery staple"


def postgres_url() -> str:
    """The test server's URL; a missing one fails under CI (CI=true) and skips locally."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return database_url(url, Path("."))
    if os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set; CI must start PostgreSQL for these tests")
    pytest.skip(f"{POSTGRES_ENV} not set (PostgreSQL tests run in CI)")


def fresh_postgres_schema(url: str) -> str:
    """A new, empty schema on the test server, so each run starts from no tables."""
    schema = f"carecast_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    with engine.begin() as con:
        con.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


def make_settings(root: Path, url: str | None = None) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    return Settings(
        workspace=root,
        database_url=url or database_url(None, root),
        secret_key="test-secret-" + "x" * 40,
        govuk_frontend=find_govuk_frontend(),
    )


def _app_with_accounts(root: Path, url: str | None):  # type: ignore[no-untyped-def]
    application = create_app(make_settings(root, url))
    for role in ("viewer", "analyst", "admin"):
        add_user(application.state.db, role, PASSWORD, role)
    return application


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An app on SQLite with three accounts named after their roles."""
    return _app_with_accounts(tmp_path_factory.mktemp("workspace"), None)


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Like ``app``, once per database backend; tests of accounts and audit use it."""
    url = fresh_postgres_schema(postgres_url()) if request.param == "postgres" else None
    return _app_with_accounts(tmp_path_factory.mktemp("workspace"), url)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def https_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def sign_in(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Post the login form the way a browser does (reading its CSRF token first)."""
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/records"},
        follow_redirects=False,
    )


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture(name="sign_in")
def sign_in_fixture():  # type: ignore[no-untyped-def]
    return sign_in


@pytest.fixture(name="csrf_from")
def csrf_from_fixture():  # type: ignore[no-untyped-def]
    return csrf_from

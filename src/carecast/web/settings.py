"""Settings for one web app instance: where its data, accounts and assets live.

One frozen dataclass, so a test builds an app over a temporary workspace and database by
passing a different ``Settings`` and nothing is read from globals after start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from carecast.service.workspace import Workspace

SECRET_FILE = "web-secret.key"
DB_FILE = "carecast-web.sqlite"
GOVUK_ENV = "CARECAST_GOVUK_FRONTEND"
ADMIN_TWO_FACTOR = "web.admin_two_factor"
"""Workspace setting: ``required`` or ``optional`` (``carecast users admin-2fa``)."""


@dataclass(frozen=True)
class Settings:
    """Everything ``create_app`` needs; build it with :meth:`from_workspace`."""

    workspace: Path
    database_url: str
    secret_key: str
    govuk_frontend: Path | None = None
    session_max_age_s: int = 8 * 3600
    login_max_failures: int = 5
    login_window_s: int = 15 * 60
    max_upload_mb: int = 200
    """Largest record-level upload (all files together) the web form accepts."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed;
    from anyone else the headers are ignored (the client is the connection's peer)."""
    admin_two_factor: bool = False
    """Admins must sign in with a TOTP code (the workspace setting ``ADMIN_TWO_FACTOR``)."""
    two_factor_window_s: int = 300
    """How long after a correct password the TOTP code may be entered."""
    page_workers: int = 0
    """Processes that build public pages (each loads its own copy of the public data, about
    500 MB); 0 builds them in threads of the server process. ``carecast serve`` uses 1."""

    @classmethod
    def from_workspace(
        cls,
        workspace: str | Path | None = None,
        database: str | None = None,
        trusted_proxies: tuple[str, ...] = (),
        page_workers: int = 0,
    ) -> Settings:
        """Settings for a workspace: SQLite accounts beside it unless ``database`` is given."""
        ws = Workspace.open(workspace)
        return cls(
            workspace=ws.root,
            database_url=database_url(database, ws.root),
            secret_key=_secret(ws.root),
            govuk_frontend=find_govuk_frontend(),
            trusted_proxies=tuple(trusted_proxies),
            admin_two_factor=ws.setting(ADMIN_TWO_FACTOR) == "required",
            page_workers=page_workers,
        )


def database_url(given: str | None, root: Path) -> str:
    """An SQLAlchemy URL: the given one (psycopg driver for PostgreSQL), else workspace SQLite."""
    if not given:
        return f"sqlite:///{(root / DB_FILE).resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if given.startswith(prefix):
            return "postgresql+psycopg://" + given[len(prefix) :]
    return given


def _secret(root: Path) -> str:
    """The session-signing key: a per-workspace secret, readable only by its owner."""
    return Workspace(root).secret(SECRET_FILE).hex()


def find_govuk_frontend() -> Path | None:
    """GOV.UK Frontend's ``dist/govuk`` folder: $CARECAST_GOVUK_FRONTEND, else node_modules."""
    env = os.environ.get(GOVUK_ENV)
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p / "node_modules" / "govuk-frontend" / "dist" / "govuk" for p in here.parents]
    candidates.append(Path.cwd() / "node_modules" / "govuk-frontend" / "dist" / "govuk")
    for path in candidates:
        if (path / "govuk-frontend.min.css").exists():
            return path
    return None

"""Accounts, login attempts and the audit log, in SQLite by default or PostgreSQL.

The schema is owned by Alembic migrations (``web/migrations``), run in code at start-up so an
installed package needs no ``alembic.ini``; these ORM classes mirror the latest migration.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

ROLES = ("viewer", "analyst", "admin")
"""Each role can do everything the roles before it can."""

MIGRATIONS = Path(__file__).parent / "migrations"


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Base32 TOTP key once two-factor sign-in is confirmed; None while it is off."""
    totp_pending: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """A key being set up, until the user confirms it with a code."""
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The 30-second step of the last code accepted, so no code works twice."""


class Session(Base):
    """A signed-in browser: the cookie holds a random token, the database its SHA-256, so
    signing out (or a password change) ends the session for good."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginCounter(Base):
    """Sign-in attempts per username and address in the current window, counted by one
    atomic upsert before a password is checked, so concurrent tries cannot overrun it."""

    __tablename__ = "login_counters"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class AuditEvent(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text, default="")


def make_engine(url: str) -> Engine:
    """An engine. SQLite: an owner-only file (it holds password hashes; SQLite gives its
    journal files the same mode), foreign keys, write-ahead logging so readers do not wait
    for a writer, and a busy timeout so threads and processes can share the file."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        if engine.url.database and engine.url.database != ":memory:":
            _owner_only(Path(engine.url.database))

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _owner_only(path: Path) -> None:
    """Create the file 0600 (SQLite takes an empty file as an empty database), or tighten
    one an older version made 0644."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (a no-op when it is already there)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str) -> sessionmaker:
    """Migrate the database at ``url`` and return a session factory for it."""
    engine = make_engine(url)
    migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)

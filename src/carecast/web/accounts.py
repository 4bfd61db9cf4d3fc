"""Accounts: argon2 password hashes, roles, rate-limited sign-in, server-side sessions and
the audit log.

Plain functions over a SQLAlchemy session factory, shared by the web app and
``carecast users``, so both enforce the same rules.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker

from carecast.service.workspace import InputError
from carecast.web.db import ROLES, AuditEvent, LoginAttempt, LoginCounter, Session, User, now

_hasher = PasswordHasher()
SESSION_KEEP = timedelta(days=30)
"""Ended or expired sessions are kept this long (then deleted as new ones start)."""
MIN_PASSWORD_LENGTH = 12
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("carecast-dummy-password")


@dataclass(frozen=True)
class Account:
    """What a request knows about its signed-in user."""

    id: int
    username: str
    role: str
    two_factor: bool = False

    def can(self, role: str) -> bool:
        """True when this account's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


class RateLimited(Exception):
    """Too many failed logins for this username from this address."""


def add_user(db: sessionmaker, username: str, password: str, role: str) -> Account:
    """Create an account; refuses unknown roles, short passwords and taken names."""
    username = username.strip()
    if not username or len(username) > 100:
        raise InputError("username must be 1 to 100 characters")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    _check_password(password)
    with db.begin() as session:
        if session.scalar(select(User).where(User.username == username)):
            raise InputError(f"user {username!r} already exists")
        user = User(username=username, password_hash=_hasher.hash(password), role=role)
        session.add(user)
        session.flush()
        return Account(user.id, user.username, user.role)


def list_users(db: sessionmaker) -> list[User]:
    with db() as session:
        return list(session.scalars(select(User).order_by(User.username)))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.role, user.totp_secret is not None)


def get_account(db: sessionmaker, user_id: int) -> Account | None:
    with db() as session:
        user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return _account(user)


def find_account(db: sessionmaker, username: str) -> Account:
    """The active account called ``username``; LookupError when there is none."""
    with db() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active:
        raise LookupError(f"no active account called {username!r}")
    return _account(user)


def reserve_attempt(
    db: sessionmaker, username: str, ip: str, *, max_attempts: int, window_s: int
) -> None:
    """Count one sign-in attempt for (username, address) before any secret is checked;
    raises RateLimited when it is over ``max_attempts`` in the window.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement (SQLite and PostgreSQL),
    so concurrent attempts each get their own count and at most ``max_attempts`` pass.
    """
    at = now()
    table = LoginCounter.__table__
    dialect = db.kw["bind"].dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expired = table.c.window_start < at - timedelta(seconds=window_s)
    statement = insert(table).values(username=username, ip=ip, attempts=1, window_start=at)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.username, table.c.ip],
        set_={"attempts": case((expired, 1), else_=table.c.attempts + 1),
              "window_start": case((expired, at), else_=table.c.window_start)},
    ).returning(table.c.attempts)
    with db.begin() as session:
        attempts = session.execute(statement).scalar_one()
    if attempts > max_attempts:
        raise RateLimited(username)


def clear_attempts(db: sessionmaker, username: str, ip: str) -> None:
    """A complete sign-in: the address starts again with a full allowance."""
    with db.begin() as session:
        session.execute(delete(LoginCounter).where(LoginCounter.username == username,
                                                   LoginCounter.ip == ip))


def authenticate(
    db: sessionmaker,
    username: str,
    password: str,
    ip: str,
    *,
    max_failures: int,
    window_s: int,
) -> Account | None:
    """The account for a correct password, else None; raises RateLimited after too many
    tries from this address (see :func:`reserve_attempt`; call :func:`clear_attempts` once
    the sign-in is complete, after any second factor).
    """
    username = username.strip()[:100]
    reserve_attempt(db, username, ip, max_attempts=max_failures, window_s=window_s)
    with db() as session:
        user = session.scalar(select(User).where(User.username == username))
    ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.is_active
    with db.begin() as session:
        session.add(LoginAttempt(username=username, ip=ip, succeeded=ok))
        if ok and user is not None and _hasher.check_needs_rehash(user.password_hash):
            session.execute(update(User).where(User.id == user.id)
                            .values(password_hash=_hasher.hash(password)))
    return _account(user) if ok and user is not None else None


def set_password(db: sessionmaker, user_id: int, password: str) -> None:
    """A new password; every session of the account ends (sign in again everywhere)."""
    _check_password(password)
    with db.begin() as session:
        session.execute(update(User).where(User.id == user_id)
                        .values(password_hash=_hasher.hash(password)))
    revoke_sessions(db, user_id)


def check_password(db: sessionmaker, user_id: int, password: str) -> bool:
    with db() as session:
        user = session.get(User, user_id)
    return user is not None and _verify(user.password_hash, password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: sessionmaker, account: Account, max_age_s: int) -> str:
    """A new server-side session; the token goes in the (signed) cookie, its hash here."""
    token = secrets.token_urlsafe(32)
    with db.begin() as session:
        session.execute(delete(Session).where(Session.expires_at < now() - SESSION_KEEP))
        session.add(Session(token_hash=_digest(token), user_id=account.id, created_at=now(),
                            expires_at=now() + timedelta(seconds=max_age_s)))
    return token


def session_account(db: sessionmaker, token: str) -> Account | None:
    """The account of a live session: not ended, not expired, account still active."""
    with db() as session:
        row = session.execute(
            select(Session, User).join(User, User.id == Session.user_id)
            .where(Session.token_hash == _digest(token))
        ).first()
    if row is None:
        return None
    record, user = row
    expires = record.expires_at if record.expires_at.tzinfo else record.expires_at.replace(
        tzinfo=now().tzinfo)
    if record.revoked_at is not None or expires <= now() or not user.is_active:
        return None
    return _account(user)


def end_session(db: sessionmaker, token: str) -> None:
    with db.begin() as session:
        session.execute(update(Session).where(Session.token_hash == _digest(token))
                        .values(revoked_at=now()))


def revoke_sessions(db: sessionmaker, user_id: int) -> None:
    """End every session of an account (password change, two-factor change, removal)."""
    with db.begin() as session:
        session.execute(update(Session).where(Session.user_id == user_id,
                                              Session.revoked_at.is_(None))
                        .values(revoked_at=now()))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def audit(db: sessionmaker, username: str, action: str, resource: str, detail: str = "") -> None:
    """Record who viewed or changed record-level data (or accounts), and when."""
    with db.begin() as session:
        session.add(
            AuditEvent(username=username, action=action, resource=resource[:255], detail=detail)
        )


def audit_log(db: sessionmaker, limit: int = 200) -> list[AuditEvent]:
    """The most recent audit events, newest first."""
    with db() as session:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        return list(session.scalars(query.limit(limit)))

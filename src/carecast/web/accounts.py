"""Accounts: argon2 password hashes, roles, rate-limited login and the audit log.

Plain functions over a SQLAlchemy session factory, shared by the web app and
``carecast users``, so both enforce the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from carecast.service.workspace import InputError
from carecast.web.db import ROLES, AuditEvent, LoginAttempt, User, now

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("carecast-dummy-password")


@dataclass(frozen=True)
class Account:
    """What a request knows about its signed-in user."""

    id: int
    username: str
    role: str

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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
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


def get_account(db: sessionmaker, user_id: int) -> Account | None:
    with db() as session:
        user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return Account(user.id, user.username, user.role)


def authenticate(
    db: sessionmaker,
    username: str,
    password: str,
    ip: str,
    *,
    max_failures: int,
    window_s: int,
) -> Account | None:
    """The account for a correct password, else None; raises RateLimited after too many tries.

    Failures are counted per username and address in the database, so the limit holds
    across restarts and across several server processes.
    """
    username = username.strip()[:100]
    since = now() - timedelta(seconds=window_s)
    with db.begin() as session:
        failures = session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.username == username,
                LoginAttempt.ip == ip,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at >= since,
            )
        )
        if (failures or 0) >= max_failures:
            raise RateLimited(username)
        user = session.scalar(select(User).where(User.username == username))
        ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = ok and user is not None and user.is_active
        session.add(LoginAttempt(username=username, ip=ip, succeeded=ok))
        if ok and user is not None:
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return Account(user.id, user.username, user.role)
    return None


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

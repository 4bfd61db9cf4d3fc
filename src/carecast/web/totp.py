"""TOTP two-factor sign-in (RFC 6238: 6 digits, 30-second steps, SHA-1, as authenticator
apps expect), with pyotp.

A key is set up in two steps, so a mistyped key never locks anyone out: :func:`begin`
stores a pending key, :func:`confirm` makes it the account's once a code from it checks.
Each code is accepted once (:func:`verify` remembers the step it used), one step either
side of now to allow for clock drift.
"""

from __future__ import annotations

import time

import pyotp
import segno
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from carecast.web.db import User

ISSUER = "carecast"
DRIFT_STEPS = 1


def _user(db: sessionmaker, user_id: int) -> User:
    with db() as session:
        user = session.get(User, user_id)
    if user is None:
        raise LookupError("no such account")
    return user


def begin(db: sessionmaker, user_id: int) -> str:
    """A new pending key for the account (replacing any earlier pending one)."""
    secret = pyotp.random_base32()
    with db.begin() as session:
        session.execute(update(User).where(User.id == user_id).values(totp_pending=secret))
    return secret


def pending(db: sessionmaker, user_id: int) -> str | None:
    return _user(db, user_id).totp_pending


def setup_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app reads (from the QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The address as an inline SVG QR code (no external image, CSP-safe)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#0b0c0c", light="#ffffff")


def _step(secret: str, code: str, after: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and newer than ``after``."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and pyotp.utils.strings_equal(
                totp.generate_otp(step), code):
            return step
    return None


def confirm(db: sessionmaker, user_id: int, code: str) -> bool:
    """Turn two-factor sign-in on with the pending key, if ``code`` comes from it."""
    secret = _user(db, user_id).totp_pending
    step = _step(secret, code, None) if secret else None
    if step is None:
        return False
    with db.begin() as session:
        session.execute(update(User).where(User.id == user_id).values(
            totp_secret=secret, totp_pending=None, totp_last_step=step))
    return True


def verify(db: sessionmaker, user_id: int, code: str) -> bool:
    """True for a current code of the account's key not used before (then it is used).

    The step is claimed with a conditional UPDATE, so two requests with one code cannot
    both succeed."""
    user = _user(db, user_id)
    if user.totp_secret is None:
        return False
    step = _step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    with db.begin() as session:
        claimed = session.execute(
            update(User).where(User.id == user_id,
                               (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
        ).rowcount
    return claimed == 1


def disable(db: sessionmaker, user_id: int) -> None:
    """Two-factor sign-in off (by the user with a current code, or an admin's reset)."""
    with db.begin() as session:
        session.execute(update(User).where(User.id == user_id).values(
            totp_secret=None, totp_pending=None, totp_last_step=None))

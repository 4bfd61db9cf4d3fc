"""Sessions, CSRF tokens, role checks, safe redirects and security headers for the web app.

The session cookie is signed (Starlette) and holds only a random token; the account comes
from the server-side session it names (``accounts.session_account``), so signing out or
changing a password ends a session for good, whatever the browser kept.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carecast.web.accounts import Account, session_account

CSRF_FIELD = "csrf_token"
SESSION_COOKIE = "carecast_session"
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
PRIVATE_PATHS = ("/records", "/scenarios", "/login", "/logout", "/api/records")
"""Pages with personal or account data: never stored by browsers or proxies."""
SESSION_KEY = "sid"
TWO_FACTOR_SETUP = "/records/account/two-factor"
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")
"""A path on this site: one leading '/', not '//' or '/\\' (browsers read both as another
host), and only URL characters (no backslash, space, control character or scheme)."""


_UNSET = object()


class NotSignedIn(Exception):
    """Raised by :func:`require`; pages redirect to the login form, the API answers 401."""


class TwoFactorRequired(Exception):
    """An admin without two-factor sign-in where the workspace requires it: pages go to
    the set-up page, the API answers 403."""


def safe_next(target: str, default: str = "/records") -> str:
    """``target`` when it is a path on this site, else ``default``: the login form never
    sends anyone to another site."""
    return target if _LOCAL_PATH.fullmatch(target) else default


def current_account(request: Request) -> Account | None:
    """The account of this request's live server-side session, re-read from the database,
    so ended sessions and removed users lose access at once."""
    cached = getattr(request.state, "account", _UNSET)
    if cached is not _UNSET:
        return cached
    token = request.session.get(SESSION_KEY)
    account = session_account(request.app.state.db, token) if isinstance(token, str) else None
    if token and account is None:
        request.session.clear()
    request.state.account = account
    return account


def needs_two_factor(request: Request, account: Account) -> bool:
    return (request.app.state.settings.admin_two_factor and account.role == "admin"
            and not account.two_factor)


def signed_in(request: Request) -> Account:
    """A dependency for the account's own pages: any signed-in account, even one that must
    still set up two-factor sign-in."""
    account = current_account(request)
    if account is None:
        raise NotSignedIn()
    return account


def require(role: str) -> Any:
    """A dependency allowing only accounts with ``role`` or above (and, where required,
    two-factor sign-in)."""

    def check(request: Request) -> Account:
        account = signed_in(request)
        if needs_two_factor(request, account):
            raise TwoFactorRequired()
        if not account.can(role):
            raise HTTPException(status_code=403, detail=f"This needs the {role} role.")
        return account

    return Depends(check)


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a POST whose form token does not match the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail="The form expired or was not sent by this "
                            "site. Go back, reload the page and try again.")


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every response, ``Cache-Control: no-store``
    on private paths, and the Secure flag on cookies whenever the request came over HTTPS
    (directly or via a trusted proxy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        private = scope["path"].startswith(PRIVATE_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v + b"; secure" if https and k == b"set-cookie" and b"secure"
                     not in v.lower() else v)
                    for k, v in message.get("headers", [])
                ]
                present = {k for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                if private and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

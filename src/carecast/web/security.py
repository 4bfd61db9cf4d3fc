"""Sessions, CSRF tokens, role checks and security headers for the web app."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carecast.web.accounts import Account, get_account

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


_UNSET = object()


class NotSignedIn(Exception):
    """Raised by :func:`require`; pages redirect to the login form, the API answers 401."""


def current_account(request: Request) -> Account | None:
    """The signed-in account, re-read from the database so removed users lose access at once."""
    cached = getattr(request.state, "account", _UNSET)
    if cached is not _UNSET:
        return cached
    user_id = request.session.get("uid")
    account = get_account(request.app.state.db, int(user_id)) if user_id else None
    if user_id and account is None:
        request.session.clear()
    request.state.account = account
    return account


def require(role: str) -> Any:
    """A dependency allowing only accounts with ``role`` or above."""

    def check(request: Request) -> Account:
        account = current_account(request)
        if account is None:
            raise NotSignedIn()
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

"""Sign-in (password, then a TOTP code where the account has one) and the pages every
signed-in account has; record-level pages need an account, and are audited."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from carecast.service.workspace import InputError
from carecast.web import accounts, totp
from carecast.web.accounts import Account, RateLimited
from carecast.web.db import ROLES
from carecast.web.security import (
    SESSION_KEY,
    TWO_FACTOR_SETUP,
    check_csrf,
    current_account,
    needs_two_factor,
    require,
    safe_next,
)
from carecast.web.views import render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
PENDING = "pending"
TWO_FACTOR = "/login/two-factor"


def client_ip(request: Request) -> str:
    """The client's address: the connection's peer, or what a trusted proxy said it was
    (``Settings.trusted_proxies``; the app rewrites the peer only for those)."""
    return request.client.host if request.client else "unknown"


def _limited(request: Request, context: dict, template: str = "login.html") -> Response:
    minutes = request.app.state.settings.login_window_s // 60
    context["error"] = f"Too many failed attempts. Wait {minutes} minutes, then try again."
    return render(request, template, context, status_code=429)


def start_signed_in(request: Request, account: Account, target: str, *,
                    sign_in: bool = True) -> Response:
    """A fresh cookie (and CSRF token) naming a new server-side session: after a complete
    sign-in, or (``sign_in=False``) after a change that ended the account's sessions."""
    db = request.app.state.db
    settings = request.app.state.settings
    if sign_in:
        accounts.clear_attempts(db, account.username, client_ip(request))
        accounts.audit(db, account.username, "sign-in", "session",
                       "two-factor" if account.two_factor else "")
    request.session.clear()
    request.session[SESSION_KEY] = accounts.start_session(db, account,
                                                          settings.session_max_age_s)
    if needs_two_factor(request, account):
        target = TWO_FACTOR_SETUP
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/records") -> Response:  # noqa: A002
    return render(request, "login.html", {"title": "Sign in", "next": safe_next(next)})


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/records",  # noqa: A002
) -> Response:
    settings = request.app.state.settings
    context = {"title": "Sign in", "next": safe_next(next), "username": username}
    try:
        account = accounts.authenticate(
            request.app.state.db, username, password, client_ip(request),
            max_failures=settings.login_max_failures, window_s=settings.login_window_s,
        )
    except RateLimited:
        return _limited(request, context)
    if account is None:
        context["error"] = "Enter a correct username and password."
        return render(request, "login.html", context, status_code=401)
    if account.two_factor:
        request.session.clear()
        request.session[PENDING] = {"uid": account.id, "at": time.time(),
                                    "next": safe_next(next)}
        return RedirectResponse(TWO_FACTOR, status_code=303)
    return start_signed_in(request, account, safe_next(next))


def _pending(request: Request) -> tuple[Account, str] | None:
    """The account whose password was just checked, while its code may still be entered."""
    pending = request.session.get(PENDING)
    window = request.app.state.settings.two_factor_window_s
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > window:
        return None
    account = accounts.get_account(request.app.state.db, int(pending["uid"]))
    return (account, str(pending["next"])) if account and account.two_factor else None


@router.get(TWO_FACTOR)
def two_factor_form(request: Request) -> Response:
    if _pending(request) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "login_two_factor.html", {"title": "Enter your security code"})


@router.post(TWO_FACTOR, dependencies=[Csrf])
def two_factor(request: Request, code: Annotated[str, Form(max_length=20)] = "") -> Response:
    found = _pending(request)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    account, target = found
    settings = request.app.state.settings
    context = {"title": "Enter your security code"}
    db = request.app.state.db
    try:
        accounts.reserve_attempt(db, account.username, client_ip(request),
                                 max_attempts=settings.login_max_failures,
                                 window_s=settings.login_window_s)
    except RateLimited:
        request.session.clear()
        return _limited(request, context, "login_two_factor.html")
    if not totp.verify(db, account.id, code):
        accounts.audit(db, account.username, "sign-in-refused", "session", "two-factor code")
        context["error"] = "Enter the 6-digit code your authenticator app shows now."
        return render(request, "login_two_factor.html", context, status_code=401)
    return start_signed_in(request, account, target)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request) -> Response:
    account = current_account(request)
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        accounts.end_session(request.app.state.db, token)
    if account is not None:
        accounts.audit(request.app.state.db, account.username, "sign-out", "session")
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/records")
def records(request: Request, account: Account = require("viewer")) -> Response:
    accounts.audit(request.app.state.db, account.username, "view", "/records")
    return render(request, "records.html", {"title": "Record-level data"})


@router.get("/records/users")
def users(request: Request, account: Account = require("admin")) -> Response:
    db = request.app.state.db
    accounts.audit(db, account.username, "view", "/records/users")
    return render(request, "users.html", {"title": "Accounts", "users": accounts.list_users(db),
                                          "roles": ROLES})


@router.post("/records/users", dependencies=[Csrf])
def add_user(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    account: Account = require("admin"),
) -> Response:
    db = request.app.state.db
    try:
        created = accounts.add_user(db, username, password, role)
    except InputError as exc:
        context = {"title": "Accounts", "users": accounts.list_users(db), "roles": ROLES,
                   "error": str(exc), "username": username, "role": role}
        return render(request, "users.html", context, status_code=400)
    accounts.audit(db, account.username, "create-user", f"user:{created.username}",
                   f"role={created.role}")
    return RedirectResponse("/records/users", status_code=303)


@router.get("/records/audit")
def audit(request: Request, account: Account = require("admin")) -> Response:
    db = request.app.state.db
    accounts.audit(db, account.username, "view", "/records/audit")
    return render(request, "audit.html", {"title": "Audit log", "events": accounts.audit_log(db)})

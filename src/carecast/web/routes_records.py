"""Sign-in and record-level pages: every route here needs an account, and is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from carecast.service.workspace import InputError
from carecast.web import accounts
from carecast.web.accounts import Account, RateLimited
from carecast.web.db import ROLES
from carecast.web.security import check_csrf, current_account, require
from carecast.web.views import render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str) -> str:
    """Only same-site paths, so the login form cannot bounce users to another site."""
    return target if target.startswith("/") and not target.startswith("//") else "/records"


@router.get("/login")
def login_form(request: Request, next: str = "/records") -> Response:  # noqa: A002
    return render(request, "login.html", {"title": "Sign in", "next": _safe_next(next)})


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/records",  # noqa: A002
) -> Response:
    settings = request.app.state.settings
    db = request.app.state.db
    context = {"title": "Sign in", "next": _safe_next(next), "username": username}
    try:
        account = accounts.authenticate(
            db, username, password, _client_ip(request),
            max_failures=settings.login_max_failures, window_s=settings.login_window_s,
        )
    except RateLimited:
        minutes = settings.login_window_s // 60
        context["error"] = (f"Too many failed attempts. Wait {minutes} minutes, then try again.")
        return render(request, "login.html", context, status_code=429)
    if account is None:
        context["error"] = "Enter a correct username and password."
        return render(request, "login.html", context, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) on sign-in
    request.session["uid"] = account.id
    accounts.audit(db, account.username, "sign-in", "session")
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request) -> Response:
    account = current_account(request)
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

"""The signed-in account's own pages: change the password, turn two-factor sign-in on or off.

Both changes end every other session of the account (``accounts.revoke_sessions``) and
give this browser a new one. These pages are open to an admin who must still set up
two-factor sign-in (``security.signed_in``), so the set-up can be reached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from carecast.service.workspace import InputError
from carecast.web import accounts, totp
from carecast.web.accounts import Account
from carecast.web.routes_records import start_signed_in
from carecast.web.security import TWO_FACTOR_SETUP, check_csrf, needs_two_factor, signed_in
from carecast.web.views import render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
SIGNED_IN = Depends(signed_in)
PAGE = "/records/account"
Code = Annotated[str, Form(max_length=20)]


def _page(request: Request, account: Account, error: str | None = None,
          status_code: int = 200) -> Response:
    context = {"title": "Your account", "error": error, "notice": request.query_params.get("done"),
               "must_set_up": needs_two_factor(request, account)}
    return render(request, "account.html", context, status_code=status_code)


@router.get(PAGE)
def account_page(request: Request, account: Account = SIGNED_IN) -> Response:
    return _page(request, account)


@router.post(f"{PAGE}/password", dependencies=[Csrf])
def change_password(
    request: Request,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=1000)] = "",
    account: Account = SIGNED_IN,
) -> Response:
    db = request.app.state.db
    if not accounts.check_password(db, account.id, current):
        return _page(request, account, "Enter your current password correctly.", 400)
    if new != confirm:
        return _page(request, account, "The new passwords do not match.", 400)
    try:
        accounts.set_password(db, account.id, new)  # ends every session of the account
    except InputError as exc:
        return _page(request, account, str(exc).capitalize() + ".", 400)
    accounts.audit(db, account.username, "change-password", f"user:{account.username}")
    return start_signed_in(request, account, f"{PAGE}?done=password", sign_in=False)


def _setup(request: Request, account: Account, error: str | None = None,
           status_code: int = 200) -> Response:
    db = request.app.state.db
    secret = totp.pending(db, account.id) or totp.begin(db, account.id)
    uri = totp.setup_uri(secret, account.username)
    context = {"title": "Two-factor sign-in", "error": error, "secret": secret,
               "qr": totp.qr_svg(uri), "enabled": account.two_factor,
               "required": request.app.state.settings.admin_two_factor
               and account.role == "admin"}
    return render(request, "account_two_factor.html", context, status_code=status_code)


@router.get(TWO_FACTOR_SETUP)
def two_factor_page(request: Request, account: Account = SIGNED_IN) -> Response:
    return _setup(request, account)


@router.post(TWO_FACTOR_SETUP, dependencies=[Csrf])
def two_factor_on(request: Request, code: Code = "", account: Account = SIGNED_IN) -> Response:
    db = request.app.state.db
    if account.two_factor:
        return RedirectResponse(TWO_FACTOR_SETUP, status_code=303)
    if not totp.confirm(db, account.id, code):
        return _setup(request, account, "Enter the 6-digit code your authenticator app shows "
                      "for carecast now.", 400)
    accounts.revoke_sessions(db, account.id)
    accounts.audit(db, account.username, "two-factor-on", f"user:{account.username}")
    updated = accounts.get_account(db, account.id) or account
    return start_signed_in(request, updated, f"{PAGE}?done=two-factor-on", sign_in=False)


@router.post(f"{TWO_FACTOR_SETUP}/off", dependencies=[Csrf])
def two_factor_off(request: Request, code: Code = "", account: Account = SIGNED_IN) -> Response:
    db = request.app.state.db
    if request.app.state.settings.admin_two_factor and account.role == "admin":
        return _setup(request, account, "This workspace requires two-factor sign-in for "
                      "admins.", 403)
    if not totp.verify(db, account.id, code):
        return _setup(request, account, "Enter the 6-digit code your authenticator app shows "
                      "now to turn two-factor sign-in off.", 400)
    totp.disable(db, account.id)
    accounts.revoke_sessions(db, account.id)
    accounts.audit(db, account.username, "two-factor-off", f"user:{account.username}")
    updated = accounts.get_account(db, account.id) or account
    return start_signed_in(request, updated, f"{PAGE}?done=two-factor-off", sign_in=False)

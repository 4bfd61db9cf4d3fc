"""The web app factory: ``create_app(settings)`` wires data, accounts, templates and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import carecast
from carecast import disclosure
from carecast.web import (
    routes_account,
    routes_api,
    routes_matching,
    routes_placements,
    routes_public,
    routes_records,
    routes_report,
    routes_ssda903,
    scenarios_page,
)
from carecast.web.cache import PageCache
from carecast.web.db import open_database
from carecast.web.page_workers import PageWorkers
from carecast.web.public import PublicData
from carecast.web.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    TWO_FACTOR_SETUP,
    NotSignedIn,
    SecurityHeaders,
    TwoFactorRequired,
)
from carecast.web.settings import Settings
from carecast.web.views import error_title, render

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """A ready app: data indexed, database migrated, GOV.UK Frontend mounted when found."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Serve only once the page workers have loaded their data: a server that answers
        # before then makes its first visitors wait for a cold load.
        if _app.state.cache.workers is not None:
            await _app.state.cache.workers.ready()
        yield
        if _app.state.cache.workers is not None:
            _app.state.cache.workers.close()

    app = FastAPI(
        lifespan=lifespan,
        title="carecast",
        version=carecast.__version__,
        description="Children's social care data for English councils. Aggregate data is "
        f"public; record-level routes need a signed-in account. {carecast.OGL_ATTRIBUTION}",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.data = PublicData(settings.workspace)
    app.state.db = open_database(settings.database_url)
    workers = PageWorkers(settings.workspace, settings.page_workers) \
        if settings.page_workers else None
    app.state.cache = PageCache(app.state.data, workers=workers)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(
        govuk=settings.govuk_frontend is not None,
        ogl=carecast.OGL_ATTRIBUTION,
        csrf_field=CSRF_FIELD,
        disclosure_note=lambda: disclosure.rule().note,  # the one small-number rule's words
        version=carecast.__version__,
    )
    app.state.templates = templates

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=False,  # SecurityHeaders adds Secure whenever the request used HTTPS
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=2000, compresslevel=5)
    if settings.trusted_proxies:  # outermost: the client address and scheme for the rest
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

    if settings.govuk_frontend is not None:
        app.mount("/assets/govuk", StaticFiles(directory=settings.govuk_frontend), name="govuk")
    else:
        log.warning("GOV.UK Frontend not found (run scripts/setup-web.sh); using plain styles")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.include_router(routes_public.router)
    app.include_router(routes_records.router)
    app.include_router(routes_account.router)
    app.include_router(routes_ssda903.router)
    app.include_router(routes_placements.router)
    app.include_router(routes_matching.router)
    app.include_router(scenarios_page.router)
    app.include_router(routes_report.router)
    app.include_router(routes_api.router)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Sign in to see record-level data."}, 401)
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}",
                                status_code=303)

    @app.exception_handler(TwoFactorRequired)
    async def _two_factor(request: Request, _exc: TwoFactorRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Set up two-factor sign-in first."}, 403)
        return RedirectResponse(TWO_FACTOR_SETUP, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                           for e in exc.errors())
        return render(request, "error.html", {"title": error_title(422), "detail": detail},
                      status_code=422)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        context = {"title": error_title(exc.status_code), "detail": exc.detail}
        return render(request, "error.html", context, status_code=exc.status_code)

    return app

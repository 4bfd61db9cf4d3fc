"""The web app factory: ``create_app(settings)`` wires data, accounts, templates and routes."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

import carecast
from carecast.web import (
    routes_api,
    routes_public,
    routes_records,
    routes_report,
    routes_ssda903,
    scenarios_page,
)
from carecast.web.db import open_database
from carecast.web.public import PublicData
from carecast.web.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    NotSignedIn,
    SecurityHeaders,
)
from carecast.web.settings import Settings
from carecast.web.views import error_title, render

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """A ready app: data indexed, database migrated, GOV.UK Frontend mounted when found."""
    app = FastAPI(
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
    app.state.cache = {}
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(
        govuk=settings.govuk_frontend is not None,
        ogl=carecast.OGL_ATTRIBUTION,
        csrf_field=CSRF_FIELD,
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

    if settings.govuk_frontend is not None:
        app.mount("/assets/govuk", StaticFiles(directory=settings.govuk_frontend), name="govuk")
    else:
        log.warning("GOV.UK Frontend not found (run scripts/setup-web.sh); using plain styles")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.include_router(routes_public.router)
    app.include_router(routes_records.router)
    app.include_router(routes_ssda903.router)
    app.include_router(scenarios_page.router)
    app.include_router(routes_report.router)
    app.include_router(routes_api.router)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Sign in to see record-level data."}, 401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        context = {"title": error_title(exc.status_code), "detail": exc.detail}
        return render(request, "error.html", context, status_code=exc.status_code)

    return app

"""The ASGI application: routers, templates, static files, security headers, error pages.

``create_app(settings)`` builds it; ``app_from_env()`` is the factory uvicorn's workers call
(``positrix serve`` passes the settings through ``POSITRIX_WEB_*`` variables).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from positrix.errors import PositrixError
from positrix.facility.access import AccessError, NotFoundError
from positrix.web.auth import LoginLimiter
from positrix.web.deps import LoginRequired
from positrix.web.settings import WebSettings, load_secret

__all__ = ["HERE", "app_from_env", "create_app"]

HERE = Path(__file__).resolve().parent
_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self' blob: data:; worker-src 'self' blob: data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "user": None},
        status_code=status,
    )


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_first(request: Request, _: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, err: NotFoundError) -> Response:
        return _error(request, 404, str(err))

    @app.exception_handler(AccessError)
    async def forbidden(request: Request, err: AccessError) -> Response:
        return _error(request, 403, str(err))

    @app.exception_handler(PositrixError)
    async def bad_input(request: Request, err: PositrixError) -> Response:
        return _error(request, 400, str(err))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        return _error(request, err.status_code, str(err.detail))


def _middleware(app: FastAPI, settings: WebSettings) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > settings.max_upload_bytes):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        response: Response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/api/", "/projects", "/sessions", "/admin")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def create_app(settings: WebSettings) -> FastAPI:
    """The application for ``settings`` (its database must be initialised)."""
    from positrix.facility.db import make_engine
    from positrix.facility.schema import require_current
    from positrix.web import api, learn, pages, viewer

    app = FastAPI(
        title="Positrix",
        version="0.7",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.read_engine = make_engine(settings.db_url, reads_only=True)
    require_current(app.state.engine)
    app.state.key = load_secret(settings.data_folder)
    app.state.limiter = LoginLimiter(settings.login_attempts, settings.login_window_s)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (api, viewer, learn, pages):
        app.include_router(module.router)
    _handlers(app)
    _middleware(app, settings)

    @app.get("/healthz", include_in_schema=False)
    def health() -> HTMLResponse:
        return HTMLResponse("ok")

    return app


def app_from_env() -> FastAPI:
    """The application from ``POSITRIX_WEB_DB``, ``POSITRIX_WEB_DATA`` and
    ``POSITRIX_WEB_SECURE`` (what ``positrix serve`` sets for its workers)."""
    return create_app(
        WebSettings(
            db_url=os.environ.get("POSITRIX_WEB_DB") or None,
            data_folder=Path(os.environ.get("POSITRIX_WEB_DATA", "positrix-web")),
            secure_cookies=os.environ.get("POSITRIX_WEB_SECURE") == "1",
        )
    )

"""The ASGI app a host mounts: shared import pages + the plugins' routes + assets."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..i18n import lazy_gettext, use_locale
from ..security import SecurityHeadersMiddleware, add_security_headers
from . import help_pages, imports, job_pages, selections
from .common import error_page

if TYPE_CHECKING:
    from ..app import ErpSync

log = logging.getLogger(__name__)

UI_STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_app(erpsync: ErpSync) -> Starlette:
    """Starlette app with the shared pages, every plugin's routes and
    ``/ui-static`` (CSS and JS of the dialogs, no inline code)."""
    routes = [
        *imports.routes(erpsync),
        *job_pages.routes(erpsync),
        *selections.routes(erpsync),
        *help_pages.routes(erpsync),
        *erpsync.routes(),
        Mount("/ui-static", StaticFiles(directory=UI_STATIC_DIR), name="erpsync_static"),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        message = (lazy_gettext("This page does not exist.") if status == 404
                   else lazy_gettext("The request could not be handled."))
        with use_locale(erpsync.locale_for(request)):
            return error_page(erpsync, request, status, message)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("erpsync dialog failed", exc_info=exc)
        message = lazy_gettext(
            "An unexpected error occurred. Nothing was imported by this request; "
            "try again, and tell your administrator if it happens again.")
        try:
            with use_locale(erpsync.locale_for(request)):
                response = error_page(erpsync, request, 500, message,
                                      technical=f"{type(exc).__name__}: {exc}")
        except Exception:  # the page itself failed (the database is down, say)
            log.warning("the error page could not be rendered", exc_info=True)
            response = PlainTextResponse(str(message), status_code=500)
        # Sent outside the middleware stack: the headers are set here.
        return add_security_headers(response)

    # The security headers on every dialog, whichever host mounts the app.
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeadersMiddleware)],
                     exception_handlers={HTTPException: http_error, Exception: server_error})

"""``/healthz`` for load balancers and monitoring, and the host's last-resort error page.

``GET /healthz`` answers ``200 {"status": "ok"}`` when the database answers a
trivial query within :data:`DB_TIMEOUT` seconds, else ``503 {"status":
"unavailable", "database": "unreachable"}``. It needs no login and shows
nothing about the data (the reason stays in the server log).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .. import i18n
from ..security import add_security_headers

log = logging.getLogger(__name__)

#: Seconds the database gets to answer before the host counts as unavailable.
DB_TIMEOUT = 5.0
NO_STORE = {"Cache-Control": "no-store"}


def database_ok(db: Engine) -> bool:
    """Whether the database answers ``SELECT 1`` (errors are logged, not raised)."""
    try:
        with db.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
    except Exception:
        log.warning("health check: the database does not answer", exc_info=True)
        return False
    return True


async def healthz(request: Request) -> Response:
    db = request.app.state.db
    try:
        ok = await asyncio.wait_for(run_in_threadpool(database_ok, db), DB_TIMEOUT)
    except TimeoutError:
        log.warning("health check: the database did not answer within %s s", DB_TIMEOUT)
        ok = False
    if ok:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)
    return JSONResponse({"status": "unavailable", "database": "unreachable"},
                        status_code=503, headers=NO_STORE)


def routes() -> list[Route]:
    return [Route("/healthz", healthz, methods=["GET"], name="healthz")]


async def server_error(request: Request, exc: Exception) -> Response:
    """The host's 500 page. Starlette sends it outside the middleware stack, so it
    sets the security headers itself; when even the page cannot be rendered (the
    database is down, say) it falls back to plain localized text."""
    from .web import render

    log.error("request failed: %s %s", request.method, request.url.path, exc_info=exc)
    message = i18n.lazy_gettext(
        "An unexpected error occurred. Nothing was changed by this request; try again, "
        "and tell your administrator if it happens again.")
    locale = getattr(request.state, "locale", None) or i18n.DEFAULT_LOCALE
    response: Response
    try:
        with i18n.use_locale(locale):
            response = render(request, "host/error.html", status_code=500, message=message)
    except Exception:
        log.warning("the error page could not be rendered", exc_info=True)
        with i18n.use_locale(locale):
            response = PlainTextResponse(str(message), status_code=500)
    return add_security_headers(response)

"""ASGI middleware of the reference host: the request's language, security headers."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import i18n
from ..security import SECURITY_HEADERS, SecurityHeadersMiddleware
from . import users
from .hooks import forget_current_user

# The security headers live in erpsync.security (the plugin's app sends them too).
__all__ = ["SECURITY_HEADERS", "LocaleMiddleware", "SecurityHeadersMiddleware"]

log = logging.getLogger(__name__)


class LocaleMiddleware:
    """Sets the language of every request (``erpsync.i18n.use_locale``).

    ``?lang=xx`` switches the language: it is remembered in the session and, for a
    logged-in user, on their profile. Must run inside ``SessionMiddleware``.
    """

    def __init__(self, app: ASGIApp, erpsync: Any, db: Engine) -> None:
        self.app = app
        self.erpsync = erpsync
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            locale = self._locale(request)
        except SQLAlchemyError:
            # The database is down: /healthz must still answer (503), and error
            # pages still come in the language the request asks for.
            log.warning("no user profile for the language: the database does not answer")
            locale = i18n.negotiate_locale(
                request.query_params.get("lang"), request.session.get("lang"),
                accept_language=request.headers.get("accept-language"))
        request.state.locale = locale
        with i18n.use_locale(locale):
            await self.app(scope, receive, send)

    def _locale(self, request: Request) -> str:
        chosen = i18n.normalize_locale(request.query_params.get("lang"))
        if chosen:
            request.session["lang"] = chosen
            user = self.erpsync.current_user(request)
            if user is not None and user.locale != chosen:
                users.set_locale(self.db, user.id, chosen)
                forget_current_user(request)
        # erpsync.locale_for reads it: ?lang, then this, then profile, then browser.
        request.state.erpsync_locale = request.session.get("lang")
        return self.erpsync.locale_for(request)


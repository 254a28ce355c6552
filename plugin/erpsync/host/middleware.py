"""ASGI middleware of the reference host: the request's language, security headers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import i18n
from . import users
from .hooks import forget_current_user


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
        chosen = i18n.normalize_locale(request.query_params.get("lang"))
        if chosen:
            request.session["lang"] = chosen
            user = self.erpsync.current_user(request)
            if user is not None and user.locale != chosen:
                users.set_locale(self.db, user.id, chosen)
                forget_current_user(request)
        # erpsync.locale_for reads it: ?lang, then this, then profile, then browser.
        request.state.erpsync_locale = request.session.get("lang")
        locale = self.erpsync.locale_for(request)
        request.state.locale = locale
        with i18n.use_locale(locale):
            await self.app(scope, receive, send)


#: Sent with every response: no framing, no sniffing, scripts and styles from us only.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

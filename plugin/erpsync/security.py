"""Security helpers shared by erpsync's dialogs and the reference host.

* **CSRF**: one random token per session (:func:`session_csrf_token`), posted
  by every form as ``csrf_token`` (templates call ``{{ csrf_field() }}``) and
  checked server-side (:func:`csrf_matches`). A host that keeps its sessions
  elsewhere answers the :func:`erpsync.hookspecs.erpsync_csrf_token` hook; the
  dialogs ask :meth:`erpsync.app.ErpSync.csrf_token`. ``Origin`` /
  ``Sec-Fetch-Site`` checks stay as a second layer (:func:`same_origin`).
* **Security headers** on every response (:class:`SecurityHeadersMiddleware`,
  :func:`add_security_headers` for error pages sent outside the middleware).
* **Secure cookies** over HTTPS (:class:`SecureCookiesMiddleware`).
* **Login throttling**: failed logins per username and per client address in a
  sliding window, kept in the database so every process of a host sees them
  (:class:`LoginThrottle`).
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from sqlalchemy import Engine, Table, and_, delete, func, insert, or_, select
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .i18n import lazy_gettext as _l
from .i18n import ngettext

# ------------------------------------------------------------------ CSRF

#: The form field (and session key) holding the anti-forgery token.
CSRF_FIELD = "csrf_token"
#: Scripts (and multipart uploads, whose body is streamed) may send it as a header.
CSRF_HEADER = "x-csrf-token"
#: Methods that change nothing, so need no token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CSRF_FAILED = _l("Your session has expired or the form was sent from another site. "
                 "Please try again.")
CROSS_SITE = _l("The form was sent from another site and was ignored. "
                "Open the page again and resubmit.")


def session_csrf_token(request: Any) -> str | None:
    """The anti-forgery token of the request's session, created on first use;
    None when the request has no session (no Starlette ``SessionMiddleware``)."""
    scope = getattr(request, "scope", None) or {}
    if "session" not in scope:
        return None
    session = request.session
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_matches(expected: str | None, posted: Any) -> bool:
    """Whether ``posted`` is the expected token (constant-time comparison)."""
    return bool(expected and isinstance(posted, str) and posted
                and hmac.compare_digest(expected.encode(), posted.encode()))


def csrf_input(token: str | None) -> Markup:
    """The hidden form field carrying ``token`` (nothing when there is none)."""
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD,
                                                                         escape(token))


def is_multipart(request: Any) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def posted_csrf_token(request: Any) -> str | None:
    """The token a request carries: the ``X-CSRF-Token`` header, else for a
    multipart upload (streamed by its view, so not read here) the
    ``csrf_token`` query parameter, else the ``csrf_token`` form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if is_multipart(request):
        value = request.query_params.get(CSRF_FIELD)
        return value or None
    form = await request.form()  # cached on the request: the view reads it again
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def same_origin(request: Any) -> bool:
    """False for a request a browser sent from another site (``Sec-Fetch-Site:
    cross-site`` or an ``Origin`` that is not this host)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host")


# ------------------------------------------------------------------ headers

#: Sent with every response: no framing, no sniffing, scripts only from our own
#: files (no inline script anywhere), forms only to us.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def add_security_headers(response: Any) -> Any:
    """Put :data:`SECURITY_HEADERS` on ``response`` (those it lacks); for error
    pages that Starlette sends outside the middleware stack."""
    for name, value in SECURITY_HEADERS.items():
        if name not in response.headers:
            response.headers[name] = value
    return response


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


class SecureCookiesMiddleware:
    """Marks every cookie ``Secure`` when the request came over HTTPS.

    The scheme is the ASGI scope's: behind a TLS-terminating proxy, run the
    server with proxy headers trusted from that proxy (uvicorn
    ``--forwarded-allow-ips``, or ``ERPSYNC_FORWARDED_ALLOW_IPS`` for ``erpsync
    serve``) so that ``X-Forwarded-Proto: https`` makes the scheme ``https``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookies = headers.getlist("set-cookie")
                if cookies:
                    del headers["set-cookie"]
                    for cookie in cookies:
                        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
                        headers.append("set-cookie",
                                       cookie if "secure" in flags else cookie + "; Secure")
            await send(message)

        await self.app(scope, receive, send_secure)


# ------------------------------------------------------------------ login throttle


def client_address(request: Any) -> str:
    """The client's IP address as the server saw it (behind a proxy, the server
    must trust the proxy's ``X-Forwarded-For``: see :class:`SecureCookiesMiddleware`)."""
    client = getattr(request, "client", None)
    return (client.host if client and client.host else "unknown")[:64]


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failed logins per ``window`` for one key."""

    failures: int
    window: timedelta


#: Defaults: 5 failures per username and 20 per client address in 15 minutes.
USERNAME_LIMIT = Limit(5, timedelta(minutes=15))
ADDRESS_LIMIT = Limit(20, timedelta(minutes=15))


class LoginThrottle:
    """Failed logins counted in a sliding window, per username and per client
    address, in a database table (columns ``username``, ``client_ip``,
    ``failed_at``), so the limit holds across the host's processes.

    A refused attempt (:meth:`retry_after` not None) is not checked at all, so
    it reveals nothing about the password and does not extend the wait.
    """

    def __init__(self, db: Engine, table: Table, *, username_limit: Limit = USERNAME_LIMIT,
                 address_limit: Limit = ADDRESS_LIMIT,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.table = table
        self.username_limit = username_limit
        self.address_limit = address_limit
        self.clock = clock

    def _retry_at(self, conn: Any, column: Any, value: str, limit: Limit,
                  now: datetime) -> datetime | None:
        since = now - limit.window
        times = [_aware(t) for t in conn.execute(
            select(self.table.c.failed_at).where(column == value, self.table.c.failed_at > since)
            .order_by(self.table.c.failed_at.desc()).limit(limit.failures)).scalars()]
        if len(times) < limit.failures:
            return None
        # Allowed again once the oldest of the last `failures` leaves the window.
        return times[-1] + limit.window

    def retry_after(self, username: str, address: str) -> int | None:
        """Seconds until ``username`` may try again from ``address``, or None
        when a login attempt is allowed now."""
        now = self.clock()
        with self.db.connect() as conn:
            found = [self._retry_at(conn, self.table.c.username, username,
                                    self.username_limit, now),
                     self._retry_at(conn, self.table.c.client_ip, address,
                                    self.address_limit, now)]
        latest = max((t for t in found if t is not None), default=None)
        if latest is None or latest <= now:
            return None
        return max(1, math.ceil((latest - now).total_seconds()))

    def record_failure(self, username: str, address: str) -> None:
        """Count a failed login (and forget failures older than every window)."""
        now = self.clock()
        oldest = now - max(self.username_limit.window, self.address_limit.window)
        with self.db.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.failed_at <= oldest))
            conn.execute(insert(self.table).values(username=username[:100],
                                                   client_ip=address[:64], failed_at=now))

    def record_success(self, username: str, address: str) -> None:
        """Forget the username's failures from this address (a typo then the
        right password does not count against the user later)."""
        with self.db.begin() as conn:
            conn.execute(delete(self.table).where(and_(self.table.c.username == username,
                                                       self.table.c.client_ip == address)))

    def failures(self, username: str | None = None, address: str | None = None) -> int:
        """How many failures are on record for ``username`` or ``address``."""
        conditions = []
        if username is not None:
            conditions.append(self.table.c.username == username)
        if address is not None:
            conditions.append(self.table.c.client_ip == address)
        query = select(func.count()).select_from(self.table)
        if conditions:
            query = query.where(or_(*conditions))
        with self.db.connect() as conn:
            return int(conn.execute(query).scalar_one())


def too_many_attempts_message(seconds: int) -> str:
    """The localized message for a refused login: when to try again."""
    minutes = max(1, math.ceil(seconds / 60))
    # Translators: %(num)s is a number of minutes.
    return ngettext("Too many failed login attempts. Try again in %(num)s minute.",
                    "Too many failed login attempts. Try again in %(num)s minutes.", minutes)


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


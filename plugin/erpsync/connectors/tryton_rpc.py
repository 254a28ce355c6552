"""A small JSON-RPC client for Tryton (8.x) over httpx.

Tryton speaks JSON-RPC on ``POST <url>/<database>/rpc/`` (``/rpc/`` for calls
that need no database, such as ``common.server.version``). The client logs in
with ``common.db.login`` and sends ``Authorization: Session base64(login:uid:token)``
afterwards (HTTP Basic would re-hash the password on every call, about 150 ms).

Every failure becomes a :class:`~erpsync.connectors.base.ConnectorError` with a
localized user message and a technical one:

* the server cannot be reached, or answers 429/503: retried a few times with
  exponential backoff, then reported;
* a timeout, a wrong password (401 at login), an unknown database (404), other
  HTTP errors: reported at once;
* a session the server no longer accepts (401 on a later call): one re-login,
  then the call is repeated once;
* HTTP 200 with an ``"error"`` payload: a Tryton ``UserError``/``AccessError``
  shows Tryton's own message; anything else (the str() of a server exception,
  e.g. ``"'nonexistent'"`` for an unknown field) is reported as a request
  Tryton could not carry out;
* a body that is not JSON (an HTML page from a proxy, a truncated answer).

Tryton encodes dates, decimals and bytes as ``{"__class__": ...}`` objects; they
are decoded to :mod:`datetime`/:class:`~decimal.Decimal`/:class:`bytes` values
and encoded back the same way (also inside search domains).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from ..i18n import lazy_gettext
from .base import ConnectorError
from .http_retry import TransportMessages, send_with_retries

log = logging.getLogger(__name__)

#: Status codes worth another try: the server asks us to slow down or is busy.
RETRY_STATUSES = frozenset({429, 503})
#: Tryton exception names whose first argument is a message meant for users.
USER_FAULTS = frozenset({"UserError", "UserWarning", "AccessError", "ConcurrencyException"})


# ------------------------------------------------------------------ encoding


def encode_value(value: Any) -> Any:
    """``json.dumps`` default: Tryton's ``__class__`` objects for non-JSON types."""
    if isinstance(value, dt.datetime):
        return {"__class__": "datetime", "year": value.year, "month": value.month,
                "day": value.day, "hour": value.hour, "minute": value.minute,
                "second": value.second, "microsecond": value.microsecond}
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month,
                "day": value.day}
    if isinstance(value, dt.time):
        return {"__class__": "time", "hour": value.hour, "minute": value.minute,
                "second": value.second, "microsecond": value.microsecond}
    if isinstance(value, dt.timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot encode {type(value).__name__} for Tryton")


_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "datetime": lambda d: dt.datetime(d["year"], d["month"], d["day"], d.get("hour", 0),
                                      d.get("minute", 0), d.get("second", 0),
                                      d.get("microsecond", 0)),
    "date": lambda d: dt.date(d["year"], d["month"], d["day"]),
    "time": lambda d: dt.time(d.get("hour", 0), d.get("minute", 0), d.get("second", 0),
                              d.get("microsecond", 0)),
    "timedelta": lambda d: dt.timedelta(seconds=d["seconds"]),
    "Decimal": lambda d: Decimal(d["decimal"]),
    "bytes": lambda d: base64.b64decode(d["base64"]),
}


def decode_object(obj: dict[str, Any]) -> Any:
    """``json.loads`` object hook for Tryton's ``__class__`` objects."""
    decoder = _DECODERS.get(obj.get("__class__", ""))  # type: ignore[arg-type]
    return decoder(obj) if decoder else obj


# ------------------------------------------------------------------ client


#: Sessions shared by clients of the same endpoint, login and password, so that a
#: connector made per web request does not pay a login (an argon2 hash on the
#: server, 150-280 ms, and a step towards its failed-login limit) every time.
_SESSIONS: dict[tuple[str, str, str], str] = {}
_SESSIONS_LOCK = threading.Lock()


class _SessionRejected(Exception):
    """HTTP 401 on a session call: the caller logs in again once."""


def _snippet(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class TrytonRpc:
    """JSON-RPC calls to one Tryton database with a login session.

    The session is shared with other clients of the same endpoint, login and
    password in this process (see ``_SESSIONS``); each client logs in again on
    its own when the server rejects it.

    ``transport`` lets tests put an :class:`httpx.MockTransport` in place of
    the network. Not thread-safe: use one client per thread.
    """

    def __init__(self, url: str, database: str, user: str, password: str, *,
                 timeout: float = 30.0, retries: int = 2, backoff: float = 0.25,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.user = user
        self._password = password
        self.retries = max(0, retries)
        self.backoff = backoff
        self.endpoint = f"{self.url}/{quote(database, safe='')}/rpc/"
        self._session_key = (self.endpoint, user,
                             hashlib.sha256(password.encode()).hexdigest())
        with _SESSIONS_LOCK:
            self._auth: str | None = _SESSIONS.get(self._session_key)
        self._ids = 0
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  headers={"Content-Type": "application/json"})

    # -- public API ------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def server_version(self) -> str:
        """``common.server.version`` (no database, no login)."""
        try:
            return str(self._post(f"{self.url}/rpc/", "common.server.version", [], auth=None))
        except _SessionRejected as exc:  # 401 without a session: not how Tryton answers
            raise self._not_tryton(str(exc)) from None

    def login(self) -> int:
        """Open a session; returns the user id."""
        params = [self.user, {"password": self._password}, "en"]
        result = self._post(self.endpoint, "common.db.login", params, auth=None, login=True)
        if not (isinstance(result, list) and len(result) >= 2
                and isinstance(result[0], int) and not isinstance(result[0], bool)
                and isinstance(result[1], str) and result[1]):
            raise self._wrong_credentials(f"common.db.login returned {_snippet(repr(result))}")
        uid, token = result[0], result[1]
        self._auth = "Session " + base64.b64encode(
            f"{self.user}:{uid}:{token}".encode()).decode()
        with _SESSIONS_LOCK:
            _SESSIONS[self._session_key] = self._auth
        return int(uid)

    def logout(self) -> None:
        if self._auth is None:
            return
        with contextlib.suppress(ConnectorError, _SessionRejected):  # gone either way
            self._post(self.endpoint, "common.db.logout", [], auth=self._auth)
        self._forget_session()

    def _forget_session(self) -> None:
        with _SESSIONS_LOCK:
            if _SESSIONS.get(self._session_key) == self._auth:
                del _SESSIONS[self._session_key]
        self._auth = None

    def call(self, method: str, *params: Any) -> Any:
        """Call ``method`` in the session, logging in first when needed and
        once more if the server rejects the session (expired, logged out)."""
        if self._auth is None:
            self.login()
        try:
            return self._post(self.endpoint, method, list(params), auth=self._auth)
        except _SessionRejected:
            log.info("Tryton rejected the session for %s; logging in again", method)
            self._forget_session()
            self.login()
            try:
                return self._post(self.endpoint, method, list(params), auth=self._auth)
            except _SessionRejected:
                # Translators: the ERP refused a request right after a fresh login.
                msg = lazy_gettext("Tryton refused the request even after a new login. "
                                   "Check the user's access rights in Tryton.")
                raise ConnectorError(msg, f"HTTP 401 on {method} after re-login") from None

    def model(self, model: str, method: str, *args: Any,
              context: dict[str, Any] | None = None) -> Any:
        """``model.<model>.<method>(*args, context)``: the context always goes last
        (Tryton answers HTTP 422 without it)."""
        return self.call(f"model.{model}.{method}", *args, context or {})

    # -- transport ---------------------------------------------------------
    def _post(self, endpoint: str, method: str, params: list[Any], *, auth: str | None,
              login: bool = False) -> Any:
        self._ids += 1
        body = json.dumps({"id": self._ids, "method": method, "params": params},
                          default=encode_value)
        headers = {"Authorization": auth} if auth else {}
        response = send_with_retries(
            lambda: self._http.post(endpoint, content=body, headers=headers),
            retries=self.retries, backoff=self.backoff, retry_statuses=RETRY_STATUSES,
            messages=self._messages(), where=method)
        return self._result(response, method, login)

    def _messages(self) -> TransportMessages:
        return TransportMessages(
            # Translators: %(url)s is the address of the Tryton server.
            unreachable=lazy_gettext("Cannot reach the Tryton server at %(url)s. Check the "
                                     "address and that the server is running.", url=self.url),
            # Translators: %(url)s is the address of the Tryton server.
            timeout=lazy_gettext("The Tryton server at %(url)s did not answer in time.",
                                 url=self.url),
            # Translators: %(url)s is the address of the Tryton server.
            failed=lazy_gettext("The connection to the Tryton server at %(url)s failed.",
                                url=self.url))

    def _result(self, response: httpx.Response, method: str, login: bool) -> Any:
        status = response.status_code
        technical = f"{method}: HTTP {status} {_snippet(response.text)}"
        if status == 401:
            if login:
                raise self._wrong_credentials(technical)
            raise _SessionRejected(technical)
        if status == 429:
            msg = lazy_gettext("The Tryton server is refusing requests for now (too many "
                               "requests or failed logins). Try again in a few minutes.")
            raise ConnectorError(msg, technical)
        if status == 404:
            # Translators: %(database)s is a Tryton database name, %(url)s the server address.
            msg = lazy_gettext("The Tryton server at %(url)s has no database "
                               "“%(database)s”.", url=self.url, database=self.database)
            raise ConnectorError(msg, technical)
        if status >= 500:
            # Translators: %(status)s is an HTTP status code such as 502.
            msg = lazy_gettext("The Tryton server reported an internal error "
                               "(HTTP %(status)s).", status=status)
            raise ConnectorError(msg, technical)
        if status != 200:
            # Translators: %(status)s is an HTTP status code such as 422.
            msg = lazy_gettext("The Tryton server rejected the request (HTTP %(status)s).",
                               status=status)
            raise ConnectorError(msg, technical)
        payload = self._decode(response, method)
        if "error" in payload:
            raise self._fault(payload["error"], method, login)
        if "result" not in payload:
            raise self._not_tryton(f"{method}: JSON without result or error: "
                                   f"{_snippet(response.text)}")
        return payload["result"]

    def _decode(self, response: httpx.Response, method: str) -> dict[str, Any]:
        content_type = response.headers.get("Content-Type", "")
        try:
            payload = json.loads(response.content, object_hook=decode_object)
        except (ValueError, KeyError, TypeError) as exc:
            if "json" not in content_type.lower():
                raise self._not_tryton(f"{method}: HTTP 200 with Content-Type "
                                       f"{content_type!r}: {_snippet(response.text)}") from exc
            msg = lazy_gettext("The Tryton server sent an answer that is not valid JSON.")
            raise ConnectorError(msg, f"{method}: {exc}: {_snippet(response.text)}") from exc
        if not isinstance(payload, dict):
            raise self._not_tryton(f"{method}: JSON is not an object: "
                                   f"{_snippet(response.text)}")
        return payload

    def _not_tryton(self, technical: str) -> ConnectorError:
        # Translators: %(url)s is the address configured for the Tryton server.
        msg = lazy_gettext("The server at %(url)s does not answer like a Tryton server. "
                           "Check the address.", url=self.url)
        return ConnectorError(msg, technical)

    def _wrong_credentials(self, technical: str) -> ConnectorError:
        # Translators: %(user)s is the Tryton login name of the connection.
        msg = lazy_gettext("Tryton did not accept the user name “%(user)s” with this "
                           "password.", user=self.user)
        return ConnectorError(msg, technical)

    def _fault(self, error: Any, method: str, login: bool) -> ConnectorError:
        technical = f"{method}: Tryton error {_snippet(repr(error), 1000)}"
        name = error[0] if isinstance(error, list) and error else None
        name = name if isinstance(name, str) else None  # any JSON may come back
        args = error[1] if isinstance(error, list) and len(error) > 1 else None
        if login or name == "LoginException":
            return self._wrong_credentials(technical)
        if name in USER_FAULTS and isinstance(args, list) and args and args[0]:
            # Translators: %(message)s is Tryton's own message, in Tryton's language.
            msg = lazy_gettext("Tryton reported: %(message)s", message=str(args[0]))
            return ConnectorError(msg, technical)
        msg = lazy_gettext("The Tryton server could not carry out the request. A field or "
                           "model may be missing from this Tryton database (check its "
                           "installed modules).")
        return ConnectorError(msg, technical)

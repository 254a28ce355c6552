"""The Remote connector: any connector service speaking the connector protocol
as JSON over HTTP (:mod:`erpsync.connectors.remote_protocol`), whatever
language it is written in - or a Python connector served by
``erpsync connector serve``.

Configuration: ``url`` (the service's address, e.g. ``http://erp-bridge:8765``;
the client adds ``/v1/...``), ``token`` (the bearer token, stored encrypted),
``timeout`` (seconds, default 30) and ``retries`` (default 2).

Every failure is a :class:`ConnectorError` with a localized user message:
errors the service reports (``{"error": {...}}``) carry its own user message
(one text or one per language); faults - the service cannot be reached, a wrong
token (401), a timeout, an answer that is not JSON or not the protocol's - get
ours. Only a refused connection and HTTP 503 are retried, ``retries`` times with
exponential backoff (0.25 s, 0.5 s, ...; a 503's ``Retry-After`` is honoured up
to 5 s): those requests never reached the connector, so repeating them is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from .. import __version__, hookimpl
from ..i18n import LazyString, get_locale, lazy_gettext, localize
from .base import (
    ActorType,
    Connector,
    ConnectorError,
    ErpActor,
    FieldAccess,
    FieldMeta,
    FieldType,
    ListItem,
    Restriction,
    SearchPage,
    Severity,
    TestResult,
)
from .http_retry import TransportMessages, send_with_retries, transport_fields
from .remote_protocol import (
    MAX_KEYS,
    MAX_LIMIT,
    PREFIX,
    VERSION,
    decode_actor,
    decode_field,
    decode_item,
    encode_restriction,
    from_localized,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({503})
#: The first wait before a retry (seconds); it doubles each time.
BACKOFF = 0.25
#: Longest excerpt of an unexpected answer kept in a technical message.
EXCERPT = 200


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


class RemoteConnector(Connector):
    """A connector service reached over HTTP (protocol version 1)."""

    name: ClassVar[str] = "remote"
    display_name: ClassVar[Any] = lazy_gettext("Remote connector (HTTP/JSON)")

    def __init__(self, config: Mapping[str, str], *, transport: Any = None) -> None:
        super().__init__(config)
        url = str(self.config.get("url") or "").strip().rstrip("/")
        if url.endswith(PREFIX):
            url = url[: -len(PREFIX)]
        if not url.startswith(("http://", "https://")):
            raise ConnectorError(lazy_gettext("The address of the connector service must "
                                              "start with http:// or https://."),
                                 f"configuration: url={url!r}")
        token = str(self.config.get("token") or "").strip()
        if not token:
            raise ConnectorError(lazy_gettext("Fill in the access token of the connector "
                                              "service."), "configuration: token empty")
        try:
            timeout = float(self.config.get("timeout") or 30)
            retries = int(self.config.get("retries") if self.config.get("retries")
                          not in (None, "") else 2)
            if timeout <= 0 or not 0 <= retries <= 10:
                raise ValueError
        except (TypeError, ValueError):
            raise ConnectorError(lazy_gettext("The timeout must be a positive number of "
                                              "seconds and retries a number from 0 to 10."),
                                 f"configuration: timeout={self.config.get('timeout')!r} "
                                 f"retries={self.config.get('retries')!r}") from None
        self.url = url
        self.retries = retries
        self._client = httpx.Client(
            base_url=url + PREFIX, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                     "User-Agent": f"erpsync/{__version__} remote-connector"})
        self._cache: dict[Any, Any] = {}

    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        return [
            FieldMeta("url", lazy_gettext("Service address"), access=FieldAccess.MANDATORY,
                      help_text=lazy_gettext("For example http://erp-bridge.example.com:8765 "
                                             "(the address erpsync connector serve prints).")),
            FieldMeta("token", lazy_gettext("Access token"), FieldType.PASSWORD,
                      access=FieldAccess.MANDATORY),
            *transport_fields(),
        ]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemoteConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP --------------------------------------------------------------------
    def _call(self, method: str, path: str, *, json: Any = None,
              params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One protocol request; the answer object, or a ConnectorError."""
        where = f"{method} {PREFIX}{path}"
        response = send_with_retries(
            lambda: self._client.request(method, path, json=json, params=params,
                                         headers={"Accept-Language": get_locale()}),
            retries=self.retries, backoff=BACKOFF, retry_statuses=RETRY_STATUSES,
            messages=self._messages(), where=where)
        return self._answer(response, where)

    def _messages(self) -> TransportMessages:
        return TransportMessages(
            # Translators: %(url)s is the address of a connector service.
            unreachable=lazy_gettext("Cannot reach the connector service at %(url)s. Check "
                                     "the address and that the service is running.",
                                     url=self.url),
            # Translators: %(url)s is the address of a connector service.
            timeout=lazy_gettext("The connector service at %(url)s did not answer in time.",
                                 url=self.url),
            # Translators: %(url)s is the address of a connector service.
            failed=lazy_gettext("The connection to the connector service at %(url)s "
                                "failed.", url=self.url))

    def _answer(self, response: httpx.Response, where: str) -> dict[str, Any]:
        status = response.status_code
        technical = f"{where}: HTTP {status}"
        try:
            data = response.json()
        except ValueError:
            data = None
        error = data.get("error") if isinstance(data, dict) else None
        if status == 401:
            msg = lazy_gettext("The connector service did not accept the access token. "
                               "Check the token of the connection.")
            raise ConnectorError(msg, technical)
        if isinstance(error, Mapping):
            # The service's own explanation, in the admin's language when it sent several.
            message = from_localized(error.get("user_message")) or _fallback(status)
            severity = error.get("severity")
            raise ConnectorError(
                message, f"{technical}: {error.get('technical') or error.get('code') or ''}",
                severity=Severity(severity) if severity in {s.value for s in Severity}
                else Severity.ERROR)
        if status == 404 and data is None:
            raise _not_protocol(self.url, f"{technical}: {_shorten(response.text)}")
        if status >= 400:
            raise ConnectorError(_fallback(status),
                                 f"{technical}: {_shorten(response.text)}")
        if data is None:
            msg = lazy_gettext("The connector service sent an answer that is not valid JSON.")
            raise ConnectorError(msg, f"{technical}: {_shorten(response.text)}")
        if not isinstance(data, dict):
            raise _not_protocol(self.url, f"{technical}: not an object: "
                                          f"{_shorten(response.text)}")
        return data

    def _decode(self, what: str, decode: Any, items: Any) -> list[Any]:
        """Decode a list of protocol objects; a malformed one is a ConnectorError."""
        if not isinstance(items, list):
            raise _not_protocol(self.url, f"{what}: expected a list, got "
                                          f"{type(items).__name__}")
        try:
            return [decode(item) for item in items]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _not_protocol(self.url, f"{what}: {type(exc).__name__}: {exc}") from exc

    def _cached(self, key: Any, compute: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- protocol ----------------------------------------------------------------
    def service_info(self) -> dict[str, Any]:
        """What the service says it is (protocol, version, connector)."""
        info = self._call("GET", "/")
        if info.get("protocol") != "erpsync-connector" or info.get("version") != VERSION:
            raise _not_protocol(self.url, f"service info {_shorten(str(info))}")
        return info

    def test(self) -> TestResult:
        try:
            info = self.service_info()
            answer = self._call("POST", "/test")
        except ConnectorError as exc:
            return TestResult(ok=False, message=exc.user_message, technical=exc.technical)
        connector = info.get("connector")
        connector = connector if isinstance(connector, Mapping) else {}  # any JSON may come
        technical = (f"{self.url}: {info.get('server') or '?'}, connector "
                     f"{connector.get('name') or '?'}; {answer.get('technical') or ''}")
        message = from_localized(answer.get("message"))
        if not answer.get("ok"):
            return TestResult(ok=False, message=message or lazy_gettext(
                "The connector service reports that the ERP cannot be used."),
                technical=technical)
        return TestResult(ok=True, message=LazyString(
            _connected, from_localized(connector.get("display_name")) or "?", message),
            technical=technical)

    def actor_types(self) -> list[ActorType]:
        def fetch() -> list[ActorType]:
            return self._decode("actor_types", ActorType,
                                self._call("GET", "/actor-types").get("actor_types"))

        return list(self._cached("actor_types", fetch))

    def fields(self, actor_type: ActorType) -> list[FieldMeta]:
        actor_type = ActorType(actor_type)
        return list(self._cached(("fields", actor_type), lambda: self._decode(
            "fields", decode_field,
            self._call("GET", f"/actor-types/{actor_type.value}/fields").get("fields"))))

    def searchable_fields(self, actor_type: ActorType) -> list[FieldMeta]:
        actor_type = ActorType(actor_type)
        return list(self._cached(("searchable", actor_type), lambda: self._decode(
            "searchable_fields", decode_field,
            self._call("GET", f"/actor-types/{actor_type.value}/searchable-fields")
            .get("fields"))))

    def search(self, actor_type: ActorType, restrictions: list[Restriction],
               offset: int = 0, limit: int = 50) -> SearchPage:
        actor_type = ActorType(actor_type)
        offset, limit = max(0, int(offset)), max(1, min(int(limit), MAX_LIMIT))
        answer = self._call("POST", f"/actor-types/{actor_type.value}/search", json={
            "restrictions": [encode_restriction(r) for r in restrictions],
            "offset": offset, "limit": limit})
        actors = self._decode("search", decode_actor, answer.get("actors"))
        total = answer.get("total")
        if total is not None and (not isinstance(total, int) or isinstance(total, bool)
                                  or total < 0):
            raise _not_protocol(self.url, f"search: total {total!r}")
        return SearchPage(actors=actors, total=total, offset=offset, limit=limit)

    def iter_search(self, actor_type: ActorType, restrictions: list[Restriction],
                    page_size: int = 500) -> Iterator[ErpActor]:
        return super().iter_search(actor_type, restrictions,
                                   page_size=max(1, min(page_size, MAX_LIMIT)))

    def get_actors(self, actor_type: ActorType, keys: Iterable[str]) -> list[ErpActor]:
        actor_type = ActorType(actor_type)
        wanted = list(dict.fromkeys(str(k).strip() for k in keys if str(k).strip()))
        found: list[ErpActor] = []
        for start in range(0, len(wanted), MAX_KEYS):
            answer = self._call("POST", f"/actor-types/{actor_type.value}/by-keys",
                                json={"keys": wanted[start:start + MAX_KEYS]})
            found.extend(self._decode("get_actors", decode_actor, answer.get("actors")))
        return found

    def changed_since(self, actor_type: ActorType, since: datetime,
                      page_size: int = 500) -> Iterator[ErpActor]:
        actor_type = ActorType(actor_type)
        moment = since.isoformat()
        offset = 0
        while True:
            answer = self._call("GET", f"/actor-types/{actor_type.value}/changed-since",
                                params={"since": moment, "offset": offset,
                                        "limit": page_size})
            actors = self._decode("changed_since", decode_actor, answer.get("actors"))
            yield from actors
            if not answer.get("more") or not actors:
                return
            offset += len(actors)

    def list_items(self, list_name: str) -> list[ListItem]:
        return list(self._cached(("list", list_name), lambda: self._decode(
            "list_items", decode_item,
            self._call("GET", f"/lists/{quote(list_name, safe='')}/items").get("items"))))


def _connected(connector: Any, message: Any) -> str:
    text = localize(message)
    # Translators: %(connector)s names the connector behind a connector service;
    # %(message)s is what that connector reported about its ERP.
    return str(lazy_gettext("Connected to the connector service (%(connector)s). "
                            "%(message)s", connector=localize(connector), message=text)).strip()


def _fallback(status: int) -> Any:
    # Translators: %(status)s is an HTTP status code such as 500.
    return lazy_gettext("The connector service rejected the request (HTTP %(status)s).",
                        status=status)


def _not_protocol(url: str, technical: str) -> ConnectorError:
    # Translators: %(url)s is the address of a connector service.
    msg = lazy_gettext("The service at %(url)s does not answer like an erpsync connector "
                       "service (protocol version 1). Check the address.", url=url)
    return ConnectorError(msg, technical)


@hookimpl
def erpsync_connectors(erpsync: Any) -> list[type[Connector]]:
    """Register the Remote connector like any third-party connector plugin."""
    return [RemoteConnector]

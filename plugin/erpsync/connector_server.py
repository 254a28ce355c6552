"""Serve any Python connector over HTTP with the remote connector protocol
(:mod:`erpsync.connectors.remote_protocol`), so another erpsync - or anything
speaking the protocol - can use it as a ``remote`` connection::

    app = create_connector_app(lambda: WorkbookConnector({"path": "demo.xlsx"}),
                               token="a long random token")
    # or: erpsync connector serve --connector workbook --config path=demo.xlsx

Every request needs ``Authorization: Bearer <token>``. Connector calls run in
the thread pool, each worker thread with its own connector instance (made by
the factory on first use), so a connector need not be thread-safe. Failures are
answered as ``Error`` objects: a :class:`ConnectorError` as 422 with its user
message in every supported language, anything unexpected as 500 without
details beyond the exception's type (the full traceback goes to the log).
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .connectors.base import ActorType, Connector, ConnectorError
from .connectors.remote_protocol import (
    ENDPOINTS,
    MAX_KEYS,
    MAX_LIMIT,
    MAX_RESTRICTIONS,
    VERSION,
    Endpoint,
    decode_restriction,
    encode_actor,
    encode_field,
    encode_item,
    encode_page,
    encode_test,
    error_body,
    localized,
    parse_moment,
)
from .i18n import lazy_gettext

log = logging.getLogger(__name__)

#: Environment variable ``erpsync connector serve`` reads the token from.
TOKEN_ENV = "ERPSYNC_CONNECTOR_TOKEN"
#: Largest request body accepted (a by-keys request with MAX_KEYS long keys fits).
MAX_BODY = 1024 * 1024

BAD_TOKEN = lazy_gettext("The connector service did not accept the access token.")
BAD_REQUEST = lazy_gettext("The connector service could not understand the request.")
NOT_FOUND = lazy_gettext("The connector service has no such address. Check the address "
                         "of the connection.")
INTERNAL = lazy_gettext("The connector service failed unexpectedly. Its log has the "
                        "details.")


class BadRequest(Exception):
    """A request the protocol does not allow; ``technical`` says why."""


class ConnectorPool:
    """One connector instance per worker thread, made by ``factory`` on first use."""

    def __init__(self, factory: Callable[[], Connector]) -> None:
        self.factory = factory
        self._local = threading.local()

    def get(self) -> Connector:
        connector = getattr(self._local, "connector", None)
        if connector is None:
            connector = self._local.connector = self.factory()
        return connector


def _error(status: int, code: str, message: Any, technical: str = "",
           severity: str = "error") -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(code, message, technical, severity), status_code=status,
                        headers=headers)


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest(f"request body larger than {MAX_BODY} bytes")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("body is not a JSON object")
    return data


def _int(value: Any, name: str, default: int, minimum: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise BadRequest(f"{name} must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be an integer, not {value!r}") from None
    if not minimum <= number <= maximum:
        raise BadRequest(f"{name} must be from {minimum} to {maximum}, not {number}")
    return number


def _actor_type(request: Request) -> ActorType:
    raw = request.path_params.get("actor_type", "")
    try:
        return ActorType(raw)
    except ValueError:
        # Translators: %(actor_type)s is an actor type name from a request.
        raise ConnectorError(lazy_gettext("Unknown actor type: %(actor_type)s.",
                                          actor_type=raw), f"actor type {raw!r}") from None


# ------------------------------------------------------------------ operations
# Each takes the pool and the request and returns the JSON answer. The
# connector work runs in a worker thread.

Operation = Callable[[ConnectorPool, Request], Awaitable[Any]]


def _service_info(name: str, display_name: Any, server: str) -> Operation:
    async def service_info(pool: ConnectorPool, request: Request) -> Any:
        return {"protocol": "erpsync-connector", "version": VERSION,
                "connector": {"name": name, "display_name": localized(display_name) or name},
                "server": server}

    return service_info


async def _config_fields(pool: ConnectorPool, request: Request) -> Any:
    connector = await run_in_threadpool(pool.get)
    return {"fields": [encode_field(f) for f in type(connector).config_fields()]}


async def _test(pool: ConnectorPool, request: Request) -> Any:
    def call() -> Any:
        return encode_test(pool.get().test())

    return await run_in_threadpool(call)


async def _actor_types(pool: ConnectorPool, request: Request) -> Any:
    def call() -> Any:
        return {"actor_types": [ActorType(t).value for t in pool.get().actor_types()]}

    return await run_in_threadpool(call)


async def _fields(pool: ConnectorPool, request: Request) -> Any:
    actor_type = _actor_type(request)
    return await run_in_threadpool(
        lambda: {"fields": [encode_field(f) for f in pool.get().fields(actor_type)]})


async def _searchable_fields(pool: ConnectorPool, request: Request) -> Any:
    actor_type = _actor_type(request)
    return await run_in_threadpool(
        lambda: {"fields": [encode_field(f) for f in
                            pool.get().searchable_fields(actor_type)]})


async def _search(pool: ConnectorPool, request: Request) -> Any:
    actor_type = _actor_type(request)
    body = await _json_body(request)
    raw = body.get("restrictions") or []
    if not isinstance(raw, list) or len(raw) > MAX_RESTRICTIONS:
        raise BadRequest(f"restrictions must be a list of at most {MAX_RESTRICTIONS}")
    try:
        restrictions = [decode_restriction(r) for r in raw]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"bad restriction: {exc}") from exc
    offset = _int(body.get("offset"), "offset", 0, 0, 2**62)
    limit = _int(body.get("limit"), "limit", 50, 1, MAX_LIMIT)
    return await run_in_threadpool(lambda: encode_page(
        pool.get().search(actor_type, restrictions, offset=offset, limit=limit)))


async def _get_actors(pool: ConnectorPool, request: Request) -> Any:
    actor_type = _actor_type(request)
    body = await _json_body(request)
    keys = body.get("keys")
    if (not isinstance(keys, list) or len(keys) > MAX_KEYS
            or not all(isinstance(k, str) for k in keys)):
        raise BadRequest(f"keys must be a list of at most {MAX_KEYS} texts")
    return await run_in_threadpool(lambda: {"actors": [
        encode_actor(a) for a in pool.get().get_actors(actor_type, keys)]})


async def _changed_since(pool: ConnectorPool, request: Request) -> Any:
    actor_type = _actor_type(request)
    query = request.query_params
    try:
        since = parse_moment(query.get("since"))
    except ValueError as exc:
        raise BadRequest(f"since must be an ISO 8601 date and time: {exc}") from exc
    offset = _int(query.get("offset"), "offset", 0, 0, 2**62)
    limit = _int(query.get("limit"), "limit", 500, 1, MAX_LIMIT)

    def call() -> Any:
        # The connector's order is stable, so a page is a slice of it; one
        # extra actor tells whether there is a next page.
        actors = pool.get().changed_since(actor_type, since)
        try:
            page = list(itertools.islice(actors, offset, offset + limit + 1))
        finally:
            close = getattr(actors, "close", None)
            if close is not None:
                close()
        return {"actors": [encode_actor(a) for a in page[:limit]], "offset": offset,
                "limit": limit, "more": len(page) > limit}

    return await run_in_threadpool(call)


async def _list_items(pool: ConnectorPool, request: Request) -> Any:
    name = request.path_params.get("list_name", "")
    return await run_in_threadpool(lambda: {"items": [
        encode_item(i) for i in pool.get().list_items(name)]})


_OPERATIONS: dict[str, Operation] = {
    "config_fields": _config_fields,
    "test": _test,
    "actor_types": _actor_types,
    "fields": _fields,
    "searchable_fields": _searchable_fields,
    "search": _search,
    "get_actors": _get_actors,
    "changed_since": _changed_since,
    "list_items": _list_items,
}


# ------------------------------------------------------------------ the app


def _route(endpoint: Endpoint, operation: Operation, pool: ConnectorPool,
           token: str) -> Route:
    async def handle(request: Request) -> Response:
        if not _authorized(request, token):
            return _error(401, "unauthorized", BAD_TOKEN, "missing or wrong bearer token")
        try:
            answer = await operation(pool, request)
        except BadRequest as exc:
            return _error(400, "bad_request", BAD_REQUEST, str(exc))
        except ConnectorError as exc:
            return _error(422, "connector_error", exc.user_message, exc.technical,
                          exc.severity.value)
        except Exception as exc:  # noqa: BLE001 - answered as an Error object, logged
            log.exception("connector operation %s failed", endpoint.operation)
            return _error(500, "internal_error", INTERNAL, type(exc).__name__)
        return JSONResponse(answer)

    handle.__name__ = endpoint.operation
    return Route(endpoint.full_path, handle, methods=[endpoint.method],
                 name=endpoint.operation)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 405:
        return _error(405, "method_not_allowed", NOT_FOUND, f"{request.method} not allowed")
    return _error(404 if status == 404 else 400, "not_found" if status == 404
                  else "bad_request", NOT_FOUND if status == 404 else BAD_REQUEST,
                  f"{request.method} {request.url.path}: HTTP {status}")


def create_connector_app(factory: Callable[[], Connector], token: str, *,
                         name: str = "", display_name: Any = None) -> Starlette:
    """An ASGI app serving the connectors ``factory`` makes, guarded by ``token``.

    ``name``/``display_name`` describe the connector in the service info
    (default: the class's). Raises ValueError for an empty token.
    """
    if not token or not token.strip():
        raise ValueError("the connector service needs a token")
    from . import __version__

    pool = ConnectorPool(factory)
    operations = dict(_OPERATIONS)
    operations["service_info"] = _service_info(name, display_name or name,
                                               f"erpsync {__version__}")
    missing = {e.operation for e in ENDPOINTS} - set(operations)
    assert not missing, f"endpoints without an operation: {missing}"
    routes = [_route(e, operations[e.operation], pool, token.strip()) for e in ENDPOINTS]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


def app_for(classes: dict[str, type[Connector]], connector_name: str,
            config: dict[str, Any], token: str) -> Starlette:
    """The app serving the installed connector ``connector_name`` with
    ``config``. One instance is made at once, so that a bad configuration
    fails here (a :class:`ConnectorError`) and not on the first request."""
    from .connectors.registry import make_connector

    first = make_connector(classes, connector_name, config)
    made = [first]

    def factory() -> Connector:
        # The first worker thread gets the instance made above.
        return made.pop() if made else make_connector(classes, connector_name, config)

    cls = type(first)
    return create_connector_app(factory, token, name=cls.name,
                                display_name=cls.display_name or cls.name)

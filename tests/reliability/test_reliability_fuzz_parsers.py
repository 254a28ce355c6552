"""Random and malformed answers (hypothesis) fed to the connectors' response
parsing - Tryton's JSON-RPC client and the Remote connector - and random
requests fed to the remote connector server: every failure is a
ConnectorError (or a protocol error answer) with a clear, localized message,
never an unhandled exception or a server error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from erpsync.connector_server import create_connector_app
from erpsync.connectors.base import ActorType, ConnectorError, Operator, Restriction
from erpsync.connectors.remote import RemoteConnector
from erpsync.connectors.remote_protocol import ENDPOINTS, PREFIX, VERSION
from erpsync.connectors.tryton_rpc import TrytonRpc
from erpsync.connectors.workbook import WorkbookConnector
from erpsync.i18n import localize, use_locale
from erpsync.paths import DEMO_DATA_DIR
from reliability_figures import record

FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])
RUN: dict[str, int] = {}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25)
statuses = st.sampled_from([200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 409,
                            422, 429, 500, 502, 503])
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "text/html", "text/plain", ""])


def _body(draw_kind: str, value: Any, raw: bytes) -> bytes:
    if draw_kind == "json":
        return json.dumps(value).encode()
    if draw_kind == "truncated":
        text = json.dumps(value).encode()
        return text[: max(0, len(text) // 2)]
    return raw


bodies = st.tuples(st.sampled_from(["json", "json", "truncated", "raw"]), json_values,
                   st.binary(max_size=200)).map(lambda t: _body(*t))


def _clear(error: ConnectorError) -> None:
    """A ConnectorError the admin can read: a localized message in each language."""
    for lang in ("en", "nl", "no"):
        with use_locale(lang):
            assert localize(error.user_message).strip(), error.technical


# ------------------------------------------------------------------ Tryton JSON-RPC


def _rpc_answer(payload: Any) -> Any:
    """Wrap some of the random values as JSON-RPC answers, leave others raw."""
    return st.one_of(st.just(payload), st.just({"id": 1, "result": payload}),
                     st.just({"id": 1, "error": payload}))


@FUZZ
@given(status=statuses, content_type=content_types, body=bodies,
       wrapped=json_values.flatmap(_rpc_answer), use_wrapped=st.booleans(),
       call=st.sampled_from(["version", "login", "search", "read"]))
def test_tryton_rpc_answers(status: int, content_type: str, body: bytes, wrapped: Any,
                            use_wrapped: bool, call: str) -> None:
    RUN["tryton rpc"] = RUN.get("tryton rpc", 0) + 1
    content = json.dumps(wrapped).encode() if use_wrapped else body

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content,
                              headers={"Content-Type": content_type} if content_type else {})

    rpc = TrytonRpc("http://tryton.test:8000", "crm", f"user-{RUN['tryton rpc']}", "pw",
                    retries=1, backoff=0, transport=httpx.MockTransport(handler))
    try:
        if call == "version":
            rpc.server_version()
        elif call == "login":
            rpc.login()
        elif call == "search":
            rpc.model("party.party", "search", [], 0, 10, None)
        else:
            rpc.model("party.party", "read", [1], ["name"])
    except ConnectorError as error:
        _clear(error)
    finally:
        rpc.close()


# ------------------------------------------------------------------ Remote connector


REMOTE_CALLS = ["service_info", "test", "actor_types", "fields", "searchable_fields",
                "search", "get_actors", "changed_since", "list_items"]


@FUZZ
@given(status=statuses, content_type=content_types, body=bodies, answer=json_values,
       use_answer=st.booleans(), call=st.sampled_from(REMOTE_CALLS))
def test_remote_connector_answers(status: int, content_type: str, body: bytes, answer: Any,
                                  use_answer: bool, call: str) -> None:
    RUN["remote connector"] = RUN.get("remote connector", 0) + 1
    # Often a protocol-shaped object with random values, so decoding is reached.
    keys = {"actor_types", "fields", "actors", "items", "total", "more", "ok", "error",
            "connector", "server", "message", "technical"}
    shaped = {"protocol": "erpsync-connector", "version": VERSION,
              **{k: answer for k in keys}}
    content = json.dumps(shaped).encode() if use_answer else body

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content,
                              headers={"Content-Type": content_type} if content_type else {})

    connector = RemoteConnector({"url": "http://bridge.test", "token": "t", "retries": "0"},
                                transport=httpx.MockTransport(handler))
    from datetime import UTC, datetime

    try:
        with connector:
            result: Any
            if call == "test":
                result = connector.test()
                _clear_test(result)
            elif call == "search":
                result = connector.search(
                    ActorType.CUSTOMER, [Restriction("NAME", Operator.BEGINS, ["a"])], 0, 10)
                assert all(a.key for a in result.actors) or not result.actors
            elif call == "get_actors":
                connector.get_actors(ActorType.PERSON, ["K1", "K2"])
            elif call == "changed_since":
                list(connector.changed_since(ActorType.CUSTOMER, datetime(2024, 1, 1,
                                                                         tzinfo=UTC)))
            elif call in ("fields", "searchable_fields"):
                getattr(connector, call)(ActorType.SUPPLIER)
            elif call == "list_items":
                connector.list_items("category")
            else:
                getattr(connector, call)()
    except ConnectorError as error:
        _clear(error)


def _clear_test(result: Any) -> None:
    with use_locale("nl"):
        assert localize(result.message).strip() or result.ok


# ------------------------------------------------------------------ the server side

TOKEN = "fuzz-token-0123456789"


@pytest.fixture(scope="module")
def server() -> Any:
    app = create_connector_app(lambda: WorkbookConnector({"path": str(DEMO_DATA_DIR)}),
                               token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


paths = st.one_of(
    st.sampled_from([e.full_path for e in ENDPOINTS]).map(
        lambda p: p.replace("{actor_type}", "customer").replace("{list_name}", "category")),
    st.sampled_from([e.full_path for e in ENDPOINTS]).flatmap(
        lambda p: st.text(max_size=20).map(
            lambda t: p.replace("{actor_type}", t or "x").replace("{list_name}", t or "x"))),
    st.text(max_size=30).map(lambda t: PREFIX + "/" + t))
search_bodies = st.fixed_dictionaries({}, optional={
    "restrictions": st.one_of(json_values, st.lists(st.fixed_dictionaries({}, optional={
        "field": st.one_of(st.sampled_from(["NAME", "POSTALCITY", "NOPE"]), json_values),
        "operator": st.one_of(st.sampled_from([o.value for o in Operator]), json_values),
        "values": st.one_of(st.lists(st.text(max_size=10), max_size=3), json_values),
    }), max_size=4)),
    "offset": json_values, "limit": json_values,
    "keys": st.one_of(st.lists(st.text(max_size=12), max_size=5), json_values)})


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "POST", "PUT", "DELETE"]), path=paths,
       body=st.one_of(search_bodies.map(lambda b: json.dumps(b).encode()), bodies),
       query=st.dictionaries(st.sampled_from(["since", "offset", "limit", "x"]),
                             st.text(max_size=25), max_size=3),
       token=st.sampled_from([TOKEN, TOKEN, TOKEN, "wrong", ""]))
def test_remote_server_requests(server: TestClient, method: str, path: str, body: bytes,
                                query: dict[str, str], token: str) -> None:
    RUN["remote server"] = RUN.get("remote server", 0) + 1
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = server.request(method, path, content=body, params=query, headers=headers)
    except httpx.InvalidURL:
        return  # httpx itself refuses to send such a URL
    assert response.status_code < 500, (method, path, body[:100], response.text[:300])
    data = response.json()
    if response.status_code >= 400:
        error = data["error"]
        assert error["code"] and error["user_message"], data


def test_zz_record_the_fuzz_figures() -> None:
    if not RUN:
        pytest.skip("the fuzz tests did not run in this session")
    record("reliability.fuzz.parsers", examples=sum(RUN.values()),
           **{k.replace(" ", "_"): v for k, v in sorted(RUN.items())}, unhandled=0)

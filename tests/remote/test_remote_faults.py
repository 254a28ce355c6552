"""Faults between the Remote connector and its service, simulated with an
httpx mock transport: what is retried (connect errors, 503) and what is not,
and how garbage becomes a localized ConnectorError."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from erpsync.connectors import http_retry
from erpsync.connectors.base import ActorType, ConnectorError, Severity
from erpsync.connectors.remote import RemoteConnector
from erpsync.i18n import localize, use_locale

SECRET = "s3cret-token-do-not-leak"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(http_retry.time, "sleep", slept.append)
    return slept


def connector(handler: Handler, retries: int = 2) -> RemoteConnector:
    return RemoteConnector({"url": "http://erp-bridge.test:8765", "token": SECRET,
                            "retries": str(retries)}, transport=httpx.MockTransport(handler))


def english(value: object) -> str:
    with use_locale("en"):
        return localize(value)


def failure(handler: Handler, retries: int = 2) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        connector(handler, retries).actor_types()
    assert SECRET not in caught.value.technical
    return caught.value


def test_requests_carry_the_bearer_token_and_the_admins_language():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"actor_types": ["customer"]})

    with use_locale("nl"):
        assert connector(handler).actor_types() == [ActorType.CUSTOMER]
    assert seen[0].url == "http://erp-bridge.test:8765/v1/actor-types"
    assert seen[0].headers["authorization"] == f"Bearer {SECRET}"
    assert seen[0].headers["accept-language"] == "nl"


def test_connect_errors_are_retried_with_backoff_then_reported(sleeps):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("Connection refused", request=request)

    error = failure(handler, retries=3)
    assert len(calls) == 4 and sleeps == [0.25, 0.5, 1.0]
    assert english(error.user_message).startswith(
        "Cannot reach the connector service at http://erp-bridge.test:8765.")
    assert "after 4 attempts" in error.technical


def test_a_connect_error_then_success(sleeps):
    answers = iter([httpx.ConnectError("refused"),
                    httpx.Response(200, json={"actor_types": ["person"]})])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert connector(handler).actor_types() == [ActorType.PERSON]
    assert sleeps == [0.25]


def test_503_is_retried_honouring_retry_after_up_to_five_seconds(sleeps):
    answers = iter([httpx.Response(503, headers={"Retry-After": "2"}),
                    httpx.Response(503, headers={"Retry-After": "60"}),
                    httpx.Response(200, json={"actor_types": []})])
    assert connector(lambda request: next(answers)).actor_types() == []
    assert sleeps == [2.0, 5.0]


def test_503_for_too_long_is_reported(sleeps):
    error = failure(lambda request: httpx.Response(503, text="busy"), retries=1)
    assert english(error.user_message) == \
        "The connector service rejected the request (HTTP 503)."
    assert sleeps == [0.25]


@pytest.mark.parametrize("status", [500, 502, 429, 400])
def test_other_statuses_are_not_retried(sleeps, status):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, text="<html>oops</html>")

    error = failure(handler)
    assert len(calls) == 1 and sleeps == []
    assert english(error.user_message) == \
        f"The connector service rejected the request (HTTP {status})."
    assert "<html>oops</html>" in error.technical


def test_timeouts_are_reported_at_once(sleeps):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    error = failure(handler)
    assert len(calls) == 1 and sleeps == []
    assert english(error.user_message) == \
        "The connector service at http://erp-bridge.test:8765 did not answer in time."


def test_a_broken_connection_is_reported(sleeps):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    error = failure(handler)
    assert "The connection to the connector service" in english(error.user_message)


@pytest.mark.parametrize(("body", "expected"), [
    ("<html>proxy error</html>", "not valid JSON"),
    ("{\"actor_types\": [\"customer\"", "not valid JSON"),
    ("[1, 2, 3]", "does not answer like an erpsync connector service"),
    ("{\"actor_types\": \"customer\"}", "does not answer like an erpsync connector service"),
    ("{\"actor_types\": [\"spaceship\"]}", "does not answer like an erpsync connector service"),
    ("{}", "does not answer like an erpsync connector service"),
])
def test_garbage_answers_are_localized_errors(body, expected):
    error = failure(lambda request: httpx.Response(
        200, content=body.encode(), headers={"Content-Type": "application/json"}))
    assert expected in english(error.user_message)


def test_a_page_not_served_by_the_protocol_is_named_so():
    error = failure(lambda request: httpx.Response(404, text="Not Found"))
    assert "does not answer like an erpsync connector service" in \
        english(error.user_message)


def test_malformed_actors_are_localized_errors():
    bad = {"actors": [{"actor_type": "customer", "key": "1", "fields": {"NAME": {"x": 1}}}],
           "total": 1}
    with pytest.raises(ConnectorError) as caught:
        connector(lambda request: httpx.Response(200, json=bad)).search(
            ActorType.CUSTOMER, [])
    assert "does not answer like an erpsync connector service" in \
        english(caught.value.user_message)
    assert "NAME" in caught.value.technical


def test_the_services_own_message_is_shown_in_the_admins_language():
    body = {"error": {"code": "connector_error", "severity": "warning",
                      "technical": "ORA-12541: no listener",
                      "user_message": {"en": "The ERP database is down.",
                                       "nl": "De ERP-database is onbereikbaar.",
                                       "nb": "ERP-databasen er nede."}}}
    error = failure(lambda request: httpx.Response(422, json=body))
    assert english(error.user_message) == "The ERP database is down."
    with use_locale("nl"):
        assert localize(error.user_message) == "De ERP-database is onbereikbaar."
    with use_locale("no"):  # "nb" from the service is Norwegian too
        assert localize(error.user_message) == "ERP-databasen er nede."
    assert "ORA-12541" in error.technical and "HTTP 422" in error.technical
    assert error.severity is Severity.WARNING

    plain = failure(lambda request: httpx.Response(
        500, json={"error": {"code": "internal_error", "user_message": "Kaputt"}}))
    assert english(plain.user_message) == "Kaputt"


def test_a_failed_test_is_a_result_not_an_exception():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/":
            return httpx.Response(200, json={
                "protocol": "erpsync-connector", "version": 1, "server": "bridge 2.0",
                "connector": {"name": "visma", "display_name": "Visma"}})
        return httpx.Response(200, json={"ok": False, "technical": "login failed",
                                         "message": {"en": "Wrong ERP password."}})

    result = connector(handler).test()
    assert not result.ok
    assert english(result.message) == "Wrong ERP password."
    assert "login failed" in result.technical and "bridge 2.0" in result.technical


def test_another_protocol_version_fails_the_test():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"protocol": "erpsync-connector", "version": 2,
                                         "connector": {"name": "x", "display_name": "X"}})

    result = connector(handler).test()
    assert not result.ok
    assert "protocol version 1" in english(result.message)


def test_the_token_never_reaches_the_log(caplog, sleeps):
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    failure(handler, retries=2)
    connector(lambda request: httpx.Response(200, json={"actor_types": []})).actor_types()
    assert caplog.records, "expected log records of the retries"
    assert SECRET not in caplog.text
    assert SECRET not in json.dumps([r.getMessage() for r in caplog.records])

"""Failures become localized ConnectorErrors: wrong password, unknown database,
server down or stopped mid-iteration, Tryton error payloads, and (from a tiny
stub server, since Tryton cannot be made to send them) malformed JSON, HTML
pages, 429/503 with retries and timeouts."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tryton_helpers import trytonctl

from erpsync.connectors.base import ActorType, ConnectorError
from erpsync.connectors.tryton import TrytonConnector
from erpsync.connectors.tryton_rpc import TrytonRpc
from erpsync.i18n import LazyString, use_locale

WRONG_CREDENTIALS = "did not accept the user name"
UNREACHABLE = "Cannot reach the Tryton server"


def _message(error: ConnectorError) -> str:
    """The English user message; it must also exist, translated, in Dutch."""
    assert isinstance(error.user_message, LazyString)  # rendered in the admin's language
    with use_locale("en"):
        english = str(error.user_message)
    with use_locale("nl"):
        assert str(error.user_message) != english, "no Dutch translation"
    return english


# ------------------------------------------------------------------ real server


def test_wrong_password(tryton_config: dict[str, str]) -> None:
    # One failed attempt per login name: Tryton slows down repeated failures.
    with TrytonConnector({**tryton_config, "password": "wrong"}) as conn:
        result = conn.test()
    assert not result.ok
    assert WRONG_CREDENTIALS in str(result.message)
    assert "401" in result.technical
    throwaway = f"nobody-{uuid.uuid4().hex[:8]}"
    with TrytonConnector({**tryton_config, "user": throwaway}) as conn, \
            pytest.raises(ConnectorError) as info:
        conn.search(ActorType.CUSTOMER, [])
    assert WRONG_CREDENTIALS in _message(info.value) and throwaway in _message(info.value)


def test_unknown_database(tryton_config: dict[str, str]) -> None:
    with TrytonConnector({**tryton_config, "database": "nope"}) as conn:
        result = conn.test()
    assert not result.ok and "nope" in str(result.message) and "404" in result.technical


def test_server_down(tryton_config: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{trytonctl.free_port()}"
    started = time.monotonic()
    with TrytonConnector({**tryton_config, "url": url, "retries": "2"}) as conn, \
            pytest.raises(ConnectorError) as info:
        conn.actor_types()
    assert UNREACHABLE in _message(info.value)
    assert "after 3 attempts" in info.value.technical
    assert time.monotonic() - started < 3  # bounded backoff: 0.25 + 0.5 s


def test_error_payloads(raw: TrytonRpc) -> None:
    with pytest.raises(ConnectorError) as info:  # HTTP 200 {"error": ["'nonexistent'", ""]}
        raw.model("party.party", "search", [["nonexistent", "=", 1]], 0, None, None)
    assert "could not carry out" in _message(info.value)
    assert "nonexistent" in info.value.technical
    with pytest.raises(ConnectorError) as info:  # a UserError shows Tryton's message
        raw.model("party.identifier", "create", [{"party": 1, "type": "nl_btw", "code": "x"}])
    assert _message(info.value).startswith("Tryton reported: ")
    assert "nl_btw" in _message(info.value)


def test_expired_session_logs_in_again(tryton_config: dict[str, str]) -> None:
    with TrytonConnector(tryton_config) as conn:
        conn.search(ActorType.CUSTOMER, [], 0, 1)
        old = conn.rpc._auth
        conn.rpc.call("common.db.logout")  # the server forgets the session
        page = conn.search(ActorType.CUSTOMER, [], 0, 1)
        assert page.actors and conn.rpc._auth not in (None, old)


def test_server_stopped_mid_iteration(tryton_fixture_dir: Path, tmp_path: Path,
                                      tryton_config: dict[str, str]) -> None:
    server = trytonctl.TrytonServer.from_fixture(tmp_path, fixture=tryton_fixture_dir)
    server.start()
    try:
        config = {**tryton_config, "url": server.url, "retries": "1"}
        with TrytonConnector(config) as conn:
            actors = conn.iter_search(ActorType.CUSTOMER, [], page_size=20)
            first = [next(actors) for _ in range(20)]
            server.stop()
            with pytest.raises(ConnectorError) as info:
                next(actors)
            assert UNREACHABLE in _message(info.value)
            # Same port, same database: the session survives a restart.
            server.start(port=server.port)
            again = list(conn.iter_search(ActorType.CUSTOMER, [], page_size=20))
            assert [a.key for a in again[:20]] == [a.key for a in first]
            assert len(again) > 20
    finally:
        server.stop()


# ------------------------------------------------------------------ stub server

Reply = tuple[int, str, bytes, float]  # status, content type, body, delay


class _Stub(BaseHTTPRequestHandler):
    replies: list[Reply]
    calls: list[str]

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        self.calls.append(json.loads(self.rfile.read(length))["method"])
        status, content_type, body, delay = (self.replies.pop(0) if len(self.replies) > 1
                                             else self.replies[0])
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[Any]:
    """A local HTTP server answering with scripted replies (the last one repeats)."""
    handler = type("Stub", (_Stub,), {"replies": [], "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler
    server.shutdown()
    server.server_close()


def _json(payload: Any) -> Reply:
    return (200, "application/json", json.dumps(payload).encode(), 0.0)


def _rpc(url: str, **kwargs: Any) -> TrytonRpc:
    return TrytonRpc(url, "crm", "admin", "pw", backoff=0.01, **kwargs)


def test_malformed_json(stub: Any) -> None:
    stub.replies = [(200, "application/json", b'{"id": 1, "result": [1, "tok', 0.0)]
    with pytest.raises(ConnectorError) as info:
        _rpc(stub.url).server_version()
    assert "not valid JSON" in _message(info.value)
    assert '"tok' in info.value.technical


def test_html_page_is_not_tryton(stub: Any) -> None:
    stub.replies = [(200, "text/html", b"<html><body>Welcome to nginx</body></html>", 0.0)]
    with pytest.raises(ConnectorError) as info:
        _rpc(stub.url).login()
    assert "does not answer like a Tryton server" in _message(info.value)
    assert "nginx" in info.value.technical
    stub.replies = [_json(["not", "an", "object"])]
    with pytest.raises(ConnectorError):
        _rpc(stub.url).server_version()


def test_503_and_429_are_retried_with_backoff(stub: Any) -> None:
    busy = (503, "text/html", b"<h1>Service Unavailable</h1>", 0.0)
    stub.replies = [busy, busy, _json({"id": 1, "result": "8.2"})]
    assert _rpc(stub.url, retries=2).server_version() == "8.2"
    assert len(stub.calls) == 3
    stub.calls.clear()
    stub.replies = [(429, "text/html", b"<h1>Too Many Requests</h1>", 0.0)]
    with pytest.raises(ConnectorError) as info:
        _rpc(stub.url, retries=2).login()
    assert len(stub.calls) == 3 and "429" in info.value.technical
    assert "Try again in a few minutes" in _message(info.value)


def test_other_http_errors_are_not_retried(stub: Any) -> None:
    stub.replies = [(502, "text/html", b"<h1>Bad Gateway</h1>", 0.0)]
    with pytest.raises(ConnectorError) as info:
        _rpc(stub.url, retries=3).server_version()
    assert len(stub.calls) == 1
    assert "502" in _message(info.value)


def test_timeout(stub: Any) -> None:
    stub.replies = [(200, "application/json", b'{"id": 1, "result": "8.2"}', 1.0)]
    started = time.monotonic()
    with pytest.raises(ConnectorError) as info:
        _rpc(stub.url, timeout=0.2, retries=3).server_version()
    assert "did not answer in time" in _message(info.value)
    assert len(stub.calls) == 1 and time.monotonic() - started < 1.0


def test_session_rejected_twice(stub: Any) -> None:
    login = _json({"id": 1, "result": [1, "token", None]})
    rejected = (401, "text/html", b"", 0.0)
    stub.replies = [login, rejected, login, rejected]
    rpc = _rpc(stub.url)
    with pytest.raises(ConnectorError) as info:
        rpc.model("party.party", "search_count", [], 0, None)
    assert stub.calls == ["common.db.login", "model.party.party.search_count",
                          "common.db.login", "model.party.party.search_count"]
    assert "after re-login" in info.value.technical


def test_session_is_shared_between_clients(stub: Any) -> None:
    stub.replies = [_json({"id": 1, "result": [1, "token", None]}),
                    _json({"id": 2, "result": 7})]
    assert _rpc(stub.url).model("party.party", "search_count", [], 0, None) == 7
    assert _rpc(stub.url).model("party.party", "search_count", [], 0, None) == 7
    assert stub.calls.count("common.db.login") == 1
    other = TrytonRpc(stub.url, "crm", "admin", "other password", backoff=0.01)
    stub.replies = [_json({"id": 1, "result": [1, "token2", None]}),
                    _json({"id": 2, "result": 7})]
    other.model("party.party", "search_count", [], 0, None)
    assert stub.calls.count("common.db.login") == 2

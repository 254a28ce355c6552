"""Login: failed attempts throttled per username and per client address in a
sliding window kept in the database (so two processes share it), a localized
message saying when to retry; session cookies HttpOnly, SameSite, Secure over
HTTPS; a new session on login; logout; the CSRF token hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from security_helpers import csrf_of, login, text_of
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from erpsync import hookimpl
from erpsync.app import ErpSync
from erpsync.host.app import SESSION_COOKIE, create_app
from erpsync.host.models import login_failure
from erpsync.security import Limit, LoginThrottle
from reliability_figures import record

TOO_MANY = "Too many failed login attempts."


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Starlette) -> Clock:
    clock = Clock()
    app.state.login_throttle.clock = clock
    return clock


def attempt(client: TestClient, username: str, password: str, **headers: str):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/settings"},
                       headers=headers or None)


def client_at(app: Starlette, address: str) -> TestClient:
    return TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"},
                      client=(address, 40000))


def test_failures_per_username_lock_that_name_with_a_retry_time(app: Starlette,
                                                                clock: Clock) -> None:
    tried = 0
    with client_at(app, "10.0.0.1") as one, client_at(app, "10.0.0.2") as two:
        for _ in range(5):
            assert attempt(one, "admin", "wrong").status_code == 400
            tried += 1
        # The sixth, even with the right password and from another address, is refused.
        refused = attempt(two, "ADMIN ", "admin")
        tried += 1
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(15 * 60)
        assert f"{TOO_MANY} Try again in 15 minutes." in text_of(refused.text)
        assert one.get("/settings").status_code == 303  # still logged out
        # Other usernames are not affected.
        assert attempt(two, "viewer", "viewer").status_code == 303
        # Sliding window: 14 minutes later it is still locked, one minute later not.
        clock.advance(minutes=14)
        late = attempt(one, "admin", "admin")
        assert late.status_code == 429 and "Try again in 1 minute." in text_of(late.text)
        clock.advance(minutes=1, seconds=1)
        assert attempt(one, "admin", "admin").status_code == 303
        tried += 3
    record("security.login.per_username", attempts=tried, locked_after=5,
           window_minutes=15)


def test_failures_per_address_lock_that_address(app: Starlette, clock: Clock) -> None:
    with client_at(app, "192.0.2.7") as attacker, client_at(app, "192.0.2.8") as other:
        for number in range(20):  # many usernames from one address
            assert attempt(attacker, f"guess{number}", "x").status_code == 400
        refused = attempt(attacker, "admin", "admin")
        assert refused.status_code == 429
        assert TOO_MANY in text_of(refused.text)
        # The admin logs in from elsewhere.
        assert attempt(other, "admin", "admin").status_code == 303
    record("security.login.per_address", attempts=21, locked_after=20, window_minutes=15)


def test_the_message_is_localized(app: Starlette, clock: Clock) -> None:
    with client_at(app, "10.1.1.1") as client:
        for _ in range(5):
            attempt(client, "viewer", "wrong")
        for lang in ("nl", "no"):
            refused = attempt(client, "viewer", "wrong", **{"Accept-Language": lang})
            assert refused.status_code == 429
            assert f'lang="{lang}"' in refused.text
            assert TOO_MANY not in refused.text, lang


def test_a_refused_attempt_checks_no_password_and_does_not_extend_the_wait(
        app: Starlette, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    from erpsync.host import users

    with client_at(app, "10.2.2.2") as client:
        for _ in range(5):
            attempt(client, "admin", "wrong")
        checked = []
        monkeypatch.setattr(users, "authenticate", lambda *a: checked.append(a))
        for _ in range(3):
            assert attempt(client, "admin", "wrong").status_code == 429
        assert checked == []
    throttle: LoginThrottle = app.state.login_throttle
    assert throttle.failures(username="admin") == 5


def test_a_success_forgets_the_users_failures_from_that_address(app: Starlette,
                                                                clock: Clock) -> None:
    with client_at(app, "10.3.3.3") as client:
        for _ in range(4):
            attempt(client, "admin", "wrong")
        assert attempt(client, "admin", "admin").status_code == 303
    throttle: LoginThrottle = app.state.login_throttle
    assert throttle.failures(username="admin") == 0


def test_the_limit_holds_across_processes(app: Starlette, erpsync_data_dir: Path) -> None:
    """A second host process on the same database sees the first one's failures."""
    second = create_app(data_dir=erpsync_data_dir, secret_key="security-test-secret",
                        load_entry_points=False)
    with client_at(app, "10.4.4.4") as first_client, \
            client_at(second, "10.4.4.5") as second_client:
        for _ in range(3):
            attempt(first_client, "admin", "wrong")
        for _ in range(2):
            attempt(second_client, "admin", "wrong")
        assert attempt(first_client, "admin", "admin").status_code == 429
        assert attempt(second_client, "admin", "admin").status_code == 429
    second.state.db.dispose()


def test_old_failures_are_cleaned_up(app: Starlette) -> None:
    clock = Clock()
    throttle = LoginThrottle(app.state.db, login_failure, clock=clock,
                             username_limit=Limit(2, timedelta(minutes=1)),
                             address_limit=Limit(5, timedelta(minutes=2)))
    throttle.record_failure("a", "1.1.1.1")
    throttle.record_failure("a", "1.1.1.1")
    assert throttle.retry_after("a", "1.1.1.1") == 60
    clock.advance(minutes=3)
    assert throttle.retry_after("a", "1.1.1.1") is None
    throttle.record_failure("b", "2.2.2.2")
    assert throttle.failures() == 1  # the two old rows are gone


# ------------------------------------------------------------------ cookies and sessions


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie")
               if c.startswith(SESSION_COOKIE + "=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_and_not_secure_over_http(
        app: Starlette) -> None:
    with TestClient(app, follow_redirects=False) as client:
        cookie = session_cookie(attempt(client, "admin", "admin")).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.split(";")[1:] and "; secure" not in cookie


def test_session_cookie_is_secure_over_https(app: Starlette) -> None:
    with TestClient(app, base_url="https://crm.example", follow_redirects=False) as client:
        response = attempt(client, "admin", "admin")
        assert response.status_code == 303
        cookie = session_cookie(response).lower()
        assert "; secure" in cookie and "httponly" in cookie
        assert client.get("/settings").status_code == 200


def test_login_replaces_the_session_and_logout_ends_it(app: Starlette) -> None:
    with TestClient(app, follow_redirects=False) as client:
        client.get("/login")
        anonymous_cookie = client.cookies.get(SESSION_COOKIE)
        login(client, "admin", "admin")
        logged_in_cookie = client.cookies.get(SESSION_COOKIE)
        assert logged_in_cookie and logged_in_cookie != anonymous_cookie
        token = csrf_of(client.get("/settings").text)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
        assert client.get("/settings").status_code == 303
        # The old token died with the session.
        assert client.post("/logout", data={"csrf_token": token}).status_code == 403


# ------------------------------------------------------------------ the hook


def _request(scope_extra: dict) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                    "query_string": b"", **scope_extra})


def test_hook_erpsync_csrf_token_default_uses_the_starlette_session() -> None:
    erpsync = ErpSync(load_entry_points=False)
    session: dict = {}
    request = _request({"session": session})
    token = erpsync.csrf_token(request)
    assert token and session["csrf_token"] == token
    assert erpsync.csrf_token(request) == token  # stable within the session
    assert erpsync.csrf_token(_request({})) is None  # no session: Origin check only


def test_hook_erpsync_csrf_token_answer_of_a_host_wins(app: Starlette) -> None:
    class Host:
        @hookimpl
        def erpsync_csrf_token(self, erpsync, request):
            return "host-token-" + request.headers.get("x-session", "none")

    erpsync = ErpSync(host_plugins=[Host()], load_entry_points=False)
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                       "headers": [(b"x-session", b"s1")], "session": {}})
    assert erpsync.csrf_token(request) == "host-token-s1"
    # The reference host answers with the session token its own forms use.
    with TestClient(app, follow_redirects=False) as client:
        login(client, "admin", "admin")
        page = client.get("/erpsync/erp/select-connection").text
        assert csrf_of(page) == csrf_of(client.get("/settings").text)

"""The reference host with the demo set up (admin/admin, viewer/viewer, the
"Demo ERP" workbook connection) for HTTP tests: fixtures and page helpers.

``tests/conftest.py`` registers this module as a plugin, so every test can ask
for its fixtures by name (``app``, ``admin``, ``viewer``, ``engine``, ...); a
folder whose conftest defines a fixture of the same name gets its own. Tests
import the helpers (``login``, ``form``, ``location``, ``follow_to_result``, ...).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.host import users
from erpsync.host.app import create_app
from erpsync.host.demo import DEMO_CONNECTION, ensure_demo

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


# -- helpers -------------------------------------------------------------------------
def csrf_of(page: str) -> str:
    """The ``csrf_token`` of a page's form."""
    found = _CSRF.search(page)
    assert found, "the page has no csrf_token"
    return found.group(1)


def login(client: TestClient, username: str, password: str, *, header: bool = True) -> None:
    """Log in through the login form; with ``header`` (the default) the client then
    sends the session's CSRF token as ``X-CSRF-Token`` on every request, as
    erpsync's dialogs want on every POST (erpsync.security)."""
    response = client.post("/login", data={"username": username, "password": password,
                                           "next": "/settings",
                                           "csrf_token": csrf_of(client.get("/login").text)})
    assert response.status_code == 303, response.text[:500]
    if header:
        client.headers["X-CSRF-Token"] = csrf_of(client.get("/settings").text)


def form(pairs: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> dict[str, list[str]]:
    """Form data with repeated names (the test client wants a dict of lists)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    data: dict[str, list[str]] = {}
    for name, value in items:
        data.setdefault(name, []).append(str(value))
    return data


def text_of(page: str) -> str:
    """The visible text of a page's main part, whitespace collapsed."""
    body = page.split("<main", 1)[-1]
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body))).strip()


def values_of(page: str, name: str) -> list[str]:
    """Values of the inputs called ``name``."""
    return [html.unescape(v) for v in
            re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', page)]


def location(response: Any) -> str:
    """Where a 303 answer redirects to (anything else fails the test)."""
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
    return response.headers["location"]


def follow_to_result(client: TestClient, url: str, timeout: float = 60.0) -> str:
    """The result URL of an import job: follows its progress page (which
    answers 200 while the job runs and redirects once it is finished)."""
    deadline = time.monotonic() + timeout
    while "/result" not in url:
        response = client.get(url)
        if response.status_code == 303:
            url = response.headers["location"]
            continue
        assert response.status_code == 200, text_of(response.text)[:500]
        assert '/retry"' not in response.text, "the import failed: " + text_of(response.text)
        assert time.monotonic() < deadline, "the import did not finish in time"
        time.sleep(0.05)
    return url


def client_for(app: Starlette, **kwargs: Any) -> TestClient:
    """A test client that does not follow redirects and asks for English."""
    return TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"},
                      **kwargs)


# -- fixtures ------------------------------------------------------------------------
@pytest.fixture
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: logging in is not what these tests are about."""
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(erpsync_data_dir: Path, fast_hasher: None) -> Starlette:
    """The reference host on this test's data directory, with the demo."""
    app = create_app(data_dir=erpsync_data_dir, secret_key="demo-host-test-secret",
                     load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)
    return app


@pytest.fixture
def erpsync(app: Starlette) -> Any:
    return app.state.erpsync


@pytest.fixture
def engine(erpsync: Any) -> Any:
    return erpsync.engine


@pytest.fixture
def connection_id(app: Starlette) -> int:
    return ConnectionStore(app.state.db).get_by_name(DEMO_CONNECTION).id


@pytest.fixture
def admin_id(app: Starlette) -> int:
    return users.get_user_by_name(app.state.db, "admin").id


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[TestClient]:
    with client_for(app) as client:
        yield client


@pytest.fixture
def admin(app: Starlette) -> Iterator[TestClient]:
    """The admin, logged in; entering the client runs the host's lifespan (the
    job runner starts and stops with it)."""
    with client_for(app) as client:
        login(client, "admin", "admin")
        yield client


@pytest.fixture
def viewer(app: Starlette) -> Iterator[TestClient]:
    """A user without the Settings and maintenance right (with a valid token)."""
    with client_for(app) as client:
        login(client, "viewer", "viewer")
        yield client

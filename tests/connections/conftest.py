"""Fixtures of the connection management tests: the reference host (with the
"formful" test connector), an admin and a non-admin client, and a real Tryton
server for the end-to-end import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from connections_helpers import FormfulConnector, FormfulPlugin, load_trytonctl, login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.host import users
from erpsync.host.app import create_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tryton_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.tryton)


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: logging in is not what these tests are about."""
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(erpsync_data_dir: Path) -> Starlette:
    FormfulConnector.tested.clear()
    app = create_app(data_dir=erpsync_data_dir, secret_key="connections-test-secret",
                     plugins=[FormfulPlugin()], load_entry_points=False)
    db = app.state.db
    users.create_user(db, "admin", "admin-pw", is_admin=True)
    users.create_user(db, "second", "second-pw", is_admin=True)
    users.create_user(db, "viewer", "viewer-pw", is_admin=False)
    return app


def _client(app: Starlette, username: str | None, password: str = "") -> TestClient:
    client = TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"})
    client.__enter__()
    if username:
        login(client, username, password)
    return client


@pytest.fixture
def admin(app: Starlette) -> Iterator[TestClient]:
    client = _client(app, "admin", "admin-pw")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def second(app: Starlette) -> Iterator[TestClient]:
    client = _client(app, "second", "second-pw")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def viewer(app: Starlette) -> Iterator[TestClient]:
    client = _client(app, "viewer", "viewer-pw")
    yield client
    client.__exit__(None, None, None)


# ------------------------------------------------------------------ Tryton


@pytest.fixture(scope="session")
def tryton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real trytond on a private copy of the seeded fixture (built on first
    use by tools/tryton/trytonctl.py; a failure to build it fails the tests)."""
    trytonctl = load_trytonctl()
    server = trytonctl.TrytonServer.from_fixture(tmp_path_factory.mktemp("tryton"),
                                                 fixture=trytonctl.ensure_fixture())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tryton_config(tryton_server: Any) -> dict[str, str]:
    return {"url": tryton_server.url, "database": tryton_server.database,
            "user": tryton_server.user, "password": tryton_server.password,
            "retries": "1"}

"""Fixtures for the reference host: an app on a temporary SQLite database, users,
and a client that can log in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from host_helpers import ADMIN, VIEWER, FakeSources, login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.host import users
from erpsync.host.app import create_app


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the tests hash many passwords."""
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def app(data_dir: Path) -> Starlette:
    app = create_app(f"sqlite:///{data_dir / 'host.sqlite'}", data_dir,
                     secret_key="test-secret", plugins=[FakeSources()],
                     load_entry_points=False)
    db = app.state.db
    users.create_user(db, *ADMIN, is_admin=True, display_name="Alice Admin")
    users.create_user(db, *VIEWER, is_admin=False, display_name="Victor Viewer")
    return app


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    assert login(client, *ADMIN).status_code == 303
    return client


@pytest.fixture
def viewer_client(client: TestClient) -> TestClient:
    assert login(client, *VIEWER).status_code == 303
    return client

"""Fixtures of the File source tests: the reference host with admins (no demo
ERP: the File source needs none), clients; tests marked ``slow`` (pyproject.toml)
are skipped unless ``ERPSYNC_SLOW_TESTS=1`` (``make test-all``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from filesource_helpers import login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.host import users
from erpsync.host.app import create_app

#: ``make test-all`` sets it; without it tests marked ``slow`` are skipped.
SLOW_ENV = "ERPSYNC_SLOW_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"slow: run with make test-all ({SLOW_ENV}=1)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: logging in is not what these tests are about."""
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(erpsync_data_dir: Path) -> Starlette:
    app = create_app(data_dir=erpsync_data_dir, secret_key="file-test-secret",
                     load_entry_points=False)
    users.create_user(app.state.db, "admin", "admin", is_admin=True)
    users.create_user(app.state.db, "other", "other", is_admin=True)
    users.create_user(app.state.db, "viewer", "viewer")
    return app


@pytest.fixture
def engine(app: Starlette):
    return app.state.erpsync.engine


@pytest.fixture
def admin_id(app: Starlette) -> int:
    return users.get_user_by_name(app.state.db, "admin").id


def _client(app: Starlette, username: str | None) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as client:
        if username:
            login(client, username, username)
        yield client


@pytest.fixture
def admin(app: Starlette) -> Iterator[TestClient]:
    yield from _client(app, "admin")


@pytest.fixture
def other(app: Starlette) -> Iterator[TestClient]:
    yield from _client(app, "other")


@pytest.fixture
def viewer(app: Starlette) -> Iterator[TestClient]:
    yield from _client(app, "viewer")

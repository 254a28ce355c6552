"""Fixtures of the File source tests: the reference host with admins (no demo
ERP: the File source needs none) and clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from filesource_helpers import login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.host import users
from erpsync.host.app import create_app


@pytest.fixture
def app(erpsync_data_dir: Path, fast_hasher: None) -> Starlette:
    """The reference host without the demo, with two admins and a viewer."""
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

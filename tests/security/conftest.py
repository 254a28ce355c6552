"""Fixtures of the security tests: the reference host with the demo (admin/admin,
viewer/viewer, the "Demo ERP" workbook connection) and its clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from security_helpers import login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.host import users
from erpsync.host.app import create_app
from erpsync.host.demo import DEMO_CONNECTION, ensure_demo


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: these tests log in often."""
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(erpsync_data_dir: Path) -> Starlette:
    app = create_app(data_dir=erpsync_data_dir, secret_key="security-test-secret",
                     load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)
    return app


@pytest.fixture
def erpsync(app: Starlette):
    return app.state.erpsync


@pytest.fixture
def engine(erpsync):
    return erpsync.engine


@pytest.fixture
def connection_id(app: Starlette) -> int:
    return ConnectionStore(app.state.db).get_by_name(DEMO_CONNECTION).id


@pytest.fixture
def admin_id(app: Starlette) -> int:
    return users.get_user_by_name(app.state.db, "admin").id


def client_for(app: Starlette, **kwargs: object) -> TestClient:
    return TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"},
                      **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[TestClient]:
    with client_for(app) as client:
        yield client


@pytest.fixture
def admin(app: Starlette) -> Iterator[TestClient]:
    """An admin whose requests carry the session's CSRF token as a header."""
    with client_for(app) as client:
        login(client, "admin", "admin", header=True)
        yield client


@pytest.fixture
def admin_no_token(app: Starlette) -> Iterator[TestClient]:
    """An admin whose requests carry no CSRF token unless the test adds one."""
    with client_for(app) as client:
        login(client, "admin", "admin")
        yield client


@pytest.fixture
def viewer(app: Starlette) -> Iterator[TestClient]:
    """A user without the Settings and maintenance right (with a valid token)."""
    with client_for(app) as client:
        login(client, "viewer", "viewer", header=True)
        yield client

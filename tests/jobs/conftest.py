"""Fixtures of the job tests: the reference host with the demo set up
(admin/admin, the "Demo ERP" workbook connection), logged-in clients and a
previewed pending import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from jobs_helpers import form, location, login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.host import users
from erpsync.host.app import create_app
from erpsync.host.demo import DEMO_CONNECTION, ensure_demo

#: Three Oslo customers and a person of a company the demo CRM already holds.
STAGED = (("customer", ("CUST-10025", "CUST-10057", "CUST-10063")), ("person", ("PERS-30079",)))


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(erpsync_data_dir: Path) -> Starlette:
    app = create_app(data_dir=erpsync_data_dir, secret_key="jobs-test-secret",
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


def client_of(app: Starlette) -> TestClient:
    return TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"})


@pytest.fixture
def admin(app: Starlette) -> Iterator[TestClient]:
    with client_of(app) as client:  # runs the lifespan: the job runner starts and stops
        login(client, "admin", "admin")
        yield client


@pytest.fixture
def staged_import(admin, engine, admin_id, connection_id) -> int:
    """A pending ERP import of five actors (the person's company staged as parent)."""
    for actor_type, keys in STAGED:
        location(admin.post("/erpsync/erp/add-import", data=form(
            [("connection", connection_id), ("type", actor_type), ("scope", "selected"),
             *[("key", k) for k in keys]])))
    found = engine.open_import("erp", admin_id)
    assert engine.staged_count(found) == 5
    return found


@pytest.fixture
def previewed_import(admin, staged_import) -> int:
    """The pending import after Next (default settings): state previewed."""
    assert location(admin.post(f"/erpsync/imports/{staged_import}/settings", data={})) == \
        f"/erpsync/imports/{staged_import}/preview"
    return staged_import

"""The Acme connector (tests/thirdparty_connector), installed as a package, is
offered by the reference host's Add ERP connection dialog, and a connection to
it passes its test there: found through the ``erpsync`` entry point only."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from erpsync.host import users
from erpsync.host.app import create_app
from erpsync.host.demo import ensure_demo

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def admin(acme_installed, erpsync_data_dir, monkeypatch):
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(data_dir=erpsync_data_dir, secret_key="acme-test")  # entry points on
    ensure_demo(app, erpsync_data_dir, echo=None)
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as client:
        page = client.get("/login")
        client.post("/login", data={"username": "admin", "password": "admin", "next": "/",
                                    "csrf_token": _CSRF.search(page.text).group(1)})
        yield client


def test_the_add_connection_dialog_offers_and_tests_the_acme_connector(admin):
    form = admin.get("/settings/connections/add")
    assert form.status_code == 200
    assert re.search(r'<option value="acme"[^>]*>Acme ERP</option>', form.text)
    tested = admin.post("/settings/connections/add", data={
        "csrf_token": _CSRF.search(form.text).group(1), "name": "Acme North",
        "connector": "acme", "shown_connector": "acme", "cfg.region": "north",
        "scope": "everyone", "action": "test"})
    assert tested.status_code == 200
    assert "Connection test passed." in tested.text
    assert "Acme region north: found" in tested.text

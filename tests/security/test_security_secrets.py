"""Connector secrets stay secret end to end: encrypted in the database, never in
a page, never in a log line (the structured logs included) - also when the ERP
fails and the admin sees the error with its technical details."""

from __future__ import annotations

import logging

import pytest
from security_helpers import text_of
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.engine.schema import erp_connection
from erpsync.logging_setup import JsonFormatter
from reliability_figures import record

TOKEN = "s3cret-connector-token-must-not-leak"
PASSWORD = "tryton-password-must-not-leak"


def test_secrets_are_in_no_page_no_log_and_not_in_the_clear_in_the_database(
        app: Starlette, admin: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = ConnectionStore(app.state.db)
    remote = store.add("Bridge", "remote", {"url": "http://127.0.0.1:9", "token": TOKEN,
                                            "retries": "0"})
    tryton = store.add("Tryton", "tryton", {"url": "http://127.0.0.1:9", "database": "crm",
                                            "user": "admin", "password": PASSWORD,
                                            "retries": "0"})
    pages = []
    for connection in (remote, tryton):
        # The ERP cannot be reached: error pages with technical details.
        for url in (f"/erpsync/erp/select-connection?connection={connection}",
                    f"/erpsync/erp/search?connection={connection}&type=customer&run=1",
                    f"/settings/connections/{connection}/edit"):
            pages.append(admin.get(url))
        pages.append(admin.post(f"/settings/connections/{connection}/test",
                                data={"csrf_token": admin.headers["X-CSRF-Token"]},
                                follow_redirects=True))
        pages.append(admin.post("/erpsync/erp/add-import", data={
            "connection": str(connection), "type": "customer", "key": "K1"}))
    assert any(p.status_code == 502 for p in pages)
    assert any("127.0.0.1:9" in text_of(p.text) for p in pages)  # details are shown...
    for page in pages:  # ... but never the secrets
        assert TOKEN not in page.text and PASSWORD not in page.text
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert len(lines) > 5
    assert not [line for line in lines if TOKEN in line or PASSWORD in line]
    with app.state.db.connect() as conn:
        stored = [str(row) for row in conn.execute(select(erp_connection.c.config))]
    assert not [s for s in stored if TOKEN in s or PASSWORD in s]
    record("security.secrets", secrets=2, pages_checked=len(pages), log_lines=len(lines),
           leaked=0, stored_encrypted=True)

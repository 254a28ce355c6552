"""Fixtures of the job tests, beside the reference host's with the demo
(``app``, ``admin``, ``engine``, ...: tests/demo_host.py): a staged and a
previewed pending import."""

from __future__ import annotations

import pytest
from jobs_helpers import form, location

#: Three Oslo customers and a person of a company the demo CRM already holds.
STAGED = (("customer", ("CUST-10025", "CUST-10057", "CUST-10063")), ("person", ("PERS-30079",)))


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

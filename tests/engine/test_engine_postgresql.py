"""What only PostgreSQL needs checking (every other engine test runs on both
SQLite and PostgreSQL through the ``engine`` fixture, see conftest.py)."""

from __future__ import annotations

import pytest
from engine_helpers import add_company, companies, customer, run_import

from erpsync.engine.api import ImportEngine


@pytest.mark.postgresql_only
def test_ids_after_import_do_not_collide_on_postgresql(engine: ImportEngine) -> None:
    """Apply pre-assigns ids: the serial sequence must move past them."""
    run_import(engine, [customer(f"C{i}", NAME=f"C{i}") for i in range(5)])
    later = add_company(engine.db, "Added by the host")
    assert later == 6 and len(companies(engine.db)) == 6

"""The migration scripts build exactly the declared schema."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from erpsync import migrate
from erpsync.db import make_engine


def test_revisions_match_the_declared_tables(tmp_path):
    """Fails after a table change until `erpsync db revision -m ...` is run."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=migrate.EXPRESSION_INDEX_WARNING)
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, migrate.target_metadata())
            index_names = {row[0] for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        engine.dispose()
    assert diff == [], "run: erpsync db revision -m '<what changed>'"
    # Autogenerate cannot compare expression indexes on SQLite: check them by name.
    declared = {index.name for table in migrate.target_metadata().tables.values()
                for index in table.indexes}
    assert declared <= index_names


def test_upgrade_and_downgrade_round_trip(tmp_path):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'trip.sqlite'}")
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            command.downgrade(migrate.make_config(conn), "base")
        assert migrate.current(engine) is None
        assert migrate.upgrade(engine) == migrate.head()
    finally:
        engine.dispose()


def test_0002_keeps_the_staged_values_of_pending_imports(tmp_path):
    """Revision 0002 moves staged values from the JSON document into columns."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pending.sqlite'}")
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO import_run (id, source, state) VALUES (1, 'erp', 'previewed')")
            conn.exec_driver_sql(
                "INSERT INTO staged_actor (import_id, connection_id, actor_type, kind, erp_key, "
                "via_parent, data, matched_by_link, create_company, checked) VALUES "
                "(1, 1, 'customer', 'company', 'C1', 0, ?, 0, 0, 1)",
                ('{"NAME": " Acme AS ", "POSTALCITY": "Oslo", "NUMBER1": "' + "9" * 60
                 + '", "DEPARTMENT": "", "CUSTOM": "x"}',))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT v_name, v_postalcity, v_number1, v_department, v_country "
                "FROM staged_actor").one()
    finally:
        engine.dispose()
    assert tuple(row) == ("Acme AS", "Oslo", "9" * 50, None, None)

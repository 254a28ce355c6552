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

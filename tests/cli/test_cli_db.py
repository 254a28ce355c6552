"""``erpsync db`` and the choice of database: --db, ERPSYNC_DB, the data directory."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import assert_clean_error
from sqlalchemy import inspect

from erpsync import migrate
from erpsync.db import make_engine, metadata
from erpsync.engine import schema  # noqa: F401 - declares the tables
from erpsync.host import models  # noqa: F401 - declares the tables


def _tables(path: Path) -> set[str]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_on_a_fresh_file(cli, db_path):
    assert not db_path.exists()
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"upgraded to schema version {migrate.head()}" in result.stdout
    assert _tables(db_path) >= set(metadata.tables) | {"alembic_version"}
    assert migrate.current(f"sqlite:///{db_path}") == migrate.head()


def test_upgrade_again_says_up_to_date(cli):
    assert cli("db", "upgrade").exit_code == 0
    result = cli("db", "upgrade")
    assert result.exit_code == 0
    assert "is up to date" in result.stdout


def test_current_fails_until_upgraded(cli):
    before = cli("db", "current")
    assert before.exit_code == 1
    assert "Database: none" in before.stdout
    assert cli("db", "upgrade").exit_code == 0
    after = cli("db", "current")
    assert after.exit_code == 0
    assert f"Database: {migrate.head()}" in after.stdout


def test_db_option_is_honoured(cli, tmp_path, erpsync_data_dir):
    target = tmp_path / "elsewhere.sqlite"
    result = cli("db", "upgrade", db=f"sqlite:///{target}")
    assert result.exit_code == 0, result.output
    assert "alembic_version" in _tables(target)
    assert not (erpsync_data_dir / "erpsync.sqlite").exists()


def test_erpsync_db_environment_variable_is_honoured(cli, tmp_path, erpsync_data_dir):
    target = tmp_path / "from-env.sqlite"
    result = cli("db", "upgrade", db=None, env={"ERPSYNC_DB": f"sqlite:///{target}"})
    assert result.exit_code == 0, result.output
    assert "alembic_version" in _tables(target)
    assert not (erpsync_data_dir / "erpsync.sqlite").exists()


def test_db_option_wins_over_the_environment(cli, tmp_path):
    env_target, option_target = tmp_path / "env.sqlite", tmp_path / "option.sqlite"
    result = cli("db", "upgrade", db=f"sqlite:///{option_target}",
                 env={"ERPSYNC_DB": f"sqlite:///{env_target}"})
    assert result.exit_code == 0
    assert option_target.exists()
    assert not env_target.exists()


def test_default_database_is_in_the_data_directory(cli, erpsync_data_dir):
    result = cli("db", "upgrade", db=None)
    assert result.exit_code == 0, result.output
    assert "alembic_version" in _tables(erpsync_data_dir / "erpsync.sqlite")


def test_data_dir_option_moves_the_default_database(cli, tmp_path, erpsync_data_dir):
    result = cli("--data-dir", str(tmp_path / "data"), "db", "upgrade", db=None)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "erpsync.sqlite").exists()
    assert not (erpsync_data_dir / "erpsync.sqlite").exists()


def test_tables_made_without_migrations_are_stamped(cli, db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    metadata.create_all(engine)
    engine.dispose()
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert migrate.current(f"sqlite:///{db_path}") == migrate.head()


def test_some_tables_without_history_are_refused(cli, db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    metadata.tables["company"].create(engine)
    engine.dispose()
    result = cli("db", "upgrade")
    assert_clean_error(result, 1, "no migration history", "person")
    assert migrate.current(f"sqlite:///{db_path}") is None


def test_tables_with_a_missing_column_are_refused(cli, db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE company DROP COLUMN vatno")
    engine.dispose()
    assert_clean_error(cli("db", "upgrade"), 1, "no migration history", "company.vatno")
    assert migrate.current(f"sqlite:///{db_path}") is None


def test_invalid_url_is_bad_input(cli):
    assert_clean_error(cli("db", "upgrade", db="nonsense://x"), 2, "Invalid database URL")


def test_unopenable_database_is_a_failure(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("db", "upgrade", db=f"sqlite:///{blocker}/sub/crm.sqlite")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr

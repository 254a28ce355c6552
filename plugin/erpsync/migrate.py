"""Schema migrations with Alembic, configured in code (no ``alembic.ini``).

The migration scripts live in the package (``erpsync/migrations``) so they ship
inside the wheel. One migration history covers the engine's and the reference
host's tables: both are declared on :data:`erpsync.db.metadata`.

Public API::

    upgrade(db_url)            # bring a database to the newest schema
    current(db_url)            # the revision a database is at (None if unversioned)
    head()                     # the newest revision of the scripts
    revision(message)          # developers: autogenerate the next migration script
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

from . import db as dbmod
from .i18n import gettext

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
#: Alembic's warning that it cannot compare expression-based indexes on SQLite.
EXPRESSION_INDEX_WARNING = "autogenerate skipping metadata-specified expression-based index"


class MigrationError(Exception):
    """The database cannot be migrated as asked; ``str()`` is a localized reason."""


def target_metadata() -> MetaData:
    """:data:`erpsync.db.metadata` with every table declared on it."""
    from .engine import schema  # noqa: F401 - declares the engine's and CRM tables
    from .filesource import schema as _file  # noqa: F401 - saved column mappings
    from .host import models  # noqa: F401 - declares the reference host's tables

    return dbmod.metadata


def make_config(connection: Connection | None = None) -> Config:
    """An Alembic :class:`Config` pointing at the package's migration scripts.

    With ``connection``, ``env.py`` migrates over that connection instead of
    opening its own.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(VERSIONS_DIR))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    """The newest revision of the migration scripts."""
    return ScriptDirectory.from_config(make_config()).get_current_head()


def current(db_url: str | Engine | None = None) -> str | None:
    """The revision ``db_url`` is at, or None for a database never migrated."""
    with _engine(db_url) as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db_url: str | Engine | None = None, revision: str = "head") -> str | None:
    """Migrate the database to ``revision`` (the newest by default); returns the
    revision it is at afterwards.

    A database whose tables were created without migrations (``metadata.create_all``,
    as some tests do) and that holds every table and column of the current
    schema is stamped as being at head instead of migrated; one missing some
    is refused, since no migration could know what it contains.
    """
    with _engine(db_url) as engine:
        with engine.connect() as conn:
            existing = set(inspect(conn).get_table_names())
            unversioned = VERSION_TABLE not in existing and bool(existing & _our_tables())
            gaps = _missing_tables_and_columns(conn) if unversioned else []
        if unversioned:
            if gaps:
                # Translators: %(tables)s is a comma-separated list of tables and columns.
                raise MigrationError(gettext(
                    "The database has some erpsync tables but no migration history "
                    "(missing: %(tables)s); it cannot be upgraded safely.",
                    tables=", ".join(gaps)))
            with engine.begin() as conn:
                command.stamp(make_config(conn), "head")
        else:
            with _migration_connection(engine) as conn:
                command.upgrade(make_config(conn), revision)
    return current(db_url)


def _our_tables() -> set[str]:
    return set(target_metadata().tables)


def _missing_tables_and_columns(conn: Connection) -> list[str]:
    """Declared tables (``table``) and columns (``table.column``) the database lacks."""
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    gaps: list[str] = []
    for name, table in sorted(target_metadata().tables.items()):
        if name not in existing:
            gaps.append(name)
            continue
        columns = {column["name"] for column in inspector.get_columns(name)}
        gaps.extend(f"{name}.{c.name}" for c in table.columns if c.name not in columns)
    return gaps


def is_current(db_url: str | Engine | None = None) -> bool:
    """True when the database is at the newest revision."""
    return current(db_url) == head()


def revision(message: str, versions_dir: Path | None = None) -> Path:
    """Autogenerate the next migration script from the difference between the
    declared tables and the schema the existing scripts build.

    The comparison runs against a scratch SQLite database upgraded to head, so
    no real database is touched. Returns the path of the new script, formatted
    with ``ruff format`` when ruff is installed.
    """
    target = versions_dir or VERSIONS_DIR
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="erpsync-migration-") as tmp:
        engine = dbmod.make_engine(f"sqlite:///{Path(tmp) / 'scratch.sqlite'}")
        try:
            upgrade(engine)
            with engine.begin() as conn:
                cfg = make_config(conn)
                cfg.set_main_option("version_locations", str(target))
                _add_format_hook(cfg)
                cfg.attributes["process_revision_directives"] = _add_expression_indexes
                number = len(list(target.glob("[0-9]*.py"))) + 1
                with warnings.catch_warnings():
                    # _add_expression_indexes handles what this warns about.
                    warnings.filterwarnings("ignore", message=EXPRESSION_INDEX_WARNING)
                    script = command.revision(cfg, message=message, autogenerate=True,
                                              rev_id=f"{number:04d}", version_path=str(target))
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise MigrationError(gettext("Alembic did not write exactly one migration script."))
    return Path(script.path)


def _add_expression_indexes(context: Any, _revision: Any, directives: list[Any]) -> None:
    """Add the expression-based indexes autogenerate leaves out.

    Alembic cannot reflect expression indexes (``coalesce(connection_id, 0)``)
    on SQLite, so it skips them even for new tables; the scratch database's
    index names tell which ones the existing revisions do not create yet.
    """
    from alembic.operations import ops
    from sqlalchemy import Column

    script = directives[0]
    existing = {row[0] for row in context.connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    for table in target_metadata().sorted_tables:
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            is_expression = any(not isinstance(e, Column) for e in index.expressions)
            if is_expression and index.name not in existing:
                script.upgrade_ops.ops.append(ops.CreateIndexOp.from_index(index))
                script.downgrade_ops.ops.insert(0, ops.DropIndexOp.from_index(index))


def _add_format_hook(cfg: Config) -> None:
    ruff = shutil.which("ruff") or _venv_tool("ruff")
    if ruff:
        cfg.set_section_option("post_write_hooks", "hooks", "ruff_format, ruff_fix")
        cfg.set_section_option("post_write_hooks", "ruff_fix.type", "exec")
        cfg.set_section_option("post_write_hooks", "ruff_fix.executable", ruff)
        cfg.set_section_option("post_write_hooks", "ruff_fix.options",
                               "check --fix --exit-zero --quiet REVISION_SCRIPT_FILENAME")
        cfg.set_section_option("post_write_hooks", "ruff_format.type", "exec")
        cfg.set_section_option("post_write_hooks", "ruff_format.executable", ruff)
        cfg.set_section_option("post_write_hooks", "ruff_format.options",
                               "format --quiet REVISION_SCRIPT_FILENAME")


def _venv_tool(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


@contextmanager
def _engine(db_url: str | Engine | None) -> Iterator[Engine]:
    if isinstance(db_url, Engine):
        yield db_url
        return
    engine = dbmod.make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for running migrations.

    On SQLite, batch migrations rebuild tables (copy, drop, rename); with
    foreign keys enforced the drop would cascade into child rows, so they are
    switched off for the migration (the pragma only works outside a
    transaction) and every reference is checked before committing.
    """
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    # Translators: %(count)s is a number of rows.
                    raise MigrationError(gettext(
                        "The migration would leave %(count)s rows pointing at missing "
                        "rows; nothing was changed.", count=len(broken)))
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()

"""The reference host's database: engine creation and schema setup in one place."""

from __future__ import annotations

from sqlalchemy import Engine

from ..db import make_engine


def load_tables() -> None:
    """Import every module that defines tables on :data:`erpsync.db.metadata`."""
    from ..engine import schema  # noqa: F401
    from ..filesource import schema as _file  # noqa: F401
    from . import models  # noqa: F401


def ensure_schema(db: Engine) -> None:
    """Bring the database to the newest schema (engine and host tables alike).

    The single place that brings a database up to date: the Alembic migrations
    of :func:`erpsync.migrate.upgrade` create a new database's tables and
    migrate an older one.
    """
    from .. import migrate

    migrate.upgrade(db)


def open_database(db_url: str | None = None) -> Engine:
    """A SQLAlchemy engine for ``db_url`` (default: SQLite in the data dir), schema ensured."""
    db = make_engine(db_url)
    ensure_schema(db)
    return db

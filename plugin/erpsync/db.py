"""Database plumbing shared by the engine and the reference host."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, MetaData, create_engine, event

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: One MetaData for the engine's and the reference host's tables (one migration history).
metadata = MetaData(naming_convention=NAMING_CONVENTION)


def default_data_dir() -> Path:
    """Per-user data directory (``ERPSYNC_DATA_DIR`` overrides it)."""
    env = os.environ.get("ERPSYNC_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("erpsync"))


def default_db_url() -> str:
    """``ERPSYNC_DB`` if set, else a SQLite file in the data directory."""
    env = os.environ.get("ERPSYNC_DB")
    if env:
        return env
    return f"sqlite:///{default_data_dir() / 'erpsync.sqlite'}"


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    """Create a SQLAlchemy engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = url or default_db_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if not url.startswith("sqlite"):
        # Check a pooled connection before use: after a database restart the
        # pool's old connections are replaced instead of failing one request each.
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)  # type: ignore[arg-type]
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()

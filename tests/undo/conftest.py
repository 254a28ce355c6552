"""Fixtures of the undo tests: an import engine on a fresh SQLite database, or
(``any_engine``) on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.db import make_engine, metadata
from erpsync.engine.api import ImportEngine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[ImportEngine]:
    db = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    metadata.create_all(db)
    yield ImportEngine(db, backup_dir=tmp_path / "backups")
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImportEngine]:
    """The engine on SQLite, then on PostgreSQL (``pg_url`` of tests/pgserver.py)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    db = make_engine(url)
    metadata.create_all(db)
    yield ImportEngine(db, backup_dir=tmp_path / "backups")
    db.dispose()

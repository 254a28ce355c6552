"""Fixtures of the engine tests: every test that uses the ``engine`` (or ``db``)
fixture runs twice, on a fresh SQLite file and on a fresh database of a
throwaway PostgreSQL cluster (tests/pgserver.py; skipped when PostgreSQL is not
installed, failed under CI).

``@pytest.mark.sqlite_only`` keeps a test on SQLite (backups are SQLite files),
``@pytest.mark.postgresql_only`` on PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from erpsync.db import make_engine, metadata
from erpsync.engine import schema  # noqa: F401 - declares the tables
from erpsync.engine.api import ImportEngine

BACKENDS = ("sqlite", "postgresql")

#: ``new_db()``: a fresh database with every table on this test's backend.
NewDb = Callable[[], Engine]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: run this engine test on SQLite only")
    config.addinivalue_line("markers",
                            "postgresql_only: run this engine test on PostgreSQL only")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker
        backends = [b for b in BACKENDS
                    if not marked(f"{'postgresql' if b == 'sqlite' else 'sqlite'}_only")]
        metafunc.parametrize("backend", backends, scope="function")


@pytest.fixture
def new_db(backend: str, request: pytest.FixtureRequest,
           tmp_path: Path) -> Iterator[NewDb]:
    """A factory of fresh databases with every table, on this test's backend."""
    made: list[tuple[Engine, str | None]] = []
    numbers = itertools.count(1)
    server = template = None
    if backend == "postgresql":
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_schema_template")

    def make() -> Engine:
        if server is None:
            engine = make_engine(f"sqlite:///{tmp_path / f'db{next(numbers)}.sqlite'}")
            metadata.create_all(engine)
            made.append((engine, None))
        else:
            url = server.create_database(template=template)
            engine = make_engine(url)
            made.append((engine, url.rsplit("/", 1)[1].split("?")[0]))
        return engine

    yield make
    for engine, name in made:
        engine.dispose()
        if server is not None and name:
            server.drop_database(name)


@pytest.fixture
def db(new_db: NewDb) -> Engine:
    """A fresh database with every table (SQLite file or PostgreSQL database)."""
    return new_db()


@pytest.fixture
def engine(db: Engine, tmp_path: Path) -> ImportEngine:
    """The import engine, with its backups (SQLite) in ``tmp_path / "backups"``."""
    return ImportEngine(db, backup_dir=tmp_path / "backups")

"""Fixtures of the engine tests: a fresh SQLite database per test and an engine on
it; the same on a throwaway PostgreSQL cluster for the PostgreSQL tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from erpsync.db import make_engine, metadata
from erpsync.engine import schema  # noqa: F401 - declares the tables
from erpsync.engine.api import ImportEngine


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database file with every table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db: Engine, tmp_path: Path) -> ImportEngine:
    """The import engine, with its backups in ``tmp_path / "backups"``."""
    return ImportEngine(db, backup_dir=tmp_path / "backups")


# -- PostgreSQL -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a Unix socket; yields the URL of a
    template database holding every table. Skips when PostgreSQL or psycopg
    is missing."""
    pytest.importorskip("psycopg")
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    # Not under pytest's own temporary folder: its parents are private to root.
    base = Path(tempfile.mkdtemp(prefix="erpsync-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = ["runuser", "-u", "nobody", "--"]
        for path in (base, sock):
            os.chown(path, 65534, 65534)
    subprocess.run([*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                    f"-k {sock} -c listen_addresses='' -c fsync=off", "start"],
                   check=True, capture_output=True)
    server = f"postgresql+psycopg://postgres@/{{}}?host={sock}"
    try:
        admin = create_engine(server.format("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE erpsync_template")
        template = create_engine(server.format("erpsync_template"))
        metadata.create_all(template)
        template.dispose()
        yield server
        admin.dispose()
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_engine(pg_cluster: str, tmp_path: Path) -> Iterator[ImportEngine]:
    """The import engine on a fresh PostgreSQL database (a copy of the template)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_cluster.format("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE erpsync_template")
    db = make_engine(pg_cluster.format(name))
    yield ImportEngine(db, backup_dir=tmp_path / "backups")
    db.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name}")
    admin.dispose()

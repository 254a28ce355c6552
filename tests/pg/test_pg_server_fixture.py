"""The throwaway PostgreSQL of the test suite (tests/pgserver.py) itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import pgserver


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                             ("", pytest.skip.Exception)])
def test_missing_postgresql_fails_under_ci_and_skips_elsewhere(
        monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome):
        pgserver.missing("PostgreSQL is not installed")


def test_bindir_has_initdb_and_pg_ctl(pg_server: pgserver.PgServer) -> None:
    assert (pg_server.bindir / "initdb").is_file() and (pg_server.bindir / "pg_ctl").is_file()


def test_server_listens_on_its_socket_only(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            listen = conn.execute(text("SHOW listen_addresses")).scalar_one()
            socket_dir = conn.execute(text("SHOW unix_socket_directories")).scalar_one()
            server_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            # Read while the connection is open: the backend exits when it closes.
            with open(f"/proc/{server_pid}/status") as status:  # Linux: the real uid
                uid = next(int(line.split()[1]) for line in status
                           if line.startswith("Uid:"))
    finally:
        engine.dispose()
    assert listen == ""  # no TCP at all
    assert "erpsync-pg-" in socket_dir
    if os.geteuid() == 0:
        assert uid != 0  # PostgreSQL refuses to run as root: the fixture runs it as nobody


def test_a_killed_sessions_server_is_stopped_by_the_next(pg_server: pgserver.PgServer) -> None:
    """A session killed before its clean-up leaves its server running; the next
    server started reaps it (and only servers whose owner process is gone)."""
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import os, pgserver; "
              "s = pgserver.PgServer(); s.start(); print(s.base, flush=True); os._exit(0)")
    proc = subprocess.run([sys.executable, "-c", script, str(Path(pgserver.__file__).parent)],
                          capture_output=True, text=True, timeout=120, check=True)
    orphan = Path(proc.stdout.strip())
    assert (orphan / "data" / "postmaster.pid").exists()  # left running by the dead owner
    reaped = pgserver.PgServer.reap_orphans(pg_server.bindir)
    assert orphan in reaped and not orphan.exists()
    assert pg_server.base not in reaped and pg_server.base.exists()  # its owner is alive

"""A throwaway PostgreSQL server for tests (and the benchmark), and its fixtures.

:class:`PgServer` runs ``initdb`` + ``pg_ctl`` from Debian's packages in a
temporary directory: trust authentication, no TCP (a Unix socket in that
directory only), ``fsync`` off. As root it runs the server as ``nobody``
(PostgreSQL refuses to run as root).

Fixtures (registered for the whole suite by ``tests/conftest.py``):

- ``pg_server`` (session): the running server. When PostgreSQL or psycopg is
  missing the test is skipped, and FAILS under CI (``CI=true``): a CI run must
  not pass without having tested PostgreSQL.
- ``pg_url``: the URL of a fresh, empty database (dropped afterwards).

Outside pytest (the benchmark)::

    with PgServer.started() as server:
        url = server.create_database("bench")
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

#: The unprivileged account the server runs as when the tests run as root.
UNPRIVILEGED_USER = "nobody"
#: The superuser created by initdb (trust authentication on the socket only).
SUPERUSER = "postgres"
#: Servers live in ``<tmp>/erpsync-pg-*``; the owner file holds the owning process id.
PREFIX = "erpsync-pg-"
OWNER_FILE = "owner.pid"


class PostgresMissing(RuntimeError):
    """initdb/pg_ctl or psycopg is not installed."""


def in_ci() -> bool:
    """True under continuous integration (``CI=true``, as most CI services set)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: ``pg_config --bindir``,
    else the newest ``/usr/lib/postgresql/*/bin``, else ``$PATH``."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run([pg_config, "--bindir"], check=True, capture_output=True,
                                 text=True).stdout.strip()
            candidates.append(Path(out))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: [int(x) if x.isdigit() else 0
                                     for x in Path(p).parent.name.split(".")], reverse=True)
    candidates += [Path(p) for p in versions]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresMissing("PostgreSQL (initdb, pg_ctl) is not installed; on Debian: "
                          "apt-get install -y postgresql")


class PgServer:
    """One PostgreSQL cluster in a temporary directory (see the module docstring)."""

    def __init__(self, bindir: Path | None = None) -> None:
        try:
            import psycopg  # noqa: F401 - the driver the URLs name
        except ImportError as exc:
            raise PostgresMissing("psycopg is not installed (pip install 'psycopg[binary]')"
                                  ) from exc
        self.bindir = bindir or find_bindir()
        # Not under pytest's temporary folder: its parents are private to root.
        self.base = Path(tempfile.mkdtemp(prefix=PREFIX))
        self.data, self.socket_dir = self.base / "data", self.base / "sock"
        self._run_as: list[str] = []
        self._running = False

    @classmethod
    @contextlib.contextmanager
    def started(cls, bindir: Path | None = None) -> Iterator[PgServer]:
        """A started server, stopped and deleted on exit."""
        server = cls(bindir)
        try:
            server.start()
            yield server
        finally:
            server.stop()

    def _pg(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        # A session of its own: a Ctrl-C or kill of the test run's process group
        # must not shut the server down under the clean-up (which stops it).
        return subprocess.run([*self._run_as, str(self.bindir / tool), *args], check=True,
                              capture_output=True, text=True, start_new_session=True)

    def start(self) -> None:
        self.reap_orphans(self.bindir)
        # Which process owns the server: a session killed before its clean-up
        # leaves a running server behind, which the next one stops.
        (self.base / OWNER_FILE).write_text(str(os.getpid()))
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            self._run_as = ["runuser", "-u", UNPRIVILEGED_USER, "--"]
            for path in (self.base, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        try:
            self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER,
                     "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")
            self._pg("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.base / "log"),
                     "-o", f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off "
                     "-c synchronous_commit=off -c full_page_writes=off", "start")
        except subprocess.CalledProcessError as exc:
            log = self.base / "log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{detail}") from exc
        self._running = True

    def stop(self) -> None:
        if self._running:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
            self._running = False
        shutil.rmtree(self.base, ignore_errors=True)

    @staticmethod
    def reap_orphans(bindir: Path) -> list[Path]:
        """Stop and delete the servers of processes that no longer exist (only
        servers this module started: they have an owner file)."""
        reaped = []
        for owner in Path(tempfile.gettempdir()).glob(f"{PREFIX}*/{OWNER_FILE}"):
            try:
                pid = int(owner.read_text().strip())
                os.kill(pid, 0)
                continue  # its owner is alive
            except ProcessLookupError:
                pass
            except (OSError, ValueError):
                continue  # unreadable, or another user's process: leave it
            base = owner.parent
            run_as = (["runuser", "-u", UNPRIVILEGED_USER, "--"]
                      if os.geteuid() == 0 else [])
            if (base / "data" / "postmaster.pid").exists():
                subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(base / "data"),
                                "-m", "immediate", "stop"], capture_output=True, check=False)
            shutil.rmtree(base, ignore_errors=True)
            reaped.append(base)
        return reaped

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(dbname="postgres", user=SUPERUSER, host=str(self.socket_dir),
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # our own fixed SQL

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database (a copy of ``template`` if given); returns its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template
                                                    else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def missing(reason: str) -> NoReturn:
    """Skip a test that needs PostgreSQL; under CI fail it instead."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: PostgreSQL is required)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's throwaway PostgreSQL server (see the module docstring)."""
    try:
        server = PgServer()
    except PostgresMissing as exc:
        missing(str(exc))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)


#: Name of the template database holding every table (``metadata.create_all``).
SCHEMA_TEMPLATE = "erpsync_template"


@pytest.fixture(scope="session")
def pg_schema_template(pg_server: PgServer) -> str:
    """The name of a template database with every erpsync table (made once per
    session); ``pg_server.create_database(template=...)`` copies it quickly."""
    from sqlalchemy import create_engine

    from erpsync.db import metadata
    from erpsync.engine import schema  # noqa: F401 - declares the tables

    template = create_engine(pg_server.create_database(SCHEMA_TEMPLATE))
    metadata.create_all(template)
    template.dispose()  # a template must have no open connections when copied
    return SCHEMA_TEMPLATE

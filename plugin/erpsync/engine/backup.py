"""A copy of the database before an import (or an undo) writes to the CRM.

SQLite: the online backup API, so the copy is consistent even while other
connections read and write (WAL included). PostgreSQL: ``pg_dump`` (custom
format, restored with ``pg_restore``) when it is configured; otherwise the
before-images of the updated rows are the safety net and
:func:`backup_database` returns None, as for other databases.

The reference host and the CLI read the options from the environment
(:meth:`BackupOptions.from_environment`): ``ERPSYNC_BACKUP_KEEP`` and
``ERPSYNC_PG_DUMP``.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from ..i18n import gettext

#: How many backups of one database are kept by default.
DEFAULT_KEEP = 5
#: Environment variables of :meth:`BackupOptions.from_environment`.
KEEP_ENV = "ERPSYNC_BACKUP_KEEP"
PG_DUMP_ENV = "ERPSYNC_PG_DUMP"
#: Where Debian's PostgreSQL packages put their programs (newest version wins).
DEBIAN_PG_DUMP = "/usr/lib/postgresql/*/bin/pg_dump"

_OFF = {"", "0", "off", "no", "false"}
_ON = {"1", "on", "yes", "true"}


class PgDumpError(RuntimeError):
    """``pg_dump`` is missing or did not make a complete dump."""


@dataclass(frozen=True)
class BackupOptions:
    """How the engine backs up before an import.

    ``keep``: how many backups of one database are kept (at least 1).
    ``pg_dump``: on PostgreSQL, the ``pg_dump`` program to run before each
    import and undo (a name looked up on ``PATH``, or a path); None: no dump.
    """

    keep: int = DEFAULT_KEEP
    pg_dump: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> BackupOptions:
        """``ERPSYNC_BACKUP_KEEP``: a whole number >= 1 (default 5).
        ``ERPSYNC_PG_DUMP``: ``on`` (find ``pg_dump``), a path to it, or ``off``
        (the default). Raises ValueError for a value that is neither."""
        env = os.environ if environ is None else environ
        keep_text = env.get(KEEP_ENV, "").strip() or str(DEFAULT_KEEP)
        if not keep_text.isdigit() or int(keep_text) < 1:
            # Translators: %(variable)s is the name of an environment variable
            # (ERPSYNC_BACKUP_KEEP); %(value)s is the value it was given.
            raise ValueError(gettext(
                "%(variable)s must be a whole number of at least 1 (how many backups "
                "to keep), not “%(value)s”.", variable=KEEP_ENV, value=keep_text))
        keep = int(keep_text)
        dump = env.get(PG_DUMP_ENV, "").strip()
        if dump.lower() in _OFF:
            program = None
        elif dump.lower() in _ON:
            program = "pg_dump"
        else:
            program = dump
        return cls(keep=keep, pg_dump=program)


def sqlite_path(db: Engine) -> Path | None:
    """The file of a SQLite database, None for in-memory or other databases."""
    url = db.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def backup_database(db: Engine, backup_dir: Path | None, import_id: int,
                    keep: int = DEFAULT_KEEP, pg_dump: str | None = None) -> Path | None:
    """Back up the database into ``backup_dir`` and delete all but the newest
    ``keep`` backups of it; returns the new backup, or None when this database
    gets none (PostgreSQL without ``pg_dump``, in-memory SQLite, others).

    SQLite's folder defaults to ``backups`` next to the database file; a dump
    needs ``backup_dir``. Raises :class:`PgDumpError` when the dump fails."""
    if db.url.get_backend_name() == "postgresql" and pg_dump:
        if backup_dir is None:
            raise PgDumpError("pg_dump is configured but the engine has no backup folder")
        return dump_postgresql(db, Path(backup_dir), import_id, keep, pg_dump)
    source = sqlite_path(db)
    if source is None:
        return None
    folder = Path(backup_dir) if backup_dir else source.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source.stem}-import{import_id}-{_stamp()}.sqlite"
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    prune_backups(folder, source.stem, keep)
    return target


def dump_postgresql(db: Engine, folder: Path, import_id: int, keep: int,
                    program: str) -> Path:
    """``pg_dump --format=custom`` of ``db`` into ``folder``. The password
    reaches ``pg_dump`` in its environment, not on its command line; the dump
    is written under a temporary name and renamed once complete."""
    executable = find_pg_dump(program)
    args, params = db.dialect.create_connect_args(db.url)
    if args:  # a DSN string instead of keywords: not produced by a URL
        raise PgDumpError("cannot pass this database URL to pg_dump")
    password = params.pop("password", None)
    stem = str(params.get("dbname") or "postgres")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}-import{import_id}-{_stamp()}.dump"
    partial = target.with_suffix(".dump.part")
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    command = [executable, "--format=custom", "--no-password", f"--file={partial}",
               f"--dbname={_conninfo(params)}"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        raise PgDumpError(f"{executable} could not run: {exc}") from exc
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise PgDumpError(f"{executable} exited with {done.returncode}: "
                          f"{done.stderr.strip()[-2000:]}")
    partial.replace(target)
    prune_backups(folder, stem, keep, suffix=".dump")
    return target


def find_pg_dump(program: str) -> str:
    """The ``pg_dump`` to run: ``program`` on ``PATH`` (or as a path); for the
    plain name also Debian's versioned folders, whose newest version dumps
    every older server."""
    found = shutil.which(program)
    if found is None and program == "pg_dump":
        versions = sorted(glob.glob(DEBIAN_PG_DUMP), key=_major_version)
        found = versions[-1] if versions else None
    if found is None:
        raise PgDumpError(f"{program} was not found")
    return found


def _major_version(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def _conninfo(params: Mapping[str, object]) -> str:
    """A libpq connection string of the driver's keyword parameters (those
    that are libpq's: text and numbers, not e.g. psycopg's adapter context)."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**{key: value for key, value in params.items()
                            if isinstance(value, str | int)})


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def prune_backups(folder: Path, stem: str, keep: int, suffix: str = ".sqlite") -> list[Path]:
    """Delete the oldest backups of database ``stem`` beyond ``keep``; returns them."""
    copies = sorted(folder.glob(f"{stem}-import*-*{suffix}"),
                    key=lambda p: (p.stat().st_mtime, p.name))
    old = copies[:-keep] if keep > 0 else copies
    for path in old:
        path.unlink(missing_ok=True)
    return old

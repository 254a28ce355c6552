"""A copy of the SQLite database before an import writes to the CRM.

Uses SQLite's online backup API, so the copy is consistent even while other
connections read and write (WAL included). Other databases are backed up by
their own tools: :func:`backup_database` returns None for them.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

#: How many backups of one database are kept by default.
DEFAULT_KEEP = 5


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
                    keep: int = DEFAULT_KEEP) -> Path | None:
    """Copy the database to ``backup_dir`` (default: ``backups`` next to the
    database file) and delete all but the newest ``keep`` copies of it."""
    source = sqlite_path(db)
    if source is None:
        return None
    folder = Path(backup_dir) if backup_dir else source.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{source.stem}-import{import_id}-{stamp}.sqlite"
    with closing(sqlite3.connect(source, timeout=30)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    prune_backups(folder, source.stem, keep)
    return target


def prune_backups(folder: Path, stem: str, keep: int) -> list[Path]:
    """Delete the oldest backups of database ``stem`` beyond ``keep``; returns them."""
    copies = sorted(folder.glob(f"{stem}-import*-*.sqlite"),
                    key=lambda p: (p.stat().st_mtime, p.name))
    old = copies[:-keep] if keep > 0 else copies
    for path in old:
        path.unlink(missing_ok=True)
    return old

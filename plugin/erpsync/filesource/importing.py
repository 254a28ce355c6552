"""Staging a mapped file into a pending import of the shared engine.

Used by the dialogs and by ``erpsync import --file``. Two passes over the
file, each row by row: the first checks every row (keys present and not too
long, no row wider than the header), the second hands the rows to
:meth:`erpsync.engine.api.ImportEngine.stage` as a stream. So a bad row is
reported before anything is staged, and memory does not grow with the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..connectors.base import ActorType, ErpActor
from ..engine.settings import ImportSettings
from ..i18n import lazy_gettext
from .errors import FileSourceError
from .mapping import (
    COMPANY_KEY_PREFIX,
    ColumnMapping,
    RowConverter,
    company_name_of,
)
from .reading import FileFormat, open_table

#: Key of this source: ``import_run.source`` of file imports.
SOURCE_KEY = "file"

#: Wraps the stream of actors (e.g. to count them for a progress display).
Watch = Callable[[Iterable[ErpActor]], Iterable[ErpActor]]


@dataclass
class FilePlan:
    """One file (or sheet), mapped, ready to be staged. ``settings`` are the
    import settings the command line imports with (the dialogs keep them
    in the pending import)."""

    path: Path
    name: str
    fmt: FileFormat
    sheet: str | None
    actor_type: ActorType
    mapping: ColumnMapping
    source: str
    settings: ImportSettings | None = None


@dataclass
class FileStageResult:
    rows: int  # rows of the file
    added: int  # staged now
    already: int  # rows whose key was staged before
    parents: int  # companies staged because persons of the file belong to them


def _changed(name: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file.
    return FileSourceError(lazy_gettext("%(file)s changed while it was being imported. Upload "
                                        "it again.", file=name), f"{name}: header changed")


def _same_header(plan: FilePlan, table_header: Sequence[str]) -> None:
    if list(table_header) != list(plan.mapping.header):
        raise _changed(plan.name)


def check_rows(plan: FilePlan) -> int:
    """The first pass: every row can be staged. Returns the number of rows."""
    count = 0
    with open_table(plan.path, plan.name, plan.fmt, plan.sheet) as table:
        _same_header(plan, table.header)
        converter = RowConverter(plan.mapping, plan.actor_type, plan.source, table.label)
        for row, cells in table.rows:
            converter.check(row, cells)
            count += 1
    return count


def stage_file(engine: Any, import_id: int, plan: FilePlan,
               watch: Watch | None = None) -> FileStageResult:
    """Check the file, then stage its rows (and the companies of its persons)
    into the pending import ``import_id``. Raises :class:`FileSourceError`
    (nothing staged) or the engine's ``ImportError_``."""
    rows = check_rows(plan)
    with open_table(plan.path, plan.name, plan.fmt, plan.sheet) as table:
        _same_header(plan, table.header)
        converter = RowConverter(plan.mapping, plan.actor_type, plan.source, table.label)
        actors: Iterable[ErpActor] = (converter.actor(row, cells) for row, cells in table.rows)
        if watch is not None:
            actors = watch(actors)
        result = engine.stage(import_id, None, actors)
    parents = stage_companies(engine, import_id)
    return FileStageResult(rows=rows, added=result.added, already=result.already,
                           parents=parents)


def stage_companies(engine: Any, import_id: int) -> int:
    """Stage the companies named by staged persons (``COMPANY``) that are not
    staged yet: one customer per company name, with that NAME only."""

    def fetch(connection_id: int | None, actor_type: ActorType,
              keys: Sequence[str]) -> Iterator[ErpActor]:
        if connection_id is not None:  # not ours
            return
        for key in keys:
            if key.startswith(COMPANY_KEY_PREFIX) and len(key) > len(COMPANY_KEY_PREFIX):
                yield ErpActor(actor_type=actor_type, key=key,
                               fields={"NAME": company_name_of(key)})

    return int(engine.stage_missing_parents(import_id, fetch))

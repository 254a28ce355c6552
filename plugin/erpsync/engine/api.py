"""The import engine's public API: what every import source delegates to.

Life of an import (one ``import_run`` row):

1. :meth:`ImportEngine.create_import` - a pending import in state ``staging``.
2. :meth:`ImportEngine.stage` (any number of times, several searches, several
   actor types): rows go to ``staged_actor``; nothing touches CRM tables.
3. :meth:`ImportEngine.save_settings` then :meth:`ImportEngine.preview`:
   classifies every staged row (set-based SQL) -> state ``previewed``.
4. :meth:`ImportEngine.set_checked` - the admin's checkboxes.
5. :meth:`ImportEngine.apply` - one transaction after a backup; a
   compare-and-set on the state makes a double submit import once.

The work is done by small modules: :mod:`.staging`, :mod:`.preview` (with
:mod:`.diff`), :mod:`.apply`, :mod:`.selections`, :mod:`.backup`; match keys
are defined in :mod:`.normalize`, field keys in :mod:`.fieldmap`, reason and
warning codes in :mod:`.reasons`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete

from ..connectors.base import ActorType, ErpActor
from ..i18n import lazy_gettext
from . import reading, runs, selections, staging
from .apply import apply_rows
from .backup import DEFAULT_KEEP, backup_database
from .preview import classify
from .results import (
    ActorSummary,
    FieldChange,
    ImportError_,
    ImportResult,
    PreviewCounts,
    PreviewRow,
    StageResult,
    StaleImportError,
)
from .schema import staged_actor as sa
from .settings import ImportSettings
from .sqlutil import utcnow
from .states import DONE, FAILED, IMPORTING, PENDING, PREVIEWED, STAGING

__all__ = [
    "ActorSummary", "FieldChange", "ImportEngine", "ImportError_", "ImportResult",
    "PreviewCounts", "PreviewRow", "StageResult", "StaleImportError",
]

log = logging.getLogger(__name__)

MSG_IMPORT_FAILED = lazy_gettext("The import failed and nothing was changed in the CRM.")
MSG_PREVIEW_FAILED = lazy_gettext("The preview of this import could not be made.")
MSG_BACKUP_FAILED = lazy_gettext(
    "The database could not be backed up, so nothing was imported. Check the backup "
    "folder and try again.")

#: fetch(connection_id, parent actor type, ERP keys) -> the parent companies.
ParentFetcher = Callable[[int | None, ActorType, list[str]], Iterable[ErpActor]]


class ImportEngine:
    """The shared, set-based import engine bound to one database.

    ``backup_dir``: where :meth:`apply` copies a SQLite database first (default
    ``backups/`` next to the database file); ``backup_keep`` copies are kept.
    ``batch_size``: rows per batch when streaming (memory stays flat).
    """

    def __init__(self, db: Engine, backup_dir: Path | None = None,
                 backup_keep: int = DEFAULT_KEEP,
                 batch_size: int = staging.DEFAULT_BATCH_SIZE) -> None:
        self.db = db
        self.backup_dir = backup_dir
        self.backup_keep = backup_keep
        self.batch_size = batch_size

    @contextmanager
    def _write(self) -> Any:
        """A write transaction (SQLite: taken at once, so no other writer slips
        in between our reads and writes)."""
        with self.db.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    # -- pending imports ---------------------------------------------------
    def create_import(self, source: str, user_id: int | None) -> int:
        """A new pending import (state ``staging``) with default settings."""
        with self._write() as conn:
            return runs.create(conn, source, user_id)

    def open_import(self, source: str, user_id: int | None) -> int | None:
        """The user's pending import of ``source`` still in staging/previewed, if any."""
        with self.db.connect() as conn:
            return runs.find_open(conn, source, user_id)

    def get_import(self, import_id: int) -> dict[str, Any]:
        """The ``import_run`` row as a dict (raises :class:`ImportError_` if unknown)."""
        with self.db.connect() as conn:
            return runs.get(conn, import_id)

    def discard_import(self, import_id: int) -> None:
        """Delete a pending or failed import and its staged rows."""
        with self._write() as conn:
            runs.discard(conn, import_id)

    def reopen_import(self, import_id: int) -> None:
        """Make a failed import pending again (its apply rolled back)."""
        with self._write() as conn:
            runs.reopen(conn, import_id)

    # -- staging -------------------------------------------------------------
    def stage(self, import_id: int, connection_id: int | None,
              actors: Iterable[ErpActor], via_parent: bool = False) -> StageResult:
        """Stream actors into staging in batches (memory stays flat); the same
        (connection, actor type, ERP key) is staged once per import.

        With ``via_parent`` the new rows are counted in ``parents_added``
        (companies fetched because staged persons belong to them), else in ``added``.

        Each batch is written in its own short transaction, so a slow ERP never
        holds the database's write lock. A batch is all or nothing: an actor
        that cannot be staged raises :class:`ImportError_` and its batch and the
        rest are not added (earlier batches stay).
        """
        with self.db.connect() as conn:
            runs.require_pending(conn, import_id)
            before = staging.count_staged(conn, import_id)
        offered = 0
        try:
            for batch in staging.batches(actors, self.batch_size):
                rows = [staging.prepare_row(import_id, connection_id, actor, via_parent)
                        for actor in batch]
                offered += len(rows)
                with self._write() as conn:
                    runs.require_pending(conn, import_id)
                    staging.insert_rows(conn, rows)
        finally:  # also after a failed batch: earlier batches need a new preview
            with self._write() as conn:
                added = staging.count_staged(conn, import_id) - before
                if added:
                    runs.mark_outdated(conn, import_id)
        if via_parent:
            return StageResult(added=0, already=offered - added, parents_added=added)
        return StageResult(added=added, already=offered - added)

    def stage_missing_parents(self, import_id: int, fetch: ParentFetcher) -> int:
        """Stage the companies of staged persons that are neither staged nor
        linked: ``fetch(connection_id, actor_type, keys)`` returns them (e.g. a
        connector's ``get_actors``). Returns how many were staged."""
        added = 0
        for (connection_id, parent_type), keys in self.missing_parents(import_id).items():
            actors = fetch(connection_id, ActorType(parent_type), keys)
            added += self.stage(import_id, connection_id, actors, via_parent=True).parents_added
        return added

    def staged_count(self, import_id: int) -> int:
        with self.db.connect() as conn:
            return staging.count_staged(conn, import_id)

    def list_staged(self, import_id: int, offset: int = 0, limit: int = 50) -> list[dict]:
        """One page of staged rows (id, actor_type, kind, erp_key, display_name,
        parent, data, status, ...) in staging order."""
        with self.db.connect() as conn:
            return reading.list_staged(conn, import_id, offset, limit)

    def missing_parents(self, import_id: int) -> dict[tuple[int | None, str], list[str]]:
        """Parent (connection id, actor type) -> ERP keys of companies that staged
        persons belong to but that are neither staged nor linked in the CRM."""
        with self.db.connect() as conn:
            return staging.missing_parents(conn, import_id)

    def unstage(self, import_id: int, staged_ids: Iterable[int]) -> int:
        """Remove staged rows; returns how many were removed."""
        ids = list(staged_ids)
        removed = 0
        with self._write() as conn:
            runs.require_pending(conn, import_id)
            for start in range(0, len(ids), 500):
                removed += conn.execute(delete(sa).where(
                    sa.c.import_id == import_id, sa.c.id.in_(ids[start:start + 500]))).rowcount
            if removed:
                runs.mark_outdated(conn, import_id)
        return removed

    # -- settings and preview -------------------------------------------------
    def save_settings(self, import_id: int, settings: ImportSettings) -> None:
        """Store the import settings; the preview is outdated until it runs again."""
        with self._write() as conn:
            runs.save_settings(conn, import_id, settings)

    def get_settings(self, import_id: int) -> ImportSettings:
        with self.db.connect() as conn:
            return runs.settings_of(conn, import_id)

    def preview(self, import_id: int) -> PreviewCounts:
        """Classify every staged row with a handful of set statements
        (state ``previewed``). Raises :class:`StaleImportError` when the import
        is not pending, :class:`ImportError_` when the preview fails (nothing
        changes then)."""
        try:
            with self._write() as conn:
                runs.require_pending(conn, import_id)
                classify(conn, import_id, runs.settings_of(conn, import_id), self.batch_size)
                runs.set_state(conn, import_id, PREVIEWED, expected=PENDING)
                return reading.counts(conn, import_id)
        except ImportError_:
            raise
        except Exception as exc:
            log.exception("preview of import %s failed", import_id)
            raise ImportError_(MSG_PREVIEW_FAILED, repr(exc)) from exc

    def preview_counts(self, import_id: int) -> PreviewCounts:
        with self.db.connect() as conn:
            return reading.counts(conn, import_id)

    def preview_rows(self, import_id: int, offset: int = 0, limit: int = 50,
                     status: str | None = None) -> list[PreviewRow]:
        """One page of preview rows (staging order), optionally of one status."""
        with self.db.connect() as conn:
            return reading.preview_rows(conn, import_id, offset, limit, status)

    def set_checked(self, import_id: int, staged_ids: Iterable[int] | None,
                    checked: bool) -> None:
        """Check/uncheck rows (None = all rows that can be imported)."""
        with self._write() as conn:
            runs.require_pending(conn, import_id)
            reading.set_checked(conn, import_id, staged_ids, checked)

    # -- apply -----------------------------------------------------------------
    def apply(self, import_id: int, user_id: int | None) -> ImportResult:
        """Import the checked rows in one transaction after a backup. Raises
        :class:`StaleImportError` when the import is not pending any more, and
        :class:`ImportError_` (state ``failed``, nothing written) when it fails."""
        with self._write() as conn:
            observed = runs.require_pending(conn, import_id)
            # Compare-and-set: of two concurrent submits, one wins.
            if not runs.set_state(conn, import_id, IMPORTING, expected=(observed,),
                                  started_at=utcnow()):
                raise StaleImportError(runs.MSG_NOT_PENDING, f"import {import_id} changed")
        settings = self.get_settings(import_id)
        try:
            if observed == STAGING:  # settings or rows changed since the preview
                with self._write() as conn:
                    classify(conn, import_id, settings, self.batch_size)
        except Exception as exc:
            self._fail(import_id, exc)
            raise ImportError_(MSG_PREVIEW_FAILED, repr(exc)) from exc

        try:
            backup_path = backup_database(self.db, self.backup_dir, import_id, self.backup_keep)
        except Exception as exc:
            log.exception("backup before import %s failed", import_id)
            with self._write() as conn:  # nothing happened: the import stays pending
                runs.set_state(conn, import_id, STAGING, expected=(IMPORTING,))
            raise ImportError_(MSG_BACKUP_FAILED, repr(exc)) from exc
        if backup_path is not None:
            with self._write() as conn:
                runs.set_state(conn, import_id, IMPORTING, backup_path=str(backup_path))

        now = utcnow()
        try:
            with self._write() as conn:
                counts = apply_rows(conn, import_id, settings, now, self.batch_size)
                new_id, updated_id = selections.create_import_selections(
                    conn, import_id, user_id, now, counts.new, counts.updated)
                runs.set_state(conn, import_id, DONE, finished_at=utcnow(),
                               new_count=counts.new, updated_count=counts.updated,
                               skipped_count=counts.skipped, new_selection_id=new_id,
                               updated_selection_id=updated_id)
        except Exception as exc:
            log.exception("import %s failed", import_id)
            self._fail(import_id, exc)
            raise ImportError_(MSG_IMPORT_FAILED, repr(exc)) from exc
        return ImportResult(import_id=import_id, new=counts.new, updated=counts.updated,
                            skipped=counts.skipped, new_selection_id=new_id,
                            updated_selection_id=updated_id, backup_path=backup_path)

    def _fail(self, import_id: int, exc: BaseException) -> None:
        with self._write() as conn:
            runs.set_state(conn, import_id, FAILED, finished_at=utcnow(),
                           error=f"{type(exc).__name__}: {exc}"[:4000])

    # -- results and selections --------------------------------------------
    def selection_members(self, selection_id: int, offset: int = 0,
                          limit: int = 50) -> list[ActorSummary]:
        """One page of a selection's actors still in the CRM (companies first)."""
        with self.db.connect() as conn:
            return selections.selection_members(conn, selection_id, offset, limit)

    def get_selection(self, selection_id: int) -> dict[str, Any] | None:
        """The selection row with its ``member_count``, or None."""
        with self.db.connect() as conn:
            return selections.get_selection(conn, selection_id)

    def delete_selection_members(self, selection_id: int) -> int:
        """Delete the CRM actors of a selection (and their links, communications)."""
        with self._write() as conn:
            return selections.delete_selection_members(conn, selection_id)


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
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete

from ..connectors.base import ActorType, ErpActor
from ..i18n import lazy_gettext
from ..logging_setup import log_import_step
from . import history, jobs, reading, runs, selections, staging, undo
from .apply import APPLY_STEPS, apply_rows
from .backup import DEFAULT_KEEP, BackupOptions, PgDumpError, backup_database
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
from .sqlutil import utcnow, write_transaction
from .stagewriter import BatchWriter
from .states import DONE, FAILED, PENDING, PREVIEWED, STAGING

__all__ = [
    "ActorSummary", "FieldChange", "ImportEngine", "ImportError_", "ImportResult",
    "PreviewCounts", "PreviewRow", "StageResult", "StaleImportError",
]

log = logging.getLogger(__name__)

MSG_IMPORT_FAILED = lazy_gettext("The import failed and nothing was changed in the CRM.")
MSG_PREVIEW_FAILED = lazy_gettext("The preview of this import could not be made.")

#: fetch(connection_id, parent actor type, ERP keys) -> the parent companies.
ParentFetcher = Callable[[int | None, ActorType, list[str]], Iterable[ErpActor]]


class ImportEngine:
    """The shared, set-based import engine bound to one database.

    ``backup_dir``: where :meth:`apply` copies a SQLite database first (default
    ``backups/`` next to the database file); ``backup_keep`` copies are kept.
    ``pg_dump``: on PostgreSQL, the ``pg_dump`` program that dumps the
    database into ``backup_dir`` before each import and undo (None: no dump;
    the before-images are the safety net). See :mod:`.backup`.
    ``batch_size``: rows per batch when streaming (memory stays flat).
    ``staging_processes``: a large staging (more than
    :data:`.stagewriter.START_AFTER_ROWS` rows) has a writer process insert
    the rows while this one prepares the next (:mod:`.stagewriter`; only for
    databases another process can open from the engine's URL).
    """

    def __init__(self, db: Engine, backup_dir: Path | None = None,
                 backup_keep: int = DEFAULT_KEEP,
                 batch_size: int = staging.DEFAULT_BATCH_SIZE,
                 staging_processes: bool = True, pg_dump: str | None = None) -> None:
        if pg_dump and db.url.get_backend_name() == "postgresql" and backup_dir is None:
            raise ValueError("pg_dump needs a backup_dir to write its dumps to")
        self.db = db
        self.backup_dir = backup_dir
        self.backup_keep = backup_keep
        self.pg_dump = pg_dump
        self.batch_size = batch_size
        self.staging_processes = staging_processes

    @classmethod
    def from_environment(cls, db: Engine, backup_dir: Path,
                         options: BackupOptions | None = None, **kwargs: Any) -> ImportEngine:
        """An engine with the backup ``options`` (default: read from the
        environment, ``ERPSYNC_BACKUP_KEEP`` and ``ERPSYNC_PG_DUMP``; see
        :class:`.backup.BackupOptions`), as the reference host and the CLI build
        it. Raises ValueError (a localized message) for a value that cannot be used."""
        options = options or BackupOptions.from_environment()
        return cls(db, backup_dir, backup_keep=options.keep, pg_dump=options.pg_dump, **kwargs)

    def _write(self) -> Any:
        """A write transaction (:func:`.sqlutil.write_transaction`)."""
        return write_transaction(self.db)

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
        writer = BatchWriter(self.db, import_id, self.staging_processes)
        offered = 0
        try:
            for batch in staging.batches(actors, self.batch_size):
                rows = [staging.prepare_row(import_id, connection_id, actor, via_parent)
                        for actor in batch]
                offered += len(rows)
                writer.write(rows)
            writer.finish()
        finally:  # also after a failed batch: earlier batches need a new preview
            writer.close()
            with self._write() as conn:
                added = staging.count_staged(conn, import_id) - before
                if added:
                    runs.mark_outdated(conn, import_id)
        log_import_step(import_id, "stage", added=added, offered=offered,
                        via_parent=via_parent)
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
                counts = reading.counts(conn, import_id)
            log_import_step(import_id, "preview")
            return counts
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
            return reading.preview_rows(conn, import_id, runs.settings_of(conn, import_id),
                                        offset, limit, status)

    def set_checked(self, import_id: int, staged_ids: Iterable[int] | None,
                    checked: bool) -> None:
        """Check/uncheck rows (None = all rows that can be imported)."""
        with self._write() as conn:
            runs.require_pending(conn, import_id)
            reading.set_checked(conn, import_id, staged_ids, checked)

    # -- apply -----------------------------------------------------------------
    def claim_import(self, import_id: int, worker: str | None = None, *,
                     retry: bool = False) -> str:
        """Compare-and-set a pending import (a failed one with ``retry``) to
        ``importing`` for ``worker`` (default: this process, :func:`.jobs.worker_id`);
        returns the state it was in. Of two concurrent claims (double submit,
        two tabs, two host processes) one wins; the other gets
        :class:`StaleImportError`. A retry first marks an import whose worker
        died as failed."""
        if retry:
            jobs.recover_interrupted(self.db, import_id)
        mine = jobs.register(import_id)
        try:
            with self._write() as conn:
                return jobs.claim(conn, import_id, worker or jobs.worker_id(), retry=retry)
        except BaseException:
            if mine:  # another thread of this process may be running it
                jobs.unregister(import_id)
            raise

    def apply(self, import_id: int, user_id: int | None,
              progress: jobs.ProgressReporter | None = None, *,
              claimed: str | None = None, worker: str | None = None,
              retry: bool = False) -> ImportResult:
        """Import the checked rows in one transaction after a backup. Raises
        :class:`StaleImportError` when the import is not pending any more, and
        :class:`ImportError_` (state ``failed`` with an ``error_code``, nothing
        written) when it fails.

        ``claimed``: the state :meth:`claim_import` returned when the caller
        claimed the import itself (a job runner); else apply claims it.
        ``retry``: import a failed import again (its preview runs again first;
        unchecked rows stay unchecked).
        ``progress`` reports the phases (default: to ``import_run`` only).
        """
        worker = worker or jobs.worker_id()
        own_claim = claimed is None
        observed = (self.claim_import(import_id, worker, retry=retry) if claimed is None
                    else claimed)
        report = progress or jobs.ProgressReporter(self.db, import_id)
        try:
            return self._apply_claimed(import_id, user_id, observed, report, worker)
        except ImportError_:
            raise
        except Exception as exc:  # between the phases (e.g. reading the settings)
            log.exception("import %s failed", import_id)
            code = jobs.failure_code(exc)
            self._fail(import_id, exc, code, worker)
            raise ImportError_(jobs.failure_message(code), repr(exc)) from exc
        finally:
            if own_claim:
                jobs.unregister(import_id)

    def _apply_claimed(self, import_id: int, user_id: int | None, observed: str,
                       report: jobs.ProgressReporter, worker: str) -> ImportResult:
        settings = self.get_settings(import_id)
        try:
            if observed == STAGING:  # settings or rows changed since the preview
                report.phase(jobs.PREVIEW, 0, 1)
                with self._write() as conn:
                    classify(conn, import_id, settings, self.batch_size)
            elif observed == FAILED:  # a retry: the CRM may have changed meanwhile
                report.phase(jobs.PREVIEW, 0, 1)
                with self._write() as conn:
                    jobs.reclassify_keeping_checks(conn, import_id, settings, self.batch_size)
        except Exception as exc:
            log.exception("preview before import %s failed", import_id)
            self._fail(import_id, exc, jobs.PREVIEW_FAILED, worker)
            raise ImportError_(MSG_PREVIEW_FAILED, repr(exc)) from exc

        log_import_step(import_id, "backup", worker=worker, observed=observed)
        report.phase(jobs.BACKUP, 0, 1)
        try:
            backup_path = backup_database(self.db, self.backup_dir, import_id,
                                          self.backup_keep, self.pg_dump)
        except Exception as exc:
            log.exception("backup before import %s failed", import_id)
            code = jobs.PG_DUMP_FAILED if isinstance(exc, PgDumpError) else jobs.BACKUP_FAILED
            self._fail(import_id, exc, code, worker)  # Retry tries again
            raise ImportError_(jobs.failure_message(code), repr(exc)) from exc

        log_import_step(import_id, "apply", worker=worker)
        report.phase(jobs.APPLY, 0, APPLY_STEPS)
        now = utcnow()
        try:
            with self._write() as conn:
                counts = apply_rows(conn, import_id, settings, now, self.batch_size,
                                    on_step=report.step)
                new_id, updated_id = selections.create_import_selections(
                    conn, import_id, user_id, now, counts.new, counts.updated,
                    counts.created_companies)
                runs.set_state(conn, import_id, DONE, finished_at=utcnow(),
                               new_count=counts.new, updated_count=counts.updated,
                               skipped_count=counts.skipped, new_selection_id=new_id,
                               updated_selection_id=updated_id,
                               backup_path=str(backup_path) if backup_path else None,
                               progress_phase=jobs.PHASE_DONE, progress_done=APPLY_STEPS,
                               progress_total=APPLY_STEPS, progress_at=utcnow())
        except Exception as exc:
            log.exception("import %s failed", import_id)
            code = jobs.failure_code(exc)
            self._fail(import_id, exc, code, worker)
            message = MSG_IMPORT_FAILED if code == jobs.ERROR else jobs.failure_message(code)
            raise ImportError_(message, repr(exc)) from exc
        report.step(APPLY_STEPS, APPLY_STEPS)
        log_import_step(import_id, "done", new=counts.new, updated=counts.updated,
                        skipped=counts.skipped)
        return ImportResult(import_id=import_id, new=counts.new, updated=counts.updated,
                            skipped=counts.skipped, new_selection_id=new_id,
                            updated_selection_id=updated_id, backup_path=backup_path)

    def _fail(self, import_id: int, exc: BaseException, code: str = jobs.ERROR,
              worker: str | None = None) -> None:
        """State ``failed`` with the reason; retried a few times when the
        database is locked (the failure may be that very lock)."""
        log_import_step(import_id, "failed", logging.WARNING, code=code,
                        error=type(exc).__name__)
        jobs.mark_failed_retrying(self.db, import_id, code,
                                  f"{type(exc).__name__}: {exc}", worker=worker)

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

    # -- jobs, undo and history (see .jobs, .undo, .history) ----------------------
    def read_progress(self, import_id: int) -> jobs.ProgressSnapshot:
        """State and job progress of an import (raises :class:`ImportError_` if unknown)."""
        return jobs.read_progress(self.db, import_id)

    def recover_interrupted(self, import_id: int | None = None) -> list[int]:
        """Mark imports stuck in ``importing`` whose worker is gone as failed."""
        return jobs.recover_interrupted(self.db, import_id)

    def undo_plan(self, import_id: int) -> undo.UndoPlan:
        """What :meth:`undo_import` would restore and remove, and its conflicts."""
        with self.db.connect() as conn:
            return undo.plan_undo(conn, import_id)

    def undo_import(self, import_id: int, user_id: int | None,
                    force: bool = False) -> undo.UndoResult:
        """Undo a done import after a backup (raises :class:`.undo.UndoRefused`
        on conflicts unless ``force``)."""
        return undo.undo_import(self.db, import_id, user_id, force=force,
                                backup_dir=self.backup_dir, backup_keep=self.backup_keep,
                                pg_dump=self.pg_dump)

    def list_imports(self, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """One page of past imports, newest first (see :func:`.history.list_imports`)."""
        with self.db.connect() as conn:
            return history.list_imports(conn, offset, limit)

    def count_imports(self) -> int:
        with self.db.connect() as conn:
            return history.count_imports(conn)

    def import_record(self, import_id: int) -> dict[str, Any] | None:
        """One import for the history's detail page, or None."""
        with self.db.connect() as conn:
            return history.get_import(conn, import_id)

    def changed_since_start(self, connection_id: int, actor_type: str) -> datetime | None:
        """Where "re-import changed since the last import" of ``actor_type`` from
        the connection starts (None: no such import yet)."""
        with self.db.connect() as conn:
            return history.changed_since_start(conn, connection_id, actor_type)

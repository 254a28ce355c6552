"""Imports as background jobs: one worker per import, progress, dead workers.

* **Claiming** (:func:`claim`): a compare-and-set of ``import_run.state`` from
  pending (``staging``/``previewed``) to ``importing`` that records the worker
  (``host:pid:process-start:token``). Of a double click, two tabs or two host
  processes exactly one wins; the others get :class:`StaleImportError`.
* **Progress** (:class:`ProgressReporter`): ``progress_phase/done/total`` on
  ``import_run``, written at phase boundaries (queued, preview, backup, apply,
  done or failed) in short transactions of their own. Steps inside the one
  apply transaction are kept in memory for pages served by the same process
  (SQLite lets no other connection write while the apply holds the write lock).
* **Dead workers** (:func:`recover_interrupted`): an import left ``importing``
  by a worker that is gone (killed process, reboot) is marked ``failed`` with
  the code ``interrupted``; its apply transaction was rolled back by the
  database, so nothing of it is in the CRM and **Retry** imports it once.
  A worker on this host is alive while its process is (same pid *and* process
  start time); one on another host while its heartbeat is recent.
* **The job runner** (:class:`JobRunner`): a small thread pool of the host
  process. A page claims the import in the request, queues the apply and
  returns at once; the progress page follows the job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, or_, select
from sqlalchemy.exc import DBAPIError, OperationalError

from ..i18n import LazyString, lazy_gettext, use_locale
from . import preview, reading, runs
from .results import ImportError_, StaleImportError
from .schema import import_run
from .schema import staged_actor as sa
from .sqlutil import utcnow, write_transaction
from .states import DONE, FAILED, IMPORTING, NOT_IMPORTED, PENDING

if TYPE_CHECKING:
    from .api import ImportEngine

log = logging.getLogger(__name__)

# -- phases ---------------------------------------------------------------------------
QUEUED = "queued"  # claimed, waiting for a worker thread
PREVIEW = "preview"  # the preview runs again (rows or settings changed since)
BACKUP = "backup"
APPLY = "apply"  # the one transaction that writes the CRM
#: Finished phases (the same words as the states).
PHASE_DONE = DONE
PHASE_FAILED = FAILED

#: Share of the progress bar each phase ends at (apply fills the rest by its steps).
_PHASE_START = {QUEUED: 0, PREVIEW: 2, BACKUP: 10, APPLY: 20}
_PHASE_END = {QUEUED: 2, PREVIEW: 10, BACKUP: 20, APPLY: 100}

PHASE_LABELS: dict[str, LazyString] = {
    QUEUED: lazy_gettext("Waiting to start…"),
    PREVIEW: lazy_gettext("Checking the actors against the CRM again…"),
    BACKUP: lazy_gettext("Backing up the database…"),
    APPLY: lazy_gettext("Importing the actors…"),
    PHASE_DONE: lazy_gettext("The import is finished."),
    PHASE_FAILED: lazy_gettext("The import failed."),
}

# -- why an import failed ------------------------------------------------------------
LOCKED = "locked"
CONNECTION_LOST = "connection_lost"
INTERRUPTED = "interrupted"
BACKUP_FAILED = "backup"
PG_DUMP_FAILED = "pg_dump"
PREVIEW_FAILED = "preview"
ERROR = "error"

FAILURE_MESSAGES: dict[str, LazyString] = {
    LOCKED: lazy_gettext(
        "The database was locked by another program for too long, so the import "
        "stopped. Nothing was changed in the CRM. Try again when the other program "
        "is done."),
    CONNECTION_LOST: lazy_gettext(
        "The connection to the database was lost during the import. Nothing was "
        "changed in the CRM. Try again when the database can be reached."),
    INTERRUPTED: lazy_gettext(
        "The import was interrupted (the server stopped or restarted while it ran). "
        "Nothing was changed in the CRM."),
    BACKUP_FAILED: lazy_gettext(
        "The database could not be backed up, so nothing was imported. Check the "
        "backup folder and try again."),
    PG_DUMP_FAILED: lazy_gettext(
        "pg_dump could not back up the database, so nothing was imported. Check that "
        "pg_dump is installed and can connect to the database, then try again."),
    PREVIEW_FAILED: lazy_gettext(
        "The preview of this import could not be made, so nothing was imported."),
    ERROR: lazy_gettext("The import failed and nothing was changed in the CRM."),
}

MSG_NOT_FAILED = lazy_gettext(
    "Only a failed import can be tried again. This one was imported or is being "
    "imported already.")

#: A worker on another host whose heartbeat is older than this is taken for dead.
STALE_AFTER = timedelta(minutes=10)
#: How often a runner refreshes the heartbeat of the imports it runs.
HEARTBEAT_EVERY = 15.0


#: Words of database errors meaning "another transaction holds a lock".
_LOCK_WORDS = ("database is locked", "database table is locked", "busy", "lock timeout",
               "deadlock detected", "could not obtain lock")
#: ... and "the connection to the database is gone".
_LOST_WORDS = ("server closed the connection", "terminating connection",
               "connection already closed", "connection is closed", "could not connect",
               "connection refused", "connection reset", "disk i/o error",
               "unable to open database")


def failure_code(exc: BaseException) -> str:
    """The failure code (:data:`LOCKED`, :data:`CONNECTION_LOST` or :data:`ERROR`)
    of an exception raised while applying."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError):
            text = str(getattr(current, "orig", None) or current).lower()
            if any(word in text for word in _LOCK_WORDS):
                return LOCKED
            if current.connection_invalidated or (
                    isinstance(current, OperationalError)
                    and any(word in text for word in _LOST_WORDS)):
                return CONNECTION_LOST
            return ERROR
        current = current.__cause__ or current.__context__
    return ERROR


def failure_message(code: str | None) -> LazyString:
    """The admin's explanation of a failure code (the generic one if unknown)."""
    return FAILURE_MESSAGES.get(code or ERROR, FAILURE_MESSAGES[ERROR])


# -- workers --------------------------------------------------------------------------
_TOKENS: dict[int, str] = {}


def _process_start(pid: int) -> str:
    """The start time of process ``pid`` in clock ticks since boot ('' if unknown):
    with the pid it tells a process from a later one that got the same pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def worker_id() -> str:
    """This process as a worker: ``host:pid:process-start:token``."""
    pid = os.getpid()
    token = _TOKENS.get(pid)
    if token is None:  # a forked child gets its own token
        token = _TOKENS[pid] = secrets.token_hex(6)
    host = socket.gethostname().replace(":", "_")
    return f"{host}:{pid}:{_process_start(pid)}:{token}"


@dataclass(frozen=True)
class Worker:
    """A parsed :func:`worker_id`."""

    host: str
    pid: int
    start: str
    token: str

    @classmethod
    def parse(cls, value: str | None) -> Worker | None:
        parts = (value or "").rsplit(":", 3)
        if len(parts) != 4:
            return None
        try:
            return cls(parts[0], int(parts[1]), parts[2], parts[3])
        except ValueError:
            return None


# Imports claimed or being applied by this process (the truth for its own workers).
_active: dict[int, LiveProgress] = {}
_active_lock = threading.Lock()


@dataclass
class LiveProgress:
    """The latest progress of an import applied by this process."""

    phase: str = QUEUED
    done: int = 0
    total: int | None = None


def register(import_id: int) -> bool:
    """This process is about to claim ``import_id`` (before the claim commits, so
    that a recovery running meanwhile never takes it for dead). False when it was
    registered already (another thread of this process has it): then the caller
    must not unregister it when its own claim fails."""
    with _active_lock:
        if import_id in _active:
            return False
        _active[import_id] = LiveProgress()
        return True


def unregister(import_id: int) -> None:
    with _active_lock:
        _active.pop(import_id, None)


def is_active_here(import_id: int) -> bool:
    """Whether this process is applying (or has queued) ``import_id``."""
    with _active_lock:
        return import_id in _active


def live_progress(import_id: int) -> LiveProgress | None:
    with _active_lock:
        live = _active.get(import_id)
        return LiveProgress(live.phase, live.done, live.total) if live else None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def worker_alive(worker: str | None, import_id: int, last_sign: datetime | None, *,
                 now: datetime | None = None, stale_after: timedelta = STALE_AFTER) -> bool:
    """Whether the worker that claimed ``import_id`` may still be applying it."""
    now = now or utcnow()
    parsed = Worker.parse(worker)
    fresh = last_sign is not None and now - (_aware(last_sign) or now) < stale_after
    me = Worker.parse(worker_id())
    assert me is not None
    if parsed is None or parsed.host != me.host:
        return fresh
    if parsed.pid == me.pid and parsed.start == me.start:
        return parsed.token == me.token and is_active_here(import_id)
    if not _pid_exists(parsed.pid):
        return False
    start = _process_start(parsed.pid)
    return not (start and parsed.start and start != parsed.start)


# -- claiming and state ------------------------------------------------------------------
def claim(conn: Connection, import_id: int, worker: str, *, retry: bool = False) -> str:
    """Compare-and-set a pending import (a failed one with ``retry``) to
    ``importing`` for ``worker``, inside the caller's write transaction.
    Returns the state it was in; raises :class:`StaleImportError` when it is
    not in such a state or another worker won."""
    if retry:
        observed = runs.state_of(conn, import_id)
        if observed != FAILED:
            raise StaleImportError(MSG_NOT_FAILED, f"import {import_id} is {observed}")
    else:
        observed = runs.require_pending(conn, import_id)
    now = utcnow()
    if not runs.set_state(conn, import_id, IMPORTING, expected=(observed,), started_at=now,
                          finished_at=None, worker=worker, heartbeat_at=now, error=None,
                          error_code=None, progress_phase=QUEUED, progress_done=0,
                          progress_total=None, progress_at=now):
        raise StaleImportError(runs.MSG_NOT_PENDING, f"import {import_id} changed")
    return observed


def release(db: Engine, import_id: int, worker: str, back_to: str) -> bool:
    """Give back a claimed import that never started (state ``back_to`` again)."""
    with write_transaction(db) as conn:
        done = conn.execute(import_run.update().where(
            import_run.c.id == import_id, import_run.c.state == IMPORTING,
            import_run.c.worker == worker, import_run.c.progress_phase == QUEUED,
        ).values(state=back_to, started_at=None, worker=None, progress_phase=None,
                 progress_done=None, progress_total=None)).rowcount == 1
    unregister(import_id)
    return done


def mark_failed(db: Engine, import_id: int, code: str, error: str, *,
                worker: str | None = None) -> bool:
    """``importing`` -> ``failed`` (only for ``worker`` when given). Best effort:
    False when the database cannot be written right now."""
    run = import_run.c
    where = [run.id == import_id, run.state == IMPORTING]
    if worker is not None:
        where.append(run.worker == worker)
    now = utcnow()
    try:
        with write_transaction(db) as conn:
            return conn.execute(import_run.update().where(*where).values(
                state=FAILED, finished_at=now, error=error[:4000], error_code=code,
                progress_phase=PHASE_FAILED, progress_at=now)).rowcount == 1
    except DBAPIError:
        log.warning("could not mark import %s failed yet", import_id, exc_info=True)
        return False


def mark_failed_retrying(db: Engine, import_id: int, code: str, error: str, *,
                         worker: str | None = None, attempts: int = 6) -> bool:
    """:func:`mark_failed`, tried again with growing pauses (0.5 s .. 8 s) while
    the database cannot be written (e.g. the lock that made the import fail)."""
    for attempt in range(attempts):
        if mark_failed(db, import_id, code, error, worker=worker):
            return True
        try:
            with db.connect() as conn:
                if conn.scalar(select(import_run.c.state).where(
                        import_run.c.id == import_id)) != IMPORTING:
                    return False
        except DBAPIError:
            pass
        if attempt + 1 < attempts:
            time.sleep(0.5 * 2 ** attempt)
    return False


def recover_interrupted(db: Engine, import_id: int | None = None, *,
                        stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Mark every import stuck in ``importing`` whose worker is gone as failed
    (code ``interrupted``); returns their ids. Live workers, in this process or
    another, keep theirs."""
    run = import_run.c
    query = select(run.id, run.worker, run.heartbeat_at, run.started_at).where(
        run.state == IMPORTING)
    if import_id is not None:
        query = query.where(run.id == import_id)
    with db.connect() as conn:
        stuck = conn.execute(query).all()
    recovered = []
    now = utcnow()
    for row in stuck:
        last_sign = max((t for t in (_aware(row.heartbeat_at), _aware(row.started_at)) if t),
                        default=None)
        if worker_alive(row.worker, row.id, last_sign, now=now, stale_after=stale_after):
            continue
        where = [run.id == row.id, run.state == IMPORTING,
                 run.worker.is_(None) if row.worker is None else run.worker == row.worker]
        with write_transaction(db) as conn:
            changed = conn.execute(import_run.update().where(*where).values(
                state=FAILED, finished_at=now, error_code=INTERRUPTED,
                error=f"worker {row.worker or '?'} is gone", progress_phase=PHASE_FAILED,
                progress_at=now)).rowcount
        if changed:
            log.warning("import %s was interrupted (worker %s is gone): marked failed",
                        row.id, row.worker)
            recovered.append(row.id)
    return recovered


def heartbeat(db: Engine, import_ids: list[int], worker: str) -> None:
    """Refresh the heartbeat of the imports ``worker`` runs (best effort)."""
    if not import_ids:
        return
    run = import_run.c
    try:
        with db.begin() as conn:
            conn.execute(import_run.update().where(
                run.id.in_(import_ids), run.state == IMPORTING, run.worker == worker,
            ).values(heartbeat_at=utcnow()))
    except DBAPIError:  # SQLite: an apply holds the write lock; next time
        log.debug("heartbeat skipped", exc_info=True)


def reclassify_keeping_checks(conn: Connection, import_id: int, settings: Any,
                              batch_size: int) -> None:
    """Run the preview again (a retry: the CRM may have changed since the failed
    attempt) and keep the rows the admin had unchecked unchecked."""
    unchecked = list(conn.scalars(select(sa.c.id).where(
        sa.c.import_id == import_id, sa.c.checked.is_(False),
        or_(sa.c.status.is_(None), sa.c.status != NOT_IMPORTED))))
    preview.classify(conn, import_id, settings, batch_size)
    if unchecked:
        reading.set_checked(conn, import_id, unchecked, False)


# -- progress --------------------------------------------------------------------------
@dataclass
class ProgressSnapshot:
    """Where an import is: its state and the phase of its job."""

    import_id: int
    state: str
    phase: str | None
    done: int
    total: int | None
    error_code: str | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state not in (IMPORTING, *PENDING)

    @property
    def percent(self) -> int:
        """0-100 over the whole job (phases weighted, apply by its steps)."""
        if self.state != IMPORTING:
            return 100 if self.finished else 0
        phase = self.phase or QUEUED
        start, end = _PHASE_START.get(phase, 0), _PHASE_END.get(phase, 0)
        if self.total:
            share = min(max(self.done, 0), self.total) / self.total
            return int(start + (end - start) * share)
        return start

    def as_json(self) -> dict[str, Any]:
        return {"id": self.import_id, "state": self.state, "phase": self.phase,
                "done": self.done, "total": self.total, "percent": self.percent,
                "finished": self.finished, "error_code": self.error_code}


def read_progress(db: Engine, import_id: int) -> ProgressSnapshot:
    """The progress of an import: the database's, refined by this process's
    in-memory steps when it is the one applying it."""
    run = import_run.c
    with db.connect() as conn:
        row = conn.execute(select(run.state, run.progress_phase, run.progress_done,
                                  run.progress_total, run.error_code, run.error)
                           .where(run.id == import_id)).first()
    if row is None:
        raise ImportError_(runs.MSG_NOT_FOUND, f"import {import_id} not found")
    snap = ProgressSnapshot(import_id, row.state, row.progress_phase, row.progress_done or 0,
                            row.progress_total, row.error_code, row.error)
    live = live_progress(import_id) if row.state == IMPORTING else None
    if live is not None and _PHASE_START.get(live.phase, 0) >= _PHASE_START.get(
            snap.phase or QUEUED, 0):
        snap.phase, snap.done, snap.total = live.phase, live.done, live.total
    return snap


@dataclass
class ProgressReporter:
    """Reports an apply's progress: phases go to ``import_run`` (short
    transactions of their own), steps stay in memory; ``listener(phase, done,
    total)`` hears both (e.g. a terminal progress bar)."""

    db: Engine
    import_id: int
    listener: Callable[[str, int, int | None], None] | None = None
    _live: LiveProgress = field(default_factory=LiveProgress)

    def phase(self, phase: str, done: int = 0, total: int | None = None) -> None:
        """A new phase begins (written to the database)."""
        self._update(phase, done, total)
        try:
            with self.db.begin() as conn:
                conn.execute(import_run.update().where(
                    import_run.c.id == self.import_id, import_run.c.state == IMPORTING,
                ).values(progress_phase=phase, progress_done=done, progress_total=total,
                         progress_at=utcnow(), heartbeat_at=utcnow()))
        except DBAPIError:  # progress must never fail an import
            log.warning("progress of import %s not saved", self.import_id, exc_info=True)

    def step(self, done: int, total: int | None) -> None:
        """Progress inside the current phase (kept in memory)."""
        self._update(self._live.phase, done, total)

    def _update(self, phase: str, done: int, total: int | None) -> None:
        self._live = LiveProgress(phase, done, total)
        with _active_lock:
            if self.import_id in _active:
                _active[self.import_id] = LiveProgress(phase, done, total)
        if self.listener is not None:
            self.listener(phase, done, total)


# -- the job runner --------------------------------------------------------------------
@dataclass
class _Job:
    import_id: int
    observed: str
    future: Future[Any] | None = None


class JobRunner:
    """Runs imports in worker threads of this process.

    ``engine_factory()`` gives the :class:`~erpsync.engine.api.ImportEngine`.
    :meth:`start` (the host's startup) marks imports whose worker died as
    failed and starts the heartbeat; :meth:`shutdown` (the host's shutdown)
    lets running imports finish and gives back the queued ones. Submitting
    starts the runner if needed. ``max_workers`` defaults to 1 on SQLite (one
    writer at a time) and 4 elsewhere.
    """

    def __init__(self, engine_factory: Callable[[], ImportEngine], *,
                 max_workers: int | None = None,
                 heartbeat_every: float = HEARTBEAT_EVERY) -> None:
        self._engine_factory = engine_factory
        self._max_workers = max_workers
        self._heartbeat_every = heartbeat_every
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: dict[int, _Job] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.worker = worker_id()

    @property
    def engine(self) -> ImportEngine:
        return self._engine_factory()

    def start(self) -> list[int]:
        """Start (idempotent); returns the imports found interrupted."""
        with self._lock:
            if self._executor is not None:
                return []
            db = self.engine.db
            workers = self._max_workers or (1 if db.dialect.name == "sqlite" else 4)
            self._executor = ThreadPoolExecutor(workers, thread_name_prefix="erpsync-import")
            self._stop.clear()
            self._heartbeat = threading.Thread(target=self._beat, name="erpsync-heartbeat",
                                               daemon=True)
            self._heartbeat.start()
        try:
            return recover_interrupted(db)
        except DBAPIError:
            log.warning("could not look for interrupted imports", exc_info=True)
            return []

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; running imports finish (when ``wait``), queued ones
        are given back (pending again)."""
        with self._lock:
            executor, self._executor = self._executor, None
            self._stop.set()
        if executor is None:
            return
        executor.shutdown(wait=wait, cancel_futures=True)
        for job in list(self._jobs.values()):
            if job.future is not None and job.future.cancelled():
                with contextlib.suppress(DBAPIError):
                    release(self.engine.db, job.import_id, self.worker, job.observed)
                self._jobs.pop(job.import_id, None)
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)

    def submit_apply(self, import_id: int, user_id: int | None, locale: str | None = None,
                     *, retry: bool = False) -> Future[Any]:
        """Claim ``import_id`` now (raises :class:`StaleImportError` when it is not
        pending - with ``retry``: failed - or another worker has it) and apply it
        in a worker thread."""
        self.start()
        engine = self.engine
        observed = engine.claim_import(import_id, self.worker, retry=retry)
        job = _Job(import_id, observed)
        with self._lock:
            executor = self._executor
            if executor is None:  # shut down meanwhile
                release(engine.db, import_id, self.worker, observed)
                raise RuntimeError("the job runner is shut down")
            self._jobs[import_id] = job
            job.future = executor.submit(self._run, job, user_id, locale)
        return job.future

    def running(self) -> list[int]:
        """Imports this runner has claimed and not finished."""
        with self._lock:
            return sorted(self._jobs)

    def wait(self, import_id: int, timeout: float | None = None) -> None:
        """Block until the job of ``import_id`` (if this runner has one) ends."""
        with self._lock:
            job = self._jobs.get(import_id)
        if job is not None and job.future is not None:
            with contextlib.suppress(Exception):
                job.future.result(timeout)

    def _run(self, job: _Job, user_id: int | None, locale: str | None) -> None:
        engine = self.engine
        try:
            with use_locale(locale or "en"):
                engine.apply(job.import_id, user_id, claimed=job.observed, worker=self.worker)
        except ImportError_ as exc:
            log.warning("import %s failed: %s", job.import_id, exc.technical or exc)
        except Exception:
            log.exception("import %s failed", job.import_id)
        finally:
            self._settle(engine, job.import_id)
            with self._lock:
                self._jobs.pop(job.import_id, None)

    def _settle(self, engine: ImportEngine, import_id: int, attempts: int = 10) -> None:
        """Never leave an import of ours ``importing`` once its job ended (the
        failure could not be written while the database was locked)."""
        run = import_run.c
        for attempt in range(attempts):
            try:
                with engine.db.connect() as conn:
                    stuck = conn.scalar(select(run.id).where(and_(
                        run.id == import_id, run.state == IMPORTING, run.worker == self.worker)))
            except DBAPIError:
                stuck = import_id
            if stuck is None:
                break
            if mark_failed(engine.db, import_id, ERROR, "the job ended without a result",
                           worker=self.worker):
                break
            if self._stop.wait(min(2 ** attempt, 10)):
                break
        unregister(import_id)

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat_every):
            with contextlib.suppress(Exception):
                heartbeat(self.engine.db, self.running(), self.worker)

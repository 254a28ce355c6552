"""A locked database during the apply, failure codes, dead and live workers, and
the job runner's shutdown."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.db import make_engine, metadata
from erpsync.engine import jobs
from erpsync.engine.api import ImportEngine, ImportError_, StaleImportError
from erpsync.engine.schema import company, import_run
from erpsync.engine.sqlutil import utcnow
from erpsync.i18n import use_locale

#: A busy timeout far below the default 10 s, so the lock outlasts it quickly.
BUSY_TIMEOUT_MS = 200


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm.sqlite"


@pytest.fixture
def engine(db_path: Path, tmp_path: Path):
    db = make_engine(f"sqlite:///{db_path}")

    @event.listens_for(db, "connect")
    def short_busy_timeout(dbapi_conn, _record) -> None:  # after make_engine's pragmas
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    metadata.create_all(db)
    yield ImportEngine(db, backup_dir=tmp_path / "backups")
    db.dispose()


def previewed(engine: ImportEngine, n: int = 20) -> int:
    import_id = engine.create_import("erp", None)
    engine.stage(import_id, 1, [ErpActor(ActorType.CUSTOMER, f"C{i}", {"NAME": f"Firm {i}"})
                                for i in range(n)])
    engine.preview(import_id)
    return import_id


def companies(engine: ImportEngine) -> int:
    with engine.db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(company)))


def test_a_lock_held_beyond_the_busy_timeout_fails_the_import_cleanly(
        engine: ImportEngine, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_id = previewed(engine)
    observed = engine.claim_import(import_id)

    # Another program takes the database's write lock and keeps it.
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO list_item (list_name, name, name_key, is_default) "
                  "VALUES ('category', 'Held', 'held', 0)")
    first_failure = threading.Event()
    real_mark_failed = jobs.mark_failed

    def mark_failed(*args, **kwargs):
        first_failure.set()
        return real_mark_failed(*args, **kwargs)

    monkeypatch.setattr(jobs, "mark_failed", mark_failed)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            with use_locale("en"):
                engine.apply(import_id, None, claimed=observed)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        # The apply met the lock, gave up after the busy timeout and now tries to
        # write its failure (which the same lock blocks for a while).
        assert first_failure.wait(60)
    finally:
        other.rollback()
        other.close()
    worker.join(60)
    assert not worker.is_alive()

    assert len(outcome) == 1 and isinstance(outcome[0], ImportError_)
    with use_locale("en"):
        message = str(outcome[0].user_message)
    assert "locked by another program" in message and "Nothing was changed" in message
    assert "database is locked" in outcome[0].technical
    run_row = engine.get_import(import_id)
    assert (run_row["state"], run_row["error_code"]) == ("failed", "locked")
    assert "database is locked" in run_row["error"]
    assert companies(engine) == 0  # the transaction rolled back

    # Retry imports it exactly once.
    assert engine.apply(import_id, None, retry=True).new == 20
    assert companies(engine) == 20
    with pytest.raises(StaleImportError):
        engine.apply(import_id, None, retry=True)
    assert companies(engine) == 20


def _operational(message: str, invalidated: bool = False) -> OperationalError:
    return OperationalError("UPDATE company ...", {}, Exception(message),
                            connection_invalidated=invalidated)


@pytest.mark.parametrize(("exc", "code"), [
    (_operational("database is locked"), jobs.LOCKED),
    (_operational("canceling statement due to lock timeout"), jobs.LOCKED),
    (_operational("server closed the connection unexpectedly"), jobs.CONNECTION_LOST),
    (_operational("anything", invalidated=True), jobs.CONNECTION_LOST),
    (_operational("no such table: company"), jobs.ERROR),
    (RuntimeError("disk on fire"), jobs.ERROR),
])
def test_failure_codes(exc: BaseException, code: str) -> None:
    assert jobs.failure_code(exc) == code
    wrapped = RuntimeError("apply failed")
    wrapped.__cause__ = exc
    assert jobs.failure_code(wrapped) == code
    with use_locale("en"):
        assert "othing was changed in the CRM" in str(jobs.failure_message(code))


def test_a_failure_code_is_explained_in_every_language() -> None:
    for code in (jobs.LOCKED, jobs.CONNECTION_LOST, jobs.INTERRUPTED, jobs.BACKUP_FAILED,
                 jobs.PG_DUMP_FAILED,
                 jobs.PREVIEW_FAILED, jobs.ERROR, None, "unknown"):
        for locale in ("en", "nl", "no"):
            with use_locale(locale):
                assert str(jobs.failure_message(code))


def test_which_workers_are_alive() -> None:
    me = jobs.worker_id()
    host, pid, start, token = me.rsplit(":", 3)
    now = utcnow()
    # This process: alive while it runs the import, whatever the heartbeat says.
    jobs.register(7)
    try:
        assert jobs.worker_alive(me, 7, None, now=now)
    finally:
        jobs.unregister(7)
    assert not jobs.worker_alive(me, 7, now, now=now)
    # This pid in an earlier life (another token): gone.
    assert not jobs.worker_alive(f"{host}:{pid}:{start}:other", 7, now, now=now)
    # A pid that does not exist on this host: gone.
    assert not jobs.worker_alive(f"{host}:4194305::x", 7, now, now=now)
    # A live process on this host (our parent), started when it says: alive.
    parent = os.getppid()
    assert jobs.worker_alive(f"{host}:{parent}:{jobs._process_start(parent)}:x", 7, None,
                             now=now)
    # ... but not when that pid was reused by a later process.
    assert not jobs.worker_alive(f"{host}:{parent}:1:x", 7, now, now=now)
    # Another host: alive while its heartbeat is recent.
    elsewhere = "other-host:123:456:x"
    assert jobs.worker_alive(elsewhere, 7, now - timedelta(minutes=1), now=now)
    assert not jobs.worker_alive(elsewhere, 7, now - timedelta(hours=1), now=now)
    assert not jobs.worker_alive(None, 7, None, now=now)


def test_recovery_leaves_live_workers_alone(engine: ImportEngine) -> None:
    live, dead, remote = previewed(engine, 1), previewed(engine, 1), previewed(engine, 1)
    engine.claim_import(live)  # this process, registered as running it
    host = jobs.worker_id().split(":")[0]
    engine.claim_import(dead, worker=f"{host}:4194305::x")
    engine.claim_import(remote, worker="other-host:1:2:x")
    for import_id in (dead, remote):
        jobs.unregister(import_id)
    try:
        assert engine.recover_interrupted() == [dead]
        states = {i: engine.get_import(i)["state"] for i in (live, dead, remote)}
        assert states == {live: "importing", dead: "failed", remote: "importing"}
        # The other host stops beating: after STALE_AFTER its import is failed too.
        with engine.db.begin() as conn:
            conn.execute(update(import_run).where(import_run.c.id == remote).values(
                heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=1),
                started_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=1)))
        assert engine.recover_interrupted() == [remote]
    finally:
        jobs.unregister(live)
    assert engine.recover_interrupted() == [live]  # no longer running here


def test_shutdown_gives_back_queued_imports(engine: ImportEngine,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker thread: the first import runs (held), the second waits in the
    queue. Shutdown lets the first finish and gives the second back."""
    first, second = previewed(engine, 2), previewed(engine, 3)
    started, release = threading.Event(), threading.Event()
    real_apply = engine.apply

    def held_apply(import_id, *args, **kwargs):
        started.set()
        assert release.wait(60)
        return real_apply(import_id, *args, **kwargs)

    monkeypatch.setattr(engine, "apply", held_apply)
    runner = jobs.JobRunner(lambda: engine, max_workers=1)
    runner.submit_apply(first, None)
    runner.submit_apply(second, None)
    assert started.wait(60)
    assert runner.running() == [first, second]
    assert engine.read_progress(second).phase == "queued"
    stopper = threading.Thread(target=runner.shutdown)
    stopper.start()
    release.set()
    stopper.join(60)
    assert engine.get_import(first)["state"] == "done"
    assert engine.get_import(second)["state"] == "previewed"  # pending again, not lost
    assert not jobs.is_active_here(second)
    assert companies(engine) == 2


def test_a_lost_claim_leaves_the_winner_running(engine: ImportEngine) -> None:
    """Two threads of one process: the loser's failed claim must not make the
    winner look dead to a recovery."""
    import_id = previewed(engine, 1)
    engine.claim_import(import_id)
    try:
        with pytest.raises(StaleImportError):
            engine.claim_import(import_id)
        assert jobs.is_active_here(import_id)
        assert engine.recover_interrupted(import_id) == []
        assert engine.get_import(import_id)["state"] == "importing"
    finally:
        jobs.unregister(import_id)

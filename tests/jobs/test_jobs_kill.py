"""SIGKILL in the middle of an apply, for real: a separate process applies a big
import and is killed with ``kill -9`` while its transaction has written part of
it. The CRM must hold none of it, the import must be marked failed once the
worker is seen dead (never while it lives), and Retry imports it exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.db import make_engine, metadata
from erpsync.engine import jobs
from erpsync.engine.api import ImportEngine, StaleImportError
from erpsync.engine.schema import before_image, company, erp_link, import_run, person

ROWS = 3000

#: The worker process: applies the import; once the apply transaction has
#: written the companies it says so (a marker file) and waits to be killed.
WORKER = textwrap.dedent("""
    import pathlib, sys, time
    from erpsync.db import make_engine
    from erpsync.engine import schema
    from erpsync.engine.api import ImportEngine
    from erpsync.engine.jobs import ProgressReporter

    url, marker, import_id, backups = sys.argv[1:5]
    db = make_engine(url)
    engine = ImportEngine(db, backup_dir=pathlib.Path(backups))

    def listen(phase, done, total):
        if phase == "apply" and done >= 2:  # companies inserted, not committed
            pathlib.Path(marker).write_text("inside the apply transaction")
            time.sleep(300)

    engine.apply(int(import_id), None,
                 progress=ProgressReporter(db, int(import_id), listener=listen))
    print("the apply finished: the test did not kill it in time")
""")


def _count(db, table) -> int:
    with db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))


def _run_state(db, import_id: int) -> tuple[str, str | None, str | None]:
    with db.connect() as conn:
        row = conn.execute(select(import_run.c.state, import_run.c.progress_phase,
                                  import_run.c.error_code)
                           .where(import_run.c.id == import_id)).one()
    return row.state, row.progress_phase, row.error_code


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the worker ended before {what}: {out}\n{err}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_kill_9_mid_apply_leaves_nothing_and_retry_imports_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    db = make_engine(url)
    metadata.create_all(db)
    engine = ImportEngine(db, backup_dir=tmp_path / "backups")
    import_id = engine.create_import("erp", None)
    engine.stage(import_id, 1, (
        ErpActor(ActorType.CUSTOMER, f"C{i}", {"NAME": f"Company {i}", "POSTALCITY": "Oslo",
                                               "EMAIL": f"c{i}@example.com"})
        for i in range(ROWS)))
    engine.stage(import_id, 1, (
        ErpActor(ActorType.PERSON, f"P{i}", {"FIRSTNAME": "Per", "LASTNAME": f"Son {i}"},
                 parent_type=ActorType.CUSTOMER, parent_key=f"C{i}")
        for i in range(ROWS)))
    assert engine.preview(import_id).checked == 2 * ROWS

    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(marker), str(import_id),
         str(tmp_path / "backups")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Poll the progress the worker writes until it is in the apply phase ...
        _wait(lambda: _run_state(db, import_id)[1] == "apply", 120, "phase apply", proc)
        # ... and inside the transaction, with rows written but not committed.
        _wait(marker.exists, 120, "the apply transaction", proc)
        assert _run_state(db, import_id)[0] == "importing"
        # A live worker in another process is never taken for dead.
        assert jobs.recover_interrupted(db) == []
        assert engine.recover_interrupted(import_id) == []
        assert _run_state(db, import_id)[0] == "importing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == -signal.SIGKILL

    # Nothing of the import is in the CRM: the transaction died with the process.
    assert [_count(db, t) for t in (company, person, erp_link, before_image)] == [0, 0, 0, 0]
    assert _run_state(db, import_id) == ("importing", "apply", None)

    # After the restart: the dead worker's import is failed, once.
    assert jobs.recover_interrupted(db) == [import_id]
    assert jobs.recover_interrupted(db) == []
    state, phase, code = _run_state(db, import_id)
    assert (state, phase, code) == ("failed", "failed", "interrupted")

    result = engine.apply(import_id, None, retry=True)
    assert (result.new, result.updated) == (2 * ROWS, 0)
    assert [_count(db, t) for t in (company, person, erp_link)] == [ROWS, ROWS, 2 * ROWS]
    with pytest.raises(StaleImportError):
        engine.apply(import_id, None, retry=True)
    assert _count(db, company) == ROWS
    db.dispose()

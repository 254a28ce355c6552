"""Faults injected into real processes during an import through the web UI:

* the connector service process (Remote connector) killed mid-search and
  mid-fetch (while "Add all results" streams pages into staging);
* the Tryton ERP server stopped mid-search and before the fetch of the chosen
  actors, then started again;
* PostgreSQL restarted in the middle of the import transaction.

Each time the admin is told (a localized error page or a failed import with
Retry), the CRM data is consistent (nothing half-written, nothing twice), and a
retry succeeds. (The host process killed mid-apply: tests/jobs/test_jobs_kill.py.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    TOKEN,
    Service,
    follow,
    load_trytonctl,
    location,
    login,
    settings_and_apply,
    text_of,
    wait_for,
    write_customers,
)
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.engine.schema import company, erp_link, staged_actor
from reliability_figures import record

STAGE_BATCH = 1000  # erpsync.engine.staging.DEFAULT_BATCH_SIZE


def count(db: Any, table: Any, *where: Any) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def distinct_staged(db: Any, import_id: int) -> tuple[int, int]:
    with db.connect() as conn:
        rows, keys = conn.execute(
            select(func.count(), func.count(staged_actor.c.erp_key.distinct()))
            .where(staged_actor.c.import_id == import_id)).one()
    return rows, keys


@pytest.fixture
def admin(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as client:
        login(client)
        yield client


# ------------------------------------------------------------------ Remote connector


def test_connector_service_killed_mid_search_and_mid_fetch(
        app: Starlette, admin: TestClient, tmp_path: Path) -> None:
    total = 5000
    erp = write_customers(tmp_path / "erp", total)
    service = Service(erp, tmp_path / "marks", delay=0.4).start()
    db, engine = app.state.db, app.state.erpsync.engine
    connection = ConnectionStore(db).add("Remote ERP", "remote", {
        "url": service.url, "token": TOKEN, "retries": "0", "timeout": "20"})
    companies_before = count(db, company)
    search_url = f"/erpsync/erp/search?connection={connection}&type=customer&run=1"
    faults = 0
    try:
        assert "5,000 actors found" in text_of(admin.get(search_url).text)

        # 1. Killed while it answers a search.
        answer: dict[str, Any] = {}
        searches = service.marks_of("search")
        worker = threading.Thread(target=lambda: answer.update(r=admin.get(search_url)))
        worker.start()
        wait_for(lambda: service.marks_of("search") > searches, what="the search to arrive")
        service.kill()
        faults += 1
        worker.join(30)
        response = answer["r"]
        assert response.status_code == 502
        message = text_of(response.text)
        assert "connector service" in message and "Traceback" not in message

        # 2. Killed while "Add all results" streams the pages into staging.
        service = Service(erp, tmp_path / "marks", port=service.port, delay=0.4).start()
        worker = threading.Thread(target=lambda: answer.update(r=admin.post(
            "/erpsync/erp/add-import",
            data={"connection": str(connection), "type": "customer", "scope": "all",
                  "run": "1"})))
        worker.start()
        import_id = wait_for(lambda: engine.open_import("erp", 1), what="the import")
        wait_for(lambda: engine.staged_count(import_id) >= STAGE_BATCH, what="a batch")
        service.kill()
        faults += 1
        worker.join(60)
        response = answer["r"]
        assert response.status_code == 502
        page = text_of(response.text)
        assert "The ERP cannot be reached" in page
        staged, distinct = distinct_staged(db, import_id)
        # Whole batches only, no duplicates, and the admin is told how many.
        assert staged % STAGE_BATCH == 0 and 0 < staged < total and staged == distinct
        assert f"{staged} actors were added to the import before the error" in page
        assert count(db, company) == companies_before  # nothing written to the CRM

        # 3. Back up: the same Add Import again completes the import once.
        service = Service(erp, tmp_path / "marks", port=service.port).start()
        target = location(admin.post("/erpsync/erp/add-import", data={
            "connection": str(connection), "type": "customer", "scope": "all", "run": "1"}))
        assert f"/imports/{import_id}/staged" in target
        assert distinct_staged(db, import_id) == (total, total)
        url, page = follow(admin, settings_and_apply(admin, import_id))
        assert "/result" in url, text_of(page)[:300]
        assert count(db, company) == companies_before + total
        assert count(db, erp_link, erp_link.c.connection_id == connection) == total
    finally:
        service.stop()
    record("reliability.faults.remote", faults_injected=faults, actors=total,
           staged_before_fault=staged, duplicates=0, lost=0, retry="ok")


# ------------------------------------------------------------------ Tryton


@pytest.fixture
def tryton(tmp_path: Path) -> Iterator[Any]:
    trytonctl = load_trytonctl()
    server = trytonctl.TrytonServer.from_fixture(tmp_path / "tryton",
                                                 fixture=trytonctl.ensure_fixture())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.tryton
def test_tryton_stopped_mid_search_and_before_the_fetch(app: Starlette, admin: TestClient,
                                                         tryton: Any) -> None:
    import re

    db, engine = app.state.db, app.state.erpsync.engine
    connection = ConnectionStore(db).add("Tryton", "tryton", {
        "url": tryton.url, "database": tryton.database, "user": tryton.user,
        "password": tryton.password, "retries": "1"})
    search_url = f"/erpsync/erp/search?connection={connection}&type=customer&run=1"
    found = admin.get(search_url)
    assert found.status_code == 200
    keys = re.findall(r'name="key" value="([^"]+)"', found.text)[:5]
    assert len(keys) == 5
    companies_before = count(db, company)

    # The ERP goes away between the search and Add Import (the fetch of the chosen actors).
    tryton.stop()
    response = admin.post("/erpsync/erp/add-import", data={
        "connection": str(connection), "type": "customer", "scope": "selected",
        "key": keys})
    assert response.status_code == 502
    assert "Cannot reach the Tryton server" in text_of(response.text)
    assert engine.open_import("erp", 1) is None or engine.staged_count(
        engine.open_import("erp", 1)) == 0
    # ... and the search itself fails with the same clear message.
    response = admin.get(search_url)
    assert response.status_code == 502
    assert "Cannot reach the Tryton server" in text_of(response.text)

    # Back on the same address: the same Add Import works, the import completes.
    tryton.start(port=tryton.port)
    location(admin.post("/erpsync/erp/add-import", data={
        "connection": str(connection), "type": "customer", "scope": "selected", "key": keys}))
    import_id = engine.open_import("erp", 1)
    assert engine.staged_count(import_id) == 5
    url, page = follow(admin, settings_and_apply(admin, import_id))
    assert "/result" in url, text_of(page)[:300]
    assert count(db, erp_link, erp_link.c.connection_id == connection,
                 erp_link.c.crm_type == "company") == 5
    assert count(db, company) - companies_before <= 5
    record("reliability.faults.tryton", faults_injected=2, actors=5, lost=0, retry="ok",
           note="mid-iteration: tests/tryton/test_tryton_faults.py")


# ------------------------------------------------------------------ PostgreSQL


def _pg_ctl(server: Any, action: str) -> None:
    """``pg_ctl stop|start|restart`` of ``server`` (PgServer has no restart of its own;
    pg_ctl keeps the start options in postmaster.opts). The log file keeps the
    server's output off our pipes, or pg_ctl would never return."""
    args = ["-m", "fast"] if action != "start" else [
        "-l", str(server.base / "log"), "-o",
        f"-k {server.socket_dir} -c listen_addresses='' -c fsync=off"]  # as PgServer.start
    if action == "restart":
        args += ["-l", str(server.base / "log")]
    server._pg("pg_ctl", "-D", str(server.data), "-w", *args, action)


@pytest.fixture
def own_pg() -> Iterator[Any]:
    """A PostgreSQL server of this test alone (it is restarted and stopped)."""
    from pgserver import PgServer, PostgresMissing, missing

    try:
        server = PgServer()
    except PostgresMissing as exc:
        missing(str(exc))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_postgresql_restarted_mid_import(own_pg: Any, erpsync_data_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from erpsync.connectors.base import ActorType, ErpActor
    from erpsync.engine import jobs
    from erpsync.host.app import create_app
    from erpsync.host.demo import ensure_demo

    url = own_pg.create_database("faults")
    app = create_app(db_url=url, data_dir=erpsync_data_dir, secret_key="pg-faults",
                     load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)
    db, engine = app.state.db, app.state.erpsync.engine
    rows = 3000
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, None, (ErpActor(ActorType.CUSTOMER, f"PG-{n}",
                                            {"NAME": f"Restart {n} AS"})
                                   for n in range(rows)))
    companies_before = count(db, company)

    # The fault: PostgreSQL restarts at the first step of the apply transaction.
    restarted = []
    original_step = jobs.ProgressReporter.step

    def step(self: Any, done: int, total: int | None) -> None:
        if not restarted and self._live.phase == jobs.APPLY:
            _pg_ctl(own_pg, "restart")
            restarted.append(time.monotonic())
        original_step(self, done, total)

    monkeypatch.setattr(jobs.ProgressReporter, "step", step)
    outages: list[int] = []
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"},
                    raise_server_exceptions=False) as admin:
        login(admin)
        url, page = follow(admin, settings_and_apply(admin, import_id), outages=outages)
        assert restarted, "the fault was not injected"
        # Told: the import failed, nothing changed, Retry is offered.
        assert "/result" not in url
        assert engine.get_import(import_id)["state"] == "failed"
        assert f"/erpsync/imports/{import_id}/retry" in page
        assert count(db, company) == companies_before  # rolled back as a whole
        # While the database is down the host says so (and /healthz too).
        _pg_ctl(own_pg, "stop")
        assert admin.get("/healthz").status_code == 503
        down = admin.get("/settings/import")
        assert down.status_code == 500 and "unexpected error" in down.text
        _pg_ctl(own_pg, "start")
        wait_for(lambda: admin.get("/healthz").status_code == 200, what="PostgreSQL")
        # Retry: the import completes, once.
        url, page = follow(admin, location(admin.post(f"/erpsync/imports/{import_id}/retry")))
        assert "/result" in url, text_of(page)[:300]
    assert engine.get_import(import_id)["state"] == "done"
    assert count(db, company) == companies_before + rows
    app.state.db.dispose()
    record("reliability.faults.postgresql", faults_injected=2, rows=rows,
           crm_rows_after_fault=0, lost=0, duplicates=0, retry="ok",
           pages_failed_while_down=len(outages),
           host_killed_mid_apply="tests/jobs/test_jobs_kill.py")

"""Import as a background job over HTTP: apply returns at once and leads to the
progress page, which leads to the result; double submits and races import once;
the progress JSON; failures with Retry."""

from __future__ import annotations

import re
import sqlite3
import threading

from jobs_helpers import counts, location, login, text_of, wait_finished
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from erpsync.engine import api as api_module
from erpsync.engine import jobs
from erpsync.engine.api import StaleImportError
from erpsync.engine.schema import import_run


def test_apply_redirects_to_the_progress_page_which_leads_to_the_result(
        admin, engine, previewed_import):
    target = location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    assert target == f"/erpsync/imports/{previewed_import}/progress"
    data = wait_finished(admin, previewed_import)
    assert data["state"] == "done" and data["percent"] == 100
    assert data["next"] == target
    assert location(admin.get(target)) == f"/erpsync/imports/{previewed_import}/result"
    result = admin.get(f"/erpsync/imports/{previewed_import}/result")
    text = text_of(result.text)
    assert "Import finished" in text and "Rutger Bos" in text
    assert f'href="/erpsync/imports/{previewed_import}/undo"' in result.text
    imp = engine.get_import(previewed_import)
    assert (imp["new_count"], imp["updated_count"]) == (4, 1)
    assert imp["progress_phase"] == "done" and imp["worker"]


def test_double_submit_imports_once(admin, app, engine, previewed_import):
    before = counts(app.state.db)
    first = location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    second = location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    assert first == f"/erpsync/imports/{previewed_import}/progress"
    assert second == f"/erpsync/imports/{previewed_import}/progress?notice=already"
    wait_finished(admin, previewed_import)
    after = counts(app.state.db)
    assert after[0] - before[0] == 3  # three new companies, the fourth was updated
    assert after[1] - before[1] == 1
    # The second tab lands on the result with the "already" notice.
    result = location(admin.get(second))
    assert result.endswith("/result?notice=already")
    assert "already run" in text_of(admin.get(result).text)
    # A third submit, after the import is done, still imports nothing.
    assert "notice=already" in location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    assert counts(app.state.db) == after


def test_two_threads_racing_import_once(app, engine, erpsync, previewed_import):
    """Two workers (two tabs or two host processes) claim at the same moment."""
    start = threading.Barrier(2)
    outcomes: list[str] = []
    before = counts(app.state.db)

    def claim_and_apply() -> None:
        start.wait()
        try:
            engine.apply(previewed_import, None)
            outcomes.append("imported")
        except StaleImportError:
            outcomes.append("stale")

    threads = [threading.Thread(target=claim_and_apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["imported", "stale"]
    after = counts(app.state.db)
    assert (after[0] - before[0], after[1] - before[1]) == (3, 1)


def test_two_runners_racing_import_once(app, engine, previewed_import):
    """Two job runners (as in two host processes) get the same submit."""
    runners = [jobs.JobRunner(lambda: engine, max_workers=1) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(runner: jobs.JobRunner) -> None:
        start.wait()
        try:
            runner.submit_apply(previewed_import, None).result(60)
            outcomes.append("imported")
        except StaleImportError:
            outcomes.append("stale")

    threads = [threading.Thread(target=submit, args=(r,)) for r in runners]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for runner in runners:
            runner.shutdown()
    assert sorted(outcomes) == ["imported", "stale"]
    assert engine.get_import(previewed_import)["new_count"] == 4


def test_progress_json_follows_the_phases(admin, engine, previewed_import):
    # Claimed by this process (as the job runner does) but not started yet.
    engine.claim_import(previewed_import)
    try:
        data = admin.get(f"/erpsync/imports/{previewed_import}/progress.json").json()
        assert data == {"id": previewed_import, "state": "importing", "phase": "queued",
                        "done": 0, "total": None, "percent": 0, "finished": False,
                        "error_code": None, "label": "Waiting to start…",
                        "next": f"/erpsync/imports/{previewed_import}/progress"}
        reporter = jobs.ProgressReporter(engine.db, previewed_import)
        reporter.phase(jobs.BACKUP, 0, 1)
        data = admin.get(f"/erpsync/imports/{previewed_import}/progress.json").json()
        assert (data["phase"], data["percent"], data["label"]) == (
            "backup", 10, "Backing up the database…")
        # Phases are in the database, for every process ...
        assert engine.get_import(previewed_import)["progress_phase"] == "backup"
        # ... steps inside the apply transaction in this process's memory.
        reporter.phase(jobs.APPLY, 0, 5)
        reporter.step(4, 5)
        data = admin.get(f"/erpsync/imports/{previewed_import}/progress.json").json()
        assert (data["phase"], data["done"], data["total"]) == ("apply", 4, 5)
        assert 20 < data["percent"] < 100
        assert engine.get_import(previewed_import)["progress_done"] == 0
        page = admin.get(f"/erpsync/imports/{previewed_import}/progress")
        assert page.status_code == 200
        assert re.search(r'<progress[^>]*value="\d+"', page.text)
        assert "Importing the actors…" in text_of(page.text)
    finally:
        jobs.unregister(previewed_import)


def test_progress_page_works_without_javascript(admin, engine, previewed_import):
    engine.claim_import(previewed_import)
    try:
        page = admin.get(f"/erpsync/imports/{previewed_import}/progress")
    finally:
        jobs.unregister(previewed_import)
    assert page.status_code == 200
    head = page.text.split("</head>", 1)[0]
    # A refresh for browsers without JavaScript; the script is an external file.
    assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', head)
    assert re.search(r'<script src="[^"]*/ui-static/progress\.js" defer></script>', head)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # no inline script
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert admin.get("/erpsync/ui-static/progress.js").status_code == 200


def test_a_reload_of_the_progress_page_after_the_end_shows_the_result(
        admin, engine, previewed_import):
    location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    wait_finished(admin, previewed_import)
    for _ in range(2):
        assert location(admin.get(f"/erpsync/imports/{previewed_import}/progress")) == \
            f"/erpsync/imports/{previewed_import}/result"


def test_failed_job_shows_why_and_retry_imports_once(
        admin, app, engine, previewed_import, monkeypatch):
    def broken_backup(*args, **kwargs):
        raise OSError("backup disk full")

    monkeypatch.setattr(api_module, "backup_database", broken_backup)
    before = counts(app.state.db)
    location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    data = wait_finished(admin, previewed_import)
    assert (data["state"], data["error_code"]) == ("failed", "backup")
    page = admin.get(f"/erpsync/imports/{previewed_import}/progress")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Nothing was changed in the CRM." in text
    assert "could not be backed up" in text and "backup disk full" in text
    assert f'action="/erpsync/imports/{previewed_import}/retry"' in page.text
    assert counts(app.state.db) == before
    # The result page of a failed import is its progress page.
    assert location(admin.get(f"/erpsync/imports/{previewed_import}/result")).endswith(
        f"/imports/{previewed_import}/progress")

    monkeypatch.undo()
    retry = location(admin.post(f"/erpsync/imports/{previewed_import}/retry"))
    assert retry == f"/erpsync/imports/{previewed_import}/progress"
    assert wait_finished(admin, previewed_import)["state"] == "done"
    after = counts(app.state.db)
    assert (after[0] - before[0], after[1] - before[1]) == (3, 1)
    # A second Retry (double click) finds nothing to do.
    again = location(admin.post(f"/erpsync/imports/{previewed_import}/retry"))
    assert again.endswith("notice=already")
    assert counts(app.state.db) == after


def test_retry_keeps_the_rows_the_admin_unchecked(admin, app, engine, previewed_import,
                                                  monkeypatch):
    rows = engine.preview_rows(previewed_import, limit=100)
    unwanted = next(r for r in rows if r.display_name == "Rutger Bos")
    engine.set_checked(previewed_import, [unwanted.staged_id], False)

    def broken_backup(*args, **kwargs):
        raise OSError("no space")

    monkeypatch.setattr(api_module, "backup_database", broken_backup)
    location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    assert wait_finished(admin, previewed_import)["state"] == "failed"
    monkeypatch.undo()
    location(admin.post(f"/erpsync/imports/{previewed_import}/retry"))
    assert wait_finished(admin, previewed_import)["state"] == "done"
    assert engine.get_import(previewed_import)["new_count"] == 3
    assert "Rutger Bos" not in text_of(
        admin.get(f"/erpsync/imports/{previewed_import}/result").text)


def test_startup_marks_imports_of_a_dead_process_failed(app, engine, previewed_import):
    """An import left "importing" by a process that is gone (pid 2**22 + 1 does
    not exist) is failed when the host starts; one of a live process is kept."""
    engine.claim_import(previewed_import, worker=f"{jobs.worker_id().split(':')[0]}:4194305::x")
    jobs.unregister(previewed_import)
    with app.state.db.begin() as conn:  # restart the runner as a new process would
        conn.execute(update(import_run).where(import_run.c.id == previewed_import)
                     .values(heartbeat_at=None))
    app.state.erpsync.jobs.shutdown()
    app.state.erpsync._jobs = None
    from starlette.testclient import TestClient

    with TestClient(app, follow_redirects=False) as client:
        login(client, "admin", "admin")
        imp = engine.get_import(previewed_import)
        assert (imp["state"], imp["error_code"]) == ("failed", "interrupted")
        page = client.get(f"/erpsync/imports/{previewed_import}/progress")
        assert "interrupted" in text_of(page.text)


def test_history_lists_imports_with_counts_and_links(admin, engine, previewed_import):
    location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    wait_finished(admin, previewed_import)
    page = admin.get("/settings/imports")
    assert page.status_code == 200
    row = page.text.split('class="import-state-done"', 1)[1].split("</tr>", 1)[0]
    cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1] == "Demo Admin"
    assert cells[2] == "ERP Sync"
    assert cells[3] == "Demo ERP – Customers (4) Demo ERP – Persons (1)"
    assert cells[4] == "Imported"
    assert cells[5:8] == ["4", "1", "0"]
    assert cells[8]  # the duration
    imp = engine.get_import(previewed_import)
    assert f'href="/settings/selections/{imp["new_selection_id"]}"' in row
    assert f'href="/erpsync/imports/{previewed_import}/undo"' in row
    detail = admin.get(f"/settings/imports/{previewed_import}")
    assert detail.status_code == 200
    text = text_of(detail.text)
    assert "Imported" in text and "Merge – update empty fields" in text
    assert re.search(r"Imported .+: new actors", text)
    assert admin.get("/settings/imports/99999").status_code == 404
    assert 'href="/settings/imports"' in admin.get("/settings/import").text


def test_history_pages_through_many_imports(admin, engine, admin_id):
    for _ in range(27):
        import_id = engine.create_import("erp", admin_id)
        with engine.db.begin() as conn:
            conn.execute(update(import_run).where(import_run.c.id == import_id)
                         .values(state="failed", error_code="error"))
    first = admin.get("/settings/imports")
    assert first.text.count('class="import-state-failed"') == 25
    assert 'href="/settings/imports?page=2"' in first.text
    second = admin.get("/settings/imports?page=2")
    assert second.text.count('class="import-state-failed"') == 2
    assert admin.get("/settings/imports?page=abc").status_code == 200


def test_only_admins_see_the_history(app, previewed_import):
    from starlette.testclient import TestClient

    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/settings/imports").status_code == 303
        login(client, "viewer", "viewer")
        assert client.get("/settings/imports").status_code == 403
        assert client.get(f"/settings/imports/{previewed_import}").status_code == 403
        assert client.get(f"/erpsync/imports/{previewed_import}/progress.json").status_code == 403


def test_selection_names_follow_the_page_language(admin, engine, previewed_import):
    """The engine stored the name in the language of the import (English here);
    pages name an import's selections from its kind and date in their own."""
    location(admin.post(f"/erpsync/imports/{previewed_import}/apply"))
    wait_finished(admin, previewed_import)
    selection_id = engine.get_import(previewed_import)["new_selection_id"]
    assert engine.get_selection(selection_id)["name"].endswith(": new actors")
    english = text_of(admin.get(f"/settings/selections/{selection_id}").text)
    assert re.search(r"Imported .+: new actors", english)
    dutch = admin.get(f"/settings/selections/{selection_id}", headers={"Accept-Language": "nl"})
    assert dutch.headers["content-language"] == "nl"
    assert re.search(r"Geïmporteerd .+: nieuwe actors", text_of(dutch.text))
    listing = admin.get("/settings/selections", headers={"Accept-Language": "nl"})
    assert "Geïmporteerd" in text_of(listing.text)
    plugin_page = admin.get(f"/erpsync/selections/{selection_id}", headers={
        "Accept-Language": "nl"})
    assert "Geïmporteerd" in text_of(plugin_page.text)


def test_a_database_locked_at_the_claim_is_explained(admin, engine, previewed_import,
                                                     monkeypatch):
    """Another import held the write lock beyond the busy timeout: the Import
    button says so, and the import stays pending."""

    def locked(*args, **kwargs):
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError(
            "database is locked"))

    monkeypatch.setattr(engine, "claim_import", locked)
    response = admin.post(f"/erpsync/imports/{previewed_import}/apply")
    assert response.status_code == 500
    text = text_of(response.text)
    assert "locked by another program" in text and "Nothing was changed" in text
    assert engine.get_import(previewed_import)["state"] == "previewed"

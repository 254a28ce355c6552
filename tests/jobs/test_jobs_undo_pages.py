"""Undo import in the web UI: the button on the result page and in the history,
the confirmation page with counts and conflicts, undo anyway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobs_helpers import counts, location, text_of, wait_finished
from sqlalchemy import update

from erpsync.engine.schema import company


def _imported(admin, import_id: int) -> None:
    location(admin.post(f"/erpsync/imports/{import_id}/apply"))
    assert wait_finished(admin, import_id)["state"] == "done"


def test_undo_asks_first_then_restores_and_removes(admin, app, engine, previewed_import):
    before = counts(app.state.db)
    _imported(admin, previewed_import)
    assert counts(app.state.db) != before
    history = admin.get("/settings/imports").text
    assert f'href="/erpsync/imports/{previewed_import}/undo"' in history

    confirm = admin.get(f"/erpsync/imports/{previewed_import}/undo")
    assert confirm.status_code == 200
    text = text_of(confirm.text)
    assert "1 updated actor gets its previous values back." in text
    assert "4 new actors are removed from the CRM." in text
    assert "Changed after the import" not in text
    assert 'name="confirm" value="yes"' in confirm.text
    assert counts(app.state.db) != before  # a GET changes nothing

    # Without the confirmation nothing happens.
    assert location(admin.post(f"/erpsync/imports/{previewed_import}/undo")) == \
        f"/erpsync/imports/{previewed_import}/result"
    assert engine.get_import(previewed_import)["state"] == "done"

    done = location(admin.post(f"/erpsync/imports/{previewed_import}/undo",
                               data={"confirm": "yes"}))
    assert done == f"/erpsync/imports/{previewed_import}/result?notice=undone"
    assert counts(app.state.db) == before
    page = admin.get(done)
    text = text_of(page.text)
    assert "Import undone" in text and "This import was undone on" in text
    assert f"/imports/{previewed_import}/undo" not in page.text  # no second undo
    detail = text_of(admin.get(f"/settings/imports/{previewed_import}").text)
    assert "Undone" in detail and "Demo Admin" in detail
    # A second confirmation (another tab) finds nothing to undo.
    assert location(admin.post(f"/erpsync/imports/{previewed_import}/undo",
                               data={"confirm": "yes"})).endswith("/result")


def test_undo_lists_conflicts_and_undoes_only_when_forced(admin, app, engine,
                                                         previewed_import):
    _imported(admin, previewed_import)
    with app.state.db.begin() as conn:  # someone edits Vermeulen ICT B.V. in the CRM
        conn.execute(update(company).where(company.c.name == "Vermeulen ICT B.V.").values(
            postal_city="Zwolle", updated_at=datetime.now(UTC) + timedelta(seconds=5)))
    confirm = admin.get(f"/erpsync/imports/{previewed_import}/undo")
    text = text_of(confirm.text)
    assert "Changed after the import" in text
    assert "Vermeulen ICT B.V. Company Changed in the CRM after the import" in text
    assert 'name="force" value="yes"' in confirm.text and "Undo anyway" in text

    refused = admin.post(f"/erpsync/imports/{previewed_import}/undo",
                         data={"confirm": "yes"})
    assert refused.status_code == 409
    assert "nothing was undone" in text_of(refused.text)
    assert engine.get_import(previewed_import)["state"] == "done"

    forced = location(admin.post(f"/erpsync/imports/{previewed_import}/undo",
                                 data={"confirm": "yes", "force": "yes"}))
    assert forced.endswith("notice=undone")
    assert engine.get_import(previewed_import)["state"] == "undone"


def test_undo_of_an_unknown_or_pending_import(admin, previewed_import):
    assert admin.get("/erpsync/imports/9999/undo").status_code == 404
    assert location(admin.get(f"/erpsync/imports/{previewed_import}/undo")).endswith("/result")

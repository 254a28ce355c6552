"""The shared import pages over HTTP: staged list, settings, preview, apply, result."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import func, select

from demo_host import follow_to_result, form, location, text_of, values_of
from erpsync.engine import api as api_module
from erpsync.engine.schema import company, erp_link
from erpsync.engine.settings import Action, ImportSettings


@pytest.fixture
def import_id(admin, engine, admin_id, connection_id) -> int:
    """A pending ERP import: three Oslo customers and a person of a company that
    already exists in the demo CRM (Vermeulen ICT B.V., staged as the parent)."""
    for actor_type, keys in (("customer", ["CUST-10025", "CUST-10057", "CUST-10063"]),
                             ("person", ["PERS-30079"])):
        location(admin.post("/erpsync/erp/add-import", data=form(
            [("connection", connection_id), ("type", actor_type), ("scope", "selected"),
             *[("key", k) for k in keys]])))
    found = engine.open_import("erp", admin_id)
    assert engine.staged_count(found) == 5
    return found


def previewed(admin, import_id: int) -> str:
    """Save the default settings (Next) and return the preview page."""
    assert location(admin.post(f"/erpsync/imports/{import_id}/settings", data={})) == \
        f"/erpsync/imports/{import_id}/preview"
    page = admin.get(f"/erpsync/imports/{import_id}/preview")
    assert page.status_code == 200
    return page.text


def linked_companies(app) -> int:
    with app.state.db.connect() as conn:
        return conn.execute(select(func.count()).select_from(erp_link)
                            .where(erp_link.c.crm_type == "company")).scalar_one()


# ------------------------------------------------------------------ staged list


def test_staged_list_removes_rows_and_discards_the_import(admin, engine, import_id):
    page = admin.get(f"/erpsync/imports/{import_id}/staged")
    text = text_of(page.text)
    assert "5 actors waiting for import" in text
    assert "Vermeulen ICT B.V." in text and "Added because persons" in text
    ids = values_of(page.text, "staged")
    target = location(admin.post(f"/erpsync/imports/{import_id}/unstage",
                                 data=form([("staged", ids[0])])))
    assert "removed=1" in target
    assert "1 actor removed from the import" in text_of(admin.get(target).text)
    assert engine.staged_count(import_id) == 4

    confirm = admin.get(f"/erpsync/imports/{import_id}/discard")
    assert "Discard this import with 4 actors?" in text_of(confirm.text)
    assert location(admin.post(f"/erpsync/imports/{import_id}/discard")) == "/settings/import"
    assert admin.get(f"/erpsync/imports/{import_id}/staged").status_code == 404


# ------------------------------------------------------------------ settings


def test_settings_show_every_option_grouped_with_defaults(admin, import_id):
    page = admin.get(f"/erpsync/imports/{import_id}/settings")
    text = text_of(page.text)
    for group in ("Companies", "Persons", "Lists", "Phone number", "URLs + email"):
        assert f"<legend>{group}</legend>" in page.text
    for label in ("Name + Department", "VAT number", "None – do not import person",
                  "Add always", "Skip – do not import", "Create company using person name",
                  "Import persons without company", "Add new item", "Ignore – set to blank",
                  "Add new – keep existing", "Ignore – keep existing"):
        assert label in text
    selected = dict(re.findall(
        r'name="(\w+)">.*?<option value="(\w+)" selected', page.text, re.S))
    assert selected == ImportSettings().to_json()


def test_invalid_setting_is_refused_and_nothing_is_saved(admin, engine, import_id):
    response = admin.post(f"/erpsync/imports/{import_id}/settings",
                          data={"company_action": "obliterate", "phone": "replace"})
    assert response.status_code == 400
    assert "“obliterate” is not a valid choice for Action." in text_of(response.text)
    # The valid part of the submission is shown again, not lost ...
    assert '<option value="replace" selected>' in response.text
    # ... but nothing is saved and no preview ran.
    assert engine.get_settings(import_id) == ImportSettings()
    assert engine.get_import(import_id)["state"] == "staging"


# ------------------------------------------------------------------ preview


def test_preview_shows_marks_counts_reasons_and_changes(admin, engine, import_id):
    page = previewed(admin, import_id)
    text = text_of(page)
    assert "3 new companies" in text
    assert "1 updated company" in text
    assert "1 new person" in text
    assert "5 of 5 rows are checked for import." in text
    updated = page.split('class="status-company_updated"', 1)[1].split("</tr>", 1)[0]
    assert "Vermeulen ICT B.V." in updated and "Updated company" in updated
    assert re.search(r'<del>—</del>.*?<ins>[^<]+</ins>', updated, re.S)

    only_new = admin.get(f"/erpsync/imports/{import_id}/preview",
                         params={"status": "company_new"})
    assert only_new.text.count('class="status-company_new"') == 3
    assert 'class="status-person_new"' not in only_new.text


def test_unchecked_rows_are_saved_and_check_all_restores_them(admin, engine, import_id):
    page = previewed(admin, import_id)
    rows = values_of(page, "row")
    assert len(rows) == 5
    target = location(admin.post(f"/erpsync/imports/{import_id}/checks", data=form(
        [("action", "save"), *[("row", r) for r in rows], *[("checked", r) for r in rows[2:]]])))
    assert target.endswith("saved=1")
    assert engine.preview_counts(import_id).checked == 3
    assert "Your selection has been saved." in text_of(admin.get(target).text)

    location(admin.post(f"/erpsync/imports/{import_id}/checks",
                        data={"action": "check_all"}))
    assert engine.preview_counts(import_id).checked == 5
    location(admin.post(f"/erpsync/imports/{import_id}/checks",
                        data={"action": "uncheck_all"}))
    assert engine.preview_counts(import_id).checked == 0


def test_preview_before_settings_goes_to_the_settings(admin, import_id):
    response = admin.get(f"/erpsync/imports/{import_id}/preview")
    assert location(response) == f"/erpsync/imports/{import_id}/settings"


# ------------------------------------------------------------------ apply and result


def test_import_applies_the_checked_rows_and_shows_both_lists(admin, app, engine, import_id):
    page = previewed(admin, import_id)
    rows = values_of(page, "row")
    unwanted = rows[0]
    progress = location(admin.post(f"/erpsync/imports/{import_id}/apply", data=form(
        [*[("row", r) for r in rows], *[("checked", r) for r in rows if r != unwanted]])))
    assert progress == f"/erpsync/imports/{import_id}/progress"  # the import runs as a job
    result = follow_to_result(admin, progress)
    assert result == f"/erpsync/imports/{import_id}/result"
    imp = engine.get_import(import_id)
    assert imp["state"] == "done"
    assert (imp["new_count"], imp["updated_count"]) == (3, 1)

    text = text_of(admin.get(result).text)
    new_part, updated_part = text.split("New actors", 1)[1].split("Updated actors", 1)
    assert "Rutger Bos" in new_part
    assert "Vermeulen ICT B.V." in updated_part
    page = admin.get(result).text
    assert f'href="/settings/selections/{imp["new_selection_id"]}"' in page
    assert f'href="/settings/selections/{imp["updated_selection_id"]}"' in page
    assert "already run" not in text


def test_double_submit_imports_once(admin, app, engine, import_id):
    page = previewed(admin, import_id)
    data = form([*[("row", r) for r in values_of(page, "row")],
                 *[("checked", r) for r in values_of(page, "row")]])
    before = linked_companies(app)
    first = location(admin.post(f"/erpsync/imports/{import_id}/apply", data=data))
    assert follow_to_result(admin, first) == f"/erpsync/imports/{import_id}/result"
    after_first = linked_companies(app)
    assert after_first == before + 4

    second = follow_to_result(
        admin, location(admin.post(f"/erpsync/imports/{import_id}/apply", data=data)))
    assert second == f"/erpsync/imports/{import_id}/result?notice=already"
    assert linked_companies(app) == after_first
    assert "This import was already run" in text_of(admin.get(second).text)
    # The other steps of a finished import lead to its result too, changing nothing.
    for path in ("settings", "preview", "staged"):
        assert "/result" in location(admin.get(f"/erpsync/imports/{import_id}/{path}"))
    assert "notice=already" in location(admin.post(f"/erpsync/imports/{import_id}/checks",
                                                   data={"action": "uncheck_all"}))


def test_two_tabs_importing_at_once_import_once(app, admin, engine, import_id):
    from starlette.testclient import TestClient

    from demo_host import login

    previewed(admin, import_id)
    with TestClient(app, follow_redirects=False) as second_tab:
        login(second_tab, "admin", "admin")
        start = threading.Barrier(2)
        answers: list[str] = []

        def submit(client) -> None:
            start.wait()
            answers.append(location(client.post(f"/erpsync/imports/{import_id}/apply")))

        threads = [threading.Thread(target=submit, args=(c,)) for c in (admin, second_tab)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(answers) == [f"/erpsync/imports/{import_id}/progress",
                               f"/erpsync/imports/{import_id}/progress?notice=already"]
    follow_to_result(admin, answers[0])
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(company)
                            .where(company.c.name == "Vermeulen ICT B.V.")).scalar_one() == 1
    assert engine.get_import(import_id)["new_count"] == 4


def test_failed_import_says_nothing_changed_and_keeps_the_work(
        admin, engine, import_id, monkeypatch):
    previewed(admin, import_id)

    def broken_backup(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(api_module, "backup_database", broken_backup)
    progress = location(admin.post(f"/erpsync/imports/{import_id}/apply"))
    deadline = time.monotonic() + 60
    while engine.get_import(import_id)["state"] == "importing":
        assert time.monotonic() < deadline, "the import job did not end"
        time.sleep(0.05)
    response = admin.get(progress)
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Nothing was changed in the CRM." in text
    assert "The database could not be backed up" in text
    assert "disk full" in text
    assert f'action="/erpsync/imports/{import_id}/retry"' in response.text
    assert engine.staged_count(import_id) == 5


# ------------------------------------------------------------------ selections (plugin side)


def test_plugin_selection_page_lists_and_deletes_after_confirmation(admin, engine, import_id):
    page = previewed(admin, import_id)
    rows = values_of(page, "row")
    follow_to_result(admin, location(admin.post(
        f"/erpsync/imports/{import_id}/apply",
        data=form([*[("row", r) for r in rows], *[("checked", r) for r in rows]]))))
    selection_id = engine.get_import(import_id)["new_selection_id"]
    detail = admin.get(f"/erpsync/selections/{selection_id}")
    assert detail.status_code == 200
    assert "Rutger Bos" in text_of(detail.text)
    confirm = admin.get(f"/erpsync/selections/{selection_id}/delete")
    assert "Delete the 4 actors in the selection" in text_of(confirm.text)
    assert engine.selection_members(selection_id)  # a GET deletes nothing
    target = location(admin.post(f"/erpsync/selections/{selection_id}/delete"))
    assert "4 actors were deleted." in text_of(admin.get(target).text)
    assert engine.selection_members(selection_id) == []


def test_settings_are_not_reset_by_the_summary(admin, engine, import_id):
    """Saved settings survive: the settings page shows them preselected again."""
    location(admin.post(f"/erpsync/imports/{import_id}/settings",
                        data={"company_action": Action.REPLACE.value}))
    page = admin.get(f"/erpsync/imports/{import_id}/settings")
    assert '<option value="replace" selected>Replace – overwrite existing</option>' in page.text
    assert engine.get_settings(import_id).company_action is Action.REPLACE


def test_import_after_the_actors_changed_shows_the_new_preview_first(
        admin, engine, import_id, connection_id):
    page = previewed(admin, import_id)
    # Another tab adds an actor after this preview was shown.
    location(admin.post("/erpsync/erp/add-import", data=form(
        [("connection", connection_id), ("type", "customer"), ("key", "CUST-10001")])))
    rows = values_of(page, "row")
    target = location(admin.post(f"/erpsync/imports/{import_id}/apply",
                                 data=form([*[("row", r) for r in rows],
                                            *[("checked", r) for r in rows]])))
    assert target == f"/erpsync/imports/{import_id}/settings?notice=changed"
    assert "nothing was imported" in text_of(admin.get(target).text)
    assert engine.get_import(import_id)["state"] == "staging"
    assert engine.staged_count(import_id) == 6


@pytest.mark.parametrize("language", ["nl", "nb-NO"])
def test_every_step_renders_in_dutch_and_norwegian(admin, engine, import_id, language):
    headers = {"Accept-Language": language}
    code = "nl" if language == "nl" else "no"
    pages = [f"/erpsync/imports/{import_id}/staged", f"/erpsync/imports/{import_id}/settings",
             "/erpsync/erp/select-connection", "/erpsync/help"]
    for path in pages:
        page = admin.get(path, headers=headers)
        assert page.status_code == 200, path
        assert f'<html lang="{code}">' in page.text
    location(admin.post(f"/erpsync/imports/{import_id}/settings", data={}, headers=headers))
    preview = admin.get(f"/erpsync/imports/{import_id}/preview", headers=headers)
    assert preview.status_code == 200 and preview.headers["content-language"] == code
    rows = values_of(preview.text, "row")
    follow_to_result(admin, location(admin.post(
        f"/erpsync/imports/{import_id}/apply", headers=headers,
        data=form([*[("row", r) for r in rows], *[("checked", r) for r in rows]]))))
    result = admin.get(f"/erpsync/imports/{import_id}/result", headers=headers)
    assert result.status_code == 200 and "Rutger Bos" in result.text

"""The ERP Sync dialogs over HTTP: Select ERP connection, Search ERP, Add Import."""

from __future__ import annotations

import re

import pytest

from demo_host import form, location, text_of, values_of
from erpsync.connections import ConnectionStore
from erpsync.host import settings as host_settings

SEARCH = "/erpsync/erp/search"
ADD = "/erpsync/erp/add-import"
SELECT = "/erpsync/erp/select-connection"


def criteria(*rows: tuple[str, str, str]) -> list[tuple[str, str]]:
    pairs = []
    for index, (field, operator, value) in enumerate(rows):
        pairs += [(f"f.{index}", field), (f"op.{index}", operator), (f"v.{index}", value)]
    return pairs


def search(client, connection_id: int, actor_type: str, *rows, **extra):
    params = [("connection", connection_id), ("type", actor_type), *criteria(*rows),
              ("run", "1"), *extra.items()]
    return client.get(SEARCH, params=params)


def found(page: str) -> int:
    match = re.search(r"([\d,]+) actors? found", text_of(page))
    assert match, text_of(page)[:800]
    return int(match.group(1).replace(",", ""))


# ------------------------------------------------------------------ Select ERP connection


def test_select_connection_lists_active_connections_and_searchable_types(
        admin, app, connection_id):
    ConnectionStore(app.state.db).add("Old ERP", "workbook", {"path": "/nowhere"},
                                      active=False)
    page = admin.get(SELECT)
    assert page.status_code == 200
    assert ">Demo ERP</option>" in page.text
    assert "Old ERP" not in page.text
    assert re.findall(r'<option value="(customer|supplier|person)"', page.text) == [
        "customer", "supplier", "person"]
    for label in ("Customers", "Suppliers", "Persons"):
        assert f">{label}</option>" in page.text

    response = admin.post(SELECT, data={"connection": connection_id, "type": "supplier"})
    assert location(response) == f"{SEARCH}?connection={connection_id}&type=supplier"


def test_select_connection_refuses_an_unsupported_actor_type(admin, connection_id):
    response = admin.post(SELECT, data={"connection": connection_id, "type": "employee"})
    assert response.status_code == 400
    assert "Choose an actor type that this connection supports." in text_of(response.text)


def test_erp_down_shows_the_connector_message_and_technical_details(admin, app):
    broken = ConnectionStore(app.state.db).add("Broken ERP", "workbook",
                                               {"path": "/nonexistent/erp"})
    page = admin.get(SELECT, params={"connection": broken})
    assert page.status_code == 502
    text = text_of(page.text)
    assert "The ERP connection cannot be used right now." in text
    assert "/nonexistent/erp" in text
    assert "<details" in page.text and "Technical details" in text
    # The dialog itself stays usable: the other connection can still be chosen.
    assert ">Demo ERP</option>" in page.text


# ------------------------------------------------------------------ Search ERP


def test_search_ands_criteria_and_pages_on_the_server(admin, connection_id):
    everyone = search(admin, connection_id, "customer", ("POSTALCITY", "contains", "o"))
    total = found(everyone.text)
    assert total > 25
    first = values_of(everyone.text, "key")
    assert len(first) == 25
    assert "Page 1 of 2" in text_of(everyone.text) or total > 50

    second = search(admin, connection_id, "customer", ("POSTALCITY", "contains", "o"), page=2)
    assert found(second.text) == total
    assert not set(first) & set(values_of(second.text, "key"))

    narrower = search(admin, connection_id, "customer", ("POSTALCITY", "contains", "o"),
                      ("NAME", "begins", "b"))
    assert 0 < found(narrower.text) < total


def test_list_value_by_name_in_any_language_and_checkbox(admin, connection_id):
    by_key = search(admin, connection_id, "customer", ("CATEGORY", "oneof", "A customer"))
    by_dutch_name = search(admin, connection_id, "customer", ("CATEGORY", "oneof", "A-klant"))
    assert found(by_key.text) == found(by_dutch_name.text) > 0
    blocked = search(admin, connection_id, "customer", ("BLOCKED", "=", "1"))
    not_blocked = search(admin, connection_id, "customer", ("BLOCKED", "=", "0"))
    everyone = search(admin, connection_id, "customer")
    assert found(blocked.text) + found(not_blocked.text) == found(everyone.text)


def test_bad_value_is_shown_at_its_row_without_searching(admin, connection_id):
    page = search(admin, connection_id, "customer", ("CREDITLIMIT", ">", "lots"))
    assert page.status_code == 400
    assert "“lots” is not a number" in text_of(page.text)
    assert "Search results" not in text_of(page.text)

    between = admin.get(SEARCH, params=[("connection", connection_id), ("type", "customer"),
                                        *criteria(("CREDITLIMIT", "between", "10")),
                                        ("run", "1")])
    assert between.status_code == 400
    assert "Enter both values: from and to." in text_of(between.text)


@pytest.mark.parametrize(("field", "operator"), [
    ("PASSWORD", "contains"),   # not a field of the connector
    ("POSTALCITY", "oneof"),    # a list operator on a text field
    ("POSTALCITY", ">"),        # a number operator on a text field
    ("NAME", "like"),           # not an operator at all
])
def test_forged_criteria_are_rejected_and_nothing_is_staged(
        admin, engine, admin_id, connection_id, field, operator):
    page = search(admin, connection_id, "customer", (field, operator, "x"))
    assert page.status_code == 400
    assert "Search results" not in text_of(page.text)

    response = admin.post(ADD, data=form([
        ("connection", connection_id), ("type", "customer"),
        *criteria((field, operator, "x")), ("scope", "selected"), ("key", "CUST-10001")]))
    assert response.status_code == 400
    text = text_of(response.text)
    assert ("is not a searchable field" in text) or ("cannot be used with the field" in text)
    assert engine.open_import("erp", admin_id) is None


def test_unknown_connection_or_type_is_refused(admin, connection_id):
    assert admin.get(SEARCH, params={"connection": 9999, "type": "customer"}).status_code == 404
    assert admin.get(SEARCH, params={"connection": connection_id,
                                     "type": "spaceship"}).status_code == 400


def test_changing_a_field_gives_its_operators_without_searching(admin, connection_id):
    # What the no-JS "Update operators" button (and the script) sends.
    page = admin.get(SEARCH, params=[("connection", connection_id), ("type", "customer"),
                                     *criteria(("CATEGORY", "contains", "")),
                                     ("refresh", "1")])
    assert page.status_code == 200
    assert 'name="op.0"' in page.text
    row = page.text.split('name="op.0"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', row) == ["oneof", "notoneof"]
    assert 'value="oneof" data-types="list" selected' in row
    assert "Search results" not in text_of(page.text)


# ------------------------------------------------------------------ Add Import


def add(client, connection_id, actor_type, keys=(), *rows, **extra):
    data = [("connection", connection_id), ("type", actor_type), *criteria(*rows),
            ("scope", extra.pop("scope", "selected")), *[("key", k) for k in keys],
            *extra.items()]
    return client.post(ADD, data=form(data))


def test_add_import_stages_the_selected_rows_into_one_pending_import(
        admin, engine, admin_id, connection_id):
    first = location(add(admin, connection_id, "customer", ["CUST-10025", "CUST-10057"],
                         ("POSTALCITY", "contains", "Oslo")))
    import_id = engine.open_import("erp", admin_id)
    assert first == f"/erpsync/imports/{import_id}/staged?added=2"
    staged = admin.get(first)
    text = text_of(staged.text)
    assert "2 actors added to the import" in text
    assert "have not been imported into the CRM yet" in text

    # A second search (persons) adds to the same import; the person's company too.
    second = location(add(admin, connection_id, "person", ["PERS-30002"]))
    assert second.startswith(f"/erpsync/imports/{import_id}/staged?added=1")
    assert "parents=1" in second
    assert engine.staged_count(import_id) == 4
    # Staging the same actor again adds nothing.
    again = location(add(admin, connection_id, "customer", ["CUST-10025"]))
    assert "added=0" in again and "already=1" in again
    assert engine.staged_count(import_id) == 4


def test_add_import_without_a_selection_shows_the_search_again(admin, engine, admin_id,
                                                                 connection_id):
    response = add(admin, connection_id, "customer", [], ("POSTALCITY", "contains", "Oslo"),
                   run="1")
    assert response.status_code == 400
    text = text_of(response.text)
    assert "Select the rows you want to import" in text
    assert "Search results" in text  # the results are shown again, nothing is lost
    assert engine.open_import("erp", admin_id) is None


def test_select_all_on_page_works_without_javascript(admin, engine, admin_id, connection_id):
    page = search(admin, connection_id, "customer", ("POSTALCITY", "contains", "o"))
    page_keys = values_of(page.text, "page_key")
    assert len(page_keys) == 25
    data = [("connection", connection_id), ("type", "customer"),
            *criteria(("POSTALCITY", "contains", "o")), ("scope", "selected"),
            ("all_on_page", "1"), *[("page_key", k) for k in page_keys]]
    location(admin.post(ADD, data=form(data)))
    assert engine.staged_count(engine.open_import("erp", admin_id)) == 25


def test_add_all_results_stages_every_match(admin, engine, admin_id, connection_id):
    total = found(search(admin, connection_id, "supplier", ("POSTALCITY", "contains", "a")).text)
    location(add(admin, connection_id, "supplier", [], ("POSTALCITY", "contains", "a"),
                 scope="all"))
    assert engine.staged_count(engine.open_import("erp", admin_id)) == total


# ------------------------------------------------------------------ ERP synchronization on


def test_while_sync_is_on_the_source_and_its_dialogs_are_inactive(
        admin, app, erpsync, engine, admin_id, connection_id):
    host_settings.set_setting(app.state.db, "erp_sync_enabled", True)
    (source,) = [s for s in erpsync.import_sources() if s.key == "erp"]
    assert not source.enabled
    assert source.disabled_link == "/settings/quote-sync?tab=sync"
    assert "ERP synchronization is on" in str(source.disabled_reason)
    assert str(source.disabled_link_label) == "Quote/Sync › Sync tab"

    for response in (admin.get(SELECT),
                     search(admin, connection_id, "customer"),
                     add(admin, connection_id, "customer", ["CUST-10001"])):
        assert response.status_code == 409
        assert "ERP synchronization is on" in text_of(response.text)
        assert 'href="/settings/quote-sync?tab=sync"' in response.text
    assert engine.open_import("erp", admin_id) is None

    host_settings.set_setting(app.state.db, "erp_sync_enabled", False)
    (source,) = [s for s in erpsync.import_sources() if s.key == "erp"]
    assert source.enabled and source.disabled_reason is None
    assert admin.get(SELECT).status_code == 200

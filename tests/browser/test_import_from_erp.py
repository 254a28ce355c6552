"""The help page "Import from ERP", followed step by step in a real browser
against the reference host with the demo ERP (workbook connection "Demo ERP").

Demo data used: customers in Oslo (new to the CRM), and the person Rutger Bos
(rutger.bos@vermeulen-ict.nl) whose company Vermeulen ICT B.V. already exists
in the demo CRM, so staging him brings in his company as an update.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import login
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a select that reloads the dialog (connection, field)."""
    with page.expect_navigation():
        page.get_by_label(label, exact=True).select_option(label=option)


def _search(page: Page, actor_type: str, field: str, operator: str, value: str) -> None:
    """Select ERP connection (Demo ERP + actor type) -> OK -> one criterion -> Search."""
    expect(page.get_by_role("heading", name="Select ERP connection")).to_be_visible()
    _choose(page, "ERP connection", "Demo ERP")
    page.get_by_label("Actor type", exact=True).select_option(label=actor_type)
    page.get_by_role("button", name="OK", exact=True).click()
    expect(page.get_by_role("heading", name="Search ERP")).to_be_visible()
    _choose(page, "Field, criterion 1", field)
    page.get_by_label("Operator, criterion 1").select_option(label=operator)
    page.get_by_label("Value, criterion 1").fill(value)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()


def _result_names(page: Page) -> list[str]:
    return [name.strip() for name in
            page.locator("table.results-table tbody tr td:nth-child(2)").all_inner_texts()]


def _list_names(page: Page, heading: str) -> list[str]:
    section = page.locator("section", has=page.get_by_role("heading", name=heading))
    return sorted(t.strip() for t in section.locator("tbody tr td:first-child").all_inner_texts())


def test_import_from_erp_as_the_help_page_describes(page: Page) -> None:
    # 1. Open Import in Settings and maintenance.
    login(page)
    page.get_by_role("link", name=re.compile(r"^Import\b")).click()
    expect(page.get_by_role("heading", name="Select an import source")).to_be_visible()

    # 2. Click ERP Sync: the Select ERP connection dialog opens.
    page.get_by_role("link", name=re.compile(r"^ERP Sync")).click()

    # 3.-6. Connection, Customers, OK, search: all customers in Oslo.
    _search(page, "Customers", "City", "contains", "Oslo")
    found = _result_names(page)
    assert len(found) >= 3, found
    expect(page.get_by_text(re.compile(r"\d+ actors found"))).to_be_visible()

    # 7. Select rows of the search result.
    rows = page.locator("table.results-table tbody tr")
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(1).get_by_role("checkbox").check()
    chosen = found[:2]

    # 8. Add Import: the actors are shown in Settings and maintenance, not imported yet.
    page.get_by_role("button", name="Add Import", exact=True).click()
    expect(page.get_by_role("heading", name="Actors to import")).to_be_visible()
    expect(page.get_by_text("2 actors added to the import")).to_be_visible()
    expect(page.get_by_text("have not been imported into the CRM yet")).to_be_visible()
    staged_url = page.url
    for name in chosen:
        expect(page.locator("table.staged-table")).to_contain_text(name)

    # Another search, of persons, adds to the same pending import; the person's
    # company (already in the CRM, not linked) comes along.
    page.get_by_role("link", name="Search ERP", exact=True).click()
    _search(page, "Persons", "Email address", "contains", "vermeulen-ict")
    assert _result_names(page) == ["Rutger"]
    page.get_by_label("Select all rows on this page").check()
    page.get_by_role("button", name="Add Import", exact=True).click()
    assert page.url.split("?")[0] == staged_url.split("?")[0]
    expect(page.get_by_text("1 actor added to the import")).to_be_visible()
    expect(page.get_by_text("1 company added because persons in the import belong to it"))\
        .to_be_visible()
    expect(page.get_by_text("4 actors waiting for import")).to_be_visible()

    # Configure import settings: defaults preselected; Next runs the preview.
    page.get_by_role("link", name="Configure import settings").click()
    expect(page.get_by_role("heading", name="Configure import settings")).to_be_visible()
    companies = page.get_by_role("group", name="Companies")
    expect(companies.get_by_label("Action")).to_have_value("merge")
    expect(companies.get_by_label("Action").locator("option:checked"))\
        .to_have_text("Merge – update empty fields")
    page.get_by_role("button", name="Next", exact=True).click()

    # Preview import: marks, counts, field-by-field changes of the update.
    expect(page.get_by_role("heading", name="Preview import")).to_be_visible()
    filters = page.get_by_role("navigation", name="Show rows")
    expect(filters).to_contain_text("2 new companies")
    expect(filters).to_contain_text("1 updated company")
    expect(filters).to_contain_text("1 new person")
    table = page.locator("table.preview-table")
    updated = table.locator("tr.status-company_updated", has_text="Vermeulen ICT B.V.")
    expect(updated).to_contain_text("Updated company")
    expect(updated.locator(".changes li").first).to_be_visible()
    expect(table.locator("tr", has_text="Rutger")).to_contain_text("New person")

    # Uncheck the row we do NOT want, then Import.
    unwanted = chosen[1]
    table.locator("tr", has_text=unwanted).get_by_role("checkbox").uncheck()
    page.get_by_role("button", name="Import", exact=True).click()

    # The result: two lists, each under a link to its selection.
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    new_names = _list_names(page, "New actors")
    assert chosen[0] in new_names and unwanted not in new_names
    assert any(name.startswith("Rutger") for name in new_names), new_names
    assert _list_names(page, "Updated actors") == ["Vermeulen ICT B.V."]
    expect(page.get_by_role("link", name="Selection with the updated actors")).to_be_visible()

    # The new actors' selection holds exactly the new actors ...
    page.get_by_role("link", name="Selection with the new actors").click()
    members = sorted(t.strip() for t in
                     page.locator("table tbody tr td:nth-child(2)").all_inner_texts())
    assert members == new_names

    # ... and deletes them, after a confirmation.
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", name="Delete actors")).to_be_visible()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text(f"{len(new_names)} actors were deleted.")).to_be_visible()
    expect(page.get_by_text("This selection is empty.")).to_be_visible()


def test_erp_sync_button_is_inactive_while_synchronization_is_on(page: Page) -> None:
    login(page)
    page.goto("/settings/quote-sync?tab=sync")
    page.get_by_label("Synchronize companies and persons with the ERP system").check()
    page.get_by_role("button", name="Save", exact=True).click()

    # Inactive: no link, marked disabled, with the explanation and a link to the Sync tab.
    page.goto("/settings/import")
    source = page.locator('[data-source="erp"]')
    expect(source.get_by_role("link", name=re.compile(r"^ERP Sync"))).to_have_count(0)
    expect(source.locator('[aria-disabled="true"]')).to_contain_text("ERP Sync")
    expect(source).to_contain_text("ERP synchronization is on")

    # The dialogs refuse too, even when opened by URL.
    page.goto("/erpsync/erp/select-connection")
    expect(page.get_by_text("ERP synchronization is on")).to_be_visible()
    expect(page.get_by_role("heading", name="Select ERP connection")).to_have_count(0)

    # Follow the link to the Sync tab and switch synchronization off.
    page.goto("/settings/import")
    page.locator('[data-source="erp"]').get_by_role("link", name="Quote/Sync › Sync tab").click()
    expect(page.get_by_role("heading", name="ERP synchronization")).to_be_visible()
    page.get_by_label("Synchronize companies and persons with the ERP system").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()

    # Active again.
    page.goto("/settings/import")
    page.get_by_role("link", name=re.compile(r"^ERP Sync")).click()
    expect(page.get_by_role("heading", name="Select ERP connection")).to_be_visible()

"""The ERP dialogs work with JavaScript switched off (it only enhances them)."""

from __future__ import annotations

import re

import pytest
from browser_helpers import login
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def javascript() -> bool:
    return False


def test_two_step_dialogs_and_select_all_without_javascript(page: Page) -> None:
    login(page)
    page.goto("/settings/import")
    page.get_by_role("link", name=re.compile(r"^ERP Sync")).click()

    # The connection choice is confirmed with a button that reloads the actor types.
    page.get_by_label("ERP connection", exact=True).select_option(label="Demo ERP")
    page.get_by_role("button", name="Show actor types").click()
    page.get_by_label("Actor type", exact=True).select_option(label="Suppliers")
    page.get_by_role("button", name="OK", exact=True).click()
    expect(page.get_by_role("heading", name="Search ERP")).to_be_visible()

    # Choosing a field, then "Update operators", offers that field's operators and values.
    page.get_by_label("Field, criterion 1").select_option(label="Category")
    page.get_by_role("button", name="Update operators").click()
    operators = page.get_by_label("Operator, criterion 1").locator("option")
    expect(operators).to_have_text(["one of", "not one of"])
    page.get_by_label("Value, criterion 1").select_option(label="Partner")

    # A second criterion row, AND-ed with the first.
    page.get_by_role("button", name="Add criterion").click()
    page.get_by_label("Field, criterion 2").select_option(label="Country")
    page.get_by_role("button", name="Update operators").click()
    page.get_by_label("Operator, criterion 2").select_option(label="equals")
    page.get_by_label("Value, criterion 2").fill("nederland")
    page.get_by_role("button", name="Search", exact=True).click()
    count = page.get_by_text(re.compile(r"^\d+ actors? found$"))
    expect(count).to_be_visible()
    total = int(count.inner_text().split()[0])
    assert 0 < total <= 25
    for row in page.locator("table.results-table tbody tr").all():
        expect(row).to_contain_text("Nederland")

    # "Select all rows on this page" is a real form field, not a script.
    page.get_by_label("Select all rows on this page").check()
    page.get_by_role("button", name="Add Import", exact=True).click()
    expect(page.get_by_text(re.compile(rf"^{total} actors? waiting for import$"))).to_be_visible()

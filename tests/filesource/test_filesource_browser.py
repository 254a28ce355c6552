"""The File source in a real browser (English), from the Import screen to the
result: upload a CSV, map its columns, stage, settings, preview, import."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from filesource_helpers import csv_bytes

from live_host import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def browser_page(app) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=server.url, locale="en-US")
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            yield page
            assert not errors, f"JavaScript errors: {errors}"
        except BaseException:
            RESULTS_DIR.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS_DIR / "file-import.png"), full_page=True)
            raise
        finally:
            context.close()
            browser.close()


def test_import_from_a_file_in_the_browser(browser_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    data = csv_bytes([["Bedrijfsnaam", "Plaats", "BTW-nummer", "Opmerking"],
                      ["Acme BV", "Zwolle", "NL001234567B01", "vaste klant"],
                      ["Fjord AS", "Bergen", "NO987654321MVA", ""],
                      ["Café Ørsted", "Amsterdam", "", "let op:\nnieuw adres"]],
                     delimiter=";", encoding="cp1252")
    path = tmp_path / "klanten.csv"
    path.write_bytes(data)

    page.goto("/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/settings")

    # Import screen -> File.
    page.goto("/settings/import")
    expect(page.get_by_role("heading", name="Select an import source")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^File\b")).click()

    # Upload a file: the file and the actor type.
    expect(page.get_by_role("heading", name="Upload a file")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_label("Actor type").select_option(label="Customers")
    page.get_by_role("button", name="Upload", exact=True).click()

    # Map columns: suggestions filled in; another duplicate match shows its field.
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    expect(page.get_by_label("CRM field for column Bedrijfsnaam")).to_have_value("NAME")
    expect(page.get_by_label("CRM field for column Plaats")).to_have_value("POSTALCITY")
    expect(page.get_by_label("CRM field for column Opmerking")).to_have_value("")
    required = page.locator("section.required-fields")
    expect(required).to_contain_text("Name: a company without a name is not imported")
    with page.expect_navigation():  # the select reloads the dialog (dialogs.js)
        page.get_by_label("Duplicate match").select_option(label="VAT number")
    expect(required).to_contain_text("VAT number: the duplicate match is VAT number")
    # The VAT column was suggested too, so the mapping is complete.
    expect(page.get_by_label("CRM field for column BTW-nummer")).to_have_value("VATNO")
    page.get_by_label("Save this mapping as").fill("Klanten")
    page.get_by_role("button", name="Add Import", exact=True).click()

    # The shared pages: staged list, settings, preview, import, result.
    expect(page.get_by_role("heading", name="Actors to import")).to_be_visible()
    expect(page.get_by_text("3 actors added to the import")).to_be_visible()
    expect(page.locator("table.staged-table")).to_contain_text("Café Ørsted")
    page.get_by_role("link", name="Configure import settings").click()
    companies = page.get_by_role("group", name="Companies")
    expect(companies.get_by_label("Duplicate match")).to_have_value("vatno")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_role("heading", name="Preview import")).to_be_visible()
    table = page.locator("table.preview-table")
    expect(table.locator("tr", has_text="Fjord AS")).to_contain_text("New company")
    table.locator("tr", has_text="Fjord AS").get_by_role("checkbox").uncheck()
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    section = page.locator("section", has=page.get_by_role("heading", name="New actors"))
    expect(section).to_contain_text("Acme BV")
    expect(section).to_contain_text("Café Ørsted")
    expect(section).not_to_contain_text("Fjord AS")

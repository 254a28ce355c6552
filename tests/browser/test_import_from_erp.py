"""The help page "Import from ERP", followed step by step in a real browser
against the reference host with the demo ERP (workbook connection "Demo ERP").

Demo data used: customers in Oslo (new to the CRM), and the person Rutger Bos
(rutger.bos@vermeulen-ict.nl) whose company Vermeulen ICT B.V. already exists
in the demo CRM, so staging him brings in his company as an update.

The walk-through runs in English, Dutch and Norwegian (``?lang=``): the labels it
clicks are the bold words of docs/help/<lang>/import-from-erp.md, checked on the
rendered help page first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from browser_helpers import login
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a select that reloads the dialog (connection, field).

    The dialog's script listens for the change only once the page has loaded,
    so wait for that first; an option that is already chosen reloads nothing."""
    page.wait_for_load_state("load")
    select = page.get_by_label(label, exact=True)
    current = select.evaluate("el => el.options[el.selectedIndex]?.label ?? ''")
    if current.strip() == option:
        return
    with page.expect_navigation():
        select.select_option(label=option)


@dataclass(frozen=True)
class Words:
    """What the admin reads and clicks, in one language: the help page's words
    (docs/help/<lang>/import-from-erp.md) and the messages along the way."""

    import_screen: str        # the title of the Import card in Settings and maintenance
    select_source: str
    erp_sync: str
    select_connection: str
    erp_connection: str
    actor_type: str
    customers: str
    persons: str
    ok: str
    search_erp: str
    field: str                # accessible names of criterion 1's controls
    operator: str
    value: str
    city: str
    email: str
    contains: str
    search: str
    search_results: str
    found: str                # regex of the result count
    add_import: str
    actors_to_import: str
    added_two: str
    not_imported_yet: str
    select_all: str
    added_one: str
    parent_added: str
    waiting_four: str
    configure: str
    companies: str
    action: str
    merge: str
    next: str
    preview: str
    show_rows: str
    new_companies_two: str
    updated_company_one: str
    new_person_one: str
    updated_company: str
    new_person: str
    import_button: str
    import_finished: str
    new_actors: str
    updated_actors: str
    new_selection: str
    updated_selection: str
    delete: str
    delete_actors: str
    deleted: str              # "{num} actors were deleted."
    empty_selection: str

    def help_terms(self) -> set[str]:
        """The labels the help page names in bold: the UI must show the same words."""
        return {self.select_source, self.erp_sync, self.select_connection,
                self.erp_connection, self.actor_type, self.ok, self.search_erp, self.search,
                self.add_import, self.configure, self.next, self.preview, self.import_button}


WORDS = {
    "en": Words(
        import_screen="Import", select_source="Select an import source", erp_sync="ERP Sync",
        select_connection="Select ERP connection", erp_connection="ERP connection",
        actor_type="Actor type", customers="Customers", persons="Persons", ok="OK",
        search_erp="Search ERP", field="Field, criterion 1", operator="Operator, criterion 1",
        value="Value, criterion 1", city="City", email="Email address", contains="contains",
        search="Search", search_results="Search results", found=r"\d+ actors found",
        add_import="Add Import", actors_to_import="Actors to import",
        added_two="2 actors added to the import",
        not_imported_yet="have not been imported into the CRM yet",
        select_all="Select all rows on this page", added_one="1 actor added to the import",
        parent_added="1 company added because persons in the import belong to it",
        waiting_four="4 actors waiting for import", configure="Configure import settings",
        companies="Companies", action="Action", merge="Merge – update empty fields",
        next="Next", preview="Preview import", show_rows="Show rows",
        new_companies_two="2 new companies", updated_company_one="1 updated company",
        new_person_one="1 new person", updated_company="Updated company",
        new_person="New person", import_button="Import", import_finished="Import finished",
        new_actors="New actors", updated_actors="Updated actors",
        new_selection="Selection with the new actors",
        updated_selection="Selection with the updated actors", delete="Delete",
        delete_actors="Delete actors", deleted="{num} actors were deleted.",
        empty_selection="This selection is empty."),
    "nl": Words(
        import_screen="Import", select_source="Een importbron selecteren",
        erp_sync="ERP synchroniseren", select_connection="ERP-verbinding selecteren",
        erp_connection="ERP-verbinding", actor_type="Actor-type", customers="Klanten",
        persons="Personen", ok="OK", search_erp="Zoeken in ERP", field="Veld, criterium 1",
        operator="Operator, criterium 1", value="Waarde, criterium 1", city="Plaats",
        email="E-mailadres", contains="bevat", search="Zoeken",
        search_results="Zoekresultaten", found=r"\d+ actors gevonden",
        add_import="Import toevoegen", actors_to_import="Te importeren actors",
        added_two="2 actors aan de import toegevoegd",
        not_imported_yet="nog niet in het CRM geïmporteerd",
        select_all="Alle rijen op deze pagina aanvinken",
        added_one="1 actor aan de import toegevoegd",
        parent_added="1 bedrijf toegevoegd omdat personen in de import erbij horen",
        waiting_four="4 actors wachten op import",
        configure="Importinstellingen configureren", companies="Bedrijven", action="Actie",
        merge="Samenvoegen – lege velden bijwerken", next="Volgende",
        preview="Voorbeeld van import", show_rows="Rijen tonen",
        new_companies_two="2 nieuwe bedrijven", updated_company_one="1 bijgewerkt bedrijf",
        new_person_one="1 nieuwe persoon", updated_company="Bijgewerkt bedrijf",
        new_person="Nieuwe persoon", import_button="Import", import_finished="Import voltooid",
        new_actors="Nieuwe actors", updated_actors="Bijgewerkte actors",
        new_selection="Selectie met de nieuwe actors",
        updated_selection="Selectie met de bijgewerkte actors", delete="Verwijderen",
        delete_actors="Actors verwijderen", deleted="{num} actors zijn verwijderd.",
        empty_selection="Deze selectie is leeg."),
    "no": Words(
        import_screen="Importer", select_source="Velg en importkilde", erp_sync="ERP Sync",
        select_connection="Velg ERP-kobling", erp_connection="ERP-kobling",
        actor_type="Aktørtype", customers="Kunder", persons="Enkeltpersoner", ok="OK",
        search_erp="Søk i ERP", field="Felt, kriterium 1", operator="Operator, kriterium 1",
        value="Verdi, kriterium 1", city="Poststed", email="E-postadresse",
        contains="inneholder", search="Søk", search_results="Søkeresultater",
        found=r"\d+ aktører funnet", add_import="Legg til import",
        actors_to_import="Aktører som skal importeres",
        added_two="2 aktører lagt til i importen",
        not_imported_yet="ikke importert til CRM ennå",
        select_all="Merk av alle radene på denne siden",
        added_one="1 aktør lagt til i importen",
        parent_added="1 firma lagt til fordi personer i importen hører til det",
        waiting_four="4 aktører venter på import",
        configure="Konfigurer importinnstillinger", companies="Firmaer", action="Handling",
        merge="Flett – oppdater tomme felt", next="Neste", preview="Forhåndsvisning",
        show_rows="Vis rader", new_companies_two="2 nye firmaer",
        updated_company_one="1 oppdatert firma", new_person_one="1 ny person",
        updated_company="Oppdatert firma", new_person="Ny person", import_button="Importer",
        import_finished="Importen er fullført", new_actors="Nye aktører",
        updated_actors="Oppdaterte aktører", new_selection="Utvalg med de nye aktørene",
        updated_selection="Utvalg med de oppdaterte aktørene", delete="Slett",
        delete_actors="Slett aktører", deleted="{num} aktører ble slettet.",
        empty_selection="Dette utvalget er tomt."),
}


def _search(page: Page, w: Words, actor_type: str, field: str, operator: str,
            value: str) -> None:
    """Select ERP connection (Demo ERP + actor type) -> OK -> one criterion -> Search."""
    expect(page.get_by_role("heading", name=w.select_connection)).to_be_visible()
    _choose(page, w.erp_connection, "Demo ERP")
    page.get_by_label(w.actor_type, exact=True).select_option(label=actor_type)
    page.get_by_role("button", name=w.ok, exact=True).click()
    expect(page.get_by_role("heading", name=w.search_erp)).to_be_visible()
    _choose(page, w.field, field)
    page.get_by_label(w.operator).select_option(label=operator)
    page.get_by_label(w.value).fill(value)
    page.get_by_role("button", name=w.search, exact=True).click()
    expect(page.get_by_role("heading", name=w.search_results)).to_be_visible()


def _result_names(page: Page) -> list[str]:
    return [name.strip() for name in
            page.locator("table.results-table tbody tr td:nth-child(2)").all_inner_texts()]


def _list_names(page: Page, heading: str) -> list[str]:
    section = page.locator("section", has=page.get_by_role("heading", name=heading))
    return sorted(t.strip() for t in section.locator("tbody tr td:first-child").all_inner_texts())


@pytest.mark.parametrize("lang", list(WORDS))
def test_import_from_erp_as_the_help_page_describes(page: Page, lang: str) -> None:
    w = WORDS[lang]
    # The admin's language is chosen with ?lang= (the browser itself asks for English).
    login(page, lang=lang)

    # The help page, in the admin's language, names the labels the walk clicks.
    page.goto("/erpsync/help/import-from-erp")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    bold = {t.strip() for t in page.locator("article strong").all_inner_texts()}
    assert w.help_terms() <= bold, sorted(w.help_terms() - bold)

    # 1. Open Import in Settings and maintenance.
    page.goto("/settings")
    page.locator("a.card").filter(
        has=page.locator(".card-title").get_by_text(w.import_screen, exact=True)).click()
    expect(page.get_by_role("heading", name=w.select_source)).to_be_visible()

    # 2. Click ERP Sync: the Select ERP connection dialog opens.
    page.get_by_role("link", name=re.compile("^" + re.escape(w.erp_sync))).click()

    # 3.-6. Connection, Customers, OK, search: all customers in Oslo.
    _search(page, w, w.customers, w.city, w.contains, "Oslo")
    found = _result_names(page)
    assert len(found) >= 3, found
    expect(page.get_by_text(re.compile(w.found))).to_be_visible()

    # 7. Select rows of the search result.
    rows = page.locator("table.results-table tbody tr")
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(1).get_by_role("checkbox").check()
    chosen = found[:2]

    # 8. Add Import: the actors are shown in Settings and maintenance, not imported yet.
    page.get_by_role("button", name=w.add_import, exact=True).click()
    expect(page.get_by_role("heading", name=w.actors_to_import)).to_be_visible()
    expect(page.get_by_text(w.added_two)).to_be_visible()
    expect(page.get_by_text(w.not_imported_yet)).to_be_visible()
    staged_url = page.url
    for name in chosen:
        expect(page.locator("table.staged-table")).to_contain_text(name)

    # Another search, of persons, adds to the same pending import; the person's
    # company (already in the CRM, not linked) comes along.
    page.get_by_role("link", name=w.search_erp, exact=True).click()
    _search(page, w, w.persons, w.email, w.contains, "vermeulen-ict")
    assert _result_names(page) == ["Rutger"]
    page.get_by_label(w.select_all).check()
    page.get_by_role("button", name=w.add_import, exact=True).click()
    assert page.url.split("?")[0] == staged_url.split("?")[0]
    expect(page.get_by_text(w.added_one)).to_be_visible()
    expect(page.get_by_text(w.parent_added)).to_be_visible()
    expect(page.get_by_text(w.waiting_four)).to_be_visible()

    # Configure import settings: defaults preselected; Next runs the preview.
    page.get_by_role("link", name=w.configure).click()
    expect(page.get_by_role("heading", name=w.configure)).to_be_visible()
    companies = page.get_by_role("group", name=w.companies)
    expect(companies.get_by_label(w.action)).to_have_value("merge")
    expect(companies.get_by_label(w.action).locator("option:checked")).to_have_text(w.merge)
    page.get_by_role("button", name=w.next, exact=True).click()

    # Preview import: marks, counts, field-by-field changes of the update.
    expect(page.get_by_role("heading", name=w.preview)).to_be_visible()
    filters = page.get_by_role("navigation", name=w.show_rows)
    expect(filters).to_contain_text(w.new_companies_two)
    expect(filters).to_contain_text(w.updated_company_one)
    expect(filters).to_contain_text(w.new_person_one)
    table = page.locator("table.preview-table")
    updated = table.locator("tr.status-company_updated", has_text="Vermeulen ICT B.V.")
    expect(updated).to_contain_text(w.updated_company)
    expect(updated.locator(".changes li").first).to_be_visible()
    expect(table.locator("tr", has_text="Rutger")).to_contain_text(w.new_person)

    # Uncheck the row we do NOT want, then Import.
    unwanted = chosen[1]
    table.locator("tr", has_text=unwanted).get_by_role("checkbox").uncheck()
    page.get_by_role("button", name=w.import_button, exact=True).click()

    # The import runs as a background job: its progress page (polled by
    # progress.js) leads to the result, two lists each under a link to its selection.
    expect(page.get_by_role("heading", name=w.import_finished)).to_be_visible(timeout=60_000)
    new_names = _list_names(page, w.new_actors)
    assert chosen[0] in new_names and unwanted not in new_names
    assert any(name.startswith("Rutger") for name in new_names), new_names
    assert _list_names(page, w.updated_actors) == ["Vermeulen ICT B.V."]
    expect(page.get_by_role("link", name=w.updated_selection)).to_be_visible()

    # The new actors' selection holds exactly the new actors ...
    page.get_by_role("link", name=w.new_selection).click()
    members = sorted(t.strip() for t in
                     page.locator("table tbody tr td:nth-child(2)").all_inner_texts())
    assert members == new_names

    # ... and deletes them, after a confirmation.
    page.get_by_role("link", name=w.delete, exact=True).click()
    expect(page.get_by_role("heading", name=w.delete_actors)).to_be_visible()
    page.get_by_role("button", name=w.delete, exact=True).click()
    expect(page.get_by_text(w.deleted.format(num=len(new_names)))).to_be_visible()
    expect(page.get_by_text(w.empty_selection)).to_be_visible()


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

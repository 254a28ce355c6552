"""The File dialogs over HTTP: Select an import source -> Upload a file -> Map
columns -> Add Import, then the shared pages (settings, preview, import, result)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from filesource_helpers import (
    UPLOAD,
    csv_bytes,
    location,
    mapping_form,
    selected_fields,
    text_of,
    upload,
    xlsx_bytes,
)
from sqlalchemy import func, select

from erpsync.engine.schema import company, erp_link, import_run, staged_actor
from erpsync.filesource.schema import file_mapping

CUSTOMERS = csv_bytes([
    ["Bedrijfsnaam", "Postcode", "Plaats", "Klantnummer", "Opmerking"],
    ["Acme BV", "8011 AB", "Zwolle", "K-1", "vaste klant"],
    ["Fjord AS", "5003", "Bergen", "K-2", ""],
    ["Café Ørsted", "1012 AB", "Amsterdam", "K-3", "let op:\nnieuw adres"],
], delimiter=";", bom=True)


def count(app, table, *where) -> int:
    with app.state.db.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table).where(*where))


def uploaded(admin, name: str = "klanten.csv", data: bytes = CUSTOMERS,
             actor_type: str = "customer") -> str:
    """Upload a file; returns the mapping dialog's URL."""
    target = location(upload(admin, name, data, actor_type))
    assert re.fullmatch(r"/erpsync/file/mapping\?upload=[\w-]+", target), target
    return target


def test_the_import_screen_offers_file_next_to_erp_sync(admin) -> None:
    page = admin.get("/settings/import").text
    item = re.search(r'<li class="source-item" data-source="file">(.*?)</li>', page, re.S)
    assert item, "no File source"
    assert 'href="/erpsync/file/upload"' in item.group(1)
    assert 'src="/static/icons/import-file.svg"' in item.group(1)
    assert page.index('data-source="erp"') < page.index('data-source="file"')


def test_upload_map_preview_import_and_result(app, admin, engine,
                                               erpsync_data_dir: Path) -> None:
    page = admin.get(UPLOAD)
    assert page.status_code == 200
    assert "Upload a file" in text_of(page.text)
    assert 'href="/erpsync/help/import-from-file?lang=en"' in page.text

    mapping_url = uploaded(admin)
    uploads = list((erpsync_data_dir / "uploads").glob("*.data"))
    assert len(uploads) == 1 and uploads[0].read_bytes() == CUSTOMERS  # in the data dir
    page = admin.get(mapping_url)
    text = text_of(page.text)
    assert "klanten.csv" in text and "Rows 3" in text
    assert "Required fields" in text, text
    assert "Name: a company without a name" in text, text
    assert "Let op: nieuw adres" not in text and "vaste klant" in text  # examples
    assert selected_fields(page.text) == ["NAME", "POSTALZIP", "POSTALCITY", "NUMBER2", ""]
    assert "(no selection)" in text

    staged_url = location(admin.post(mapping_url, data=mapping_form(
        ["NAME", "POSTALZIP", "POSTALCITY", "NUMBER2", None])))
    assert "added=3" in staged_url
    page = admin.get(staged_url)
    text = text_of(page.text)
    assert "3 actors added to the import" in text and "Upload another file" in text
    assert not list((erpsync_data_dir / "uploads").glob("*.data"))  # staged: deleted
    import_id = int(re.search(r"/imports/(\d+)/", staged_url).group(1))
    assert count(app, staged_actor, staged_actor.c.connection_id.is_(None)) == 3

    # The shared pages from here on: settings -> preview -> import -> result.
    preview_url = location(admin.post(f"/erpsync/imports/{import_id}/settings", data={}))
    preview = admin.get(preview_url)
    assert preview.status_code == 200
    assert text_of(preview.text).count("New company") >= 3
    # The same apply path as every source (a background job): wait for its end.
    assert admin.post(f"/erpsync/imports/{import_id}/apply", data={}).status_code == 303
    deadline = time.monotonic() + 60
    while engine.get_import(import_id)["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, engine.get_import(import_id)
        time.sleep(0.1)
    assert engine.get_import(import_id)["state"] == "done"
    result = admin.get(f"/erpsync/imports/{import_id}/result")
    assert result.status_code == 200
    for name in ("Acme BV", "Fjord AS", "Café Ørsted"):
        assert name in text_of(result.text)
    assert count(app, company) == 3
    assert count(app, erp_link) == 0


def test_a_second_file_goes_into_the_same_pending_import(admin, engine, admin_id) -> None:
    first = location(admin.post(uploaded(admin), data=mapping_form(["NAME"])))
    more = xlsx_bytes({"Leveranciers": [["Naam", "Stad"], ["Delta GmbH", "Köln"]]})
    second = location(admin.post(uploaded(admin, "lev.xlsx", more, "supplier"),
                                 data=mapping_form(["NAME", "POSTALCITY"])))
    assert first.split("?")[0] == second.split("?")[0]
    import_id = engine.open_import("file", admin_id)
    assert [r["actor_type"] for r in engine.list_staged(import_id)] == [
        "customer"] * 3 + ["supplier"]
    assert "Your pending import has 4 actors" in text_of(admin.get(UPLOAD).text)


def test_a_chosen_sheet_of_a_workbook(admin) -> None:
    book = xlsx_bytes({"Overzicht": [["Totaal"], [3]],
                       "Personen": [["Voornaam", "Achternaam", "Bedrijf"],
                                    ["Jan", "Jansen", "Acme BV"]]})
    mapping_url = uploaded(admin, "book.xlsx", book, "person")
    page = admin.get(mapping_url).text
    assert "Overzicht" in text_of(page) and selected_fields(page) == [""]
    target = location(admin.post(mapping_url, data={"action": "sheet", "sheet": "Personen",
                                                     "col.0": ""}))
    page = admin.get(target).text
    assert selected_fields(page) == ["FIRSTNAME", "LASTNAME", "COMPANY"]
    staged = location(admin.post(mapping_url, data=mapping_form(
        ["FIRSTNAME", "LASTNAME", "COMPANY"])))
    assert "added=1" in staged and "parents=1" in staged


def test_a_mapping_without_the_duplicate_match_field_stages_nothing(app, admin,
                                                                    engine) -> None:
    mapping_url = uploaded(admin)
    # Another duplicate match shows other required fields.
    page = admin.post(mapping_url, data=mapping_form(
        ["NAME", "POSTALZIP", "POSTALCITY", None, None], action="refresh", match="vatno"))
    assert page.status_code == 200
    assert "VAT number: the duplicate match is VAT number (not chosen yet)" in text_of(page.text)
    page = admin.post(mapping_url, data=mapping_form(
        ["NAME", "POSTALZIP", "POSTALCITY", None, None], match="vatno"))
    assert page.status_code == 400
    assert "Choose a column for VAT number: the duplicate match is VAT number." in text_of(
        page.text)
    assert selected_fields(page.text) == ["NAME", "POSTALZIP", "POSTALCITY", "", ""]
    assert count(app, staged_actor) == 0 and count(app, import_run) == 0
    # Chosen, it stages, and the pending import keeps the duplicate match.
    location(admin.post(mapping_url, data=mapping_form(
        ["NAME", "POSTALZIP", "POSTALCITY", None, "VATNO"], match="vatno")))
    import_id = app.state.db.connect().execute(select(import_run.c.id)).scalar_one()
    assert engine.get_settings(import_id).company_match.value == "vatno"


def test_the_same_field_for_two_columns_is_refused(app, admin) -> None:
    page = admin.post(uploaded(admin), data=mapping_form(["NAME", None, "NAME"]))
    assert page.status_code == 400
    assert "Name is chosen for more than one column (Bedrijfsnaam, Plaats)" in text_of(
        page.text)
    assert count(app, staged_actor) == 0


def test_a_saved_mapping_is_used_for_the_next_file_with_the_same_columns(app, admin) -> None:
    chosen = ["NAME", None, "POSTALCITY", "NUMBER1", None]
    location(admin.post(uploaded(admin), data=mapping_form(chosen, save_as="Klanten NL")))
    assert count(app, file_mapping) == 1
    other = csv_bytes([["BEDRIJFSNAAM", "postcode", "Plaats", "Klantnummer", "Opmerking"],
                       ["Gamma BV", "1000 AA", "Delft", "K-9", ""]])
    page = admin.get(uploaded(admin, "next.csv", other)).text
    assert "The saved mapping “Klanten NL” is filled in." in text_of(page)
    assert selected_fields(page) == ["NAME", "", "POSTALCITY", "NUMBER1", ""]


def test_a_saved_mapping_can_be_applied_by_name(app, admin) -> None:
    location(admin.post(uploaded(admin), data=mapping_form(
        ["NAME", None, None, None, "URL"], save_as="Web")))
    other = csv_bytes([["Opmerking", "Bedrijfsnaam"], ["www.x.nl", "X"]])
    mapping_url = uploaded(admin, "other.csv", other)
    page = admin.post(mapping_url, data={"action": "saved", "saved": "web"}).text
    assert selected_fields(page) == ["URL", "NAME"]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
     "photo.csv is neither a CSV file nor an Excel workbook (.xlsx)."),
    ("empty.csv", b"", "empty.csv is empty."),
    ("header.csv", b"Naam;Plaats\r\n", "header.csv has column names but no rows to import."),
    ("wide.csv", b"Naam;Plaats\r\nAcme;Zwolle;extra\r\n",
     "Row 2 of wide.csv has more values than there are columns."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
     "old.xls is an old Excel workbook (.xls)."),
])
def test_bad_files_are_refused_in_the_upload_dialog(app, admin, erpsync_data_dir, name,
                                                    data, message) -> None:
    page = upload(admin, name, data)
    assert page.status_code == 400
    assert message in text_of(page.text)
    assert "Upload a file" in text_of(page.text)
    assert not list((erpsync_data_dir / "uploads").glob("*.data"))  # not kept
    assert count(app, import_run) == 0


def test_no_file_or_no_actor_type(admin) -> None:
    page = admin.post(UPLOAD, data={"type": "customer"}, files={"file": ("", b"", "")})
    assert page.status_code == 400 and "Choose a file to upload." in text_of(page.text)
    page = upload(admin, "a.csv", b"Name\nAcme\n", actor_type="robots")
    assert page.status_code == 400
    assert "Choose what the file holds" in text_of(page.text)


def test_an_upload_is_its_uploaders_only(admin, other) -> None:
    mapping_url = uploaded(admin)
    page = other.get(mapping_url)
    assert page.status_code == 404
    assert "This upload does not exist any more" in text_of(page.text)
    assert other.post(mapping_url, data=mapping_form(["NAME"])).status_code == 404
    assert admin.get(mapping_url).status_code == 200


def test_cancel_deletes_the_upload(admin, erpsync_data_dir) -> None:
    mapping_url = uploaded(admin)
    target = location(admin.post(mapping_url.replace("/mapping?", "/cancel?")))
    assert target == "/settings/import"
    assert not list((erpsync_data_dir / "uploads").iterdir())
    assert admin.get(mapping_url).status_code == 404


def test_only_admins_upload(viewer, anonymous_client) -> None:
    assert viewer.get(UPLOAD).status_code == 403
    assert upload(viewer, "a.csv", b"Name\nAcme\n").status_code == 403
    response = anonymous_client.get(UPLOAD)
    assert response.status_code == 303 and "/login" in response.headers["location"]


@pytest.fixture
def anonymous_client(app):
    from starlette.testclient import TestClient

    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_dutch_dialog(admin) -> None:
    page = admin.get(UPLOAD, headers={"Accept-Language": "nl"})
    assert page.headers["content-language"] == "nl"
    assert 'lang="nl"' in page.text


def test_a_mapping_name_too_long_stages_nothing(app, admin) -> None:
    page = admin.post(uploaded(admin), data=mapping_form(["NAME"], save_as="x" * 101))
    assert page.status_code == 400
    assert "The name of a mapping can be at most 100 characters long." in text_of(page.text)
    assert count(app, staged_actor) == 0 and count(app, file_mapping) == 0

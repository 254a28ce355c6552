"""The Workbook connector apart from search: metadata, actors by key, changes,
lists, the connection test and every way a file can be wrong."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from connector_helpers import write_folder, write_format

from erpsync.connectors.base import (
    ActorType,
    ConnectorError,
    FieldAccess,
    FieldType,
    Operator,
    Restriction,
)
from erpsync.connectors.workbook import WorkbookConnector
from erpsync.i18n import localize, use_locale

CUSTOMER, SUPPLIER, PERSON = ActorType.CUSTOMER, ActorType.SUPPLIER, ActorType.PERSON


def connector_for(path: Path) -> WorkbookConnector:
    return WorkbookConnector({"path": str(path)})


def user_text(exc: pytest.ExceptionInfo[ConnectorError], locale: str = "en") -> str:
    with use_locale(locale):
        return str(exc.value.user_message)


# ------------------------------------------------------------------ metadata


def test_config_fields() -> None:
    (path_field,) = WorkbookConnector.config_fields()
    assert path_field.key == "path"
    assert path_field.type is FieldType.TEXT
    assert path_field.access is FieldAccess.MANDATORY
    assert "customer.csv" in str(path_field.help_text)


def test_actor_types_are_the_tables_present(workbook: WorkbookConnector) -> None:
    assert workbook.actor_types() == [CUSTOMER, SUPPLIER, PERSON]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_only_present_tables_are_supported(tmp_path: Path, fmt: str) -> None:
    connector = connector_for(write_format(tmp_path, fmt, tables=("person", "lists")))
    assert connector.actor_types() == [PERSON]
    with pytest.raises(ConnectorError) as caught:
        connector.search(CUSTOMER, [])
    assert "Customers" in user_text(caught)


def test_plural_and_capitalised_table_names(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "Customers.CSV").write_text("ERPKEY,NAME\nC1,Alfa\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a table", encoding="utf-8")
    connector = connector_for(folder)
    assert connector.actor_types() == [CUSTOMER]
    assert [a.key for a in connector.search(CUSTOMER, []).actors] == ["C1"]


def test_fields_from_the_fields_table(workbook: WorkbookConnector) -> None:
    fields = {f.key: f for f in workbook.fields(CUSTOMER)}
    # Header order; ERPKEY is the key, not a field.
    assert list(fields) == ["NAME", "POSTALCITY", "COUNTRY", "CATEGORY", "CREDITLIMIT",
                            "EMPLOYEES", "BLOCKED", "LASTMODIFIED"]
    assert fields["NAME"].display_name == {"en": "Company name", "nl": "Bedrijfsnaam",
                                           "no": "Firmanavn"}
    assert fields["NAME"].max_length == 200
    assert fields["CREDITLIMIT"].type is FieldType.DOUBLE
    assert fields["EMPLOYEES"].type is FieldType.INTEGER
    assert fields["BLOCKED"].type is FieldType.CHECKBOX
    assert (fields["CATEGORY"].type, fields["CATEGORY"].list_name) == (FieldType.LIST,
                                                                      "category")
    # Columns the fields table does not describe get the built-in names and types.
    assert fields["POSTALCITY"].display_name == {"en": "City", "nl": "Plaats", "no": "Poststed"}
    assert fields["LASTMODIFIED"].type is FieldType.DATETIME
    assert fields["LASTMODIFIED"].access is FieldAccess.READ_ONLY
    assert fields["CREDITLIMIT"].operators == (Operator.EQ, Operator.GT, Operator.LT,
                                               Operator.GE, Operator.LE, Operator.NE,
                                               Operator.BETWEEN)


def test_fields_derived_from_the_header(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "erp", tables=("customer", "person"))
    connector = connector_for(folder)
    fields = {f.key: f for f in connector.fields(CUSTOMER)}
    assert fields["NAME"].display_name == {"en": "Name", "nl": "Naam", "no": "Navn"}
    assert fields["CATEGORY"].type is FieldType.LIST
    assert fields["CATEGORY"].list_name == "category"
    # Unknown keys are text fields named after the column.
    assert fields["CREDITLIMIT"].type is FieldType.TEXT
    assert fields["CREDITLIMIT"].display_name == {"en": "CREDITLIMIT"}
    person_keys = [f.key for f in connector.fields(PERSON)]
    assert person_keys == ["FIRSTNAME", "MIDDLENAME", "LASTNAME", "EMAIL", "LASTMODIFIED"]


@pytest.mark.parametrize(("locale", "city", "first", "mobile"), [
    ("en", "City", "First name", "Mobile phone"),
    ("nl", "Plaats", "Voornaam", "Mobiele telefoon"),
    ("no", "Poststed", "Fornavn", "Mobiltelefon"),
    ("nb_NO", "Poststed", "Fornavn", "Mobiltelefon"),
])
def test_display_names_are_localized(tmp_path: Path, locale: str, city: str, first: str,
                                     mobile: str) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "person.csv").write_text("ERPKEY;FIRSTNAME;PHONE_MOBILE;POSTALCITY\n",
                                       encoding="utf-8")
    names = {f.key: f.display_name for f in connector_for(folder).fields(PERSON)}
    with use_locale(locale):
        assert localize(names["POSTALCITY"]) == city
        assert localize(names["FIRSTNAME"]) == first
        assert localize(names["PHONE_MOBILE"]) == mobile


def test_fields_table_rows_for_one_type_do_not_leak(workbook: WorkbookConnector) -> None:
    # The fields table says NAME of a *customer* is "Company name"; suppliers
    # keep the built-in name, while CATEGORY (no ACTORTYPE) would apply to all.
    supplier_fields = {f.key: f for f in workbook.fields(SUPPLIER)}
    assert supplier_fields["NAME"].display_name["en"] == "Name"


def test_list_items(workbook: WorkbookConnector) -> None:
    items = workbook.list_items("category")
    assert [i.key for i in items] == ["key", "a", "prospect"]
    assert items[0].name == {"en": "Key account", "nl": "Key account", "no": "Nøkkelkunde"}
    assert localize(items[1].name, "nl") == "A-klant"
    assert workbook.list_items("CATEGORY") == items
    assert workbook.list_items("business") == []


# ------------------------------------------------------------------ actors


def test_actor_values_are_typed(workbook: WorkbookConnector) -> None:
    c1, c2, c3, c4, c5 = workbook.search(CUSTOMER, []).actors
    assert c1.fields == {
        "NAME": "Bjørnstad Rørlegger AS", "POSTALCITY": "Bergen", "COUNTRY": "NO",
        "CATEGORY": "key", "CREDITLIMIT": 25000.0, "EMPLOYEES": 12, "BLOCKED": False,
        "LASTMODIFIED": "2025-01-15T10:00:00+00:00",
    }
    assert c1.last_modified == datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
    assert c2.fields["CREDITLIMIT"] == 1500.5
    assert (c3.fields["CREDITLIMIT"], c3.fields["BLOCKED"]) == (None, True)
    assert c4.last_modified == datetime(2025, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert c5.fields["COUNTRY"] is None and c5.fields["EMPLOYEES"] is None
    assert c5.fields["BLOCKED"] is False and c5.last_modified is None
    assert all(a.actor_type is CUSTOMER and a.parent_key is None for a in (c1, c2, c3, c4, c5))


def test_get_actors(workbook: WorkbookConnector) -> None:
    found = workbook.get_actors(CUSTOMER, ["C4", "nope", "C1", "C4"])
    assert [a.key for a in found] == ["C4", "C1"]
    assert found[0].fields["NAME"] == "Café Løvenskiold"
    assert workbook.get_actors(CUSTOMER, []) == []
    assert workbook.get_actors(CUSTOMER, ["nope"]) == []


def test_persons_have_parents(workbook: WorkbookConnector) -> None:
    p1, p2, p3 = workbook.get_actors(PERSON, ["P1", "P2", "P3"])
    assert (p1.parent_type, p1.parent_key) == (CUSTOMER, "C1")  # PARENTTYPE empty: customer
    assert (p2.parent_type, p2.parent_key) == (SUPPLIER, "S1")
    assert (p3.parent_type, p3.parent_key) == (None, None)
    assert p3.fields["MIDDLENAME"] == "van der"
    assert "PARENTKEY" not in p1.fields and "ERPKEY" not in p1.fields


def test_numeric_keys_from_excel_are_text(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "customer"
    sheet.append(["ERPKEY", "NAME", "POSTALZIP"])
    sheet.append([1001, "Alfa", 150])
    sheet.append([1002.0, "Beta", "0150"])
    wb.save(tmp_path / "erp.xlsx")
    connector = connector_for(tmp_path / "erp.xlsx")
    actors = connector.get_actors(CUSTOMER, ["1002", "1001"])
    assert [(a.key, a.fields["POSTALZIP"]) for a in actors] == [("1002", "0150"),
                                                               ("1001", "150")]


def test_changed_since(workbook: WorkbookConnector, workbook_path: Path) -> None:
    # Rows without LASTMODIFIED count as changed when their file was.
    long_ago = datetime(2020, 1, 1).timestamp()
    for file in [workbook_path] if workbook_path.is_file() else workbook_path.iterdir():
        os.utime(file, (long_ago, long_ago))
    changed = workbook.changed_since(CUSTOMER, datetime(2025, 1, 15, 12, 0, tzinfo=UTC))
    assert [a.key for a in changed] == ["C2", "C4"]
    # A naive "since" is UTC; C4 (00:30+01:00) is 23:30 UTC on 31 January.
    assert [a.key for a in workbook.changed_since(CUSTOMER, datetime(2025, 1, 31, 23, 30))] \
        == []
    assert [a.key for a in workbook.changed_since(CUSTOMER, datetime(2025, 1, 31, 23, 29))] \
        == ["C4"]
    assert [a.key for a in workbook.changed_since(CUSTOMER, datetime(2019, 1, 1))] == [
        "C1", "C2", "C3", "C4", "C5"]
    now = datetime.now(UTC)
    for file in [workbook_path] if workbook_path.is_file() else workbook_path.iterdir():
        os.utime(file, (now.timestamp(), now.timestamp()))
    recent = workbook.changed_since(PERSON, now - timedelta(hours=1))
    assert [a.key for a in recent] == ["P2"]


# ------------------------------------------------------------------ connection test


def test_connection_test_ok(workbook: WorkbookConnector) -> None:
    result = workbook.test()
    assert result.ok, result.technical
    with use_locale("en"):
        assert str(result.message) == ("The workbook can be read. Actor types: Customers, "
                                       "Suppliers, Persons.")


@pytest.mark.parametrize("config", [{}, {"path": ""}, {"path": "   "}])
def test_no_path(config: dict[str, str]) -> None:
    connector = WorkbookConnector(config)
    result = connector.test()
    assert not result.ok
    assert "No folder or workbook" in str(result.message)
    with pytest.raises(ConnectorError):
        connector.actor_types()


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    connector = connector_for(missing)
    result = connector.test()
    assert not result.ok
    assert str(missing) in str(result.message) and "does not exist" in str(result.message)
    assert result.technical
    for call in (connector.actor_types, lambda: connector.fields(CUSTOMER),
                 lambda: connector.search(CUSTOMER, []), lambda: connector.list_items("x"),
                 lambda: connector.get_actors(CUSTOMER, ["C1"]),
                 lambda: connector.changed_since(CUSTOMER, datetime(2020, 1, 1))):
        with pytest.raises(ConnectorError) as caught:
            call()
        assert "does not exist" in user_text(caught)
        assert caught.value.technical


def test_path_that_is_neither_folder_nor_xlsx(tmp_path: Path) -> None:
    (tmp_path / "erp.txt").write_text("x", encoding="utf-8")
    result = connector_for(tmp_path / "erp.txt").test()
    assert not result.ok and "neither a folder nor an Excel workbook" in str(result.message)


def test_empty_folder(tmp_path: Path) -> None:
    result = connector_for(tmp_path).test()
    assert not result.ok
    assert "No customer, supplier or person" in str(result.message)


def test_damaged_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "erp.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    connector = connector_for(path)
    result = connector.test()
    assert not result.ok
    assert "not a valid Excel workbook" in str(result.message)
    assert "erp.xlsx" in result.technical
    with pytest.raises(ConnectorError, match="erp.xlsx"):
        connector.search(CUSTOMER, [])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_unreadable_path(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_format(tmp_path, fmt)
    # Permissions cannot be taken away from root (tests may run as root): refuse access.
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != path)
    result = connector_for(path).test()
    assert not result.ok
    assert f"{path} cannot be read" in str(result.message)
    assert "permission denied" in result.technical


def test_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_bytes("ERPKEY;NAME\nC1;Bjørnstad\n".encode("cp1252"))
    connector = connector_for(folder)
    with pytest.raises(ConnectorError) as caught:
        connector.search(CUSTOMER, [])
    assert "customer.csv is not UTF-8" in user_text(caught)
    result = connector.test()
    assert not result.ok and "not UTF-8" in str(result.message)


@pytest.mark.parametrize(("content", "words"), [
    ("NAME\nAlfa\n", ["has no ERPKEY column"]),
    ("ERPKEY,NAME,NAME\nC1,A,B\n", ["Column NAME appears twice"]),
    ("ERPKEY,NAME\nC1,Alfa\n,Beta\n", ["Row 3", "has no ERPKEY"]),
    ("ERPKEY,NAME\nC1,Alfa,Oslo\n", ["Row 2", "more values than there are columns"]),
    ("ERPKEY,NAME,LASTMODIFIED\nC1,Alfa,yesterday\n", ["Row 2", "yesterday", "LASTMODIFIED"]),
])
def test_bad_tables(tmp_path: Path, content: str, words: list[str]) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text(content, encoding="utf-8")
    connector = connector_for(folder)
    with pytest.raises(ConnectorError) as caught:
        connector.search(CUSTOMER, [])
    message = user_text(caught)
    for word in words:
        assert word in message


def test_trailing_empty_cells_and_blank_rows_are_fine(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text("ERPKEY;NAME;\nC1;Alfa;;\n;;\n\nC2;Beta\n",
                                         encoding="utf-8-sig")
    page = connector_for(folder).search(CUSTOMER, [])
    assert [(a.key, a.fields) for a in page.actors] == [("C1", {"NAME": "Alfa"}),
                                                        ("C2", {"NAME": "Beta"})]


def test_quoted_values_with_separators_and_newlines(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text(
        'ERPKEY;NAME;POSTALAD1\nC1;"Hansen; Sønn & Co";"Storgata 1\nPostboks 4"\n',
        encoding="utf-8")
    (actor,) = connector_for(folder).search(CUSTOMER, []).actors
    assert actor.fields == {"NAME": "Hansen; Sønn & Co", "POSTALAD1": "Storgata 1\nPostboks 4"}


def test_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_bytes("\ufeffERPKEY,NAME\r\nC1,Ålesund Fisk\r\n"
                                          .encode("utf-8"))
    connector = connector_for(folder)
    assert [f.key for f in connector.fields(CUSTOMER)] == ["NAME"]
    assert connector.get_actors(CUSTOMER, ["C1"])[0].fields["NAME"] == "Ålesund Fisk"


def test_bad_parent_type(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "person.csv").write_text("ERPKEY,PARENTKEY,PARENTTYPE,FIRSTNAME\n"
                                       "P1,C1,person,Ola\n", encoding="utf-8")
    with pytest.raises(ConnectorError) as caught:
        connector_for(folder).get_actors(PERSON, ["P1"])
    assert "PARENTTYPE “person” must be customer or supplier" in user_text(caught)


@pytest.mark.parametrize(("fields_csv", "words"), [
    ("ACTORTYPE,KEY,TYPE\ncustomer,NAME,colour\n", ["unknown field type “colour”", "text"]),
    ("ACTORTYPE,KEY,TYPE\nvendor,NAME,text\n", ["Row 2 of fields.csv"]),
    ("ACTORTYPE,KEY,MAXLENGTH\ncustomer,NAME,long\n", ["Row 2 of fields.csv"]),
])
def test_bad_fields_table(tmp_path: Path, fields_csv: str, words: list[str]) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text("ERPKEY,NAME\nC1,Alfa\n", encoding="utf-8")
    (folder / "fields.csv").write_text(fields_csv, encoding="utf-8")
    connector = connector_for(folder)
    result = connector.test()
    assert not result.ok
    for word in words:
        assert word in str(result.message)


def test_lists_table_needs_its_columns(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "erp", tables=("customer",))
    (folder / "lists.csv").write_text("NAME\nFoo\n", encoding="utf-8")
    connector = connector_for(folder)
    assert "needs the columns LIST, KEY, NAME" in str(connector.test().message)
    with pytest.raises(ConnectorError):
        connector.list_items("category")


def test_an_xlsx_and_a_folder_give_the_same_actors(tmp_path: Path) -> None:
    folder = connector_for(write_format(tmp_path, "csv-semicolon-bom"))
    workbook = connector_for(write_format(tmp_path, "xlsx"))
    for actor_type in (CUSTOMER, SUPPLIER, PERSON):
        assert workbook.search(actor_type, []).actors == folder.search(actor_type, []).actors


def test_unknown_actor_type(workbook: WorkbookConnector) -> None:
    with pytest.raises(ConnectorError, match="company"):
        workbook.search("company", [])  # type: ignore[arg-type]


def test_string_actor_types_and_operators_are_accepted(workbook: WorkbookConnector) -> None:
    page = workbook.search("customer",  # type: ignore[arg-type]
                           [Restriction("NAME", "begins", ("van",))])  # type: ignore[arg-type]
    assert [a.key for a in page.actors] == ["C2"]


def test_connector_copies_are_independent(tmp_path: Path) -> None:
    # The path is configuration, not state: two connections, two folders.
    one = write_folder(tmp_path / "one", tables=("customer",))
    two = tmp_path / "two"
    shutil.copytree(one, two)
    (two / "customer.csv").write_text("ERPKEY,NAME\nX1,Other\n", encoding="utf-8")
    assert connector_for(one).search(CUSTOMER, []).total == 5
    assert connector_for(two).search(CUSTOMER, []).total == 1

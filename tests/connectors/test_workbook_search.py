"""Search on the Workbook connector: every operator of every field type,
paging and totals, on a CSV folder, a semicolon + BOM CSV folder and an XLSX."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from erpsync.connectors import workbook as workbook_module
from erpsync.connectors.base import ActorType, ConnectorError, Operator, Restriction
from erpsync.connectors.workbook import WorkbookConnector
from erpsync.i18n import use_locale

CUSTOMER = ActorType.CUSTOMER


def keys(connector: WorkbookConnector, *restrictions: Restriction,
         actor_type: ActorType = CUSTOMER) -> list[str]:
    page = connector.search(actor_type, list(restrictions), offset=0, limit=100)
    assert page.total == len(page.actors)
    return [a.key for a in page.actors]


def r(field: str, op: str, *values: str) -> Restriction:
    return Restriction(field, Operator(op), tuple(values))


TEXT_CASES = [
    ("=", ("café løvenskiold",), ["C4"]),
    ("=", ("CAFÉ LØVENSKIOLD",), ["C4"]),
    ("begins", ("café",), ["C4", "C5"]),
    ("contains", ("ø",), ["C1", "C4"]),
    ("contains", ("RØRLEGGER",), ["C1"]),
    ("ends", ("b.v.",), ["C2"]),
    ("notbegins", ("CAFÉ",), ["C1", "C2", "C3"]),
    ("notcontains", ("ø",), ["C2", "C3", "C5"]),
    ("notends", ("as",), ["C2", "C3", "C4", "C5"]),
    ("isnot", ("IJSSELMEER VISSERIJ",), ["C1", "C2", "C4", "C5"]),
    ("between", ("b", "d"), ["C1", "C4", "C5"]),
    ("between", ("d", "b"), ["C1", "C4", "C5"]),  # reversed bounds are swapped
]


@pytest.mark.parametrize(("op", "values", "expected"), TEXT_CASES)
def test_text_operators(workbook: WorkbookConnector, op: str, values: tuple[str, ...],
                        expected: list[str]) -> None:
    assert keys(workbook, r("NAME", op, *values)) == expected


def test_text_empty_value_counts_as_empty_text(workbook: WorkbookConnector) -> None:
    assert keys(workbook, r("COUNTRY", "isnot", "no")) == ["C2", "C3", "C5"]
    assert keys(workbook, r("COUNTRY", "=", "")) == ["C5"]
    assert keys(workbook, r("COUNTRY", "contains", "n")) == ["C1", "C2", "C3", "C4"]


NUMBER_CASES = [
    ("CREDITLIMIT", "=", ("25000",), ["C1"]),
    ("CREDITLIMIT", "=", ("1500,5",), ["C2"]),  # a decimal comma in the criterion
    ("CREDITLIMIT", ">", ("1500.5",), ["C1", "C5"]),
    ("CREDITLIMIT", "<", ("1500.5",), ["C4"]),
    ("CREDITLIMIT", ">=", ("1500.5",), ["C1", "C2", "C5"]),
    ("CREDITLIMIT", "<=", ("0",), ["C4"]),
    ("CREDITLIMIT", "!=", ("0",), ["C1", "C2", "C5"]),  # the empty C3 matches no comparison
    ("CREDITLIMIT", "between", ("1000", "30000"), ["C1", "C2"]),
    ("CREDITLIMIT", "between", ("30 000", "1.000"), ["C1", "C2"]),
    ("EMPLOYEES", "=", ("12",), ["C1"]),
    ("EMPLOYEES", ">", ("12",), ["C2", "C4"]),
    ("EMPLOYEES", "<", ("12",), ["C3"]),
    ("EMPLOYEES", ">=", ("25",), ["C2", "C4"]),
    ("EMPLOYEES", "<=", ("3",), ["C3"]),
    ("EMPLOYEES", "!=", ("3",), ["C1", "C2", "C4"]),
    ("EMPLOYEES", "between", ("3", "12"), ["C1", "C3"]),
]


@pytest.mark.parametrize(("field", "op", "values", "expected"), NUMBER_CASES)
def test_number_operators(workbook: WorkbookConnector, field: str, op: str,
                          values: tuple[str, ...], expected: list[str]) -> None:
    assert keys(workbook, r(field, op, *values)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("1", ["C3"]), ("ja", ["C3"]), ("true", ["C3"]),
    ("0", ["C1", "C2", "C4", "C5"]),  # an empty checkbox is unchecked
    ("nei", ["C1", "C2", "C4", "C5"]),
])
def test_checkbox_operator(workbook: WorkbookConnector, value: str, expected: list[str]) -> None:
    assert keys(workbook, r("BLOCKED", "=", value)) == expected


@pytest.mark.parametrize(("op", "values", "expected"), [
    ("oneof", ("a",), ["C2", "C4"]),  # C4 holds the item's name, "A customer"
    ("oneof", ("A-KLANT",), ["C2", "C4"]),  # a translated name works as the key
    ("oneof", ("Nøkkelkunde", "prospect"), ["C1", "C3"]),
    ("notoneof", ("a",), ["C1", "C3", "C5"]),
    ("notoneof", ("a", "key", "prospect"), ["C5"]),
])
def test_list_operators(workbook: WorkbookConnector, op: str, values: tuple[str, ...],
                        expected: list[str]) -> None:
    assert keys(workbook, r("CATEGORY", op, *values)) == expected


DATETIME_CASES = [
    ("=", ("2025-01-15",), ["C1", "C2"]),  # a date compares whole days
    ("=", ("2025-01-15T10:00:00Z",), ["C1"]),  # a time compares instants
    ("=", ("2025-01-15 11:00+01:00",), ["C1"]),
    ("before", ("2025-01-15",), ["C3"]),
    ("after", ("2025-01-15",), ["C4"]),
    ("beforeOrEqual", ("2025-01-15",), ["C1", "C2", "C3"]),
    ("afterOrEqual", ("2025-01-15",), ["C1", "C2", "C4"]),
    ("afterOrEqual", ("2025-01-15T12:00",), ["C2", "C4"]),  # naive means UTC
    ("before", ("2025-01-15T10:00:00+00:00",), ["C3"]),
    # C4 was written on 1 February local time (31 January in UTC): a date
    # criterion uses the day as written, a time criterion the instant.
    ("between", ("2025-01-01", "2025-01-31"), ["C1", "C2"]),
    ("between", ("2025-01-31T00:00Z", "2025-02-01T00:00Z"), ["C4"]),
    ("between", ("2025-01-31", "2024-12-31"), ["C1", "C2", "C3"]),
]


@pytest.mark.parametrize(("op", "values", "expected"), DATETIME_CASES)
def test_datetime_operators(workbook: WorkbookConnector, op: str, values: tuple[str, ...],
                            expected: list[str]) -> None:
    assert keys(workbook, r("LASTMODIFIED", op, *values)) == expected


def test_restrictions_are_anded(workbook: WorkbookConnector) -> None:
    assert keys(workbook, r("COUNTRY", "=", "no"), r("NAME", "begins", "café")) == ["C4"]
    assert keys(workbook, r("COUNTRY", "=", "no"), r("CREDITLIMIT", ">", "1000"),
                r("BLOCKED", "=", "0")) == ["C1"]
    assert keys(workbook, r("COUNTRY", "=", "nl"), r("COUNTRY", "=", "no")) == []


def test_field_keys_are_case_insensitive(workbook: WorkbookConnector) -> None:
    assert keys(workbook, r("postalcity", "=", "urk")) == ["C3"]


def test_other_actor_types(workbook: WorkbookConnector) -> None:
    assert keys(workbook, r("FIRSTNAME", "=", "åse"), actor_type=ActorType.PERSON) == ["P2"]
    assert keys(workbook, actor_type=ActorType.SUPPLIER) == ["S1"]


# ------------------------------------------------------------------ paging


def test_paging_and_totals(workbook: WorkbookConnector) -> None:
    first = workbook.search(CUSTOMER, [], offset=0, limit=2)
    assert (first.total, [a.key for a in first.actors]) == (5, ["C1", "C2"])
    assert (first.offset, first.limit) == (0, 2)
    second = workbook.search(CUSTOMER, [], offset=2, limit=2)
    assert [a.key for a in second.actors] == ["C3", "C4"]
    last = workbook.search(CUSTOMER, [], offset=4, limit=2)
    assert (last.total, [a.key for a in last.actors]) == (5, ["C5"])
    beyond = workbook.search(CUSTOMER, [], offset=10, limit=2)
    assert (beyond.total, beyond.actors) == (5, [])
    count_only = workbook.search(CUSTOMER, [], offset=0, limit=0)
    assert (count_only.total, count_only.actors) == (5, [])


def test_paging_with_restrictions(workbook: WorkbookConnector) -> None:
    page = workbook.search(CUSTOMER, [r("NAME", "contains", "r")], offset=1, limit=2)
    assert page.total == 4  # C1, C2, C3, C5
    assert [a.key for a in page.actors] == ["C2", "C3"]


def test_iter_search_streams_every_match(workbook: WorkbookConnector) -> None:
    found = [a.key for a in workbook.iter_search(CUSTOMER, [r("NAME", "isnot", "x")],
                                                  page_size=2)]
    assert found == ["C1", "C2", "C3", "C4", "C5"]


def test_iter_search_reads_the_file_once(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    rows = "".join(f"K{i},Name {i}\n" for i in range(1200))
    (folder / "customer.csv").write_text("ERPKEY,NAME\n" + rows, encoding="utf-8")
    connector = WorkbookConnector({"path": str(folder)})
    connector.fields(CUSTOMER)
    opened: list[str] = []
    original = workbook_module._CsvFolder.open

    def counting_open(self: object, name: str) -> object:
        opened.append(name)
        return original(self, name)  # type: ignore[arg-type]

    monkeypatch.setattr(workbook_module._CsvFolder, "open", counting_open)
    found = list(connector.iter_search(CUSTOMER, [], page_size=100))
    assert len(found) == 1200 and found[-1].key == "K1199"
    assert opened == ["customer.csv"]


def test_iter_search_checks_criteria_before_the_first_actor(
        workbook: WorkbookConnector) -> None:
    with pytest.raises(ConnectorError):
        workbook.iter_search(CUSTOMER, [r("NOSUCHFIELD", "=", "x")])


def test_negative_paging_is_refused(workbook: WorkbookConnector) -> None:
    with pytest.raises(ConnectorError):
        workbook.search(CUSTOMER, [], offset=-1, limit=10)


def test_search_does_not_keep_all_rows_in_memory(tmp_path: Path) -> None:
    """Counting 40,000 matches while returning 10 stays far below what the
    rows themselves take (about 8 MB as dicts)."""
    folder = tmp_path / "big"
    folder.mkdir()
    with (folder / "customer.csv").open("w", encoding="utf-8") as fh:
        fh.write("ERPKEY,NAME,POSTALCITY,NUMBER2\n")
        for i in range(40_000):
            fh.write(f"K{i},Company number {i} AS,{'Oslo' if i % 2 else 'Bergen'},{i}\n")
    connector = WorkbookConnector({"path": str(folder)})
    connector.fields(CUSTOMER)  # metadata is cached; measure the search alone
    tracemalloc.start()
    try:
        page = connector.search(CUSTOMER, [r("NAME", "contains", "company")], 39_990, 10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert page.total == 40_000
    assert [a.key for a in page.actors] == [f"K{i}" for i in range(39_990, 40_000)]
    assert peak < 1_500_000, f"peak {peak} bytes"


# ------------------------------------------------------------------ bad criteria


@pytest.mark.parametrize(("restriction", "words"), [
    (r("NOSUCHFIELD", "=", "x"), ["NOSUCHFIELD"]),
    (Restriction("NAME", "like", ("x",)), ["like"]),  # type: ignore[arg-type]
    (r("NAME", ">", "a"), ["greater than", "Company name"]),
    (r("NAME", "oneof", "a"), ["one of", "Company name"]),
    (r("CREDITLIMIT", "begins", "1"), ["begins with", "Credit limit"]),
    (r("CATEGORY", "=", "a"), ["equals", "Category"]),
    (r("BLOCKED", ">", "0"), ["greater than", "Blocked"]),
    (r("LASTMODIFIED", ">", "2025-01-01"), ["greater than", "Last modified"]),
    (r("NAME", "between", "a"), ["two values", "Company name"]),
    (r("NAME", "=", "a", "b"), ["one value", "Company name"]),
    (r("CATEGORY", "oneof"), ["at least one", "Category"]),
    (r("CREDITLIMIT", ">", "lots"), ["lots", "not a number"]),
    (r("EMPLOYEES", "between", "1", "ten"), ["ten", "not a number"]),
    (r("CREDITLIMIT", "=", "nan"), ["nan", "not a number"]),
    (r("LASTMODIFIED", "after", "15-01-2025"), ["15-01-2025", "not a date"]),
    (r("BLOCKED", "=", "maybe"), ["maybe", "neither yes nor no"]),
])
def test_bad_criteria_raise_a_clear_error(workbook: WorkbookConnector,
                                          restriction: Restriction, words: list[str]) -> None:
    with pytest.raises(ConnectorError) as caught:
        workbook.search(CUSTOMER, [restriction])
    with use_locale("en"):
        message = str(caught.value.user_message)
    for word in words:
        assert word in message
    assert caught.value.technical


def test_unsearchable_password_field_is_unknown(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text("ERPKEY,NAME,PIN\nC1,A,1234\n", encoding="utf-8")
    (folder / "fields.csv").write_text("ACTORTYPE,KEY,NAME,TYPE\ncustomer,PIN,Pin,password\n",
                                       encoding="utf-8")
    connector = WorkbookConnector({"path": str(folder)})
    assert "PIN" in [f.key for f in connector.fields(CUSTOMER)]
    assert "PIN" not in [f.key for f in connector.searchable_fields(CUSTOMER)]
    with pytest.raises(ConnectorError, match="PIN"):
        connector.search(CUSTOMER, [r("PIN", "=", "1234")])


def test_field_label_in_error_follows_the_admins_language(workbook: WorkbookConnector) -> None:
    with pytest.raises(ConnectorError) as caught:
        workbook.search(CUSTOMER, [r("NAME", ">", "a")])
    with use_locale("nl"):
        assert "Bedrijfsnaam" in str(caught.value.user_message)
    with use_locale("nb_NO"):
        assert "Firmanavn" in str(caught.value.user_message)


def test_bad_cell_names_row_and_column(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text(
        "ERPKEY,NAME,CREDITLIMIT\nC1,Alfa,100\nC2,Beta,lots\n", encoding="utf-8")
    (folder / "fields.csv").write_text(
        "ACTORTYPE,KEY,NAME,TYPE\ncustomer,CREDITLIMIT,Credit limit,double\n", encoding="utf-8")
    connector = WorkbookConnector({"path": str(folder)})
    with pytest.raises(ConnectorError) as caught:
        connector.search(CUSTOMER, [r("CREDITLIMIT", ">", "10")])
    message = str(caught.value.user_message)
    assert "Row 3" in message and "lots" in message and "CREDITLIMIT" in message
    # A search that does not look at the bad column still finds the row, and
    # returning it reports the cell.
    with pytest.raises(ConnectorError, match="lots"):
        connector.search(CUSTOMER, [r("NAME", "=", "beta")])
    assert connector.search(CUSTOMER, [r("NAME", "=", "alfa")]).total == 1


def test_file_is_read_again_after_a_change(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    path = folder / "customer.csv"
    path.write_text("ERPKEY,NAME\nC1,Alfa\n", encoding="utf-8")
    connector = WorkbookConnector({"path": str(folder)})
    assert [f.key for f in connector.fields(CUSTOMER)] == ["NAME"]
    path.write_text("ERPKEY,NAME,POSTALCITY\nC1,Alfa,Oslo\nC2,Beta,Bergen\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000_000))
    assert [f.key for f in connector.fields(CUSTOMER)] == ["NAME", "POSTALCITY"]
    assert keys(connector, r("POSTALCITY", "=", "bergen")) == ["C2"]

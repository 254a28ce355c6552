"""Reading uploaded files: format, encoding, delimiter, rows; bad files."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from filesource_helpers import csv_bytes, write, xlsx_bytes

from erpsync.filesource import reading
from erpsync.filesource.errors import FileSourceError
from erpsync.i18n import LazyString

HEADER = ["Bedrijfsnaam", "Adres", "Plaats"]
ROWS = [["Café Ørsted", "Hoofdstraat 1; achter", "Zaandam"],
        ["Bakkerij \"De Korf\"", "Lange Gracht 2\nTweede verdieping", "Kampen"]]


def refusal(func, *args) -> str:
    """The localized message of the FileSourceError that ``func(*args)`` raises."""
    with pytest.raises(FileSourceError) as caught:
        func(*args)
    assert isinstance(caught.value.user_message, LazyString)  # shown in the admin's language
    return str(caught.value.user_message)


def read_all(path: Path, sheet: str | None = None) -> tuple[reading.FileFormat, list, list]:
    fmt = reading.detect(path, path.name)
    with reading.open_table(path, path.name, fmt, sheet) as table:
        return fmt, table.header, list(table.rows)


def test_utf8_with_bom_semicolons_and_quoted_newlines(tmp_path: Path) -> None:
    path = write(tmp_path / "klanten.csv",
                 csv_bytes([HEADER, *ROWS], delimiter=";", bom=True))
    fmt, header, rows = read_all(path)
    assert (fmt.kind, fmt.encoding, fmt.delimiter) == ("csv", "utf-8-sig", ";")
    assert header == HEADER  # no BOM glued to the first column name
    # Row numbers as a spreadsheet shows them: the quoted line break is one row.
    assert rows == [(2, ROWS[0]), (3, ROWS[1])]


def test_windows_1252(tmp_path: Path) -> None:
    data = csv_bytes([HEADER, *ROWS], delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = write(tmp_path / "excel.csv", data)
    fmt, header, rows = read_all(path)
    assert fmt.encoding == "cp1252"
    assert rows[0][1][0] == "Café Ørsted"


def test_utf8_decided_on_the_whole_file_not_the_first_block(tmp_path: Path) -> None:
    """A Windows-1252 character after the sample must not break reading later."""
    rows = [["Name", "City"]] + [[f"Firma {i}", "Oslo"] for i in range(5000)]
    rows.append(["Société Générale", "Paris"])
    path = write(tmp_path / "late.csv", csv_bytes(rows, encoding="cp1252"))
    assert path.stat().st_size > reading.SAMPLE_BYTES
    fmt, _header, read = read_all(path)
    assert fmt.encoding == "cp1252"
    assert read[-1][1] == ["Société Générale", "Paris"]


def test_utf16_with_bom_and_tabs(tmp_path: Path) -> None:
    """Excel's "Unicode text" export."""
    text = "Name\tCity\r\nÅsane Bygg\tBergen\r\n"
    path = write(tmp_path / "unicode.txt", b"\xff\xfe" + text.encode("utf-16-le"))
    fmt, header, rows = read_all(path)
    assert (fmt.encoding, fmt.delimiter) == ("utf-16", "\t")
    assert rows == [(2, ["Åsane Bygg", "Bergen"])]


@pytest.mark.parametrize(("content", "delimiter"), [
    ("Name,City\nAcme; Inc,Oslo\n", ","),
    ("Name;Address\nAcme;Street 1, Oslo\nBeta;Road 2, Bergen\n", ";"),
    ("Name|City\nA|B\n", "|"),
    ("Name\nAcme, Inc\n", ","),  # one column: commas are part of the values
])
def test_delimiter_is_the_one_that_fits_the_rows(tmp_path: Path, content: str,
                                                 delimiter: str) -> None:
    path = write(tmp_path / "d.csv", content.encode())
    assert reading.detect(path, "d.csv").delimiter == delimiter


def test_blank_rows_are_skipped_and_short_rows_padded(tmp_path: Path) -> None:
    path = write(tmp_path / "b.csv", b"\n\nName,City,Zip\nAcme,Oslo\n,,\n\nBeta\n")
    _fmt, header, rows = read_all(path)
    assert header == ["Name", "City", "Zip"]
    assert rows == [(4, ["Acme", "Oslo", None]), (7, ["Beta", None, None])]


def test_xlsx_first_sheet_or_a_chosen_one(tmp_path: Path) -> None:
    path = write(tmp_path / "book.xlsx", xlsx_bytes({
        "Klanten": [["Naam", "Klantnummer", "Sinds"], ["Acme", 1001, None], [None, None],
                    ["Beta", 1002.0, None]],
        "Personen": [["Voornaam", "Achternaam"], ["Jan", "Jansen"]],
    }))
    fmt, header, rows = read_all(path)
    assert (fmt.kind, fmt.sheets) == ("xlsx", ("Klanten", "Personen"))
    assert header == ["Naam", "Klantnummer", "Sinds"]
    assert [(n, c[:2]) for n, c in rows] == [(2, ["Acme", 1001]), (4, ["Beta", 1002.0])]
    _fmt, header, rows = read_all(path, "Personen")
    assert header == ["Voornaam", "Achternaam"] and rows == [(2, ["Jan", "Jansen"])]
    assert "no sheet “Nope”" in refusal(read_all, path, "Nope")


def test_scan_counts_rows_and_keeps_samples(tmp_path: Path) -> None:
    rows = [["Name", "City"]] + [[f"Firma {i}", "Oslo"] for i in range(12)]
    path = write(tmp_path / "s.csv", csv_bytes(rows))
    fmt = reading.detect(path, "s.csv")
    scan = reading.scan(path, "s.csv", fmt, samples=3)
    assert (scan.header, scan.rows) == (["Name", "City"], 12)
    assert scan.samples == [["Firma 0", "Oslo"], ["Firma 1", "Oslo"], ["Firma 2", "Oslo"]]


# ------------------------------------------------------------------ bad files

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nstream\n" + bytes(range(256)) * 8


def _zip(tmp_path: Path) -> bytes:
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return path.read_bytes()


@pytest.mark.parametrize(("name", "make", "fragment"), [
    ("logo.csv", lambda tmp: PNG, "neither a CSV file nor an Excel workbook"),
    ("report.pdf", lambda tmp: PDF, "neither a CSV file nor an Excel workbook"),
    ("random.csv", lambda tmp: bytes(range(32)) * 200, "neither a CSV file nor an Excel"),
    ("notes.xlsx", _zip, "neither a CSV file nor an Excel workbook"),
    ("old.xls", lambda tmp: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "(.xls)"),
    ("broken.xlsx", lambda tmp: b"PK\x03\x04" + bytes(100), "not a valid Excel workbook"),
    ("empty.csv", lambda tmp: b"", "is empty"),
    ("blank.csv", lambda tmp: b"\xef\xbb\xbf\r\n  \r\n", "is empty"),
])
def test_files_that_are_not_tables_are_refused_with_a_message(tmp_path: Path, name: str,
                                                             make, fragment: str) -> None:
    path = write(tmp_path / name, make(tmp_path))

    def read() -> None:
        reading.scan(path, name, reading.detect(path, name))

    message = refusal(read)
    assert fragment in message and name in message


def test_a_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", b"Name;City\r\n\r\n")
    fmt = reading.detect(path, path.name)
    assert "has column names but no rows" in refusal(reading.scan, path, path.name, fmt)


def test_an_empty_sheet_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "book.xlsx", xlsx_bytes({"Blad1": [], "Blad2": [["Name"]]}))
    fmt = reading.detect(path, path.name)
    assert "is empty" in refusal(reading.scan, path, path.name, fmt)
    assert "no rows" in refusal(reading.scan, path, path.name, fmt, "Blad2")


def test_a_row_wider_than_the_header_names_its_row(tmp_path: Path) -> None:
    path = write(tmp_path / "wide.csv", b"Name,City\nAcme,Oslo\nBeta, Inc,Bergen\n")
    fmt = reading.detect(path, path.name)
    message = refusal(reading.scan, path, path.name, fmt)
    assert "Row 3 of wide.csv has more values than there are columns" in message


def test_a_quote_that_is_never_closed_is_reported(tmp_path: Path) -> None:
    runaway = "x" * 200_000
    path = write(tmp_path / "q.csv", f'Name,City\nAcme,"Oslo\n{runaway}\n'.encode())
    fmt = reading.detect(path, path.name)
    assert "Row 2 of q.csv cannot be read" in refusal(reading.scan, path, path.name, fmt)


def test_column_letters() -> None:
    assert [reading.column_letter(i) for i in (0, 25, 26, 701, 702)] == [
        "A", "Z", "AA", "ZZ", "AAA"]
    assert reading.column_name(["Name", ""], 1) == "B"


def test_a_workbook_with_wrong_dimensions_is_read_whole(tmp_path: Path) -> None:
    """Some programs store "A1:A1" as a sheet's used range: every cell still counts."""
    original = xlsx_bytes({"Blad1": [["Naam", "Plaats"], ["Acme", "Zwolle"],
                                     ["Beta", "Bergen"]]})
    source, path = tmp_path / "in.xlsx", tmp_path / "wrong.xlsx"
    source.write_bytes(original)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[A-Z0-9:]+"\s*/>', b'<dimension ref="A1:A1"/>',
                              data)
                assert b'ref="A1:A1"' in data
            new.writestr(item, data)
    _fmt, header, rows = read_all(path)
    assert header == ["Naam", "Plaats"]
    assert rows == [(2, ["Acme", "Zwolle"]), (3, ["Beta", "Bergen"])]

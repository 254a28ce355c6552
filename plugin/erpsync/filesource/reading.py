"""Reading an uploaded file row by row: CSV (encoding and delimiter detected,
byte order mark handled) or an XLSX workbook (one sheet).

Nothing here holds more than a row (and a 64 KiB sample) in memory: CSV files
are read through :mod:`csv` from the open file, workbooks through openpyxl's
read-only mode. Row numbers are the ones a spreadsheet shows: the column
names are row 1 (a quoted value with line breaks is still one row).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..connectors.restrictions import to_text
from . import errors

CSV = "csv"
XLSX = "xlsx"
#: Bytes read to recognise the format and the delimiter.
SAMPLE_BYTES = 64 * 1024
#: Chunk size of the full passes (encoding check).
CHUNK_BYTES = 1024 * 1024
#: Separators tried, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Records of the sample that vote for a delimiter.
SNIFF_RECORDS = 50

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"BZh",
                 b"\x7fELF", b"MZ")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class FileFormat:
    """How to read a file: ``kind`` is ``csv`` (with ``encoding`` and
    ``delimiter``) or ``xlsx`` (with its worksheet names)."""

    kind: str
    encoding: str | None = None
    delimiter: str | None = None
    sheets: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "encoding": self.encoding, "delimiter": self.delimiter,
                "sheets": list(self.sheets)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFormat:
        return cls(kind=data["kind"], encoding=data.get("encoding"),
                   delimiter=data.get("delimiter"), sheets=tuple(data.get("sheets") or ()))


@dataclass
class Table:
    """An open table. ``rows`` yields ``(row number, cells)`` for every row
    that is not blank, the cells padded to the header's width."""

    label: str
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]


@dataclass
class Scan:
    """What a full pass over a table found: its column names, how many rows
    it has (blank ones not counted) and the first few rows as text."""

    header: list[str]
    rows: int
    samples: list[list[str]] = field(default_factory=list)


# ------------------------------------------------------------------ detection


def detect(path: Path, name: str) -> FileFormat:
    """Recognise the file by its content (not its name): an XLSX workbook, or
    text in UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252.
    Raises :class:`~.errors.FileSourceError` for anything else."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise errors.unreadable(name, str(exc)) from exc
    if size == 0:
        raise errors.empty_file(name)
    if head.startswith(_ZIP_MAGIC):
        return FileFormat(XLSX, sheets=tuple(_sheet_names(path, name)))
    if head.startswith(_OLE_MAGIC):
        raise errors.old_excel(name)
    if head.startswith(_BINARY_MAGIC):
        raise errors.not_a_table(name, f"magic bytes {head[:4]!r}")
    encoding = detect_encoding(path, head)
    sample = _decode_sample(head, encoding)
    if looks_binary(sample):
        raise errors.not_a_table(name, "binary content")
    if not sample.strip():
        raise errors.empty_file(name)
    return FileFormat(CSV, encoding=encoding, delimiter=sniff_delimiter(sample))


def detect_encoding(path: Path, head: bytes) -> str:
    """The file's encoding: by its byte order mark, else UTF-8 when every byte
    of the file decodes as UTF-8, else Windows-1252 (Excel's "CSV" on Western
    Windows), else Latin-1 (which decodes anything)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    for encoding in ("utf-8", "cp1252"):
        if _decodes(path, encoding):
            return encoding
    return "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode_sample(head: bytes, encoding: str) -> str:
    # The sample may end inside a character: decode what is complete.
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    return decoder.decode(head, final=False)


def looks_binary(text: str) -> bool:
    """More than 1% control characters (other than tab and line breaks): not text."""
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return "\x00" in text or controls * 100 > len(text)


def sniff_delimiter(sample: str) -> str:
    """The separator that gives the header more than one column and the most
    rows with as many columns as the header (then: the most columns)."""
    complete = sample[:sample.rfind("\n") + 1] or sample
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in itertools.islice(
                csv.reader(io.StringIO(complete), delimiter=delimiter), SNIFF_RECORDS)
                if any(cell.strip() for cell in r)]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width, rest = len(records[0]), records[1:]
        agreeing = sum(1 for r in rest if len(r) == width) / len(rest) if rest else 1.0
        if (agreeing, width) > best_score:
            best, best_score = delimiter, (agreeing, width)
    return best


def _sheet_names(path: Path, name: str) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise errors.not_a_table(name, "a ZIP archive without xl/workbook.xml")
    except zipfile.BadZipFile as exc:
        raise errors.bad_workbook(name, f"BadZipFile: {exc}") from exc
    with _workbook(path, name) as book:
        sheets = [ws.title for ws in book.worksheets]
    if not sheets:
        raise errors.empty_file(name)
    return sheets


@contextlib.contextmanager
def _workbook(path: Path, name: str) -> Iterator[Any]:
    import openpyxl  # imported here: only workbooks pay for it

    try:
        fh = path.open("rb")
    except OSError as exc:
        raise errors.unreadable(name, str(exc)) from exc
    # An open file, not the path: openpyxl would refuse an upload's ".data" name.
    with fh:
        try:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except OSError as exc:
            raise errors.unreadable(name, str(exc)) from exc
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise errors.bad_workbook(name, f"{type(exc).__name__}: {exc}") from exc
        try:
            yield book
        finally:
            book.close()


# ------------------------------------------------------------------ reading


def column_name(header: Sequence[str], index: int) -> str:
    """A column's name, or its spreadsheet letter ("C") when it has none."""
    text = header[index] if index < len(header) else ""
    return text or column_letter(index)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(to_text(c) is None for c in cells)


def _header(cells: Sequence[Any]) -> list[str]:
    header = [to_text(c) or "" for c in cells]
    while header and not header[-1]:
        header.pop()
    return header


def _rows(records: Iterator[Sequence[Any]], label: str,
          ) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header (first row that is not blank) and the data rows after it."""
    number = 0
    header: list[str] = []
    for cells in records:
        number += 1
        if not _is_blank(cells):
            header = _header(cells)
            break
    if not header:
        raise errors.empty_file(label)
    width = len(header)
    first = number

    def generate() -> Iterator[tuple[int, list[Any]]]:
        row = first
        for cells in records:
            row += 1
            if _is_blank(cells):
                continue
            extra = [c for c in cells[width:] if to_text(c) is not None]
            if extra:
                raise errors.extra_cells(label, row, extra)
            values = list(cells[:width])
            values.extend([None] * (width - len(values)))
            yield row, values

    return header, generate()


@contextlib.contextmanager
def open_table(path: Path, name: str, fmt: FileFormat,
               sheet: str | None = None) -> Iterator[Table]:
    """Open the file (``sheet`` of a workbook, default the first) for reading
    row by row. Raises :class:`~.errors.FileSourceError` when it cannot."""
    if fmt.kind == XLSX:
        with _open_sheet(path, name, fmt, sheet) as table:
            yield table
        return
    try:
        fh = path.open(encoding=fmt.encoding or "utf-8", newline="")
    except OSError as exc:
        raise errors.unreadable(name, str(exc)) from exc
    with fh:
        reader = csv.reader(fh, delimiter=fmt.delimiter or ",")
        records = _csv_records(reader, name)
        header, rows = _rows(records, name)
        yield Table(name, header, rows)


def _csv_records(reader: Any, name: str) -> Iterator[list[str]]:
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise errors.bad_row(name, number + 1, str(exc)) from exc
        except UnicodeDecodeError as exc:  # the encoding was checked: the file changed
            raise errors.unreadable(name, str(exc)) from exc
        number += 1
        yield record


@contextlib.contextmanager
def _open_sheet(path: Path, name: str, fmt: FileFormat,
                sheet: str | None) -> Iterator[Table]:
    sheets = list(fmt.sheets)
    chosen = sheet or (sheets[0] if sheets else None)
    with _workbook(path, name) as book:
        titles = [ws.title for ws in book.worksheets]
        if chosen not in titles:
            raise errors.unknown_sheet(name, str(chosen), titles)
        worksheet = book[chosen]
        # Some programs write wrong dimensions: read every row as it is stored.
        worksheet.reset_dimensions()
        label = f"{name} ({chosen})" if len(titles) > 1 else name
        records = (list(r) for r in worksheet.iter_rows(values_only=True))
        try:
            header, rows = _rows(records, label)
        except errors.FileSourceError:
            raise
        except Exception as exc:  # a damaged sheet fails while it is read
            raise errors.bad_workbook(name, f"{type(exc).__name__}: {exc}") from exc
        yield Table(label, header, _guard_workbook(rows, name))


def _guard_workbook(rows: Iterator[tuple[int, list[Any]]],
                    name: str) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from rows
    except errors.FileSourceError:
        raise
    except Exception as exc:
        raise errors.bad_workbook(name, f"{type(exc).__name__}: {exc}") from exc


def scan(path: Path, name: str, fmt: FileFormat, sheet: str | None = None,
         samples: int = 5) -> Scan:
    """Read the whole table once: count its rows, keep the first ``samples``
    as text, and fail now on a row that cannot be read (so staging later
    cannot fail half-way). A table without data rows is an error."""
    with open_table(path, name, fmt, sheet) as table:
        result = Scan(header=table.header, rows=0)
        for _row, cells in table.rows:
            if result.rows < samples:
                result.samples.append([to_text(c) or "" for c in cells])
            result.rows += 1
        if not result.rows:
            raise errors.no_rows(table.label)
    return result

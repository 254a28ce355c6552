"""The Workbook connector: an "ERP" kept in CSV files or one Excel workbook.

Configuration: ``path`` is either

* a folder with ``customer.csv``, ``supplier.csv`` and/or ``person.csv``
  (UTF-8 with or without BOM, comma or semicolon separated), or
* an ``.xlsx`` workbook with sheets of those names.

Plural names (``customers``) and any letter case are accepted too. The actor
types a connection supports are the tables present. Optional tables:

* ``lists`` - columns ``LIST, KEY, NAME`` and translations ``NAME_nl``,
  ``NAME_no``, ...: the values of list fields (a list field holds the KEY).
* ``fields`` - columns ``ACTORTYPE, KEY, NAME, NAME_nl, NAME_no, TYPE, LIST,
  MAXLENGTH`` (``ACCESS`` optional; an empty ACTORTYPE or ``*`` applies to all
  types). Without it every column is a field; the well-known keys get English,
  Dutch and Norwegian display names and CATEGORY/BUSINESS are list fields.

Columns are field keys. ``ERPKEY`` is the actor's key; ``PARENTKEY`` is a
person's company and ``PARENTTYPE`` its type (default ``customer``);
``LASTMODIFIED`` (ISO date and time, naive means UTC) is optional - rows
without it count as changed when the file was.

Every call reads the file again and streams its rows: searching counts all
matches but keeps only the requested page in memory.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import hookimpl
from ..i18n import LazyString, gettext, lazy_gettext, lazy_pgettext
from .base import (
    ActorType,
    Connector,
    ConnectorError,
    ErpActor,
    FieldAccess,
    FieldMeta,
    FieldType,
    ListItem,
    Restriction,
    SearchPage,
    TestResult,
)
from .restrictions import BadValue, compile_restrictions, parse_datetime, to_text, typed_value

KEY_COLUMN = "ERPKEY"
PARENT_KEY_COLUMN = "PARENTKEY"
PARENT_TYPE_COLUMN = "PARENTTYPE"
MODIFIED_COLUMN = "LASTMODIFIED"
#: Columns that describe the row, not the actor: never fields.
META_COLUMNS = frozenset({KEY_COLUMN, PARENT_KEY_COLUMN, PARENT_TYPE_COLUMN})

#: Table names (CSV file stem or sheet name, any case) of each actor type.
ACTOR_TABLES: dict[ActorType, tuple[str, ...]] = {
    ActorType.CUSTOMER: ("customer", "customers"),
    ActorType.SUPPLIER: ("supplier", "suppliers"),
    ActorType.PERSON: ("person", "persons"),
}
LIST_TABLES = ("lists", "list")
FIELD_TABLES = ("fields",)
XLSX_SUFFIXES = (".xlsx", ".xlsm")

#: Display names of the well-known field keys (DESIGN.md), as an ERP would give them.
WELL_KNOWN_FIELDS: dict[str, dict[str, str]] = {
    "NAME": {"en": "Name", "nl": "Naam", "no": "Navn"},
    "NUMBER1": {"en": "Code", "nl": "Code", "no": "Kode"},
    "NUMBER2": {"en": "Number", "nl": "Nummer", "no": "Nummer"},
    "DEPARTMENT": {"en": "Department", "nl": "Afdeling", "no": "Avdeling"},
    "VATNO": {"en": "VAT number", "nl": "Btw-nummer", "no": "MVA-nummer"},
    "PHONE": {"en": "Phone", "nl": "Telefoon", "no": "Telefon"},
    "EMAIL": {"en": "Email address", "nl": "E-mailadres", "no": "E-postadresse"},
    "URL": {"en": "Website", "nl": "Website", "no": "Nettsted"},
    "POSTALAD1": {"en": "Postal address 1", "nl": "Postadres 1", "no": "Postadresse 1"},
    "POSTALAD2": {"en": "Postal address 2", "nl": "Postadres 2", "no": "Postadresse 2"},
    "POSTALAD3": {"en": "Postal address 3", "nl": "Postadres 3", "no": "Postadresse 3"},
    "POSTALZIP": {"en": "Postcode", "nl": "Postcode", "no": "Postnummer"},
    "POSTALCITY": {"en": "City", "nl": "Plaats", "no": "Poststed"},
    "COUNTRY": {"en": "Country", "nl": "Land", "no": "Land"},
    "CATEGORY": {"en": "Category", "nl": "Categorie", "no": "Kategori"},
    "BUSINESS": {"en": "Business", "nl": "Branche", "no": "Bransje"},
    "FIRSTNAME": {"en": "First name", "nl": "Voornaam", "no": "Fornavn"},
    "MIDDLENAME": {"en": "Middle name", "nl": "Tussenvoegsel", "no": "Mellomnavn"},
    "LASTNAME": {"en": "Last name", "nl": "Achternaam", "no": "Etternavn"},
    "TITLE": {"en": "Title", "nl": "Titel", "no": "Tittel"},
    "NUMBER": {"en": "Number", "nl": "Nummer", "no": "Nummer"},
    "PHONE_DIRECT": {"en": "Direct phone", "nl": "Direct nummer", "no": "Direktenummer"},
    "PHONE_MOBILE": {"en": "Mobile phone", "nl": "Mobiele telefoon", "no": "Mobiltelefon"},
    "POSITION": {"en": "Position", "nl": "Functie", "no": "Stilling"},
    "LASTMODIFIED": {"en": "Last modified", "nl": "Laatst gewijzigd", "no": "Sist endret"},
}
#: Types of well-known keys when no ``fields`` table says otherwise.
WELL_KNOWN_TYPES: dict[str, tuple[FieldType, str | None]] = {
    "CATEGORY": (FieldType.LIST, "category"),
    "BUSINESS": (FieldType.LIST, "business"),
    MODIFIED_COLUMN: (FieldType.DATETIME, None),
}
#: Spellings accepted in the TYPE column of a ``fields`` table.
TYPE_ALIASES: dict[str, FieldType] = {
    **{t.value: t for t in FieldType},
    "string": FieldType.TEXT, "str": FieldType.TEXT,
    "int": FieldType.INTEGER, "number": FieldType.DOUBLE, "float": FieldType.DOUBLE,
    "decimal": FieldType.DOUBLE, "bool": FieldType.CHECKBOX, "boolean": FieldType.CHECKBOX,
    "date": FieldType.DATETIME,
}


# ---------------------------------------------------------------- messages


def _unreadable(path: Path | str, exc: BaseException | str) -> ConnectorError:
    # Translators: %(path)s is a file or folder on the server.
    msg = lazy_gettext("%(path)s cannot be read. Check that it exists and that the server "
                       "may read it.", path=str(path))
    return ConnectorError(msg, f"{path}: {exc}")


def _not_utf8(label: str, exc: UnicodeDecodeError) -> ConnectorError:
    # Translators: %(file)s is a CSV file name.
    msg = lazy_gettext("%(file)s is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
                       file=label)
    return ConnectorError(msg, f"{label}: {exc}")


def _bad_table(label: str, row: int, technical: str) -> ConnectorError:
    # Translators: %(row)s is a row number, %(table)s a file or sheet name.
    msg = lazy_gettext("Row %(row)s of %(table)s cannot be read.", row=row, table=label)
    return ConnectorError(msg, f"{label} row {row}: {technical}")


def _bad_cell(exc: BadValue, label: str, row: int) -> ConnectorError:
    values = {"row": row, "table": label, "value": exc.value, "column": exc.field_key}
    if exc.field_type is FieldType.INTEGER:
        # Translators: a cell of an ERP file; %(table)s is a file or sheet name.
        msg = lazy_gettext("Row %(row)s of %(table)s: “%(value)s” in column %(column)s is "
                           "not a whole number.", **values)
    elif exc.field_type is FieldType.DOUBLE:
        # Translators: a cell of an ERP file; %(table)s is a file or sheet name.
        msg = lazy_gettext("Row %(row)s of %(table)s: “%(value)s” in column %(column)s is "
                           "not a number.", **values)
    elif exc.field_type is FieldType.CHECKBOX:
        # Translators: a cell of an ERP file; %(table)s is a file or sheet name.
        msg = lazy_gettext("Row %(row)s of %(table)s: “%(value)s” in column %(column)s is "
                           "neither yes nor no.", **values)
    else:
        # Translators: a cell of an ERP file; %(table)s is a file or sheet name.
        msg = lazy_gettext("Row %(row)s of %(table)s: “%(value)s” in column %(column)s is "
                           "not a date and time (YYYY-MM-DD HH:MM).", **values)
    return ConnectorError(msg, f"{label} row {row}: {exc}")


@contextlib.contextmanager
def _cells_of(label: str, row: int) -> Iterator[None]:
    """Turn a :class:`BadValue` into a :class:`ConnectorError` naming the row."""
    try:
        yield
    except BadValue as exc:
        raise _bad_cell(exc, label, row) from exc


def _found_types(types: tuple[ActorType, ...]) -> str:
    # Called when the message is shown, so the labels follow the admin's language.
    names = ", ".join(str(t.label) for t in types)
    # Translators: %(types)s lists actor types, e.g. "Customers, Persons".
    return gettext("The workbook can be read. Actor types: %(types)s.", types=names)


# ---------------------------------------------------------------- reading tables


@dataclass
class _Table:
    """One open table: a CSV file or a sheet. ``rows`` yields (row number, values)."""

    label: str
    header: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]


def _header(cells: Sequence[Any], label: str) -> list[str]:
    header = [str(c).strip().upper() if c is not None else "" for c in cells]
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            # Translators: %(column)s is a column name, %(table)s a file or sheet name.
            msg = lazy_gettext("Column %(column)s appears twice in %(table)s.",
                               column=column, table=label)
            raise ConnectorError(msg, f"{label}: duplicate column {column}")
        seen.add(column)
    return header


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _row_values(header: list[str], cells: Sequence[Any], label: str,
                row: int) -> dict[str, Any] | None:
    """The row keyed by column; None for a blank row. Values beyond the header
    are an error (usually a separator inside an unquoted value)."""
    extra = [c for c in cells[len(header):] if _clean(c) is not None]
    if extra:
        # Translators: %(row)s is a row number, %(table)s a file or sheet name.
        msg = lazy_gettext("Row %(row)s of %(table)s has more values than there are "
                           "columns. Put values that contain the separator in quotes.",
                           row=row, table=label)
        raise ConnectorError(msg, f"{label} row {row}: extra cells {extra!r}")
    values = {col: _clean(cell) for col, cell in zip(header, cells, strict=False) if col}
    if all(v is None for v in values.values()):
        return None
    return values


def _sniff_delimiter(first_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Book:
    """Where tables come from: a folder of CSV files or an XLSX workbook."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def table_names(self) -> dict[str, str]:
        """Lower-cased table name -> the name to open."""
        raise NotImplementedError

    def signature(self) -> tuple[Any, ...]:
        """Changes whenever the data may have changed (for caching metadata)."""
        raise NotImplementedError

    def modified(self, name: str) -> datetime:
        """When a table last changed (file modification time)."""
        raise NotImplementedError

    def open(self, name: str) -> contextlib.AbstractContextManager[_Table]:
        raise NotImplementedError


class _CsvFolder(_Book):
    def _csv_files(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.path) as entries:
                return [e for e in entries if e.name.lower().endswith(".csv") and e.is_file()]
        except OSError as exc:
            raise _unreadable(self.path, exc) from exc

    def table_names(self) -> dict[str, str]:
        return {e.name[:-4].strip().lower(): e.name for e in self._csv_files()}

    def signature(self) -> tuple[Any, ...]:
        stats = []
        for entry in self._csv_files():
            st = entry.stat()
            stats.append((entry.name, st.st_mtime_ns, st.st_size))
        return ("folder", str(self.path), *sorted(stats))

    def modified(self, name: str) -> datetime:
        file = self.path / name
        try:
            return datetime.fromtimestamp(file.stat().st_mtime, UTC)
        except OSError as exc:
            raise _unreadable(file, exc) from exc

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[_Table]:
        file = self.path / name
        try:
            # utf-8-sig drops the BOM Excel writes; newline="" lets csv see quoted newlines.
            fh = file.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise _unreadable(file, exc) from exc
        with fh:
            try:
                first = fh.readline()
            except UnicodeDecodeError as exc:
                raise _not_utf8(name, exc) from exc
            except OSError as exc:
                raise _unreadable(file, exc) from exc
            reader = csv.reader(itertools.chain([first], fh), delimiter=_sniff_delimiter(first))
            header = _header(next(reader, []), name)
            yield _Table(name, header, self._rows(reader, header, name))

    @staticmethod
    def _rows(reader: Any, header: list[str],
              label: str) -> Iterator[tuple[int, dict[str, Any]]]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise _not_utf8(label, exc) from exc
            except csv.Error as exc:
                raise _bad_table(label, reader.line_num, str(exc)) from exc
            values = _row_values(header, cells, label, reader.line_num)
            if values is not None:
                yield reader.line_num, values


class _Workbook(_Book):
    def _load(self) -> Any:
        import openpyxl  # imported here: only XLSX connections pay for it

        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except OSError as exc:
            raise _unreadable(self.path, exc) from exc
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            # Translators: %(path)s is the file name of an Excel workbook.
            msg = lazy_gettext("%(path)s is not a valid Excel workbook (.xlsx). Open it in "
                               "Excel and save it again as an .xlsx workbook.",
                               path=self.path.name)
            raise ConnectorError(msg, f"{self.path}: {type(exc).__name__}: {exc}") from exc

    def table_names(self) -> dict[str, str]:
        wb = self._load()
        try:
            return {name.strip().lower(): name for name in wb.sheetnames}
        finally:
            wb.close()

    def signature(self) -> tuple[Any, ...]:
        try:
            st = self.path.stat()
        except OSError as exc:
            raise _unreadable(self.path, exc) from exc
        return ("xlsx", str(self.path), st.st_mtime_ns, st.st_size)

    def modified(self, name: str) -> datetime:
        return datetime.fromtimestamp(self.signature()[2] / 1e9, UTC)

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[_Table]:
        wb = self._load()
        label = f"{self.path.name} › {name}"
        try:
            cells = wb[name].iter_rows(values_only=True)
            header = _header(self._next(cells, label, 1) or (), label)
            yield _Table(label, header, self._rows(cells, header, label))
        finally:
            wb.close()

    @staticmethod
    def _next(cells: Iterator[tuple[Any, ...]], label: str, row: int) -> tuple[Any, ...] | None:
        try:
            return next(cells)
        except StopIteration:
            return None
        except Exception as exc:  # damaged sheet XML
            raise _bad_table(label, row, f"{type(exc).__name__}: {exc}") from exc

    def _rows(self, cells: Iterator[tuple[Any, ...]], header: list[str],
              label: str) -> Iterator[tuple[int, dict[str, Any]]]:
        for row in itertools.count(2):
            found = self._next(cells, label, row)
            if found is None:
                return
            values = _row_values(header, found, label, row)
            if values is not None:
                yield row, values


# ---------------------------------------------------------------- metadata


@dataclass(frozen=True)
class _Schema:
    """What one actor table looks like: its name, columns and fields."""

    table: str
    header: tuple[str, ...]
    fields: tuple[FieldMeta, ...]


def _translations(values: Mapping[str, Any], base: str = "NAME") -> dict[str, str]:
    """{"en": NAME, "nl": NAME_NL, ...} from a row of a lists/fields table."""
    names: dict[str, str] = {}
    for column, value in values.items():
        text = to_text(value)
        if not text:
            continue
        if column == base:
            names.setdefault("en", text)
        elif column.startswith(base + "_"):
            names[column[len(base) + 1:].lower()] = text
    return names


def _actor_type_of(value: Any) -> ActorType | None:
    text = (to_text(value) or "").lower()
    for actor_type, names in ACTOR_TABLES.items():
        if text in names:
            return actor_type
    return None


def derived_field(key: str) -> FieldMeta:
    """The field of a column no ``fields`` table describes."""
    field_type, list_name = WELL_KNOWN_TYPES.get(key, (FieldType.TEXT, None))
    access = FieldAccess.READ_ONLY if key == MODIFIED_COLUMN else FieldAccess.NORMAL
    return FieldMeta(key=key, display_name=dict(WELL_KNOWN_FIELDS.get(key, {"en": key})),
                     type=field_type, list_name=list_name, access=access)


# ---------------------------------------------------------------- the connector


class WorkbookConnector(Connector):
    """Actors from CSV files in a folder or from the sheets of an XLSX workbook."""

    name = "workbook"
    display_name = lazy_pgettext("connector", "Workbook (CSV or Excel)")

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__(config)
        self._cache: dict[str, tuple[tuple[Any, ...], Any]] = {}

    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        return [FieldMeta(
            key="path",
            display_name=lazy_gettext("Folder or Excel workbook"),
            type=FieldType.TEXT,
            access=FieldAccess.MANDATORY,
            help_text=lazy_gettext("A folder with customer.csv, supplier.csv and person.csv, "
                                   "or an .xlsx workbook with sheets of those names."),
        )]

    # -- opening -----------------------------------------------------------------
    def _book(self) -> _Book:
        raw = str(self.config.get("path") or "").strip()
        if not raw:
            raise ConnectorError(lazy_gettext("No folder or workbook is set for this "
                                              "connection."), "config 'path' is empty")
        path = Path(raw).expanduser()
        if not path.exists():
            # Translators: %(path)s is the folder or workbook of a Workbook connection.
            msg = lazy_gettext("The folder or workbook %(path)s does not exist.", path=str(path))
            raise ConnectorError(msg, f"{path}: not found")
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                raise _unreadable(path, "permission denied")
            return _CsvFolder(path)
        if path.suffix.lower() in XLSX_SUFFIXES:
            if not os.access(path, os.R_OK):
                raise _unreadable(path, "permission denied")
            return _Workbook(path)
        # Translators: %(path)s is the path configured for a Workbook connection.
        msg = lazy_gettext("%(path)s is neither a folder nor an Excel workbook (.xlsx).",
                           path=str(path))
        raise ConnectorError(msg, f"{path}: unsupported file type")

    def _cached(self, book: _Book, what: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, reused while the files keep their size and time stamp."""
        signature = book.signature()
        hit = self._cache.get(what)
        if hit is not None and hit[0] == signature:
            return hit[1]
        value = compute()
        self._cache[what] = (signature, value)
        return value

    def _tables(self, book: _Book) -> dict[str, str]:
        return self._cached(book, "tables", book.table_names)

    @staticmethod
    def _find(tables: Mapping[str, str], names: Iterable[str]) -> str | None:
        return next((tables[n] for n in names if n in tables), None)

    # -- metadata -----------------------------------------------------------------
    def actor_types(self) -> list[ActorType]:
        tables = self._tables(self._book())
        return [t for t, names in ACTOR_TABLES.items() if self._find(tables, names)]

    def fields(self, actor_type: ActorType) -> list[FieldMeta]:
        return list(self._schema(self._book(), _as_actor_type(actor_type)).fields)

    def _schema(self, book: _Book, actor_type: ActorType) -> _Schema:
        return self._cached(book, f"schema:{actor_type.value}",
                            lambda: self._read_schema(book, actor_type))

    def _read_schema(self, book: _Book, actor_type: ActorType) -> _Schema:
        table = self._find(self._tables(book), ACTOR_TABLES[actor_type])
        if table is None:
            # Translators: %(actor_type)s is "Customers", "Suppliers" or "Persons".
            msg = lazy_gettext("%(actor_type)s: the workbook of this connection has no "
                               "sheet or file for them.", actor_type=actor_type.label)
            raise ConnectorError(msg, f"no table {ACTOR_TABLES[actor_type]} in {book.path}")
        with book.open(table) as opened:
            header = tuple(opened.header)
            label = opened.label
        if KEY_COLUMN not in header:
            # Translators: %(table)s is a file or sheet name; ERPKEY is a column name.
            msg = lazy_gettext("%(table)s has no ERPKEY column: every row needs the key "
                               "of the actor in the ERP.", table=label)
            raise ConnectorError(msg, f"{label}: columns {list(header)}")
        described = self._field_specs(book)
        fields = []
        for column in header:
            if not column or column in META_COLUMNS:
                continue
            spec = (described.get(actor_type, {}).get(column)
                    or described.get(None, {}).get(column)
                    or derived_field(column))
            fields.append(spec)
        return _Schema(table, header, tuple(fields))

    def _field_specs(self, book: _Book) -> dict[ActorType | None, dict[str, FieldMeta]]:
        return self._cached(book, "fields", lambda: self._read_field_specs(book))

    def _read_field_specs(self, book: _Book) -> dict[ActorType | None, dict[str, FieldMeta]]:
        table = self._find(self._tables(book), FIELD_TABLES)
        specs: dict[ActorType | None, dict[str, FieldMeta]] = {}
        if table is None:
            return specs
        with book.open(table) as opened:
            for row, values in opened.rows:
                key = (to_text(values.get("KEY")) or "").upper()
                if not key:
                    continue
                raw_type = to_text(values.get("ACTORTYPE"))
                actor_type = None if raw_type in (None, "*") else _actor_type_of(raw_type)
                if raw_type not in (None, "*") and actor_type is None:
                    raise _bad_table(opened.label, row, f"unknown ACTORTYPE {raw_type!r}")
                specs.setdefault(actor_type, {})[key] = self._field_spec(
                    key, values, opened.label, row)
        return specs

    @staticmethod
    def _field_spec(key: str, values: Mapping[str, Any], label: str, row: int) -> FieldMeta:
        default = derived_field(key)
        raw_type = (to_text(values.get("TYPE")) or "").lower()
        field_type = TYPE_ALIASES.get(raw_type) if raw_type else default.type
        if field_type is None:
            # Translators: %(type)s is a field type from a "fields" table; %(types)s the valid ones.
            msg = lazy_gettext("Row %(row)s of %(table)s: unknown field type “%(type)s”. Use "
                               "one of: %(types)s.", row=row, table=label, type=raw_type,
                               types=", ".join(t.value for t in FieldType))
            raise ConnectorError(msg, f"{label} row {row}: TYPE {raw_type!r}")
        list_name = to_text(values.get("LIST"))
        if field_type is FieldType.LIST:
            list_name = list_name or default.list_name or key.lower()
        raw_length = values.get("MAXLENGTH")
        try:
            max_length = int(float(raw_length)) if to_text(raw_length) else None
        except ValueError as exc:
            raise _bad_table(label, row, f"MAXLENGTH {raw_length!r}") from exc
        raw_access = (to_text(values.get("ACCESS")) or "").lower().replace("-", "")
        try:
            access = FieldAccess(raw_access) if raw_access else default.access
        except ValueError as exc:
            raise _bad_table(label, row, f"ACCESS {raw_access!r}") from exc
        return FieldMeta(key=key, display_name=_translations(values) or default.display_name,
                         type=field_type, list_name=list_name if field_type is FieldType.LIST
                         else None, max_length=max_length, access=access)

    # -- lists ------------------------------------------------------------------------
    def list_items(self, list_name: str) -> list[ListItem]:
        return list(self._lists(self._book()).get(list_name.strip().lower(), ()))

    def _lists(self, book: _Book) -> dict[str, tuple[ListItem, ...]]:
        return self._cached(book, "lists", lambda: self._read_lists(book))

    def _read_lists(self, book: _Book) -> dict[str, tuple[ListItem, ...]]:
        table = self._find(self._tables(book), LIST_TABLES)
        if table is None:
            return {}
        lists: dict[str, list[ListItem]] = {}
        with book.open(table) as opened:
            missing = {"LIST", "KEY"} - set(opened.header)
            if missing:
                # Translators: %(table)s is a file or sheet name; %(columns)s column names.
                msg = lazy_gettext("%(table)s needs the columns %(columns)s.",
                                   table=opened.label, columns="LIST, KEY, NAME")
                raise ConnectorError(msg, f"{opened.label}: missing {sorted(missing)}")
            for _row, values in opened.rows:
                list_name, key = to_text(values.get("LIST")), to_text(values.get("KEY"))
                if not list_name or not key:
                    continue
                names = _translations(values) or {"en": key}
                lists.setdefault(list_name.lower(), []).append(ListItem(key=key, name=names))
        return {name: tuple(items) for name, items in lists.items()}

    def _list_resolver(self, book: _Book) -> Callable[[str | None, str], str]:
        """Map a list value - a key or an item's name in any language - to the
        item's key (case-folded), so criteria and cells may use either."""
        canonical: dict[str, dict[str, str]] = {}
        for list_name, items in self._lists(book).items():
            aliases = canonical.setdefault(list_name, {})
            for item in items:
                for name in item.name.values():
                    aliases.setdefault(name.casefold(), item.key.casefold())
            for item in items:  # keys win over names
                aliases[item.key.casefold()] = item.key.casefold()

        def resolve(list_name: str | None, value: str) -> str:
            folded = value.casefold()
            return canonical.get((list_name or "").lower(), {}).get(folded, folded)

        return resolve

    # -- rows and actors ------------------------------------------------------------
    def _rows(self, book: _Book, schema: _Schema) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(table label, row number, values) of every row with an ERP key."""
        with book.open(schema.table) as opened:
            for row, values in opened.rows:
                if to_text(values.get(KEY_COLUMN)) is None:
                    # Translators: %(row)s is a row number, %(table)s a file or sheet name.
                    msg = lazy_gettext("Row %(row)s of %(table)s has no ERPKEY.",
                                       row=row, table=opened.label)
                    raise ConnectorError(msg, f"{opened.label} row {row}: empty ERPKEY")
                yield opened.label, row, values

    @staticmethod
    def _actor(actor_type: ActorType, schema: _Schema, label: str, row: int,
               values: Mapping[str, Any]) -> ErpActor:
        with _cells_of(label, row):
            fields = {f.key: typed_value(f, values.get(f.key)) for f in schema.fields}
            modified = _modified(values)
        actor = ErpActor(actor_type=actor_type, key=str(to_text(values[KEY_COLUMN])),
                         fields=fields, last_modified=modified)
        parent_key = to_text(values.get(PARENT_KEY_COLUMN))
        if actor_type is ActorType.PERSON and parent_key:
            raw_type = to_text(values.get(PARENT_TYPE_COLUMN))
            parent_type = _actor_type_of(raw_type) if raw_type else ActorType.CUSTOMER
            if parent_type is None or not parent_type.is_company:
                # Translators: %(value)s is a PARENTTYPE cell; keep "customer" and "supplier".
                msg = lazy_gettext("Row %(row)s of %(table)s: PARENTTYPE “%(value)s” must be "
                                   "customer or supplier.", row=row, table=label, value=raw_type)
                raise ConnectorError(msg, f"{label} row {row}: PARENTTYPE {raw_type!r}")
            actor.parent_type, actor.parent_key = parent_type, parent_key
        return actor

    def search(self, actor_type: ActorType, restrictions: list[Restriction],
               offset: int = 0, limit: int = 50) -> SearchPage:
        """One page of the rows matching every restriction, in file order, with
        the total number of matches."""
        actor_type = _as_actor_type(actor_type)
        if offset < 0 or limit < 0:
            raise ConnectorError(lazy_gettext("The search page is out of range."),
                                 f"offset={offset} limit={limit}")
        page: list[ErpActor] = []
        total = 0
        with contextlib.closing(self._matching_rows(actor_type, restrictions)) as rows:
            for schema, label, row, values in rows:
                if offset <= total < offset + limit:
                    page.append(self._actor(actor_type, schema, label, row, values))
                total += 1
        return SearchPage(actors=page, total=total, offset=offset, limit=limit)

    def iter_search(self, actor_type: ActorType, restrictions: list[Restriction],
                    page_size: int = 500) -> Iterator[ErpActor]:
        """Every match in one pass over the file (the base class would read it
        again for every page). Criteria are checked before the first actor."""
        actor_type = _as_actor_type(actor_type)
        rows = self._matching_rows(actor_type, restrictions)

        def generate() -> Iterator[ErpActor]:
            with contextlib.closing(rows):
                for schema, label, row, values in rows:
                    yield self._actor(actor_type, schema, label, row, values)

        return generate()

    def _matching_rows(self, actor_type: ActorType, restrictions: Sequence[Restriction],
                       ) -> Iterator[tuple[_Schema, str, int, dict[str, Any]]]:
        """Compile the criteria now (errors surface at once), then stream the
        rows that match them."""
        book = self._book()
        schema = self._schema(book, actor_type)
        matches = compile_restrictions(schema.fields, restrictions, self._list_resolver(book))

        def generate() -> Iterator[tuple[_Schema, str, int, dict[str, Any]]]:
            with contextlib.closing(self._rows(book, schema)) as rows:
                for label, row, values in rows:
                    with _cells_of(label, row):
                        if not matches(values):
                            continue
                    yield schema, label, row, values

        return generate()

    def get_actors(self, actor_type: ActorType, keys: Iterable[str]) -> list[ErpActor]:
        """Actors by ERP key, in the order asked; unknown keys are left out (the
        first row wins when a key appears twice)."""
        actor_type = _as_actor_type(actor_type)
        wanted = list(dict.fromkeys(str(k).strip() for k in keys))
        if not wanted:
            return []
        book = self._book()
        schema = self._schema(book, actor_type)
        remaining = set(wanted)
        found: dict[str, ErpActor] = {}
        # closing(): stopping early must close the file now, not at garbage collection.
        with contextlib.closing(self._rows(book, schema)) as rows:
            for label, row, values in rows:
                key = str(to_text(values[KEY_COLUMN]))
                if key in remaining:
                    found[key] = self._actor(actor_type, schema, label, row, values)
                    remaining.discard(key)
                    if not remaining:
                        break
        return [found[k] for k in wanted if k in found]

    def changed_since(self, actor_type: ActorType, since: datetime) -> Iterator[ErpActor]:
        """Actors whose LASTMODIFIED is after ``since`` (naive means UTC). A row
        without LASTMODIFIED counts as changed when its file last changed."""
        actor_type = _as_actor_type(actor_type)
        book = self._book()
        schema = self._schema(book, actor_type)
        after = since if since.tzinfo else since.replace(tzinfo=UTC)
        file_changed = book.modified(schema.table)

        def generate() -> Iterator[ErpActor]:
            with contextlib.closing(self._rows(book, schema)) as rows:
                for label, row, values in rows:
                    with _cells_of(label, row):
                        modified = _modified(values) or file_changed
                    if modified > after:
                        yield self._actor(actor_type, schema, label, row, values)

        return generate()

    # -- connection test -----------------------------------------------------------
    def test(self) -> TestResult:
        """Reads every table's header and the lists: the errors an admin would
        otherwise meet in the search dialog show up here."""
        try:
            book = self._book()
            types = self.actor_types()
            if not types:
                msg = lazy_gettext("No customer, supplier or person file or sheet was found.")
                return TestResult(ok=False, message=msg, technical=f"{book.path}: no tables")
            for actor_type in types:
                self._schema(book, actor_type)
            self._lists(book)
        except ConnectorError as exc:
            return TestResult(ok=False, message=exc.user_message, technical=exc.technical)
        return TestResult(ok=True, message=LazyString(_found_types, tuple(types)),
                          technical=str(book.path))


def _modified(values: Mapping[str, Any]) -> datetime | None:
    raw = values.get(MODIFIED_COLUMN)
    try:
        return parse_datetime(raw)
    except ValueError as exc:
        raise BadValue(MODIFIED_COLUMN, raw, FieldType.DATETIME) from exc


def _as_actor_type(value: ActorType | str) -> ActorType:
    try:
        return ActorType(value)
    except ValueError:
        # Translators: %(actor_type)s is an unknown actor type name.
        msg = lazy_gettext("Unknown actor type: %(actor_type)s.", actor_type=value)
        raise ConnectorError(msg, f"actor type {value!r}") from None


@hookimpl
def erpsync_connectors(erpsync: Any) -> list[type[Connector]]:
    """The Workbook connector, registered like any third-party connector."""
    return [WorkbookConnector]

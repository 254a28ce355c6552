"""A small hand-made ERP workbook whose every row is known, written as a plain
CSV folder, as Excel's semicolon + BOM "CSV UTF-8" flavour, or as an XLSX
workbook with typed cells, so the same tests run against all three."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

CUSTOMER_COLUMNS = ["ERPKEY", "NAME", "POSTALCITY", "COUNTRY", "CATEGORY", "CREDITLIMIT",
                    "EMPLOYEES", "BLOCKED", "LASTMODIFIED"]
CUSTOMERS = [
    {"ERPKEY": "C1", "NAME": "Bjørnstad Rørlegger AS", "POSTALCITY": "Bergen", "COUNTRY": "NO",
     "CATEGORY": "key", "CREDITLIMIT": "25000", "EMPLOYEES": "12", "BLOCKED": "0",
     "LASTMODIFIED": "2025-01-15T10:00:00+00:00"},
    {"ERPKEY": "C2", "NAME": "Van der Ploeg & Zonen B.V.", "POSTALCITY": "Rotterdam",
     "COUNTRY": "NL", "CATEGORY": "a", "CREDITLIMIT": "1500.5", "EMPLOYEES": "40",
     "BLOCKED": "0", "LASTMODIFIED": "2025-01-15T18:30:00+00:00"},
    {"ERPKEY": "C3", "NAME": "IJsselmeer Visserij", "POSTALCITY": "Urk", "COUNTRY": "NL",
     "CATEGORY": "prospect", "CREDITLIMIT": "", "EMPLOYEES": "3", "BLOCKED": "1",
     "LASTMODIFIED": "2024-12-31T23:30:00+00:00"},
    # The category holds an item's name instead of its key; the time has an offset.
    {"ERPKEY": "C4", "NAME": "Café Løvenskiold", "POSTALCITY": "Oslo", "COUNTRY": "NO",
     "CATEGORY": "A customer", "CREDITLIMIT": "0", "EMPLOYEES": "25", "BLOCKED": "0",
     "LASTMODIFIED": "2025-02-01T00:30:00+01:00"},
    # Empty cells everywhere they may be.
    {"ERPKEY": "C5", "NAME": "café noir", "POSTALCITY": "Tromsø", "COUNTRY": "",
     "CATEGORY": "", "CREDITLIMIT": "250000", "EMPLOYEES": "", "BLOCKED": "",
     "LASTMODIFIED": ""},
]
SUPPLIER_COLUMNS = ["ERPKEY", "NAME", "POSTALCITY", "LASTMODIFIED"]
SUPPLIERS = [
    {"ERPKEY": "S1", "NAME": "Nordlys Sjømat AS", "POSTALCITY": "Ålesund",
     "LASTMODIFIED": "2025-03-01T08:00:00+00:00"},
]
PERSON_COLUMNS = ["ERPKEY", "PARENTKEY", "PARENTTYPE", "FIRSTNAME", "MIDDLENAME", "LASTNAME",
                  "EMAIL", "LASTMODIFIED"]
PERSONS = [
    {"ERPKEY": "P1", "PARENTKEY": "C1", "PARENTTYPE": "", "FIRSTNAME": "Øystein",
     "MIDDLENAME": "", "LASTNAME": "Sæther", "EMAIL": "oystein@bjornstad.no",
     "LASTMODIFIED": "2025-01-20T09:00:00+00:00"},
    {"ERPKEY": "P2", "PARENTKEY": "S1", "PARENTTYPE": "supplier", "FIRSTNAME": "Åse",
     "MIDDLENAME": "", "LASTNAME": "Løvås", "EMAIL": "", "LASTMODIFIED": ""},
    {"ERPKEY": "P3", "PARENTKEY": "", "PARENTTYPE": "", "FIRSTNAME": "Renée",
     "MIDDLENAME": "van der", "LASTNAME": "Ploeg", "EMAIL": "renee@example.nl",
     "LASTMODIFIED": "2024-06-01T12:00:00+00:00"},
]
LIST_COLUMNS = ["LIST", "KEY", "NAME", "NAME_nl", "NAME_no"]
LISTS = [
    {"LIST": "category", "KEY": "key", "NAME": "Key account", "NAME_nl": "Key account",
     "NAME_no": "Nøkkelkunde"},
    {"LIST": "category", "KEY": "a", "NAME": "A customer", "NAME_nl": "A-klant",
     "NAME_no": "A-kunde"},
    {"LIST": "category", "KEY": "prospect", "NAME": "Prospect", "NAME_nl": "Prospect",
     "NAME_no": "Prospekt"},
]
FIELD_COLUMNS = ["ACTORTYPE", "KEY", "NAME", "NAME_nl", "NAME_no", "TYPE", "LIST", "MAXLENGTH"]
FIELDS = [
    {"ACTORTYPE": "customer", "KEY": "NAME", "NAME": "Company name", "NAME_nl": "Bedrijfsnaam",
     "NAME_no": "Firmanavn", "TYPE": "text", "LIST": "", "MAXLENGTH": "200"},
    {"ACTORTYPE": "customer", "KEY": "CREDITLIMIT", "NAME": "Credit limit",
     "NAME_nl": "Kredietlimiet", "NAME_no": "Kredittgrense", "TYPE": "double", "LIST": "",
     "MAXLENGTH": ""},
    {"ACTORTYPE": "customer", "KEY": "EMPLOYEES", "NAME": "Employees", "NAME_nl": "Medewerkers",
     "NAME_no": "Ansatte", "TYPE": "integer", "LIST": "", "MAXLENGTH": ""},
    {"ACTORTYPE": "customer", "KEY": "BLOCKED", "NAME": "Blocked", "NAME_nl": "Geblokkeerd",
     "NAME_no": "Sperret", "TYPE": "checkbox", "LIST": "", "MAXLENGTH": ""},
    # No ACTORTYPE: applies to every type.
    {"ACTORTYPE": "", "KEY": "CATEGORY", "NAME": "Category", "NAME_nl": "Categorie",
     "NAME_no": "Kategori", "TYPE": "list", "LIST": "category", "MAXLENGTH": ""},
]
NUMBER_COLUMNS = {"CREDITLIMIT", "EMPLOYEES"}

TABLES = {
    "customer": (CUSTOMER_COLUMNS, CUSTOMERS),
    "supplier": (SUPPLIER_COLUMNS, SUPPLIERS),
    "person": (PERSON_COLUMNS, PERSONS),
    "lists": (LIST_COLUMNS, LISTS),
    "fields": (FIELD_COLUMNS, FIELDS),
}
FORMATS = ("csv", "csv-semicolon-bom", "xlsx")


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]], *,
              delimiter: str = ",", bom: bool = False, decimal_comma: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row[c].replace(".", ",") if decimal_comma and c in NUMBER_COLUMNS
                             else row[c] for c in columns])
    return path


def write_folder(folder: Path, fmt: str = "csv", tables: tuple[str, ...] = tuple(TABLES)) -> Path:
    """The tables as CSV files; ``csv-semicolon-bom`` writes what Dutch and
    Norwegian Excel writes: a BOM, semicolons, decimal commas."""
    folder.mkdir(parents=True, exist_ok=True)
    excel = fmt == "csv-semicolon-bom"
    for name in tables:
        columns, rows = TABLES[name]
        write_csv(folder / f"{name}.csv", columns, rows, delimiter=";" if excel else ",",
                  bom=excel, decimal_comma=excel)
    return folder


def write_xlsx(path: Path, tables: tuple[str, ...] = tuple(TABLES)) -> Path:
    """The tables as sheets with typed cells where Excel would type them: numbers,
    booleans, and UTC time stamps as (naive) date cells; C4's time stamp with an
    offset stays text."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name in tables:
        columns, rows = TABLES[name]
        sheet = wb.create_sheet(name.capitalize() if name == "person" else name)
        sheet.append(columns)
        for row in rows:
            sheet.append([_typed(c, row[c]) if name in ("customer", "supplier", "person")
                          else (row[c] or None) for c in columns])
    wb.save(path)
    return path


def _typed(column: str, value: str) -> object:
    if value == "":
        return None
    if column in NUMBER_COLUMNS:
        number = float(value)
        return int(number) if number.is_integer() else number
    if column == "BLOCKED":
        return value == "1"
    if column == "LASTMODIFIED" and value.endswith("+00:00"):
        return datetime.fromisoformat(value).replace(tzinfo=None)
    return value


def write_format(base: Path, fmt: str, tables: tuple[str, ...] = tuple(TABLES)) -> Path:
    """The workbook in ``fmt``; returns the connection's ``path``."""
    if fmt == "xlsx":
        return write_xlsx(base / "erp.xlsx", tables)
    return write_folder(base / "erp", fmt, tables)

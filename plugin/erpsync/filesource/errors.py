"""Failures of the File source, as values the dialogs and the CLI can show."""

from __future__ import annotations

from typing import Any

from ..i18n import lazy_gettext


class FileSourceError(Exception):
    """A file cannot be imported as it is. ``user_message`` is localized (a
    LazyString); ``technical`` goes to the log and the "Technical details"."""

    def __init__(self, user_message: Any, technical: str = "") -> None:
        super().__init__(technical or str(user_message))
        self.user_message = user_message
        self.technical = technical


def empty_file(name: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file.
    return FileSourceError(lazy_gettext("%(file)s is empty. Choose a file with column names "
                                        "in the first row and one actor per row.", file=name),
                           f"{name}: no content")


def not_a_table(name: str, technical: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file.
    return FileSourceError(lazy_gettext("%(file)s is neither a CSV file nor an Excel workbook "
                                        "(.xlsx). Save it as CSV or .xlsx and try again.",
                                        file=name), f"{name}: {technical}")


def old_excel(name: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file.
    return FileSourceError(lazy_gettext("%(file)s is an old Excel workbook (.xls). Open it in "
                                        "Excel and save it as an .xlsx workbook or as CSV.",
                                        file=name), f"{name}: OLE2 compound file")


def bad_workbook(name: str, technical: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file.
    return FileSourceError(lazy_gettext("%(file)s is not a valid Excel workbook (.xlsx). Open "
                                        "it in Excel and save it again as an .xlsx workbook.",
                                        file=name), f"{name}: {technical}")


def no_rows(name: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file (or a sheet of it).
    return FileSourceError(lazy_gettext("%(file)s has column names but no rows to import.",
                                        file=name), f"{name}: header only")


def extra_cells(name: str, row: int, extra: list[Any]) -> FileSourceError:
    # Translators: %(row)s is a row number (the column names are row 1), %(file)s a file name.
    msg = lazy_gettext("Row %(row)s of %(file)s has more values than there are columns. Put "
                       "values that contain the separator in quotes, or give every column a "
                       "name in the first row.", row=row, file=name)
    return FileSourceError(msg, f"{name} row {row}: extra cells {extra[:5]!r}"[:500])


def bad_row(name: str, row: int, technical: str) -> FileSourceError:
    # Translators: %(row)s is a row number, %(file)s a file name.
    msg = lazy_gettext("Row %(row)s of %(file)s cannot be read. Check for a quote (\") that is "
                       "not closed.", row=row, file=name)
    return FileSourceError(msg, f"{name} row {row}: {technical}"[:500])


def unreadable(name: str, technical: str) -> FileSourceError:
    # Translators: %(file)s is the name of an uploaded file.
    return FileSourceError(lazy_gettext("%(file)s cannot be read.", file=name),
                           f"{name}: {technical}")


def unknown_sheet(name: str, sheet: str, sheets: list[str]) -> FileSourceError:
    # Translators: %(sheet)s is a sheet name; %(file)s a workbook; %(sheets)s its sheets.
    msg = lazy_gettext("%(file)s has no sheet “%(sheet)s”. Its sheets: %(sheets)s.",
                       file=name, sheet=sheet, sheets=", ".join(sheets))
    return FileSourceError(msg, f"{name}: no sheet {sheet!r}")


def missing_key(name: str, row: int, column: str) -> FileSourceError:
    # Translators: %(row)s is a row number, %(file)s a file name, %(column)s a column name.
    msg = lazy_gettext("Row %(row)s of %(file)s has no value in the key column %(column)s. "
                       "Fill it in, or import without a key column.",
                       row=row, file=name, column=column)
    return FileSourceError(msg, f"{name} row {row}: empty key")


def long_key(name: str, row: int, column: str, limit: int) -> FileSourceError:
    # Translators: %(row)s is a row number, %(column)s a column name, %(num)s a length.
    msg = lazy_gettext("Row %(row)s of %(file)s: the key in column %(column)s is longer than "
                       "%(num)s characters.", row=row, file=name, column=column, num=limit)
    return FileSourceError(msg, f"{name} row {row}: key too long")

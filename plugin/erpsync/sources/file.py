"""The **File** import source, a built-in plugin registered like any other.

It puts the File button on the **Select an import source** screen and serves
the upload and column-mapping dialogs (:mod:`erpsync.filesource.dialogs`).
What comes after - staged list, import settings, preview, import, result and
selections - are the shared pages every source uses; the engine does not know
which source staged the rows (``import_run.source`` is ``"file"``).
"""

from __future__ import annotations

from typing import Any

from .. import hookimpl
from ..filesource.importing import SOURCE_KEY
from ..i18n import lazy_gettext, lazy_pgettext
from .base import ImportSource

#: First dialog of the source, relative to the erpsync mount.
START_PATH = "/file/upload"

__all__ = ["SOURCE_KEY", "START_PATH", "erpsync_import_sources", "erpsync_routes"]


@hookimpl
def erpsync_import_sources(erpsync: Any) -> list[ImportSource]:
    return [ImportSource(
        key=SOURCE_KEY,
        label=lazy_pgettext("import source", "File"),
        url=START_PATH,
        icon="/static/icons/import-file.svg",
        description=lazy_gettext("Customers, suppliers or persons from a CSV file or an "
                                 "Excel workbook"),
        order=20,
    )]


@hookimpl
def erpsync_routes(erpsync: Any) -> list[Any]:
    from ..filesource import dialogs

    return dialogs.routes(erpsync)

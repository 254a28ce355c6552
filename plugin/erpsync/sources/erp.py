"""The **ERP Sync** import source, a built-in plugin registered like any other.

It puts the ERP Sync button on the **Select an import source** screen and
serves the ERP dialogs (:mod:`erpsync.ui.erp_dialogs`). The button is inactive
while ERP synchronization is on (Quote/Sync › Sync tab): the source asks the
host through the ``erpsync_setting`` hook.
"""

from __future__ import annotations

from typing import Any

from .. import hookimpl
from ..i18n import lazy_gettext, lazy_pgettext
from .base import ImportSource

#: Key of this source: ``import_run.source`` of its imports.
SOURCE_KEY = "erp"
#: First dialog of the wizard, relative to the erpsync mount.
START_PATH = "/erp/select-connection"

SYNC_ON_REASON = lazy_gettext(
    "ERP synchronization is on. Importing from the ERP is not possible while it is "
    "on: switch it off in Quote/Sync › Sync tab first.")
SYNC_TAB_LABEL = lazy_pgettext("link", "Quote/Sync › Sync tab")


def sync_blocks_import(erpsync: Any) -> bool:
    """True while ERP synchronization is on (then ERP Sync import is inactive)."""
    return bool(erpsync.setting("erp_sync_enabled"))


@hookimpl
def erpsync_import_sources(erpsync: Any) -> list[ImportSource]:
    blocked = sync_blocks_import(erpsync)
    return [ImportSource(
        key=SOURCE_KEY,
        label=lazy_pgettext("import source", "ERP Sync"),
        url=START_PATH,
        icon="/static/icons/import-erp.svg",
        description=lazy_gettext("Customers, suppliers and persons from an ERP system"),
        order=10,
        enabled=not blocked,
        disabled_reason=SYNC_ON_REASON if blocked else None,
        disabled_link=erpsync.host_url("sync_settings") if blocked else None,
        disabled_link_label=SYNC_TAB_LABEL if blocked else None,
    )]


@hookimpl
def erpsync_routes(erpsync: Any) -> list[Any]:
    from ..ui import erp_changed, erp_dialogs

    return [*erp_dialogs.routes(erpsync), *erp_changed.routes(erpsync)]

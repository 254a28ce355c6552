"""Built-in answers to host hooks, used when the host gives none (``trylast``)."""

from __future__ import annotations

from typing import Any

from . import hookimpl

_DEFAULT_SETTINGS: dict[str, Any] = {
    "erp_sync_enabled": False,
    "default_locale": "en",
}


@hookimpl(trylast=True)
def erpsync_setting(erpsync: Any, name: str) -> Any:
    return _DEFAULT_SETTINGS.get(name)

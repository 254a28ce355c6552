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


@hookimpl(trylast=True)
def erpsync_csrf_token(erpsync: Any, request: Any) -> str | None:
    # A Starlette session, when the host has one (see erpsync.security).
    from .security import session_csrf_token

    return session_csrf_token(request)

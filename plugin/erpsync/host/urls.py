"""The reference host's URLs, in one place (pages, hooks and templates use them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

#: Where the erpsync ASGI app (every plugin route) is mounted.
PLUGIN_MOUNT = "/erpsync"
STATIC_MOUNT = "/static"

_PATHS: dict[str, str] = {
    "home": "/",
    "login": "/login",
    "logout": "/logout",
    "settings": "/settings",
    "import_sources": "/settings/import",
    "quote_sync": "/settings/quote-sync",
    "sync_settings": "/settings/quote-sync?tab=sync",
    "connections": "/settings/connections",
    "connection_add": "/settings/connections/add",
    "connection_edit": "/settings/connections/{id}/edit",
    "connection_test": "/settings/connections/{id}/test",
    "connection_active": "/settings/connections/{id}/active",
    "connection_delete": "/settings/connections/{id}/delete",
    "import_history": "/settings/imports",
    "import_detail": "/settings/imports/{id}",
    "selections": "/settings/selections",
    "selection": "/settings/selections/{id}",
    "selection_delete": "/settings/selections/{id}/delete",
    # Pages of the plugin app that the host's pages link to.
    "pending_import": PLUGIN_MOUNT + "/imports/{id}/staged",
    # The help pages of docs/help (topic = page name), served by the plugin.
    "help": PLUGIN_MOUNT + "/help/{topic}",
    "import_result": PLUGIN_MOUNT + "/imports/{id}/result",
}


def url_for(name: str, **params: Any) -> str | None:
    """The path of the host page ``name``; placeholders such as ``{id}`` are
    filled from ``params`` and any other params become the query string.
    None for an unknown name or a missing placeholder."""
    template = _PATHS.get(name)
    if template is None:
        return None
    used: set[str] = set()
    path = template
    for key, value in params.items():
        marker = "{" + key + "}"
        if marker in path:
            path = path.replace(marker, quote(str(value), safe=""))
            used.add(key)
    if "{" in path:
        return None
    extra = {k: v for k, v in params.items() if k not in used and v is not None}
    if extra:
        path += ("&" if "?" in path else "?") + urlencode(extra)
    return path


def plugin_href(path: str | None) -> str | None:
    """A path inside the erpsync ASGI app as a host URL (absolute URLs pass through)."""
    if not path:
        return None
    if "://" in path or path.startswith(PLUGIN_MOUNT + "/"):
        return path
    return PLUGIN_MOUNT + "/" + path.lstrip("/")


def icon_href(icon: str | None) -> str | None:
    """An import source's icon as a host URL: ``/static/...`` is erpsync's own
    static folder, which the host serves at :data:`STATIC_MOUNT`; any other path
    is inside the erpsync app (:func:`plugin_href`)."""
    if icon and icon.startswith(STATIC_MOUNT + "/"):
        return icon
    return plugin_href(icon)


def safe_next(target: str | None, default: str = "/settings") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target

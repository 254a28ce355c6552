"""What the host's page chrome (``templates/host/layout.html``) needs from a request.

Installed as the Jinja global ``host`` on erpsync's renderer, so the layout works
for the host's own pages and for the plugin's pages (which extend it through the
``erpsync/layout.html`` override) alike: both only have to pass ``request``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from .. import i18n
from ..app import CurrentUser
from . import web
from .urls import STATIC_MOUNT, plugin_href, url_for


class HostChrome:
    """Template helpers: ``host.user(request)``, ``host.url("settings")``, ..."""

    def __init__(self, erpsync: Any) -> None:
        self._erpsync = erpsync

    def user(self, request: Request | None) -> CurrentUser | None:
        if request is None or "session" not in request.scope:
            return None
        return self._erpsync.current_user(request)

    def url(self, name: str, **params: Any) -> str:
        found = url_for(name, **params)
        if found is None:
            raise KeyError(f"no host URL named {name!r}")
        return found

    def static(self, path: str) -> str:
        return f"{STATIC_MOUNT}/{path.lstrip('/')}"

    def plugin_href(self, path: str | None) -> str | None:
        return plugin_href(path)

    def csrf_token(self, request: Request) -> str:
        return web.csrf_token(request)

    def flashes(self, request: Request | None) -> list[str]:
        return web.pop_flashes(request) if request is not None else []

    def language_links(self, request: Request | None) -> list[dict[str, Any]]:
        """One link per language: the current page (GET) with ``?lang=`` set."""
        current = i18n.get_locale()
        links = []
        for code in i18n.available_locales():
            if request is None:
                href = "?" + urlencode({"lang": code})
            else:
                keep = ([(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
                        if request.method == "GET" else [])
                href = request.url.path + "?" + urlencode([*keep, ("lang", code)])
            links.append({"code": code, "name": i18n.LANGUAGE_NAMES.get(code, code),
                          "href": href, "current": code == current})
        return links

"""The in-app help: the pages of ``docs/help`` (see :mod:`erpsync.helpdocs`) in
the admin's language, linked from every dialog.

Routes (relative to the erpsync mount): ``/help`` lists the pages,
``/help/{page}`` shows one (``?lang=`` picks the language like everywhere
else), ``/help/media/...`` serves their images.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from ..helpdocs import HelpDocs, HelpError
from ..i18n import LANGUAGE_NAMES, lazy_gettext
from ..paths import HELP_DIR
from .common import DialogError, admin_route

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

#: The help pages of the package (one instance: rendering keeps no state).
HELP = HelpDocs(HELP_DIR)


def routes(erpsync: ErpSync) -> list[BaseRoute]:
    """The help index, the pages and their images."""
    return [
        admin_route(erpsync, "/help", index_view, name="erpsync_help"),
        Mount("/help/media", StaticFiles(directory=HELP_DIR / "media", check_dir=False),
              name="erpsync_help_media"),
        admin_route(erpsync, "/help/{page}", page_view, name="erpsync_help_page"),
    ]


def help_url(erpsync: ErpSync, request: Request, name: str, language: str,
             fragment: str = "") -> str:
    """The URL of help page ``name`` in ``language`` (``#fragment`` optional)."""
    url = erpsync.url_for(request, "erpsync_help_page", query={"lang": language}, page=name)
    return f"{url}#{fragment}" if fragment else url


async def index_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    locale = erpsync.locale_for(request)
    entries = [
        {"title": e.title, "description": e.description, "language": e.language,
         "href": help_url(erpsync, request, e.name, locale)}
        for e in HELP.index(locale)
    ]
    return erpsync.render(request, "erpsync/help_index.html", entries=entries)


async def page_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    locale = erpsync.locale_for(request)
    name = request.path_params["page"]
    if not HELP.exists(name):
        raise DialogError(404, lazy_gettext("There is no help page with this name."),
                          title=lazy_gettext("Help page not found"),
                          back_url=erpsync.url_for(request, "erpsync_help"),
                          back_label=lazy_gettext("All help pages"))

    def page_url(page: str, language: str, fragment: str) -> str:
        return help_url(erpsync, request, page, language, fragment)

    def media_url(path: str) -> str:
        return erpsync.url_for(request, "erpsync_help_media", path=path)

    try:
        page = HELP.render(name, locale, page_url=page_url, media_url=media_url)
    except HelpError as exc:
        raise DialogError(500, lazy_gettext("This help page cannot be shown."),
                          technical=str(exc)) from exc
    return erpsync.render(request, "erpsync/help.html", page=page,
                          language_name=_language_name(locale),
                          others=_other_pages(erpsync, request, name, locale))


def _language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _other_pages(erpsync: ErpSync, request: Request, current: str,
                 locale: str) -> list[dict[str, Any]]:
    return [{"title": e.title, "href": help_url(erpsync, request, e.name, locale)}
            for e in HELP.index(locale) if e.name != current]

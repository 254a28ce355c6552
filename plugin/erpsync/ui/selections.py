"""A minimal selection page for hosts without their own (``erpsync_url`` gives
no ``"selection"``): the members of a selection, and deleting them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..engine.history import selection_title
from ..i18n import lazy_gettext
from .common import DialogError, Pager, admin_route, int_param, redirect, run_blocking

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

PAGE_SIZE = 50


def routes(erpsync: ErpSync) -> list[Route]:
    return [
        admin_route(erpsync, "/selections/{selection_id:int}", selection_view,
                    name="erpsync_selection"),
        admin_route(erpsync, "/selections/{selection_id:int}/delete", delete_view,
                    name="erpsync_selection_delete", methods=["GET", "POST"]),
    ]


async def _load(erpsync: ErpSync, request: Request) -> dict:
    selection = await run_blocking(erpsync.engine.get_selection,
                                   request.path_params["selection_id"])
    if not selection:
        raise DialogError(404, lazy_gettext("This selection does not exist."),
                          title=lazy_gettext("Selection not found"))
    # An import's selection is named in the language of the page, from its kind and date.
    return {**dict(selection), "name": selection_title(selection)}


def _member_count(selection: dict) -> int | None:
    for key in ("member_count", "count", "size"):
        if isinstance(selection.get(key), int):
            return selection[key]
    return None


async def selection_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    selection = await _load(erpsync, request)
    pager = Pager(int_param(request.query_params.get("page"), 1), PAGE_SIZE,
                  _member_count(selection))
    members = await run_blocking(erpsync.engine.selection_members, selection["id"],
                                 pager.offset, pager.size)
    pager.shown = len(members)
    return erpsync.render(
        request, "erpsync/selections/detail.html", selection=selection, members=members,
        pager=pager, deleted=int_param(request.query_params.get("deleted"), None, minimum=0))


async def delete_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    selection = await _load(erpsync, request)
    if request.method == "POST":
        deleted = await run_blocking(erpsync.engine.delete_selection_members, selection["id"])
        return redirect(erpsync.url_for(request, "erpsync_selection",
                                        selection_id=selection["id"],
                                        query={"deleted": deleted}))
    return erpsync.render(request, "erpsync/selections/delete.html", selection=selection,
                          count=_member_count(selection))

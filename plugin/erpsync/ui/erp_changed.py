"""**Re-import changed since the last import** (a button of the Select ERP
connection dialog): stages into the admin's pending ERP import only the actors
of the chosen type that the ERP changed since the last import of that type from
that connection (``connector.changed_since``, with a small overlap window, see
:data:`erpsync.engine.history.CHANGED_SINCE_OVERLAP`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..connectors.base import ACTOR_TYPE_LABELS, ConnectorError, ErpActor
from ..i18n import LazyString, gettext, lazy_gettext
from ..sources.erp import SOURCE_KEY
from .common import DialogError, admin_route, redirect, run_blocking
from .erp_dialogs import _open_search, _stage_parents, _sync_guard, connector_call

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

NOT_SUPPORTED = lazy_gettext("This ERP connection cannot list the actors that changed. "
                             "Use Search ERP instead.")


def _no_earlier_import(type_label: Any) -> str:
    # Translators: %(type)s is an actor type such as "Customers".
    return gettext("There is no earlier import of %(type)s from this ERP connection, so "
                   "there is nothing to compare with. Search the ERP and import them once "
                   "first.", type=type_label)


def routes(erpsync: ErpSync) -> list[Route]:
    return [admin_route(erpsync, "/erp/changed-since", changed_since_view,
                        name="erpsync_erp_changed", methods=["POST"])]


async def changed_since_view(erpsync: ErpSync, request: Request,
                             user: CurrentUser) -> Response:
    """Stage the actors changed since the last import, then show the staged list."""
    _sync_guard(erpsync)
    form = await request.form()
    ctx = await _open_search(erpsync, request, form)
    engine = erpsync.engine
    select_url = erpsync.url_for(request, "erpsync_erp_select", query={
        "connection": ctx.connection.id, "type": ctx.actor_type.value})
    since = await run_blocking(engine.changed_since_start, ctx.connection.id,
                               ctx.actor_type.value)
    if since is None:
        raise DialogError(409, LazyString(_no_earlier_import, ACTOR_TYPE_LABELS[ctx.actor_type]),
                          back_url=select_url, back_label=gettext("Select ERP connection"))
    import_id = await run_blocking(engine.open_import, SOURCE_KEY, user.id)
    if import_id is None:
        import_id = await run_blocking(engine.create_import, SOURCE_KEY, user.id)
    connection, connector, actor_type = ctx.connection, ctx.connector, ctx.actor_type

    def stage() -> tuple[Any, int]:
        try:
            actors: Iterable[ErpActor] = connector.changed_since(actor_type, since)
        except NotImplementedError as exc:
            raise ConnectorError(NOT_SUPPORTED, f"{connector.name}: changed_since") from exc
        result = engine.stage(import_id, connection.id, actors)
        return result, _stage_parents(erpsync, import_id, {connection.id: connector})

    try:
        result, parents = await connector_call(stage)
    except ConnectorError as exc:
        unsupported = exc.user_message is NOT_SUPPORTED
        raise DialogError(409 if unsupported else 502, exc.user_message, exc.technical,
                          title=None if unsupported else lazy_gettext("The ERP cannot be reached"),
                          back_url=select_url,
                          back_label=gettext("Select ERP connection")) from exc
    return redirect(erpsync.url_for(request, "erpsync_staged", import_id=import_id, query={
        "added": result.added, "already": result.already or None, "parents": parents or None}))

"""The ERP Sync dialogs: **Select ERP connection**, **Search ERP** and
**Add Import** (staging the chosen ERP actors into the admin's pending import).

Connector failures (ERP down, bad configuration) are shown in the dialog with
the connector's localized message and a technical-details disclosure.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..connectors.base import (
    ACTOR_TYPE_LABELS,
    ActorType,
    Connector,
    ConnectorError,
    ErpActor,
    FieldMeta,
    FieldType,
    ListItem,
)
from ..i18n import gettext, lazy_gettext, localize, ngettext, pgettext
from ..sources.erp import SOURCE_KEY, SYNC_ON_REASON, SYNC_TAB_LABEL, sync_blocks_import
from . import criteria
from .common import DialogError, Pager, admin_route, int_param, redirect, run_blocking

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

log = logging.getLogger(__name__)

#: Rows per page of the search results.
PAGE_SIZE = 25
#: Most ERP keys fetched per connector call when staging parents.
KEY_BATCH = 500
#: Columns of the results grid, by preference; the first ones the connector has are shown.
COMPANY_COLUMNS = ("NAME", "DEPARTMENT", "NUMBER2", "NUMBER1", "POSTALCITY", "COUNTRY",
                   "PHONE", "EMAIL")
PERSON_COLUMNS = ("FIRSTNAME", "LASTNAME", "EMAIL", "PHONE_MOBILE", "POSITION", "POSTALCITY")
MAX_COLUMNS = 6

UNEXPECTED = lazy_gettext("The ERP connector failed unexpectedly. Try again; if it happens "
                          "again, check the connection in Settings and maintenance.")


def routes(erpsync: ErpSync) -> list[Route]:
    """The ERP dialogs, relative to the erpsync mount."""
    return [
        admin_route(erpsync, "/erp/select-connection", select_connection_view,
                    name="erpsync_erp_select", methods=["GET", "POST"]),
        admin_route(erpsync, "/erp/search", search_view, name="erpsync_erp_search"),
        admin_route(erpsync, "/erp/add-import", add_import_view, name="erpsync_erp_add",
                    methods=["POST"]),
    ]


# ------------------------------------------------------------------ connections


def _store(erpsync: ErpSync) -> Any:
    from ..connections import ConnectionStore

    return ConnectionStore(erpsync.engine.db)


def _make_connector(erpsync: ErpSync, connection: Any) -> Connector:
    from ..connectors.registry import connector_classes, make_connector

    return make_connector(connector_classes(erpsync.pm, erpsync), connection.connector,
                          connection.config)


async def connector_call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a connector call off the event loop; anything but a
    :class:`ConnectorError` becomes one (the admin never sees a stack trace)."""
    try:
        return await run_blocking(func, *args, **kwargs)
    except ConnectorError:
        raise
    except Exception as exc:  # noqa: BLE001 - a connector bug must not crash the dialog
        log.exception("ERP connector call %s failed", getattr(func, "__name__", func))
        raise ConnectorError(UNEXPECTED, f"{type(exc).__name__}: {exc}") from exc


def _searchable_types(connector: Connector) -> list[ActorType]:
    """Types the connection supports that have searchable fields."""
    return [t for t in connector.actor_types() if connector.searchable_fields(t)]


def _sync_guard(erpsync: ErpSync) -> None:
    if sync_blocks_import(erpsync):
        raise DialogError(409, SYNC_ON_REASON, title=pgettext("import source", "ERP Sync"),
                          back_url=erpsync.host_url("sync_settings"),
                          back_label=SYNC_TAB_LABEL)


async def _pending(erpsync: ErpSync, user: CurrentUser) -> dict[str, int] | None:
    """The admin's open ERP import, as {"id", "count"}."""
    engine = erpsync.engine
    import_id = await run_blocking(engine.open_import, SOURCE_KEY, user.id)
    if import_id is None:
        return None
    return {"id": import_id, "count": await run_blocking(engine.staged_count, import_id)}


# ------------------------------------------------------------------ Select ERP connection


async def select_connection_view(erpsync: ErpSync, request: Request,
                                 user: CurrentUser) -> Response:
    _sync_guard(erpsync)
    params: Any = await request.form() if request.method == "POST" else request.query_params
    # Only the active connections this admin may use (a connection's scope).
    connections = await run_blocking(_store(erpsync).list, True, user)
    wanted = int_param(params.get("connection"), None, maximum=2**62)
    chosen = next((c for c in connections if c.id == wanted),
                  connections[0] if connections else None)
    types: list[ActorType] = []
    problem: ConnectorError | None = None
    if chosen is not None:
        try:
            connector = await connector_call(_make_connector, erpsync, chosen)
            types = await connector_call(_searchable_types, connector)
        except ConnectorError as exc:
            problem = exc
    chosen_type = params.get("type") or ""
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if chosen is None or chosen.id != wanted:
            errors.append(gettext("Choose an ERP connection from the list."))
        elif problem is None and chosen_type in {t.value for t in types}:
            return redirect(erpsync.url_for(request, "erpsync_erp_search",
                                            query={"connection": chosen.id,
                                                   "type": chosen_type}))
        elif problem is None:
            errors.append(gettext("Choose an actor type that this connection supports."))
        status = 400
    if problem is not None:
        status = 502
    return erpsync.render(
        request, "erpsync/erp/select_connection.html", status_code=status,
        connections=connections, chosen=chosen,
        types=[(t.value, ACTOR_TYPE_LABELS[t]) for t in types], chosen_type=chosen_type,
        problem=problem, errors=errors, pending=await _pending(erpsync, user))


# ------------------------------------------------------------------ Search ERP


@dataclass
class SearchContext:
    """The connection, connector and actor type of a Search ERP request."""

    connection: Any
    connector: Connector
    actor_type: ActorType
    fields: list[FieldMeta]  # searchable fields
    all_fields: list[FieldMeta]
    list_items: dict[str, list[ListItem]]


async def _open_search(erpsync: ErpSync, request: Request, params: Any,
                       user: Any = None) -> SearchContext:
    """Connection and actor type of the request; a dialog error if either is
    unknown, inactive, not for ``user`` or unsupported, or the ERP cannot be
    reached."""
    select_url = erpsync.url_for(request, "erpsync_erp_select")
    connection_id = int_param(params.get("connection"), None, maximum=2**62)
    connection = (await run_blocking(_store(erpsync).get, connection_id)
                  if connection_id is not None else None)
    if connection is None or not connection.active or not connection.visible_to(user):
        raise DialogError(404, lazy_gettext("This ERP connection does not exist or is not "
                                            "active. Choose another connection."),
                          back_url=select_url, back_label=gettext("Select ERP connection"))
    try:
        actor_type = ActorType(params.get("type") or "")
    except ValueError:
        actor_type = None
    try:
        connector = await connector_call(_make_connector, erpsync, connection)
        supported = await connector_call(_searchable_types, connector)
        if actor_type not in supported:
            raise DialogError(400, lazy_gettext(
                "This connection cannot search that actor type. Choose another actor type."),
                back_url=select_url, back_label=gettext("Select ERP connection"))
        fields = list(await connector_call(connector.searchable_fields, actor_type))
        all_fields = list(await connector_call(connector.fields, actor_type))
        list_items = {}
        for name in {f.list_name for f in fields if f.type is FieldType.LIST and f.list_name}:
            list_items[name] = list(await connector_call(connector.list_items, name))
    except ConnectorError as exc:
        raise DialogError(502, exc.user_message, exc.technical,
                          title=lazy_gettext("The ERP cannot be reached"),
                          back_url=select_url,
                          back_label=gettext("Select ERP connection")) from exc
    return SearchContext(connection, connector, actor_type, fields, all_fields, list_items)


def _normalize(rows: list[criteria.CriterionRow], fields: Sequence[FieldMeta]) -> None:
    """Before a search is run (e.g. the field of a row was just changed): drop
    rows with unknown fields, give each row an operator its field allows."""
    by_key = {f.key: f for f in fields}
    rows[:] = [r for r in rows if r.field in by_key]
    for row in rows:
        operators = [op.value for op in by_key[row.field].operators]
        if row.operator not in operators:
            row.operator = operators[0]


def _columns(ctx: SearchContext) -> list[FieldMeta]:
    by_key = {f.key: f for f in ctx.all_fields}
    preferred = COMPANY_COLUMNS if ctx.actor_type.is_company else PERSON_COLUMNS
    chosen = [by_key[k] for k in preferred if k in by_key][:MAX_COLUMNS]
    return chosen or ctx.all_fields[:MAX_COLUMNS]


def _cell(value: Any, meta: FieldMeta, items: Sequence[ListItem]) -> str:
    if value is None or value == "":
        return ""
    if meta.type is FieldType.CHECKBOX or isinstance(value, bool):
        truthy = value is True or str(value).strip().lower() in ("1", "true", "yes")
        return gettext("Yes") if truthy else gettext("No")
    if meta.type is FieldType.LIST:
        for item in items:
            if item.key == str(value):
                return localize(item.name)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(
            value, datetime) else value.isoformat()
    return str(value)


def _criteria_view(rows: list[criteria.CriterionRow], fields: Sequence[FieldMeta],
                   list_items: dict[str, list[ListItem]], extra: int) -> list[dict[str, Any]]:
    """Rows for the template: the entered ones, then ``extra`` empty ones."""
    by_key = {f.key: f for f in fields}
    view = []
    for row in [*rows, *(criteria.CriterionRow() for _ in range(extra))]:
        meta = by_key.get(row.field)
        items = list_items.get(meta.list_name or "", []) if meta else []
        view.append({
            "row": row, "meta": meta, "operators": criteria.operator_choices(meta),
            "input_type": criteria.input_type(meta),
            "is_list": bool(meta and meta.type is FieldType.LIST),
            "is_checkbox": bool(meta and meta.type is FieldType.CHECKBOX),
            "is_double": bool(meta and meta.type is FieldType.DOUBLE),
            "list_choices": [(item.key, localize(item.name)) for item in items],
        })
    return view


async def render_search(erpsync: ErpSync, request: Request, user: CurrentUser, params: Any,
                        *, status: int = 200, notice: str | None = None) -> Response:
    """The Search ERP dialog for ``params`` (query string, or a posted form
    shown again): criteria, and results when the search was run."""
    ctx = await _open_search(erpsync, request, params, user)
    rows = criteria.parse_rows(params)
    # The "Add criterion" button posts extra+1 next to the hidden current value.
    extra = max((int_param(v, 0, minimum=0, maximum=criteria.MAX_ROWS) or 0
                 for v in params.getlist("extra")), default=1)
    run = params.get("run") == "1" and not params.get("refresh")
    forged: criteria.CriteriaError | None = None
    problem: ConnectorError | None = None
    results: list[dict[str, Any]] | None = None
    pager = Pager(int_param(params.get("page"), 1), PAGE_SIZE, None)
    if run:
        try:
            restrictions = criteria.build_restrictions(rows, ctx.fields, ctx.list_items)
        except criteria.CriteriaError as exc:
            forged, restrictions = exc, []
        if forged or criteria.has_errors(rows):
            status = 400
        else:
            try:
                page = await connector_call(ctx.connector.search, ctx.actor_type,
                                            restrictions, offset=pager.offset, limit=PAGE_SIZE)
            except ConnectorError as exc:
                problem, status = exc, 502
            else:
                pager.total, pager.shown = page.total, len(page.actors)
                results = _result_rows(ctx, page.actors)
    else:
        _normalize(rows, ctx.fields)
    if not rows:
        extra = max(extra, 1)
    columns = _columns(ctx)
    criteria_pairs = criteria.encode_rows(rows)
    base_query = [("connection", str(ctx.connection.id)), ("type", ctx.actor_type.value),
                  *criteria_pairs]
    return erpsync.render(
        request, "erpsync/erp/search.html", status_code=status,
        connection=ctx.connection, actor_type=ctx.actor_type,
        actor_type_label=ACTOR_TYPE_LABELS[ctx.actor_type],
        fields=[(f.key, criteria.field_name(f), f.type.value) for f in ctx.fields],
        rows=_criteria_view(rows, ctx.fields, ctx.list_items, extra), extra=extra,
        columns=[criteria.field_name(c) for c in columns], results=results, pager=pager,
        base_query=base_query, criteria_pairs=criteria_pairs, forged=forged, problem=problem,
        notice=notice, pending=await _pending(erpsync, user))


def _result_rows(ctx: SearchContext, actors: Iterable[ErpActor]) -> list[dict[str, Any]]:
    columns = _columns(ctx)
    return [{"key": actor.key,
             "cells": [_cell(actor.fields.get(c.key), c,
                             ctx.list_items.get(c.list_name or "", [])) for c in columns]}
            for actor in actors]


async def search_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    _sync_guard(erpsync)
    return await render_search(erpsync, request, user, request.query_params)


# ------------------------------------------------------------------ Add Import


async def add_import_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """Stage the selected (or all) results into the admin's pending ERP import,
    then the parent companies of staged persons, and show the staged list."""
    _sync_guard(erpsync)
    form = await request.form()
    ctx = await _open_search(erpsync, request, form, user)
    rows = criteria.parse_rows(form)
    search_url = erpsync.url_for(request, "erpsync_erp_search", query=[
        ("connection", ctx.connection.id), ("type", ctx.actor_type.value),
        *criteria.encode_rows(rows), ("run", "1")])
    try:
        restrictions = criteria.build_restrictions(rows, ctx.fields, ctx.list_items)
    except criteria.CriteriaError as exc:
        raise DialogError(400, exc.message, exc.technical, back_url=search_url,
                          back_label=gettext("Search ERP")) from exc
    if criteria.has_errors(rows):
        message = next(row.error for row in rows if row.error)
        raise DialogError(400, message, back_url=search_url, back_label=gettext("Search ERP"))
    add_all = form.get("scope") == "all"
    keys: list[str] = []
    if not add_all:
        chosen = form.getlist("key") + (form.getlist("page_key") if form.get("all_on_page")
                                        else [])
        keys = list(dict.fromkeys(k.strip() for k in chosen if isinstance(k, str) and k.strip()))
        if not keys:
            return await render_search(erpsync, request, user, form, status=400, notice=gettext(
                "Select the rows you want to import, then click Add Import."))
    engine = erpsync.engine
    import_id = await run_blocking(engine.open_import, SOURCE_KEY, user.id)
    if import_id is None:
        import_id = await run_blocking(engine.create_import, SOURCE_KEY, user.id)
    before = await run_blocking(engine.staged_count, import_id)
    connection, connector, actor_type = ctx.connection, ctx.connector, ctx.actor_type

    def stage() -> tuple[Any, int]:
        if add_all:
            actors: Iterable[ErpActor] = connector.iter_search(actor_type, restrictions)
        else:
            actors = connector.get_actors(actor_type, keys)
        result = engine.stage(import_id, connection.id, actors)
        return result, _stage_parents(erpsync, import_id, {connection.id: connector})

    try:
        result, parents = await connector_call(stage)
    except ConnectorError as exc:
        added = await run_blocking(engine.staged_count, import_id) - before
        raise DialogError(502, exc.user_message, _staged_note(added, exc.technical),
                          title=lazy_gettext("The ERP cannot be reached"),
                          back_url=search_url, back_label=gettext("Search ERP")) from exc
    return redirect(erpsync.url_for(request, "erpsync_staged", import_id=import_id, query={
        "added": result.added, "already": result.already or None, "parents": parents or None}))


def _staged_note(added: int, technical: str) -> str:
    # Translators: %(num)s actors were staged before the ERP failed; they stay in the import.
    note = ngettext("%(num)s actor was added to the import before the error.",
                    "%(num)s actors were added to the import before the error.", added)
    return f"{technical}\n{note}" if technical else note


def _stage_parents(erpsync: ErpSync, import_id: int,
                   connectors: dict[int | None, Connector]) -> int:
    """Stage the companies that staged persons belong to (and that are neither
    staged nor linked in the CRM yet). Runs in a worker thread."""

    def fetch(connection_id: int | None, actor_type: ActorType,
              keys: Sequence[str]) -> Iterable[ErpActor]:
        connector = connectors.get(connection_id)
        if connector is None:
            connection = _store(erpsync).get(connection_id) if connection_id else None
            if connection is None or not connection.active:
                return
            connector = connectors[connection_id] = _make_connector(erpsync, connection)
        it = iter(keys)
        while batch := list(itertools.islice(it, KEY_BATCH)):
            yield from connector.get_actors(actor_type, batch)

    return erpsync.engine.stage_missing_parents(import_id, fetch)

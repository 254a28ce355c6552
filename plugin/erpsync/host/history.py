"""The reference host's import history: *Settings and maintenance* › **Import
history** lists past imports (who, when, source, connection, settings, counts,
duration, status) with paging, and a detail page per import with links to its
selections, its result, **Undo import** and **Retry**."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_timedelta
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..connectors.base import ACTOR_TYPE_LABELS, ActorType
from ..engine.history import selection_title
from ..engine.jobs import failure_message
from ..engine.settings import ImportSettings
from ..i18n import babel_locale, lazy_pgettext
from ..i18n import lazy_gettext as _l
from ..ui.imports import settings_summary
from .models import app_user
from .urls import plugin_href, url_for
from .web import admin_required, erpsync_of, render

PAGE_SIZE = 25

IMPORT_STATE_LABELS = {
    "staging": lazy_pgettext("import state", "Staged"),
    "previewed": lazy_pgettext("import state", "Previewed"),
    "importing": lazy_pgettext("import state", "Importing"),
    "done": lazy_pgettext("import state", "Imported"),
    "failed": lazy_pgettext("import state", "Failed"),
    "undone": lazy_pgettext("import state", "Undone"),
}

IMPORT_NOT_FOUND = _l("This import does not exist (any more).")


def routes() -> list[Route]:
    return [
        Route("/settings/imports", import_history, methods=["GET"], name="import_history"),
        Route("/settings/imports/{id:int}", import_detail, methods=["GET"],
              name="import_detail"),
    ]


def _page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def _page_url(request: Request) -> Callable[[int], str]:
    def page_url(number: int) -> str:
        return request.url.path + "?" + urlencode([("page", number)])

    return page_url


def user_names(db: Engine, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the host's users by id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    with db.connect() as conn:
        rows = conn.execute(select(app_user.c.id, app_user.c.display_name)
                            .where(app_user.c.id.in_(wanted)))
        return {row.id: row.display_name for row in rows}


def duration_text(value: timedelta | None) -> str:
    """How long an import took, in words ("3 seconds")."""
    if value is None:
        return ""
    return format_timedelta(value, threshold=1.5, locale=babel_locale())


def _part_text(part: Any) -> str:
    try:
        label = str(ACTOR_TYPE_LABELS[ActorType(part.actor_type)])
    except ValueError:
        label = part.actor_type
    where = part.connection_name or ""
    return f"{where} – {label} ({part.count})" if where else f"{label} ({part.count})"


def _view(item: dict[str, Any], names: dict[int, str], sources: dict[str, Any]) -> dict[str, Any]:
    """One import as the history pages show it (labels and links added)."""
    import_id = item["id"]
    state = item["state"]
    return {
        **item,
        "user_name": names.get(item.get("user_id") or -1, ""),
        "undone_by_name": names.get(item.get("undone_by") or -1, ""),
        "source_label": sources.get(item["source"], item["source"]),
        "state_label": IMPORT_STATE_LABELS.get(state, state),
        "parts_text": [_part_text(p) for p in item.get("parts", [])],
        "duration_text": duration_text(item.get("duration")),
        "detail_href": url_for("import_detail", id=import_id),
        "result_href": (plugin_href(f"/imports/{import_id}/result")
                        if state in ("done", "undone") else None),
        "progress_href": (plugin_href(f"/imports/{import_id}/progress")
                          if state in ("importing", "failed") else None),
        "undo_href": plugin_href(f"/imports/{import_id}/undo") if state == "done" else None,
        "retry_action": plugin_href(f"/imports/{import_id}/retry") if state == "failed" else None,
        "new_selection_href": (url_for("selection", id=item["new_selection_id"])
                               if item.get("new_selection_id") else None),
        "updated_selection_href": (url_for("selection", id=item["updated_selection_id"])
                                   if item.get("updated_selection_id") else None),
        "failure": failure_message(item.get("error_code")) if state == "failed" else None,
    }


@admin_required
async def import_history(request: Request) -> Response:
    erpsync = erpsync_of(request)
    engine = erpsync.engine
    page = _page_number(request)
    rows = await run_in_threadpool(engine.list_imports, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    names = await run_in_threadpool(
        user_names, request.app.state.db, [r.get("user_id") for r in rows])
    sources = {s.key: s.label for s in erpsync.import_sources()}
    imports = [_view(r, names, sources) for r in rows[:PAGE_SIZE]]
    return render(request, "host/imports.html", imports=imports, page=page,
                  has_next=len(rows) > PAGE_SIZE, page_url=_page_url(request))


@admin_required
async def import_detail(request: Request) -> Response:
    erpsync = erpsync_of(request)
    import_id = int(request.path_params["id"])
    record = await run_in_threadpool(erpsync.engine.import_record, import_id)
    if record is None:
        return render(request, "host/error.html", status_code=404,
                      heading=_l("Import not found"), message=IMPORT_NOT_FOUND,
                      back_url=url_for("import_history"))
    names = await run_in_threadpool(user_names, request.app.state.db,
                                    [record.get("user_id"), record.get("undone_by")])
    sources = {s.key: s.label for s in erpsync.import_sources()}
    item = _view(record, names, sources)
    item["settings_summary"] = settings_summary(ImportSettings.from_json(record.get("settings")))
    item["selections"] = [{**s, "title": selection_title(s),
                           "href": url_for("selection", id=s["id"])}
                          for s in record.get("selections", [])]
    return render(request, "host/import_detail.html", imp=item)

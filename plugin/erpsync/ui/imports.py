"""The import pages shared by every source: staged list, import settings,
preview, import (apply) and result. All state lives in the engine's tables."""

from __future__ import annotations

import dataclasses
import enum
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..engine.api import ImportError_, StaleImportError
from ..engine.jobs import ERROR, failure_code, failure_message
from ..engine.settings import ImportSettings, option_label
from ..i18n import LazyString, gettext, lazy_gettext, lazy_pgettext, ngettext, pgettext
from . import labels
from .common import DialogError, Pager, admin_route, id_list, int_param, redirect, run_blocking

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

log = logging.getLogger(__name__)

STAGED_PAGE_SIZE = 50
PREVIEW_PAGE_SIZE = 50
RESULT_PAGE_SIZE = 50

PENDING_STATES = frozenset({"staging", "previewed"})

#: The "add more" button of a staged list, by import source key.
ADD_MORE_LABELS: dict[str, LazyString] = {
    "erp": lazy_gettext("Search ERP"),
    "file": lazy_gettext("Upload another file"),
}
_ADD_MORE_DEFAULT = lazy_pgettext("button", "Add more actors")

#: Groups and labels of the import settings form (DESIGN.md "Import settings").
SETTINGS_GROUPS: tuple[tuple[LazyString, tuple[tuple[str, LazyString], ...]], ...] = (
    (lazy_pgettext("settings group", "Companies"), (
        ("company_match", lazy_pgettext("import setting", "Duplicate match")),
        ("company_action", lazy_pgettext("import setting", "Action")),
    )),
    (lazy_pgettext("settings group", "Persons"), (
        ("person_match", lazy_pgettext("import setting", "Duplicate match")),
        ("person_action", lazy_pgettext("import setting", "Action")),
        ("no_company", lazy_gettext("If no company name")),
    )),
    (lazy_pgettext("settings group", "Lists"), (
        ("list_values", lazy_gettext("Value not in the list")),
    )),
    (lazy_pgettext("settings group", "Phone number"), (
        ("phone", lazy_gettext("Phone numbers")),
    )),
    (lazy_pgettext("settings group", "URLs + email"), (
        ("url_email", lazy_gettext("URLs and email addresses")),
    )),
)

_SETTINGS_ENUMS: dict[str, type[enum.Enum]] = {
    f.name: type(f.default) for f in dataclasses.fields(ImportSettings)
}


def routes(erpsync: ErpSync) -> list[Route]:
    """Routes of the shared import pages (paths relative to the erpsync mount)."""
    r = admin_route
    return [
        r(erpsync, "/imports/{import_id:int}/staged", staged_view, name="erpsync_staged"),
        r(erpsync, "/imports/{import_id:int}/unstage", unstage_view, name="erpsync_unstage",
          methods=["POST"]),
        r(erpsync, "/imports/{import_id:int}/discard", discard_view, name="erpsync_discard",
          methods=["GET", "POST"]),
        r(erpsync, "/imports/{import_id:int}/settings", settings_view, name="erpsync_settings",
          methods=["GET", "POST"]),
        r(erpsync, "/imports/{import_id:int}/preview", preview_view, name="erpsync_preview"),
        r(erpsync, "/imports/{import_id:int}/checks", checks_view, name="erpsync_checks",
          methods=["POST"]),
        r(erpsync, "/imports/{import_id:int}/apply", apply_view, name="erpsync_apply",
          methods=["POST"]),
        r(erpsync, "/imports/{import_id:int}/result", result_view, name="erpsync_result"),
    ]


# ------------------------------------------------------------------ helpers


async def load_import(erpsync: ErpSync, request: Request) -> dict[str, Any]:
    """The import of the ``import_id`` path parameter, or a 404 page."""
    import_id = request.path_params["import_id"]
    try:
        imp = await run_blocking(erpsync.engine.get_import, import_id)
    except (ImportError_, LookupError):
        imp = None
    if not imp:
        raise DialogError(404, lazy_gettext(
            "This import does not exist. It may have been discarded."),
            title=lazy_gettext("Import not found"),
            back_url=erpsync.host_url("import_sources"),
            back_label=pgettext("screen", "Import"))
    return dict(imp)


def is_pending(imp: dict[str, Any]) -> bool:
    return imp.get("state") in PENDING_STATES


def result_redirect(erpsync: ErpSync, request: Request, import_id: int,
                    notice: str | None = None) -> Response:
    return redirect(erpsync.url_for(request, "erpsync_result", import_id=import_id,
                                    query={"notice": notice}))


def mount_href(request: Request, path: str) -> str:
    """A path inside the erpsync app (such as an ImportSource url) as a link."""
    if "://" in path:
        return path
    return request.scope.get("root_path", "").rstrip("/") + "/" + path.lstrip("/")


def source_of(erpsync: ErpSync, key: str) -> Any:
    return next((s for s in erpsync.import_sources() if s.key == key), None)


def selection_href(erpsync: ErpSync, request: Request, selection_id: int | None) -> str | None:
    """The host's page of a selection, or ours when the host has none."""
    if not selection_id:
        return None
    return (erpsync.host_url("selection", id=selection_id)
            or erpsync.url_for(request, "erpsync_selection", selection_id=selection_id))


def settings_form(current: dict[str, str]) -> list[dict[str, Any]]:
    """The settings form as groups of selects, with ``current`` values selected."""
    groups = []
    for group_label, options in SETTINGS_GROUPS:
        items = []
        for name, label in options:
            enum_cls = _SETTINGS_ENUMS[name]
            items.append({
                "name": name, "label": label, "value": current.get(name),
                "choices": [(member.value, option_label(member)) for member in enum_cls],
            })
        groups.append({"label": group_label, "items": items})
    return groups


def settings_summary(settings: ImportSettings) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """(group label, [(setting label, chosen option label)]) for display."""
    return [(group["label"], [(item["label"], option_label(
                _SETTINGS_ENUMS[item["name"]](item["value"]))) for item in group["items"]])
            for group in settings_form(settings.to_json())]


def invalid_settings(form: dict[str, str]) -> list[str]:
    """Localized messages for every submitted setting that is not a known option."""
    problems = []
    labels_by_name = {name: label for _, opts in SETTINGS_GROUPS for name, label in opts}
    for name, enum_cls in _SETTINGS_ENUMS.items():
        value = form.get(name)
        if value in (None, ""):
            continue
        try:
            enum_cls(value)
        except ValueError:
            # Translators: %(value)s is a submitted value, %(option)s an import setting.
            problems.append(gettext("“%(value)s” is not a valid choice for %(option)s.",
                                    value=value, option=labels_by_name[name]))
    return problems


# ------------------------------------------------------------------ staged list


async def staged_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        return result_redirect(erpsync, request, imp["id"])
    engine = erpsync.engine
    total = await run_blocking(engine.staged_count, imp["id"])
    pager = Pager(int_param(request.query_params.get("page"), 1), STAGED_PAGE_SIZE, total)
    rows = await run_blocking(engine.list_staged, imp["id"], pager.offset, pager.size)
    pager.shown = len(rows)
    source = source_of(erpsync, imp.get("source", ""))
    q = request.query_params
    messages = []
    added, already, parents = (int_param(q.get(k), None, minimum=0)
                               for k in ("added", "already", "parents"))
    if added is not None:
        # Translators: %(num)s is how many ERP actors were just added to the pending import.
        messages.append(ngettext("%(num)s actor added to the import",
                                 "%(num)s actors added to the import", added))
    if parents:
        # Translators: %(num)s is how many companies were added because staged persons
        # belong to them.
        messages.append(ngettext(
            "%(num)s company added because persons in the import belong to it",
            "%(num)s companies added because persons in the import belong to them", parents))
    if already:
        # Translators: %(num)s is how many selected actors were in the import already.
        messages.append(ngettext("%(num)s actor was already in the import",
                                 "%(num)s actors were already in the import", already))
    removed = int_param(q.get("removed"), None, minimum=0)
    if removed is not None:
        # Translators: %(num)s is how many actors were taken out of the pending import.
        messages.append(ngettext("%(num)s actor removed from the import",
                                 "%(num)s actors removed from the import", removed))
    return erpsync.render(
        request, "erpsync/imports/staged.html", imp=imp, rows=rows, pager=pager,
        total=total, messages=messages, source=source,
        add_more_href=mount_href(request, source.url) if source else None,
        add_more_enabled=bool(source and source.enabled),
        add_more_label=ADD_MORE_LABELS.get(imp.get("source", ""), _ADD_MORE_DEFAULT),
        actor_type_label=actor_type_label)


def actor_type_label(value: str | None) -> Any:
    """The type of one staged actor (Customer, Supplier, Person)."""
    return labels.ACTOR_TYPE_SINGULAR.get(value or "", value or "")


async def unstage_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        return result_redirect(erpsync, request, imp["id"], "already")
    form = await request.form()
    ids = id_list(form.getlist("staged"))
    removed = await run_blocking(erpsync.engine.unstage, imp["id"], ids) if ids else 0
    return redirect(erpsync.url_for(request, "erpsync_staged", import_id=imp["id"],
                                    query={"removed": removed or 0}))


async def discard_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        return result_redirect(erpsync, request, imp["id"], "already")
    if request.method == "POST":
        await run_blocking(erpsync.engine.discard_import, imp["id"])
        source = source_of(erpsync, imp.get("source", ""))
        back = erpsync.host_url("import_sources") or (
            mount_href(request, source.url) if source else erpsync.url_for(
                request, "erpsync_help"))
        return redirect(back)
    total = await run_blocking(erpsync.engine.staged_count, imp["id"])
    return erpsync.render(request, "erpsync/imports/discard.html", imp=imp, total=total)


# ------------------------------------------------------------------ settings


async def settings_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        return result_redirect(erpsync, request, imp["id"], "already")
    engine = erpsync.engine
    total = await run_blocking(engine.staged_count, imp["id"])
    if request.method == "GET":
        current = (await run_blocking(engine.get_settings, imp["id"])).to_json()
        errors = []
        if request.query_params.get("notice") == "changed":
            errors.append(gettext("The actors to import or the settings changed after the "
                                  "preview, so nothing was imported. Check the settings and "
                                  "click Next to see the new preview."))
        return erpsync.render(request, "erpsync/imports/settings.html", imp=imp, total=total,
                              groups=settings_form(current), errors=errors)
    form = await request.form()
    submitted = {name: str(form.get(name) or "") for name in _SETTINGS_ENUMS}
    errors = invalid_settings(submitted)
    if not errors and total == 0:
        errors.append(gettext("There are no actors in this import. Add actors first."))
    if errors:
        shown = {**ImportSettings().to_json(),
                 **{k: v for k, v in submitted.items() if v}}
        return erpsync.render(request, "erpsync/imports/settings.html", status_code=400,
                              imp=imp, total=total, groups=settings_form(shown),
                              errors=errors)
    settings = ImportSettings.from_json(submitted)
    try:
        await run_blocking(engine.save_settings, imp["id"], settings)
        await run_blocking(engine.preview, imp["id"])
    except StaleImportError:
        return result_redirect(erpsync, request, imp["id"], "already")
    except ImportError_ as exc:
        raise DialogError(409, exc.user_message, exc.technical,
                          back_url=erpsync.url_for(request, "erpsync_settings",
                                                   import_id=imp["id"]),
                          back_label=gettext("Configure import settings")) from exc
    return redirect(erpsync.url_for(request, "erpsync_preview", import_id=imp["id"]))


# ------------------------------------------------------------------ preview


def _status_param(value: Any) -> str | None:
    return value if value in labels.STATUSES else None


async def preview_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        return result_redirect(erpsync, request, imp["id"])
    if imp.get("state") != "previewed":
        # Staged rows changed since the last preview (or none was made): settings first.
        return redirect(erpsync.url_for(request, "erpsync_settings", import_id=imp["id"]))
    engine = erpsync.engine
    status = _status_param(request.query_params.get("status"))
    counts = await run_blocking(engine.preview_counts, imp["id"])
    total = getattr(counts, status) if status else counts.total
    pager = Pager(int_param(request.query_params.get("page"), 1), PREVIEW_PAGE_SIZE, total)
    rows = await run_blocking(engine.preview_rows, imp["id"], pager.offset, pager.size, status)
    pager.shown = len(rows)
    settings = await run_blocking(engine.get_settings, imp["id"])
    return erpsync.render(
        request, "erpsync/imports/preview.html", imp=imp, counts=counts, rows=rows,
        pager=pager, status=status, statuses=labels.STATUSES,
        status_labels=labels.STATUS_LABELS, reason_label=labels.reason_label,
        warning_label=labels.warning_label, field_label=labels.field_label,
        saved=request.query_params.get("saved") == "1",
        settings_summary=settings_summary(settings))


async def _save_page_checks(erpsync: ErpSync, import_id: int, form: Any) -> None:
    """The visible page's checkboxes: ``row`` lists the importable rows shown,
    ``checked`` the ones left checked."""
    shown = set(id_list(form.getlist("row")))
    checked = set(id_list(form.getlist("checked"))) & shown
    engine = erpsync.engine
    if checked:
        await run_blocking(engine.set_checked, import_id, sorted(checked), True)
    if shown - checked:
        await run_blocking(engine.set_checked, import_id, sorted(shown - checked), False)


def _preview_query(form: Any) -> dict[str, Any]:
    page = int_param(form.get("page"), 1)
    return {"status": _status_param(form.get("status")), "page": page if page > 1 else None}


async def checks_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        return result_redirect(erpsync, request, imp["id"], "already")
    form = await request.form()
    action = form.get("action")
    try:
        if action == "check_all":
            await run_blocking(erpsync.engine.set_checked, imp["id"], None, True)
        elif action == "uncheck_all":
            await run_blocking(erpsync.engine.set_checked, imp["id"], None, False)
        else:
            await _save_page_checks(erpsync, imp["id"], form)
    except StaleImportError:
        return result_redirect(erpsync, request, imp["id"], "already")
    return redirect(erpsync.url_for(request, "erpsync_preview", import_id=imp["id"],
                                    query={**_preview_query(form), "saved": "1"}))


# ------------------------------------------------------------------ apply and result


async def apply_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """Claim the import and apply it in the background; the admin follows it on
    the progress page (which goes on to the result)."""
    imp = await load_import(erpsync, request)
    if not is_pending(imp):
        # A double submit or a second tab: show what the first one did, import nothing.
        return progress_redirect(erpsync, request, imp["id"], "already")
    if imp.get("state") != "previewed":
        # Actors or settings changed since the preview (another tab): the admin
        # must see the new preview before anything is imported.
        return redirect(erpsync.url_for(request, "erpsync_settings", import_id=imp["id"],
                                        query={"notice": "changed"}))
    form = await request.form()
    try:
        await _save_page_checks(erpsync, imp["id"], form)
        # The claim (a compare-and-set) happens here; the apply in a worker thread.
        await run_blocking(erpsync.jobs.submit_apply, imp["id"], user.id,
                           erpsync.locale_for(request))
    except StaleImportError:
        return progress_redirect(erpsync, request, imp["id"], "already")
    except ImportError_ as exc:
        log.warning("import %s failed: %s", imp["id"], exc.technical or exc)
        return _apply_failed(erpsync, request, imp, exc.user_message, exc.technical)
    except Exception as exc:  # noqa: BLE001 - the admin gets a page, the log the trace
        log.exception("import %s failed", imp["id"])
        # E.g. the database stayed locked by another import: say so when we can tell.
        code = failure_code(exc)
        message = gettext("The import failed.") if code == ERROR else failure_message(code)
        return _apply_failed(erpsync, request, imp, message, f"{type(exc).__name__}: {exc}")
    return progress_redirect(erpsync, request, imp["id"])


def progress_redirect(erpsync: ErpSync, request: Request, import_id: int,
                      notice: str | None = None) -> Response:
    return redirect(erpsync.url_for(request, "erpsync_progress", import_id=import_id,
                                    query={"notice": notice}))


def _apply_failed(erpsync: ErpSync, request: Request, imp: dict[str, Any], message: Any,
                  technical: str) -> Response:
    return erpsync.render(
        request, "erpsync/imports/apply_failed.html", status_code=500, imp=imp,
        message=message, technical=technical)


async def result_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    if is_pending(imp):
        return redirect(erpsync.url_for(request, "erpsync_preview", import_id=imp["id"]))
    if imp.get("state") in ("importing", "failed"):  # the job's page shows those
        return progress_redirect(erpsync, request, imp["id"], request.query_params.get("notice"))
    engine = erpsync.engine
    q = request.query_params
    pages = {param: int_param(q.get(param), 1) or 1 for param in ("new_page", "updated_page")}
    lists = []
    for kind, key, page_param in (("new", "new_selection_id", "new_page"),
                                  ("updated", "updated_selection_id", "updated_page")):
        selection_id = imp.get(key)
        count = imp.get(f"{kind}_count") or 0
        pager = Pager(pages[page_param], RESULT_PAGE_SIZE, count)
        members = (await run_blocking(engine.selection_members, selection_id, pager.offset,
                                      pager.size) if selection_id else [])
        pager.shown = len(members)
        lists.append({"kind": kind, "count": count, "members": members, "pager": pager,
                      "page_href": _result_page_href(erpsync, request, imp["id"], pages,
                                                     page_param),
                      "selection_href": selection_href(erpsync, request, selection_id)})
    return erpsync.render(
        request, "erpsync/imports/result.html", imp=imp, lists=lists,
        already=q.get("notice") == "already", undone_now=q.get("notice") == "undone")


def _result_page_href(erpsync: ErpSync, request: Request, import_id: int,
                      pages: dict[str, int], param: str) -> Any:
    """Link to page ``n`` of one result list, keeping the other list's page."""

    def href(n: int) -> str:
        query = {k: (n if k == param else v) for k, v in pages.items()}
        return erpsync.url_for(request, "erpsync_result", import_id=import_id,
                               query={k: v for k, v in query.items() if v > 1} or None)

    return href

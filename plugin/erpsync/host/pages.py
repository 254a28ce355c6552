"""The reference host's own pages: login, Settings and maintenance, Import,
Quote/Sync, ERP connections and selections. Server-rendered, no JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import security
from ..engine.history import selection_title
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from . import connections_pages, history, queries, users
from . import settings as host_settings
from .history import IMPORT_STATE_LABELS
from .hooks import forget_current_user
from .urls import icon_href, plugin_href, safe_next, url_for
from .web import (
    CSRF_FAILED,
    admin_required,
    csrf_failed,
    csrf_ok,
    erpsync_of,
    flash,
    redirect,
    render,
    user_of,
)

PAGE_SIZE = 50


SELECTION_KIND_LABELS = {
    "import_new": lazy_pgettext("selection kind", "New actors of an import"),
    "import_updated": lazy_pgettext("selection kind", "Updated actors of an import"),
    "manual": lazy_pgettext("selection kind", "Manual"),
}

WRONG_LOGIN = _l("Wrong username or password.")
SELECTION_NOT_FOUND = _l("This selection does not exist (any more).")
QUOTE_SYNC_TABS = ("quote", "sync")


# ------------------------------------------------------------------ login


async def home(request: Request) -> Response:
    return redirect(url_for("settings") or "/settings")


async def login(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if user_of(request) is not None:
            return redirect(next_url)
        return render(request, "host/login.html", next_url=next_url, username="", error=None)

    form = await request.form()
    next_url = safe_next(str(form.get("next") or ""))
    username = str(form.get("username") or "")
    if not csrf_ok(request, form):
        return render(request, "host/login.html", status_code=403, next_url=next_url,
                      username=username, error=CSRF_FAILED)
    # Too many failures for this username or address: refused unchecked.
    throttle = request.app.state.login_throttle
    name, address = users.normalize_username(username), security.client_address(request)
    wait = await run_in_threadpool(throttle.retry_after, name, address)
    if wait is not None:
        response = render(request, "host/login.html", status_code=429, next_url=next_url,
                          username=username, error=security.too_many_attempts_message(wait))
        response.headers["Retry-After"] = str(wait)
        return response
    # argon2 is deliberately slow: keep it off the event loop.
    row = await run_in_threadpool(users.authenticate, request.app.state.db, username,
                                  str(form.get("password") or ""))
    if row is None:
        await run_in_threadpool(throttle.record_failure, name, address)
        return render(request, "host/login.html", status_code=400, next_url=next_url,
                      username=username, error=WRONG_LOGIN)
    await run_in_threadpool(throttle.record_success, name, address)
    # A fresh session on login: nothing from before survives but the language
    # (a new CSRF token too: the cookie's whole content is replaced).
    lang = request.session.get("lang")
    request.session.clear()
    request.session["user_id"] = row.id
    if row.locale or lang:
        request.session["lang"] = row.locale or lang
    forget_current_user(request)
    return redirect(next_url)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return csrf_failed(request)
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    forget_current_user(request)
    flash(request, "logged_out")
    return redirect(url_for("login") or "/login")


# ------------------------------------------------------------------ settings


@admin_required
async def settings_home(request: Request) -> Response:
    return render(request, "host/settings.html")


@admin_required
async def import_screen(request: Request) -> Response:
    erpsync = erpsync_of(request)
    db = request.app.state.db
    user = user_of(request)
    assert user is not None  # admin_required
    sources = erpsync.import_sources()
    labels = {s.key: s.label for s in sources}

    pending = []
    for item in queries.pending_imports(db, user.id):
        pending.append({**item,
                        "source_label": labels.get(item["source"], item["source"]),
                        "state_label": IMPORT_STATE_LABELS.get(item["state"], item["state"]),
                        "href": url_for("pending_import", id=item["id"])})
    recent = []
    for item in queries.recent_imports(db):
        recent.append({
            **item,
            "source_label": labels.get(item["source"], item["source"]),
            "state_label": IMPORT_STATE_LABELS.get(item["state"], item["state"]),
            "new_selection_href": (url_for("selection", id=item["new_selection_id"])
                                   if item["new_selection_id"] else None),
            "updated_selection_href": (url_for("selection", id=item["updated_selection_id"])
                                       if item["updated_selection_id"] else None),
        })
    return render(request, "host/import.html", sources=[_source_view(s) for s in sources],
                  pending=pending, recent=recent, history_href=url_for("import_history"))


def _source_view(source: Any) -> dict[str, Any]:
    """An import source as the Import screen shows it, with host URLs."""
    return {
        "key": source.key,
        "label": source.label,
        "description": source.description,
        "href": plugin_href(source.url),
        "icon": icon_href(source.icon),
        "enabled": bool(source.enabled),
        "disabled_reason": source.disabled_reason,
        # Host URLs (from erpsync_url) stay as they are.
        "disabled_link": source.disabled_link,
        "disabled_link_label": source.disabled_link_label,
    }


@admin_required
async def quote_sync(request: Request) -> Response:
    db = request.app.state.db
    if request.method == "POST":
        form = await request.form()
        if not csrf_ok(request, form):
            return csrf_failed(request)
        if form.get("tab") == "sync":
            enabled = form.get("erp_sync_enabled") in ("1", "on", "true")
            await run_in_threadpool(host_settings.set_setting, db, "erp_sync_enabled", enabled)
            flash(request, "saved")
        return redirect(url_for("quote_sync", tab="sync") or "/settings/quote-sync")
    tab = request.query_params.get("tab")
    tab = tab if tab in QUOTE_SYNC_TABS else QUOTE_SYNC_TABS[0]
    return render(request, "host/quote_sync.html", tab=tab,
                  erp_sync_enabled=bool(host_settings.get_setting(db, "erp_sync_enabled")))


# ------------------------------------------------------------------ selections


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _page_url(request: Request) -> Callable[[int], str]:
    """For the pager: the current URL on another page."""

    def page_url(number: int) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items()
                  if k not in ("page", "lang")]
        return request.url.path + "?" + urlencode([*params, ("page", number)])

    return page_url


@admin_required
async def selections(request: Request) -> Response:
    page = _page_number(request)
    rows = queries.selections(request.app.state.db, offset=(page - 1) * PAGE_SIZE,
                              limit=PAGE_SIZE + 1)
    for row in rows:
        row["kind_label"] = SELECTION_KIND_LABELS.get(row["kind"], row["kind"])
        row["name"] = selection_title(row)  # an import's selections: in this page's language
    return render(request, "host/selections.html", selections=rows[:PAGE_SIZE], page=page,
                  has_next=len(rows) > PAGE_SIZE, page_url=_page_url(request))


def _selection_or_404(request: Request) -> tuple[int, dict[str, Any]] | Response:
    try:
        selection_id = int(request.path_params["id"])
    except (KeyError, ValueError):
        selection_id = 0
    found = erpsync_of(request).engine.get_selection(selection_id) if selection_id > 0 else None
    if not found:
        return render(request, "host/error.html", status_code=404,
                      heading=_l("Selection not found"), message=SELECTION_NOT_FOUND,
                      back_url=url_for("selections"))
    selection = {**dict(found), "id": selection_id}
    selection["name"] = selection_title(selection)
    # Translators: fallback name of a selection without one; %(id)s is its number.
    selection["name"] = selection.get("name") or _l("Selection %(id)s", id=selection_id)
    return selection_id, selection


@admin_required
async def selection_page(request: Request) -> Response:
    found = _selection_or_404(request)
    if isinstance(found, Response):
        return found
    selection_id, selection = found
    page = _page_number(request)
    engine = erpsync_of(request).engine
    members = engine.selection_members(selection_id, offset=(page - 1) * PAGE_SIZE,
                                       limit=PAGE_SIZE + 1)
    total = int(selection.get("member_count") or 0)
    import_id = selection.get("import_id")
    result_href = url_for("import_result", id=import_id) if import_id else None
    return render(request, "host/selection.html", selection=selection,
                  result_href=result_href, members=members[:PAGE_SIZE], total=total, page=page,
                  has_next=len(members) > PAGE_SIZE, page_url=_page_url(request))


@admin_required
async def selection_delete(request: Request) -> Response:
    """GET asks for confirmation; POST (with ``confirm=yes``) deletes the members."""
    found = _selection_or_404(request)
    if isinstance(found, Response):
        return found
    selection_id, selection = found
    total = int(selection.get("member_count") or 0)
    if request.method == "POST":
        form = await request.form()
        if not csrf_ok(request, form):
            return csrf_failed(request)
        if form.get("confirm") == "yes":
            from ..engine.api import ImportError_

            engine = erpsync_of(request).engine
            try:
                deleted = await run_in_threadpool(engine.delete_selection_members, selection_id)
            except ImportError_ as exc:
                return render(request, "host/selection_delete.html", status_code=409,
                              selection=selection, total=total, error=exc.user_message)
            flash(request, "deleted", num=int(deleted or 0))
        return redirect(url_for("selection", id=selection_id) or "/settings/selections")
    return render(request, "host/selection_delete.html", selection=selection, total=total,
                  error=None)


def routes() -> list[Route]:
    """The host's page routes (the plugin app and static files are mounted by the app)."""
    return [
        Route("/", home, methods=["GET"], name="home"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/settings", settings_home, methods=["GET"], name="settings"),
        Route("/settings/import", import_screen, methods=["GET"], name="import_sources"),
        Route("/settings/quote-sync", quote_sync, methods=["GET", "POST"], name="quote_sync"),
        # ERP connections: list, add, edit, test, activate, delete.
        *connections_pages.routes(),
        *history.routes(),
        Route("/settings/selections", selections, methods=["GET"], name="selections"),
        Route("/settings/selections/{id:int}", selection_page, methods=["GET"],
              name="selection"),
        Route("/settings/selections/{id:int}/delete", selection_delete,
              methods=["GET", "POST"], name="selection_delete"),
    ]

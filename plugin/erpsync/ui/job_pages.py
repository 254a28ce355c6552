"""Pages of an import job: **progress** (a bar that follows the background
apply, as HTML and as a small JSON document), **Retry** of a failed import and
**Undo import** with its confirmation page.

The progress page works without JavaScript: a ``<meta http-equiv=refresh>``
inside ``<noscript>`` reloads it; with JavaScript ``static/progress.js`` polls
the JSON instead (no inline script, so a strict CSP holds). Both survive a
reload: the progress lives in the database (and, for steps inside the apply
transaction, in the memory of the process running it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..engine import jobs
from ..engine.api import ImportError_, StaleImportError
from ..engine.undo import CHANGED, UndoRefused
from ..i18n import gettext, lazy_gettext, pgettext
from .common import DialogError, admin_route, redirect, run_blocking
from .imports import load_import

if TYPE_CHECKING:
    from ..app import CurrentUser, ErpSync

log = logging.getLogger(__name__)

#: Seconds between reloads of the progress page without JavaScript.
REFRESH_SECONDS = 2

UNDO_FAILED_TITLE = lazy_gettext("The import could not be undone")


def routes(erpsync: ErpSync) -> list[Route]:
    """Routes of the job pages (relative to the erpsync mount)."""
    r = admin_route
    return [
        r(erpsync, "/imports/{import_id:int}/progress", progress_view, name="erpsync_progress"),
        r(erpsync, "/imports/{import_id:int}/progress.json", progress_json,
          name="erpsync_progress_json"),
        r(erpsync, "/imports/{import_id:int}/retry", retry_view, name="erpsync_retry",
          methods=["POST"]),
        r(erpsync, "/imports/{import_id:int}/undo", undo_view, name="erpsync_undo",
          methods=["GET", "POST"]),
    ]


def phase_label(snapshot: jobs.ProgressSnapshot) -> Any:
    """What the job is doing, in words."""
    if snapshot.state == "failed":
        return jobs.PHASE_LABELS[jobs.PHASE_FAILED]
    if snapshot.finished:
        return jobs.PHASE_LABELS[jobs.PHASE_DONE]
    return jobs.PHASE_LABELS.get(snapshot.phase or jobs.QUEUED,
                                 jobs.PHASE_LABELS[jobs.QUEUED])


async def _snapshot(erpsync: ErpSync, import_id: int) -> jobs.ProgressSnapshot:
    engine = erpsync.engine
    snap = await run_blocking(engine.read_progress, import_id)
    # Importing, but not here: maybe its worker died (a killed process, or a job
    # that could not write its failure). A live worker elsewhere keeps it.
    if (snap.state == "importing" and not jobs.is_active_here(import_id)
            and await run_blocking(engine.recover_interrupted, import_id)):
        snap = await run_blocking(engine.read_progress, import_id)
    return snap


def _notice(request: Request) -> dict[str, str]:
    notice = request.query_params.get("notice")
    return {"notice": notice} if notice in ("already", "retried") else {}


# ------------------------------------------------------------------ progress


async def progress_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    imp = await load_import(erpsync, request)
    snap = await _snapshot(erpsync, imp["id"])
    if snap.state in ("staging", "previewed"):
        return redirect(erpsync.url_for(request, "erpsync_preview", import_id=imp["id"]))
    if snap.state in ("done", "undone"):
        return redirect(erpsync.url_for(request, "erpsync_result", import_id=imp["id"],
                                        query=_notice(request) or None))
    return erpsync.render(
        request, "erpsync/imports/progress.html", imp=imp, snap=snap,
        phase_label=phase_label(snap), refresh_seconds=REFRESH_SECONDS,
        failure=jobs.failure_message(snap.error_code) if snap.state == "failed" else None,
        already=request.query_params.get("notice") == "already")


async def progress_json(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """``{"id", "state", "phase", "done", "total", "percent", "finished",
    "error_code", "label", "next"}``: ``next`` is the page to show once finished."""
    imp = await load_import(erpsync, request)
    snap = await _snapshot(erpsync, imp["id"])
    body = snap.as_json()
    body["label"] = str(phase_label(snap))
    body["next"] = erpsync.url_for(request, "erpsync_progress", import_id=imp["id"])
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ retry


async def retry_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """Import a failed import again, in the background (one worker wins)."""
    imp = await load_import(erpsync, request)
    progress = erpsync.url_for(request, "erpsync_progress", import_id=imp["id"])
    try:
        await run_blocking(erpsync.jobs.submit_apply, imp["id"], user.id,
                           erpsync.locale_for(request), retry=True)
    except StaleImportError:
        return redirect(erpsync.url_for(request, "erpsync_progress", import_id=imp["id"],
                                        query={"notice": "already"}))
    except ImportError_ as exc:
        raise DialogError(409, exc.user_message, exc.technical, back_url=progress,
                          back_label=gettext("Back")) from exc
    return redirect(progress)


# ------------------------------------------------------------------ undo


async def undo_view(erpsync: ErpSync, request: Request, user: CurrentUser) -> Response:
    """GET: what undo will do (counts, conflicts) and a confirmation; POST
    (``confirm=yes``, ``force=yes`` to overwrite later changes) undoes."""
    imp = await load_import(erpsync, request)
    engine = erpsync.engine
    result_url = erpsync.url_for(request, "erpsync_result", import_id=imp["id"])
    if imp.get("state") != "done":
        return redirect(result_url)
    try:
        plan = await run_blocking(engine.undo_plan, imp["id"])
    except ImportError_ as exc:
        raise DialogError(409, exc.user_message, exc.technical, title=UNDO_FAILED_TITLE,
                          back_url=result_url, back_label=gettext("Back")) from exc
    refused = None
    if request.method == "POST":
        form = await request.form()
        if form.get("confirm") != "yes":
            return redirect(result_url)
        try:
            await run_blocking(engine.undo_import, imp["id"], user.id,
                               form.get("force") == "yes")
        except UndoRefused as exc:
            plan, refused = exc.plan, exc.user_message
        except ImportError_ as exc:
            raise DialogError(409, exc.user_message, exc.technical, title=UNDO_FAILED_TITLE,
                              back_url=result_url, back_label=gettext("Back")) from exc
        else:
            return redirect(erpsync.url_for(request, "erpsync_result", import_id=imp["id"],
                                            query={"notice": "undone"}))
    return erpsync.render(
        request, "erpsync/imports/undo.html", status_code=409 if refused else 200,
        imp=imp, plan=plan, refused=refused, changed=CHANGED,
        kind_label=_kind_label)


def _kind_label(crm_type: str) -> str:
    return (pgettext("actor kind", "Company") if crm_type == "company"
            else pgettext("actor kind", "Person"))

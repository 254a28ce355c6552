"""``erpsync imports``: past imports from the command line.

::

    erpsync imports list [--page N] [--limit N] [--json]
    erpsync imports show ID [--json]
    erpsync imports undo ID [--force] --yes [--json]
    erpsync imports retry ID --yes [--json] [--quiet]

``undo`` and ``retry`` without ``--yes`` only say what they would do. Imports
left ``importing`` by a process that died are marked failed first, so that
``retry`` can import them (exactly once).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click

from .cli_common import BadInput, CliState, Failure, LazyHelpGroup, Progress, option, pass_state
from .engine import jobs
from .engine.api import ImportEngine, ImportError_, ImportResult, StaleImportError
from .engine.history import selection_title
from .engine.settings import ImportSettings
from .engine.undo import CHANGED, UndoPlan, UndoRefused
from .i18n import gettext, ngettext, pgettext
from .i18n import lazy_gettext as _l

STATE_LABELS = {
    "staging": _l("staged"),
    "previewed": _l("previewed"),
    "importing": _l("importing"),
    "done": _l("imported"),
    "failed": _l("failed"),
    "undone": _l("undone"),
}


def import_engine(state: CliState) -> ImportEngine:
    """The engine on ``--db``, backups in the data directory, backup options
    from the environment (``ERPSYNC_BACKUP_KEEP``, ``ERPSYNC_PG_DUMP``)."""
    try:
        return ImportEngine.from_environment(state.engine(),
                                             state.resolved_data_dir() / "backups")
    except ValueError as exc:
        raise BadInput(str(exc)) from exc


def apply_listener(progress: Progress, import_id: int) -> Callable[[str, int, int | None], None]:
    """Shows an apply's phases on ``progress`` (a bar on a terminal, lines otherwise)."""

    def listen(phase: str, done: int, total: int | None) -> None:
        snap = jobs.ProgressSnapshot(import_id, "importing", phase, done, total)
        progress.show("apply", jobs.PHASE_LABELS.get(phase, phase), snap.percent, 100)

    return listen


def apply_with_progress(engine: ImportEngine, import_id: int, progress: Progress, *,
                        retry: bool = False) -> ImportResult:
    """:meth:`ImportEngine.apply` with its phases shown on ``progress``."""
    reporter = jobs.ProgressReporter(engine.db, import_id,
                                     listener=apply_listener(progress, import_id))
    return engine.apply(import_id, None, progress=reporter, retry=retry)


@click.group("imports", cls=LazyHelpGroup, help=_l(
    "Past imports: list them, show one, undo one or try a failed one again."))
def imports_group() -> None:
    pass


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: timedelta | None) -> float | None:
    return round(value.total_seconds(), 3) if value is not None else None


def _user_names(state: CliState, ids: list[int | None]) -> dict[int, str]:
    from .host.history import user_names

    return user_names(state.engine(), ids)


def _record_json(row: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    out = {
        "id": row["id"], "state": row["state"], "source": row["source"],
        "user_id": row.get("user_id"), "user": names.get(row.get("user_id") or -1),
        "created_at": _when(row.get("created_at")) or None,
        "started_at": _when(row.get("started_at")) or None,
        "finished_at": _when(row.get("finished_at")) or None,
        "duration_seconds": _seconds(row.get("duration")),
        "new": row.get("new_count"), "updated": row.get("updated_count"),
        "skipped": row.get("skipped_count"),
        "new_selection_id": row.get("new_selection_id"),
        "updated_selection_id": row.get("updated_selection_id"),
        "parts": [{"connection_id": p.connection_id, "connection": p.connection_name,
                   "actor_type": p.actor_type, "count": p.count} for p in row.get("parts", [])],
        "error_code": row.get("error_code"), "error": row.get("error"),
        "undone_at": _when(row.get("undone_at")) or None,
    }
    if "settings" in row:
        out["settings"] = ImportSettings.from_json(row.get("settings")).to_json()
    if "selections" in row:
        out["selections"] = [{"id": s["id"], "kind": s["kind"], "name": selection_title(s)}
                             for s in row["selections"]]
    return out


def _parts_text(row: dict[str, Any]) -> str:
    return ", ".join(f"{p.connection_name or '-'}/{p.actor_type}:{p.count}"
                     for p in row.get("parts", []))


@imports_group.command("list", help=_l("Past imports, newest first."))
@option("--page", type=click.IntRange(1, 1_000_000), default=1, show_default=True,
        help=_l("Page of the list."))
@option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
        help=_l("Imports per page."))
@option("--json", "as_json", is_flag=True, help=_l("Print one JSON array on standard output."))
@pass_state
def list_command(state: CliState, page: int, limit: int, as_json: bool) -> None:
    engine = import_engine(state)
    engine.recover_interrupted()
    rows = engine.list_imports((page - 1) * limit, limit)
    names = _user_names(state, [r.get("user_id") for r in rows])
    if as_json:
        click.echo(json.dumps([_record_json(r, names) for r in rows], ensure_ascii=False))
        return
    if not rows:
        click.echo(gettext("No imports have been run yet."))
        return
    header = (pgettext("cli column", "ID"), pgettext("cli column", "Status"),
              pgettext("cli column", "Started"), pgettext("cli column", "By"),
              pgettext("cli column", "New"), pgettext("cli column", "Updated"),
              pgettext("cli column", "Skipped"), pgettext("cli column", "Connection"))
    lines = [header] + [(
        str(r["id"]), str(STATE_LABELS.get(r["state"], r["state"])),
        _when(r.get("started_at") or r.get("created_at")),
        names.get(r.get("user_id") or -1, "-"), str(r.get("new_count") or 0),
        str(r.get("updated_count") or 0), str(r.get("skipped_count") or 0), _parts_text(r),
    ) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                   .rstrip())


def _record_or_fail(engine: ImportEngine, import_id: int) -> dict[str, Any]:
    engine.recover_interrupted(import_id)
    record = engine.import_record(import_id)
    if record is None:
        # Translators: %(id)s is the number of an import.
        raise BadInput(gettext("There is no import %(id)s.", id=import_id))
    return record


@imports_group.command("show", help=_l("One import: who, when, settings, counts, "
                                       "selections and, if it failed, why."))
@click.argument("import_id", type=click.IntRange(1))
@option("--json", "as_json", is_flag=True, help=_l("Print one JSON object on standard output."))
@pass_state
def show_command(state: CliState, import_id: int, as_json: bool) -> None:
    engine = import_engine(state)
    record = _record_or_fail(engine, import_id)
    names = _user_names(state, [record.get("user_id"), record.get("undone_by")])
    data = _record_json(record, names)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    rows = [
        (pgettext("cli field", "Import"), str(record["id"])),
        (pgettext("cli field", "Status"), str(STATE_LABELS.get(record["state"], record["state"]))),
        (pgettext("cli field", "Source"), record["source"]),
        (pgettext("cli field", "By"), data["user"] or "-"),
        (pgettext("cli field", "Created"), data["created_at"] or "-"),
        (pgettext("cli field", "Started"), data["started_at"] or "-"),
        (pgettext("cli field", "Finished"), data["finished_at"] or "-"),
        (pgettext("cli field", "New"), str(record.get("new_count") or 0)),
        (pgettext("cli field", "Updated"), str(record.get("updated_count") or 0)),
        (pgettext("cli field", "Skipped"), str(record.get("skipped_count") or 0)),
        (pgettext("cli field", "Connection"), _parts_text(record) or "-"),
    ]
    if data["duration_seconds"] is not None:
        # Translators: %(seconds)s is a duration in seconds, such as 2.5.
        took = gettext("%(seconds)s s", seconds=data["duration_seconds"])
        rows.append((pgettext("cli field", "Duration"), took))
    if data["undone_at"]:
        rows.append((pgettext("cli field", "Undone"), data["undone_at"]))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"{label.ljust(width)}  {value}")
    click.echo(pgettext("cli field", "Settings"))
    for key, value in data["settings"].items():
        click.echo(f"  {key}={value}")
    for sel in data["selections"]:
        # Translators: %(id)s is the number of a selection, %(name)s its name.
        click.echo(gettext("Selection %(id)s: %(name)s", id=sel["id"], name=sel["name"]))
    if record["state"] == "failed":
        click.echo(str(jobs.failure_message(record.get("error_code"))))
        if record.get("error"):
            click.echo(f"  {record['error']}")


def _print_plan(plan: UndoPlan) -> None:
    # Translators: %(num)s updated actors get the values they had before the import.
    click.echo(ngettext("Restore %(num)s updated actor.", "Restore %(num)s updated actors.",
                        plan.restore, num=plan.restore))
    # Translators: %(num)s actors the import created are removed.
    click.echo(ngettext("Remove %(num)s new actor.", "Remove %(num)s new actors.",
                        plan.remove, num=plan.remove))
    if plan.gone:
        # Translators: %(num)s actors of the import are no longer in the CRM.
        click.echo(ngettext("%(num)s actor of the import is no longer in the CRM.",
                            "%(num)s actors of the import are no longer in the CRM.",
                            plan.gone, num=plan.gone))
    if plan.conflict_count:
        # Translators: %(num)s actors were changed after the import (or depend on it).
        click.echo(ngettext("%(num)s actor was changed after the import or depends on it:",
                            "%(num)s actors were changed after the import or depend on it:",
                            plan.conflict_count, num=plan.conflict_count))
        for conflict in plan.conflicts:
            why = (gettext("changed after the import") if conflict.reason == CHANGED
                   else gettext("would lose its company"))
            click.echo(f"  {conflict.crm_type} {conflict.crm_id}  {conflict.name}: {why}")


@imports_group.command("undo", help=_l(
    "Undo an import: updated actors get their previous values back, new actors are "
    "removed. Refused when actors were changed after the import, unless --force. "
    "Without --yes it only shows what it would do."))
@click.argument("import_id", type=click.IntRange(1))
@option("--force", is_flag=True, help=_l("Undo also actors changed after the import "
                                         "(those changes are lost)."))
@option("--yes", "-y", is_flag=True, help=_l("Undo; without it only the plan is shown."))
@option("--json", "as_json", is_flag=True, help=_l("Print the outcome as one JSON object."))
@pass_state
def undo_command(state: CliState, import_id: int, force: bool, yes: bool,
                 as_json: bool) -> None:
    engine = import_engine(state)
    _record_or_fail(engine, import_id)
    try:
        plan = engine.undo_plan(import_id)
    except ImportError_ as exc:
        raise BadInput(exc.user_message) from exc
    outcome: dict[str, Any] = {
        "import_id": import_id, "undone": False, "restore": plan.restore,
        "remove": plan.remove, "gone": plan.gone, "conflicts": plan.conflict_count,
        "dry_run": not yes,
    }
    if not as_json:
        _print_plan(plan)
    if not yes:
        if as_json:
            click.echo(json.dumps(outcome, ensure_ascii=False))
        else:
            click.echo(gettext("Dry run: nothing was undone. Add --yes to undo."))
        return
    try:
        result = engine.undo_import(import_id, None, force=force)
    except UndoRefused as exc:
        raise Failure(f"{exc.user_message} (--force)") from exc
    except ImportError_ as exc:
        raise Failure(exc.user_message) from exc
    outcome.update(undone=True, restored=result.restored, removed=result.removed,
                   overwritten=result.overwritten,
                   backup_path=str(result.backup_path) if result.backup_path else None)
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
        return
    # Translators: %(id)s is an import; the others are numbers of actors.
    click.echo(gettext("Import %(id)s undone: %(restored)s actors restored, %(removed)s "
                       "removed.", id=import_id, restored=result.restored,
                       removed=result.removed))


@imports_group.command("retry", help=_l(
    "Import a failed import again (also one a stopped process left behind). Its "
    "preview runs again first; rows you had unchecked stay unchecked. Without --yes "
    "it only says what failed."))
@click.argument("import_id", type=click.IntRange(1))
@option("--yes", "-y", is_flag=True, help=_l("Import; without it nothing is imported."))
@option("--json", "as_json", is_flag=True, help=_l("Print the outcome as one JSON object."))
@option("--quiet", "-q", is_flag=True, help=_l("No progress output on standard error."))
@pass_state
def retry_command(state: CliState, import_id: int, yes: bool, as_json: bool,
                  quiet: bool) -> None:
    engine = import_engine(state)
    record = _record_or_fail(engine, import_id)
    if record["state"] != "failed":
        raise BadInput(jobs.MSG_NOT_FAILED)
    if not yes:
        if as_json:
            click.echo(json.dumps({"import_id": import_id, "applied": False, "dry_run": True,
                                   "error_code": record.get("error_code")}))
            return
        click.echo(str(jobs.failure_message(record.get("error_code"))))
        click.echo(gettext("Dry run: nothing was imported. Add --yes to import."))
        return
    try:
        with Progress(quiet=quiet) as progress:
            result = apply_with_progress(engine, import_id, progress, retry=True)
    except StaleImportError as exc:
        raise BadInput(exc.user_message) from exc
    except ImportError_ as exc:
        raise Failure(exc.user_message) from exc
    outcome = {"import_id": import_id, "applied": True, "new": result.new,
               "updated": result.updated, "skipped": result.skipped,
               "new_selection_id": result.new_selection_id,
               "updated_selection_id": result.updated_selection_id,
               "backup_path": str(result.backup_path) if result.backup_path else None}
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
        return
    # Translators: %(id)s is the number of the import; the others are counts of actors.
    click.echo(gettext("Import %(id)s done: %(new)s new, %(updated)s updated, "
                       "%(skipped)s not imported.", id=import_id, new=result.new,
                       updated=result.updated, skipped=result.skipped))

"""``erpsync import``: the ERP Sync wizard without a browser.

Same steps as the dialogs: pick a connection and an actor type, search with
criteria, stage the matches (and the companies staged persons belong to),
configure the import settings, preview, import. Everything the user typed is
checked before anything is written: a bad connection, actor type, field,
operator or value exits with code 2 and leaves the database as it was.

With ``--file`` a CSV file or an Excel workbook is imported instead, through
the same run (:mod:`erpsync.cli_file_import`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .cli_common import BadInput, CliState, Failure, LazyHelpCommand, Progress, option, pass_state
from .cli_connections import connection_or_fail
from .cli_imports import import_engine
from .connectors.base import (
    ActorType,
    Connector,
    ConnectorError,
    ErpActor,
    FieldMeta,
    FieldType,
    Operator,
    Restriction,
)
from .connectors.restrictions import compile_restrictions
from .engine import reasons
from .engine.api import ImportEngine, ImportError_, ImportResult, PreviewCounts
from .engine.settings import (
    Action,
    CommunicationRule,
    CompanyMatch,
    ImportSettings,
    ListValues,
    NoCompany,
    PersonMatch,
)
from .i18n import gettext, localize, pgettext
from .i18n import lazy_gettext as _l

#: Source key of imports started here, as the web wizard's (the engine treats them alike).
SOURCE = "erp"
#: Separator of the two values of ``between`` and the values of ``oneof``/``notoneof``.
VALUE_SEPARATOR = "|"
#: Spellings of operators that need no shell quoting.
OPERATOR_ALIASES = {
    "eq": "=", "==": "=", "ne": "!=", "<>": "!=", "gt": ">", "lt": "<", "ge": ">=",
    "gte": ">=", "le": "<=", "lte": "<=",
}
#: How many ERP keys to ask the connector for at once when fetching parents.
PARENT_BATCH = 200
#: How many rows the preview will not import are listed (with their reason).
NOT_IMPORTED_SAMPLE = 20

PREVIEW_LABELS = {
    "company_new": _l("Companies new"),
    "company_updated": _l("Companies updated"),
    "person_new": _l("Persons new"),
    "person_updated": _l("Persons updated"),
    "not_imported": _l("Not imported"),
}


#: stage(engine, import id, plan, progress) -> rows staged: a source's staging step.
StageStep = Callable[[ImportEngine, int, Any, Progress], int]


def _choices(enum_cls: Any) -> click.Choice:
    return click.Choice([member.value for member in enum_cls])


@dataclass
class ImportPlan:
    """Everything the user asked for, checked and resolved."""

    connection_id: int
    connection_name: str
    connector: Connector
    actor_type: ActorType
    restrictions: list[Restriction]
    settings: ImportSettings
    #: --changed-since-last: stage the actors changed after this instead of searching.
    since: datetime | None = None


@click.command("import", cls=LazyHelpCommand, help=_l(
    "Import actors from an ERP connection in one go: search, stage, preview and, "
    "with --yes, import. Without --yes it is a dry run: it prints the preview counts "
    "and imports nothing."), epilog=_l(
    "Criteria: --where FIELD OP VALUE, repeatable, AND-ed. For 'between' give "
    "'low|high'; for 'oneof' and 'notoneof' give 'a|b|c'. Operators: = != > < >= <= "
    "(also eq ne gt lt ge le), begins contains ends notbegins notcontains notends "
    "isnot between oneof notoneof before after beforeOrEqual afterOrEqual. "
    "Example: erpsync import --connection Demo --actor-type customer "
    "--where POSTALCITY contains oslo --yes"))
@option("--connection", "connection_name", metavar="NAME",
        help=_l("Name of the ERP connection (see 'erpsync connections list')."))
@option("--file", "file_path", type=click.Path(dir_okay=False, path_type=Path),
        metavar="PATH", help=_l("Import a CSV file or an Excel workbook (.xlsx) instead of "
                                "searching an ERP connection."))
@option("--sheet", metavar="NAME", help=_l("With --file: the sheet of the workbook to read "
                                          "(default: the first)."))
@option("--mapping", "mapping_name", metavar="NAME",
        help=_l("With --file: a column mapping saved in the File dialog (default: columns "
                "named by a field key or a known field name map themselves)."))
@option("--actor-type", type=_choices(ActorType),
        help=_l("What to import (with --file default: customer)."))
@option("--where", "criteria", nargs=3, multiple=True, metavar="FIELD OP VALUE",
        help=_l("A search criterion; repeat for more (all must hold)."))
@option("--match", type=_choices(CompanyMatch),
        help=_l("Duplicate match for companies (default: name)."))
@option("--person-match", type=_choices(PersonMatch),
        help=_l("Duplicate match for persons (default: name; none = do not import persons)."))
@option("--action", type=_choices(Action),
        help=_l("What to do with a match: add always, merge (update empty fields), replace "
                "(overwrite existing) or skip (default: merge)."))
@option("--no-company", type=_choices(NoCompany),
        help=_l("A person without company name (default: create_from_person)."))
@option("--list-values", type=_choices(ListValues),
        help=_l("A list value (category...) not in the CRM: add a new item, use the "
                "default or leave blank (default: add)."))
@option("--phone", type=_choices(CommunicationRule),
        help=_l("Phone numbers: add new and keep existing, replace, or ignore (default: add)."))
@option("--url-email", type=_choices(CommunicationRule),
        help=_l("URLs and e-mail addresses: add, replace or ignore (default: add)."))
@option("--changed-since-last", is_flag=True, help=_l(
    "Instead of --where: stage the actors of this type changed in the ERP since the last "
    "import of this type from this connection (a few minutes more, to be safe)."))
@option("--yes", "-y", is_flag=True, help=_l("Import; without it only the preview is shown."))
@option("--json", "as_json", is_flag=True,
        help=_l("Print the result as one JSON object on standard output."))
@option("--quiet", "-q", is_flag=True, help=_l("No progress output on standard error."))
@pass_state
def import_command(state: CliState, connection_name: str | None, file_path: Path | None,
                   sheet: str | None, mapping_name: str | None, actor_type: str | None,
                   criteria: Sequence[tuple[str, str, str]], match: str | None,
                   person_match: str | None, action: str | None, no_company: str | None,
                   list_values: str | None, phone: str | None, url_email: str | None,
                   changed_since_last: bool, yes: bool, as_json: bool, quiet: bool) -> None:
    settings = ImportSettings.from_json({
        "company_match": match, "person_match": person_match,
        "company_action": action, "person_action": action, "no_company": no_company,
        "list_values": list_values, "phone": phone, "url_email": url_email,
    })
    if (file_path is None) == (connection_name is None):
        raise BadInput(gettext("Give either --connection NAME or --file PATH."))
    if file_path is None and (sheet or mapping_name):
        raise BadInput(gettext("--sheet and --mapping can only be used with --file."))
    if file_path is not None and criteria:
        raise BadInput(gettext("--where cannot be used with --file."))
    if file_path is None and actor_type is None:
        raise BadInput(gettext("Give --actor-type: customer, supplier or person."))
    if changed_since_last and (file_path is not None or criteria):
        raise BadInput(gettext("--changed-since-last cannot be used with --where or --file."))
    db = state.engine()
    engine = import_engine(state)
    with Progress(quiet=quiet) as progress:
        if file_path is not None:
            from .cli_file_import import SOURCE_KEY, plan_file_import, stage_file_plan

            plan: Any = plan_file_import(db, file_path, sheet, actor_type, mapping_name,
                                         settings, progress)
            outcome = run_import(engine, plan, apply=yes, progress=progress,
                                 source=SOURCE_KEY, stage=stage_file_plan)
        else:
            plan = plan_import(db, str(connection_name), ActorType(str(actor_type)), criteria,
                               settings)
            if changed_since_last:
                plan.since = changed_since_or_fail(engine, plan)
            outcome = run_import(engine, plan, apply=yes, progress=progress)
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
    else:
        _print_outcome(outcome)


# ------------------------------------------------------------------ checking


def plan_import(db: Any, connection_name: str, actor_type: ActorType,
                criteria: Iterable[tuple[str, str, str]],
                settings: ImportSettings) -> ImportPlan:
    """Check every input against the connection; :class:`BadInput` on the first problem."""
    from .connections import ConnectionStore
    from .connectors.registry import connector_classes, make_connector
    from .plugins import get_plugin_manager

    record = connection_or_fail(ConnectionStore(db), connection_name)
    if not record.active:
        # Translators: %(name)s is an ERP connection name.
        raise BadInput(gettext("The ERP connection %(name)s is not active.", name=record.name))
    classes = connector_classes(get_plugin_manager())
    try:
        connector = make_connector(classes, record.connector, record.config)
        supported = list(connector.actor_types())
    except ConnectorError as exc:
        raise Failure(_connector_message(exc)) from exc
    if actor_type not in supported:
        # Translators: %(name)s is a connection; %(type)s and %(known)s are actor types.
        raise BadInput(gettext("The ERP connection %(name)s has no %(type)s. It has: %(known)s",
                               name=record.name, type=actor_type.label,
                               known=", ".join(t.value for t in supported) or "-"))
    try:
        searchable = list(connector.searchable_fields(actor_type))
    except ConnectorError as exc:
        raise Failure(_connector_message(exc)) from exc
    restrictions = [_restriction(searchable, connector, *crit) for crit in criteria]
    try:
        # The protocol's own checks: value counts, numbers, dates, yes/no.
        compile_restrictions(searchable, restrictions)
    except ConnectorError as exc:
        raise BadInput(exc.user_message) from exc
    return ImportPlan(record.id, record.name, connector, actor_type, restrictions, settings)


def _restriction(searchable: list[FieldMeta], connector: Connector, field_key: str,
                 op_text: str, value: str) -> Restriction:
    by_key = {f.key.upper(): f for f in searchable}
    field = by_key.get(field_key.strip().upper())
    if field is None:
        # Translators: %(field)s is a field key typed by the user; %(known)s the valid ones.
        raise BadInput(gettext("Unknown search field %(field)s. Searchable fields: %(known)s",
                               field=field_key, known=", ".join(f.key for f in searchable)))
    operator = _operator(op_text)
    allowed = field.operators
    if operator is None or operator not in allowed:
        # Translators: %(op)s is an operator typed by the user, %(field)s a field key,
        # %(known)s the operators that field accepts.
        raise BadInput(gettext("The operator %(op)s cannot be used with %(field)s. "
                               "Use one of: %(known)s", op=op_text, field=field.key,
                               known=" ".join(o.value for o in allowed)))
    if operator in (Operator.BETWEEN, Operator.ONEOF, Operator.NOTONEOF):
        values = tuple(v.strip() for v in value.split(VALUE_SEPARATOR))
    else:
        values = (value,)
    if operator is Operator.BETWEEN and (len(values) != 2 or not all(values)):
        # Translators: %(field)s is a field key; keep 'low|high' as is.
        raise BadInput(gettext("'between' needs two values written as 'low|high' "
                               "(field %(field)s).", field=field.key))
    if field.type is FieldType.LIST:
        values = tuple(_list_key(connector, field, v) for v in values if v)
    return Restriction(field=field.key, operator=operator, values=values)


def _operator(text: str) -> Operator | None:
    wanted = OPERATOR_ALIASES.get(text.strip().lower(), text.strip())
    for op in Operator:
        if op.value.lower() == wanted.lower():
            return op
    return None


def _list_key(connector: Connector, field: FieldMeta, value: str) -> str:
    """The key of a list item given by key or by name (any language), when the
    connector lists its items; the value as typed otherwise."""
    if not field.list_name:
        return value
    try:
        items = connector.list_items(field.list_name)
    except ConnectorError as exc:
        raise Failure(_connector_message(exc)) from exc
    if not items:
        return value
    wanted = value.casefold()
    for item in items:
        names = item.name.values() if isinstance(item.name, dict) else [localize(item.name)]
        if item.key.casefold() == wanted or any(str(n).casefold() == wanted for n in names):
            return item.key
    # Translators: %(value)s was typed by the user; %(field)s is a field key;
    # %(known)s lists the valid values.
    raise BadInput(gettext("%(value)s is not a value of %(field)s. Values: %(known)s",
                           value=value, field=field.key,
                           known=", ".join(localize(i.name) or i.key for i in items)))


def _connector_message(exc: ConnectorError) -> str:
    message = str(exc.user_message)
    return f"{message} ({exc.technical})" if exc.technical and exc.technical != message \
        else message


# ------------------------------------------------------------------ running


def run_import(engine: ImportEngine, plan: Any, apply: bool, progress: Progress, *,
               source: str = SOURCE, stage: StageStep | None = None) -> dict[str, Any]:
    """Stage, preview and (when ``apply``) import; returns the JSON outcome.

    ``plan`` is an :class:`ImportPlan` staged by searching its connection,
    or another source's plan (with ``settings``) staged by ``stage``.
    A dry run, an empty search and any failure before the import discard the
    pending import, so nothing of it stays behind.
    """
    import_id = engine.create_import(source, None)
    attempted = False  # a failed apply keeps its import, with the error, for the record
    try:
        staged = (stage or _stage)(engine, import_id, plan, progress)
        engine.save_settings(import_id, plan.settings)
        counts = engine.preview(import_id)
        skipped = _not_imported_sample(engine, import_id, counts)
        if apply and counts.checked:
            progress.note(gettext("Importing…"))
            attempted = True
            from .cli_imports import apply_with_progress

            result = apply_with_progress(engine, import_id, progress)
            return _outcome(import_id, staged, counts, result, skipped)
        return _outcome(None, staged, counts, None, skipped, dry_run=not apply)
    except ConnectorError as exc:
        raise Failure(_connector_message(exc)) from exc
    except ImportError_ as exc:
        raise Failure(exc.user_message) from exc
    finally:
        if not attempted:
            _discard(engine, import_id)


def _discard(engine: ImportEngine, import_id: int) -> None:
    # Already gone or applied: nothing to clean up.
    with contextlib.suppress(ImportError_):
        engine.discard_import(import_id)


def _stage(engine: ImportEngine, import_id: int, plan: ImportPlan,
           progress: Progress) -> int:
    label = plan.actor_type.label
    if plan.since is not None:
        # Translators: %(type)s is an actor type such as "Customers"; %(name)s a
        # connection; %(date)s a date and time (UTC).
        searching = gettext("Reading %(type)s changed since %(date)s in %(name)s…", type=label,
                            name=plan.connection_name, date=plan.since.strftime("%Y-%m-%d %H:%M"))
        found: Iterable[ErpActor] = _changed_actors(plan)
    else:
        # Translators: %(type)s is an actor type such as "Customers"; %(name)s a connection.
        searching = gettext("Searching %(type)s in %(name)s…", type=label,
                            name=plan.connection_name)
        found = plan.connector.iter_search(plan.actor_type, plan.restrictions)
    actors = progress.count(
        found, searching,
        # Translators: %(num)s is a number of actors found in the ERP so far.
        done=lambda n: gettext("%(num)s actors found", num=n))
    result = engine.stage(import_id, plan.connection_id, actors)
    staged = result.added
    parents = _stage_parents(engine, import_id, plan, progress)
    if parents:
        # Translators: %(num)s is a number of companies.
        progress.note(gettext("%(num)s companies staged because staged persons belong to them",
                              num=parents))
    return staged + parents


def changed_since_or_fail(engine: ImportEngine, plan: ImportPlan) -> datetime:
    """Where --changed-since-last starts (:class:`BadInput` when the connection
    never imported this actor type)."""
    since = engine.changed_since_start(plan.connection_id, plan.actor_type.value)
    if since is None:
        # Translators: %(type)s is an actor type such as "Customers"; %(name)s a connection.
        raise BadInput(gettext("There is no earlier import of %(type)s from %(name)s. "
                               "Import them once without --changed-since-last.",
                               type=plan.actor_type.label, name=plan.connection_name))
    return since


def _changed_actors(plan: ImportPlan) -> Iterable[ErpActor]:
    assert plan.since is not None
    try:
        return plan.connector.changed_since(plan.actor_type, plan.since)
    except NotImplementedError as exc:
        # Translators: %(name)s is an ERP connection.
        raise BadInput(gettext("The ERP connection %(name)s cannot list changed actors.",
                               name=plan.connection_name)) from exc


def _stage_parents(engine: ImportEngine, import_id: int, plan: ImportPlan,
                   progress: Progress) -> int:
    """Stage the companies that staged persons belong to, as the dialog does.
    Keys the ERP does not know are asked for once, not again."""
    asked: set[tuple[int | None, str, str]] = set()
    added = 0
    while True:
        todo: dict[tuple[int | None, str], list[str]] = {}
        for (connection_id, actor_type), keys in engine.missing_parents(import_id).items():
            if connection_id != plan.connection_id:
                continue  # another connection's parents cannot be fetched from this one
            fresh = [k for k in keys if (connection_id, str(actor_type), k) not in asked]
            if fresh:
                todo[(connection_id, str(actor_type))] = fresh
        if not todo:
            return added
        for (connection_id, actor_type), keys in todo.items():
            asked.update((connection_id, actor_type, k) for k in keys)
            kind = ActorType(actor_type)
            for batch in _batches(keys, PARENT_BATCH):
                actors = plan.connector.get_actors(kind, batch)
                result = engine.stage(import_id, connection_id, actors, via_parent=True)
                added += result.parents_added


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _not_imported_sample(engine: ImportEngine, import_id: int,
                         counts: PreviewCounts) -> list[dict[str, Any]]:
    """The first rows the preview will not import, with the reason in words."""
    if not counts.not_imported:
        return []
    rows = engine.preview_rows(import_id, limit=NOT_IMPORTED_SAMPLE, status="not_imported")
    return [{"actor_type": str(getattr(r.actor_type, "value", r.actor_type)),
             "erp_key": r.erp_key, "name": r.display_name, "reason": r.reason,
             "reason_text": reasons.reason_label(r.reason)} for r in rows]


def _outcome(import_id: int | None, staged: int, counts: PreviewCounts,
             result: ImportResult | None, not_imported: list[dict[str, Any]],
             dry_run: bool = False) -> dict[str, Any]:
    return {
        "import_id": import_id,
        "applied": result is not None,
        "dry_run": dry_run,
        "staged": staged,
        "new": result.new if result else 0,
        "updated": result.updated if result else 0,
        "skipped": result.skipped if result else 0,
        "new_selection_id": result.new_selection_id if result else None,
        "updated_selection_id": result.updated_selection_id if result else None,
        "backup_path": str(result.backup_path) if result and result.backup_path else None,
        "preview": asdict(counts),
        "not_imported": not_imported,
    }


def _print_outcome(outcome: dict[str, Any]) -> None:
    preview = outcome["preview"]
    click.echo(pgettext("cli", "Preview import"))
    width = max(len(str(label)) for label in PREVIEW_LABELS.values())
    for key, label in PREVIEW_LABELS.items():
        click.echo(f"  {str(label).ljust(width)}  {preview[key]}")
    rows = outcome["not_imported"]
    if rows:
        total = preview["not_imported"]
        if len(rows) < total:
            # Translators: a heading of a list of rows; %(num)s of %(total)s are listed.
            click.echo(gettext("Not imported (first %(num)s of %(total)s):", num=len(rows),
                               total=total))
        else:
            click.echo(gettext("Not imported:"))
        for row in rows:
            click.echo(f"  {row['erp_key']}  {row['name'] or ''}: {row['reason_text']}")
    if outcome["dry_run"]:
        click.echo(gettext("Dry run: nothing was imported. Add --yes to import."))
        return
    if not outcome["applied"]:
        click.echo(gettext("Nothing to import."))
        return
    # Translators: %(id)s is the number of the import; the others are counts of actors.
    click.echo(gettext("Import %(id)s done: %(new)s new, %(updated)s updated, "
                       "%(skipped)s not imported.", id=outcome["import_id"],
                       new=outcome["new"], updated=outcome["updated"],
                       skipped=outcome["skipped"]))
    if outcome["new_selection_id"] is not None:
        # Translators: %(id)s is the number of a selection (a saved list of actors).
        click.echo(gettext("New actors: selection %(id)s", id=outcome["new_selection_id"]))
    if outcome["updated_selection_id"] is not None:
        # Translators: %(id)s is the number of a selection (a saved list of actors).
        click.echo(gettext("Updated actors: selection %(id)s",
                           id=outcome["updated_selection_id"]))

"""Undo import: take a done import back, set-based, in one transaction.

* **Updated actors** get their before-images back (``before_image``, written
  by the apply): every column and their communications.
* **New actors** (and companies created from a person's name) are removed,
  with their communications, ERP links and selection memberships.
* ERP links the import made for actors it matched by a duplicate rule are
  removed (links that existed before stay); the import's two selections go.
* List values the import added ("Add new item") stay: other actors may use them.

An actor counts as **changed after the import** when its ``updated_at`` is
later than the end of the import (another import, or a user in the CRM, changed
it); a person outside the import whose company the import created would lose
that company. Either is a conflict: undo refuses unless forced, and forced it
overwrites those changes. The import ends in state ``undone``; a compare-and-set
on ``done`` makes it happen once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)

from ..i18n import LazyString, lazy_gettext, ngettext
from . import runs
from .backup import DEFAULT_KEEP, PgDumpError, backup_database
from .fieldmap import COMPANY, PERSON
from .normalize import person_name
from .results import ImportError_
from .schema import (
    before_image,
    communication,
    company,
    erp_link,
    import_run,
    person,
    selection,
    selection_member,
    staged_actor,
)
from .sqlutil import utcnow, write_transaction
from .states import COMPANY_NEW, DONE, PERSON_NEW, UNDONE

log = logging.getLogger(__name__)

sa = staged_actor
bi = before_image
TABLES = {COMPANY: company, PERSON: person}

#: Conflict reasons.
CHANGED = "changed"  # changed in the CRM after the import
LOSES_COMPANY = "loses_company"  # a person outside the import in a company it created

MSG_NOT_DONE = lazy_gettext("Only a finished import can be undone.")
MSG_ALREADY_UNDONE = lazy_gettext("This import has already been undone.")
MSG_UNDO_FAILED = lazy_gettext("The import could not be undone; nothing was changed.")
MSG_BACKUP_FAILED = lazy_gettext(
    "The database could not be backed up, so the import was not undone. Check the "
    "backup folder and try again.")
MSG_PG_DUMP_FAILED = lazy_gettext(
    "pg_dump could not back up the database, so the import was not undone. Check that "
    "pg_dump is installed and can connect to the database, then try again.")
#: How many conflicting actors are listed by name.
CONFLICT_SAMPLE = 20


def _conflict_message(count: int) -> str:
    # Translators: %(num)s is how many companies and persons conflict with an undo.
    return ngettext(
        "%(num)s actor of this import was changed after the import, or depends on it. "
        "Undo would overwrite those changes, so nothing was undone. Check the actors, "
        "then undo anyway if you are sure.",
        "%(num)s actors of this import were changed after the import, or depend on it. "
        "Undo would overwrite those changes, so nothing was undone. Check the actors, "
        "then undo anyway if you are sure.", count)


@dataclass
class UndoConflict:
    """An actor that undo would harm (see the module docstring)."""

    crm_type: str  # "company" | "person"
    crm_id: int
    name: str
    reason: str  # CHANGED | LOSES_COMPANY


@dataclass
class UndoPlan:
    """What undoing an import would do (the confirmation page's counts)."""

    import_id: int
    restore: int  # updated actors that get their previous values back
    remove: int  # new actors that are removed
    gone: int  # actors of the import no longer in the CRM (nothing to do for them)
    conflict_count: int
    conflicts: list[UndoConflict] = field(default_factory=list)  # the first ones

    @property
    def nothing_to_do(self) -> bool:
        return not (self.restore or self.remove)


@dataclass
class UndoResult:
    """What an undo did."""

    import_id: int
    restored: int
    removed: int
    overwritten: int  # conflicts undone anyway (forced)
    backup_path: Path | None = None


class UndoRefused(ImportError_):
    """Actors were changed after the import; ``plan`` lists them. Undo with
    ``force=True`` to overwrite those changes."""

    def __init__(self, plan: UndoPlan) -> None:
        super().__init__(LazyString(_conflict_message, plan.conflict_count),
                         f"import {plan.import_id}: {plan.conflict_count} conflicts")
        self.plan = plan


# -- sets of actors -----------------------------------------------------------------
def _new_of(import_id: int, kind: str, id_column: Any) -> Any:
    """EXISTS: the actor ``id_column`` of type ``kind`` was created by the import."""
    created = and_(sa.c.import_id == import_id, sa.c.checked.is_(True),
                   sa.c.status == (COMPANY_NEW if kind == COMPANY else PERSON_NEW),
                   sa.c.crm_id == id_column)
    if kind == COMPANY:
        created = or_(created, and_(sa.c.import_id == import_id,
                                    sa.c.created_company_id == id_column))
    return exists().where(created)


def _images(import_id: int, kind: str | None = None) -> Any:
    """WHERE: ``bi`` is the import's before-image of an actor (the first one when
    two ERP rows updated the same actor; both hold the same values)."""
    other = bi.alias("other_image")
    first = (select(func.min(other.c.id))
             .where(other.c.import_id == bi.c.import_id, other.c.crm_type == bi.c.crm_type,
                    other.c.crm_id == bi.c.crm_id).scalar_subquery())
    where = [bi.c.import_id == import_id, bi.c.id == first]
    if kind is not None:
        where.append(bi.c.crm_type == kind)
    return and_(*where)


def _updated_of(import_id: int, kind: str, id_column: Any) -> Any:
    """EXISTS: the actor was updated by the import (has a before-image)."""
    return exists().where(bi.c.import_id == import_id, bi.c.crm_type == kind,
                          bi.c.crm_id == id_column)


def _changed_after(table: Any, finished: datetime) -> Any:
    return table.c.updated_at > literal(finished, DateTime(timezone=True))


def _loses_company(import_id: int) -> Any:
    """WHERE on ``person``: outside the import, in a company the import created."""
    return and_(_new_of(import_id, COMPANY, person.c.company_id),
                ~_new_of(import_id, PERSON, person.c.id),
                ~_updated_of(import_id, PERSON, person.c.id))


def _mine(import_id: int, kind: str, table: Any) -> Any:
    return or_(_new_of(import_id, kind, table.c.id), _updated_of(import_id, kind, table.c.id))


# -- planning --------------------------------------------------------------------------
def _done_run(conn: Connection, import_id: int) -> dict[str, Any]:
    run = runs.get(conn, import_id)
    if run["state"] == UNDONE:
        raise ImportError_(MSG_ALREADY_UNDONE, f"import {import_id} is undone")
    if run["state"] != DONE or run["finished_at"] is None:
        raise ImportError_(MSG_NOT_DONE, f"import {import_id} is {run['state']}")
    return run


def _count(conn: Connection, table: Any, where: Any) -> int:
    return int(conn.scalar(select(func.count()).select_from(table).where(where)) or 0)


def _conflict_rows(import_id: int, finished: datetime) -> Any:
    """(crm_type, crm_id, name parts, reason) of every conflict, as one UNION."""
    blank = cast(null(), String(100))
    return union_all(
        select(literal(COMPANY).label("crm_type"), company.c.id.label("crm_id"),
               company.c.name.label("name"), blank.label("first"),
               blank.label("middle"), literal(CHANGED).label("reason"))
        .where(_mine(import_id, COMPANY, company), _changed_after(company, finished)),
        select(literal(PERSON), person.c.id, person.c.lastname, person.c.firstname,
               person.c.middlename, literal(CHANGED))
        .where(_mine(import_id, PERSON, person), _changed_after(person, finished)),
        select(literal(PERSON), person.c.id, person.c.lastname, person.c.firstname,
               person.c.middlename, literal(LOSES_COMPANY))
        .where(_loses_company(import_id)),
    ).subquery("conflicts")


def plan_undo(conn: Connection, import_id: int, sample: int = CONFLICT_SAMPLE) -> UndoPlan:
    """What undoing the import would do, and the actors it would harm."""
    run = _done_run(conn, import_id)
    finished = run["finished_at"]
    restore = sum(_count(conn, table, _updated_of(import_id, kind, table.c.id))
                  for kind, table in TABLES.items())
    remove = sum(_count(conn, table, _new_of(import_id, kind, table.c.id))
                 for kind, table in TABLES.items())
    images = _count(conn, bi, _images(import_id))
    created = _count(conn, sa, and_(sa.c.import_id == import_id, sa.c.checked.is_(True),
                                    sa.c.status.in_([COMPANY_NEW, PERSON_NEW])))
    created += _count(conn, sa, and_(sa.c.import_id == import_id,
                                     sa.c.created_company_id.is_not(None)))
    conflicts = _conflict_rows(import_id, finished)
    count = int(conn.scalar(select(func.count()).select_from(conflicts)) or 0)
    listed = []
    if count and sample:
        rows = conn.execute(select(conflicts).order_by(conflicts.c.crm_type,
                                                       conflicts.c.crm_id).limit(sample))
        for row in rows:
            name = (row.name or "") if row.crm_type == COMPANY else (
                person_name(row.first, row.middle, row.name) or "")
            listed.append(UndoConflict(row.crm_type, int(row.crm_id), name, row.reason))
    return UndoPlan(import_id=import_id, restore=restore, remove=remove,
                    gone=max(images - restore, 0) + max(created - remove, 0),
                    conflict_count=count, conflicts=listed)


# -- undoing ------------------------------------------------------------------------------
def _json_value(conn: Connection, column: Column[Any]) -> Any:
    """The before-image's value of ``column``, typed for the column."""
    item = bi.c.data[column.name]
    if isinstance(column.type, Boolean):
        return item.as_boolean()
    if isinstance(column.type, Integer):
        return item.as_integer()
    if isinstance(column.type, DateTime) and conn.dialect.name != "sqlite":
        return cast(item.as_string(), column.type)
    return item.as_string()  # SQLite keeps date-times as the text it stored


def _restore_actors(conn: Connection, import_id: int) -> None:
    for kind, table in TABLES.items():
        values = {col.name: _json_value(conn, col) for col in table.c if col.name != "id"}
        conn.execute(table.update().where(table.c.id == bi.c.crm_id, _images(import_id, kind))
                     .values(values))


def _communication_elements(conn: Connection) -> Any:
    """The before-images' communications as a table (one row per element)."""
    if conn.dialect.name == "postgresql":
        return func.json_array_elements(bi.c.data["communications"]).table_valued(
            "value", name="element")
    return func.json_each(bi.c.data, "$.communications").table_valued("value", name="element")


def _restore_communications(conn: Connection, import_id: int) -> None:
    m = communication.c
    conn.execute(delete(communication).where(exists().where(
        bi.c.import_id == import_id, bi.c.crm_type == m.owner_type, bi.c.crm_id == m.owner_id)))
    element = _communication_elements(conn)
    value = type_coerce(element.c.value, JSON)
    rows = (select(bi.c.crm_type, bi.c.crm_id, value["kind"].as_string(),
                   value["value"].as_string(), value["value_key"].as_string(),
                   func.coalesce(value["rank"].as_integer(), 1))
            .select_from(bi.join(element, true()))
            .where(_images(import_id), or_(
                and_(bi.c.crm_type == COMPANY, exists().where(company.c.id == bi.c.crm_id)),
                and_(bi.c.crm_type == PERSON, exists().where(person.c.id == bi.c.crm_id)))))
    conn.execute(insert(communication).from_select(
        ["owner_type", "owner_id", "kind", "value", "value_key", "rank"], rows))


def _remove_new_actors(conn: Connection, import_id: int) -> int:
    def new(kind_column: Any, id_column: Any) -> Any:
        return or_(and_(kind_column == COMPANY, _new_of(import_id, COMPANY, id_column)),
                   and_(kind_column == PERSON, _new_of(import_id, PERSON, id_column)))

    removed = sum(_count(conn, table, _new_of(import_id, kind, table.c.id))
                  for kind, table in TABLES.items())
    conn.execute(person.update().where(_loses_company(import_id)).values(company_id=None))
    m, link, member = communication.c, erp_link.c, selection_member.c
    conn.execute(delete(communication).where(new(m.owner_type, m.owner_id)))
    conn.execute(delete(erp_link).where(new(link.crm_type, link.crm_id)))
    conn.execute(delete(selection_member).where(new(member.crm_type, member.crm_id)))
    conn.execute(delete(person).where(_new_of(import_id, PERSON, person.c.id)))
    conn.execute(delete(company).where(_new_of(import_id, COMPANY, company.c.id)))
    return removed


def _remove_links_made(conn: Connection, import_id: int) -> None:
    """Links the import made for actors it matched by a duplicate rule (not by a
    link), unless a later import took them over."""
    link = erp_link.c
    conn.execute(delete(erp_link).where(link.import_id == import_id, exists().where(
        sa.c.import_id == import_id, sa.c.matched_by_link.is_(False),
        sa.c.connection_id == link.connection_id, sa.c.actor_type == link.actor_type,
        sa.c.erp_key == link.erp_key)))


def _remove_selections(conn: Connection, import_id: int) -> None:
    mine = select(selection.c.id).where(selection.c.import_id == import_id)
    conn.execute(delete(selection_member).where(selection_member.c.selection_id.in_(mine)))
    conn.execute(delete(selection).where(selection.c.import_id == import_id))


def undo_import(db: Engine, import_id: int, user_id: int | None, *, force: bool = False,
                backup_dir: Path | None = None, backup_keep: int = DEFAULT_KEEP,
                pg_dump: str | None = None) -> UndoResult:
    """Undo a done import (state ``undone``) after a backup of the database.

    Raises :class:`UndoRefused` when actors conflict and ``force`` is False,
    :class:`ImportError_` when the import is not done (or already undone) or
    the undo fails (then nothing changed).
    """
    with db.connect() as conn:
        plan = plan_undo(conn, import_id, sample=CONFLICT_SAMPLE)
    if plan.conflict_count and not force:
        raise UndoRefused(plan)
    try:
        backup_path = backup_database(db, backup_dir, import_id, backup_keep, pg_dump)
    except Exception as exc:
        log.exception("backup before undoing import %s failed", import_id)
        message = MSG_PG_DUMP_FAILED if isinstance(exc, PgDumpError) else MSG_BACKUP_FAILED
        raise ImportError_(message, repr(exc)) from exc
    try:
        with write_transaction(db) as conn:
            plan = plan_undo(conn, import_id, sample=0)  # again, under the write lock
            if plan.conflict_count and not force:
                raise UndoRefused(plan)
            now = utcnow()
            # Compare-and-set first: of two undos one does the work.
            if not runs.set_state(conn, import_id, UNDONE, expected=(DONE,), undone_at=now,
                                  undone_by=user_id, new_selection_id=None,
                                  updated_selection_id=None):
                raise ImportError_(MSG_ALREADY_UNDONE, f"import {import_id} changed")
            _restore_actors(conn, import_id)
            _restore_communications(conn, import_id)
            removed = _remove_new_actors(conn, import_id)
            _remove_links_made(conn, import_id)
            _remove_selections(conn, import_id)
    except ImportError_:
        raise
    except Exception as exc:
        log.exception("undo of import %s failed", import_id)
        raise ImportError_(MSG_UNDO_FAILED, repr(exc)) from exc
    return UndoResult(import_id=import_id, restored=plan.restore, removed=removed,
                      overwritten=plan.conflict_count, backup_path=backup_path)


def undone_state(conn: Connection, import_id: int) -> dict[str, Any] | None:
    """``undone_at``/``undone_by`` of an undone import, else None."""
    row = conn.execute(select(import_run.c.undone_at, import_run.c.undone_by)
                       .where(import_run.c.id == import_id,
                              import_run.c.state == UNDONE)).mappings().first()
    return dict(row) if row else None

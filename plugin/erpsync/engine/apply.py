"""Apply: the checked rows of a previewed import into the CRM, set-based.

:func:`apply_rows` runs inside the caller's transaction and issues the same
statements whatever the number of rows (INSERT .. SELECT, UPDATE .. FROM,
DELETE .. WHERE EXISTS); only the key refresh of updated actors streams rows
through Python, in batches.

New CRM ids are assigned up front (highest id + row number) so companies,
the persons that belong to them and their ERP links can be written from the
staging table without reading ids back row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)

from . import reasons
from .crmkeys import company_key_query, person_key_query, refresh_company_keys, refresh_person_keys
from .diff import update_mode
from .fieldmap import (
    COMM_COLUMNS,
    COMPANY,
    COMPANY_FIELDS,
    LIST_FIELDS,
    PERSON,
    PERSON_FIELDS,
    ListField,
    comm_rule,
    value_column,
)
from .preview import apply_no_company_rule
from .schema import (
    COMPANY_COLUMNS,
    before_image,
    communication,
    company,
    erp_link,
    list_item,
    person,
    staged_actor,
)
from .settings import Action, CommunicationRule, ImportSettings, ListValues, PersonMatch
from .sqlutil import (
    CrossJoin,
    bulk_work,
    dialect_insert,
    each_of,
    fix_sequences,
    json_array_agg,
    json_array_or_empty,
    json_object,
    lock_for_ids,
)
from .states import (
    COMPANY_NEW,
    COMPANY_UPDATED,
    NEW,
    NOT_IMPORTED,
    PERSON_NEW,
    PERSON_UPDATED,
    UPDATED,
)

sa = staged_actor
#: Company key column -> the column it is the key of (staged rows have the same keys).
_COMPANY_KEY_COLUMNS = {"name_key": "name", "dept_key": "department", "vat_key": "vatno"}
#: Indexed CRM columns and the columns their values are computed from, which
#: :func:`_update_in_two` sets only where they change.
_COMPANY_INDEXED_GROUP = ("name", "name_key", "vatno", "vat_key", "code", "number")
_PERSON_INDEXED_GROUP = ("firstname", "middlename", "lastname", "name_key", "number",
                         "company_id")
#: The person columns ``person.name_key`` is made of.
_PERSON_NAME_COLUMNS = ("firstname", "middlename", "lastname")


@dataclass
class AppliedCounts:
    """What :func:`apply_rows` did."""

    new: int  # new CRM actors (companies created using a person's name included)
    updated: int
    skipped: int  # staged rows not imported (by the preview, or unchecked)
    created_companies: int = 0  # of the new: companies named after persons


class _Rows:
    """WHERE clauses over the staged rows of one import."""

    def __init__(self, import_id: int) -> None:
        self.mine = sa.c.import_id == import_id
        self.checked = and_(self.mine, sa.c.checked.is_(True))

    def new(self, kind: str) -> Any:
        return and_(self.checked, sa.c.status == NEW[kind])

    def updated(self, kind: str) -> Any:
        return and_(self.checked, sa.c.status == UPDATED[kind])

    @property
    def any_new(self) -> Any:
        return and_(self.checked, sa.c.status.in_([COMPANY_NEW, PERSON_NEW]))

    @property
    def any_updated(self) -> Any:
        return and_(self.checked, sa.c.status.in_([COMPANY_UPDATED, PERSON_UPDATED]))


def _now(value: datetime) -> Any:
    return literal(value, DateTime(timezone=True))


# -- ids ----------------------------------------------------------------------
def _assign_ids(conn: Connection, crm_table: Any, where: Any, column: str,
                others: tuple[Any, Any] | None = None) -> None:
    """``column`` of the rows ``where`` := highest ``crm_table`` id + row number.

    ``others``, a (condition, value) pair, sets ``column`` of the rows of the
    condition to the value in the same statement (a pass over the staged rows
    less: writing staged rows is what costs, most of all on PostgreSQL).
    """
    # The row number among the ``where`` rows as a running count: ordered by
    # id only, which the scan of the import's rows already is (no sort).
    numbering = case((where, 1), else_=0)
    numbered = (select(sa.c.id.label("sid"), numbering.label("numbered"),
                       func.sum(numbering).over(order_by=sa.c.id).label("rn"))
                .where(where if others is None else or_(where, others[0])).subquery())
    base = select(func.coalesce(func.max(crm_table.c.id), 0)).scalar_subquery()
    value = base + numbered.c.rn
    if others is not None:
        value = case((numbered.c.numbered == 1, value), else_=others[1])
    conn.execute(sa.update().where(sa.c.id == numbered.c.sid).values({column: value}))


# -- values --------------------------------------------------------------------
def _list_value(lf: ListField, rule: ListValues) -> Any:
    """The list item id a staged row's value resolves to (NULL: none or blank)."""
    key = sa.c[lf.key_column]
    item = list_item.c
    lookup = (select(func.min(item.id)).where(item.list_name == lf.list_name,
                                              item.name_key == key)
              .correlate_except(list_item).scalar_subquery())
    if rule is not ListValues.DEFAULT:
        return lookup
    default = (select(func.min(item.id))
               .where(item.list_name == lf.list_name, item.is_default.is_(True))
               .correlate_except(list_item).scalar_subquery())
    return case((key.is_(None), null()), else_=func.coalesce(lookup, default))


def _takes_new(current: Any, new: Any, mode: Action) -> Any:
    """True where :func:`_merged` takes the ERP's value."""
    if mode is Action.MERGE:
        return and_(func.coalesce(current, "") == "", new.is_not(None))
    return new.is_not(None)


def _merged(current: Any, new: Any, mode: Action) -> Any:
    """Merge fills empty fields; Replace takes every value the ERP gives."""
    if mode is Action.MERGE:
        return case((func.coalesce(current, "") == "", func.coalesce(new, current)),
                    else_=current)
    return func.coalesce(new, current)


def _column_values(fields: dict[str, str]) -> dict[str, Any]:
    """CRM column -> the staged value column (values are cut to length when staged)."""
    return {col: sa.c[value_column(key)] for key, col in fields.items()}


def _ensure_list_items(conn: Connection, rows: _Rows, settings: ImportSettings) -> None:
    """Add new item: create the list values imported companies use and the CRM
    lacks (every list in one pass over the staged rows)."""
    if settings.list_values is not ListValues.ADD:
        return
    mode = update_mode(settings, COMPANY)
    lists = each_of("lists", [lf.list_name for lf in LIST_FIELDS])

    def per_list(expr: Callable[[ListField], Any]) -> Any:
        return case({lf.list_name: expr(lf) for lf in LIST_FIELDS}, value=lists.c.value)

    key = per_list(lambda lf: sa.c[lf.key_column])
    will_set = (true() if mode is Action.REPLACE else per_list(lambda lf: exists().where(
        company.c.id == sa.c.target_id, company.c[lf.column].is_(None))))
    query = (select(lists.c.value, func.min(per_list(lambda lf: sa.c[value_column(lf.key)])),
                    key, false())
             .select_from(CrossJoin(sa, lists))
             .where(or_(rows.new(COMPANY), and_(rows.updated(COMPANY), will_set)),
                    key.is_not(None),
                    ~exists().where(list_item.c.list_name == lists.c.value,
                                    list_item.c.name_key == key))
             .group_by(lists.c.value, key))
    conn.execute(insert(list_item).from_select(
        ["list_name", "name", "name_key", "is_default"], query))


# -- companies and persons ------------------------------------------------------
def _insert_companies(conn: Connection, rows: _Rows, settings: ImportSettings,
                      now: datetime) -> None:
    values = _column_values(COMPANY_FIELDS)
    values.update({lf.column: _list_value(lf, settings.list_values) for lf in LIST_FIELDS})
    values.update(id=sa.c.crm_id, name_key=sa.c.name_key, dept_key=sa.c.dept_key,
                  vat_key=sa.c.vat_key, created_at=_now(now), updated_at=_now(now))
    conn.execute(insert(company).from_select(
        list(values), select(*values.values()).where(rows.new(COMPANY))))


def _update_companies(conn: Connection, rows: _Rows, settings: ImportSettings,
                      now: datetime) -> None:
    mode = update_mode(settings, COMPANY)
    new_values = _column_values(COMPANY_FIELDS)
    values = {col: _merged(company.c[col], new, mode) for col, new in new_values.items()}
    for lf in LIST_FIELDS:
        current, new = company.c[lf.column], _list_value(lf, settings.list_values)
        if mode is Action.MERGE:
            values[lf.column] = case((current.is_(None), new), else_=current)
        else:
            values[lf.column] = case((sa.c[lf.key_column].is_(None), current), else_=new)
    # The match keys in the same statement: a value taken from the ERP brings
    # its staged key (computed from the same, equally cut value), a kept value
    # keeps its key.
    for key_column, column in _COMPANY_KEY_COLUMNS.items():
        values[key_column] = case((_takes_new(company.c[column], new_values[column], mode),
                                   sa.c[key_column]), else_=company.c[key_column])
    values["updated_at"] = _now(now)
    _update_in_two(conn, company, rows.updated(COMPANY), values, _COMPANY_INDEXED_GROUP)


def _companies_from_persons(conn: Connection, rows: _Rows, now: datetime) -> None:
    """Create a company named after each person the rule says needs one."""
    creating = and_(rows.checked, sa.c.kind == PERSON,
                    sa.c.status.in_([PERSON_NEW, PERSON_UPDATED]),
                    sa.c.create_company.is_(True))
    _assign_ids(conn, company, creating, "created_company_id")
    name_length = COMPANY_COLUMNS["name"]
    conn.execute(insert(company).from_select(
        ["id", "name", "name_key", "created_at", "updated_at"],
        select(sa.c.created_company_id, func.substr(sa.c.display_name, 1, name_length),
               func.substr(sa.c.name_key, 1, name_length), _now(now), _now(now))
        .where(creating)))
    conn.execute(sa.update().where(creating).values(company_target_id=sa.c.created_company_id))


def _resolve_person_companies(conn: Connection, rows: _Rows) -> None:
    """Persons of staged companies just created get those companies' ids."""
    k = sa.alias("k")
    conn.execute(sa.update().where(
        rows.mine, sa.c.kind == PERSON, sa.c.company_target_id.is_(None),
        sa.c.company_staged_id.is_not(None),
    ).values(company_target_id=select(k.c.crm_id).where(
        k.c.id == sa.c.company_staged_id, k.c.status == COMPANY_NEW,
        k.c.checked.is_(True)).scalar_subquery()))


def _insert_persons(conn: Connection, rows: _Rows, now: datetime) -> None:
    values = _column_values(PERSON_FIELDS)
    values.update(id=sa.c.crm_id, company_id=sa.c.company_target_id, name_key=sa.c.name_key,
                  created_at=_now(now), updated_at=_now(now))
    conn.execute(insert(person).from_select(
        list(values), select(*values.values()).where(rows.new(PERSON))))


def _update_persons(conn: Connection, rows: _Rows, settings: ImportSettings,
                    now: datetime) -> None:
    mode = update_mode(settings, PERSON)
    new_values = _column_values(PERSON_FIELDS)
    values = {col: _merged(person.c[col], new, mode) for col, new in new_values.items()}
    # The name key: kept when no part of the name changes, the staged key when
    # the name is the ERP's; NULL (recomputed afterwards) for a mix of both.
    parts = [(person.c[col], new_values[col]) for col in _PERSON_NAME_COLUMNS]
    values["name_key"] = case(
        (not_(or_(*[_takes_new(current, new, mode) for current, new in parts])),
         person.c.name_key),
        (and_(*[_merged(current, new, mode).is_not_distinct_from(new) for current, new in parts]),
         sa.c.name_key),
        else_=null())
    current, new = person.c.company_id, sa.c.company_target_id
    values["company_id"] = (func.coalesce(current, new) if mode is Action.MERGE
                            else func.coalesce(new, current))
    values["updated_at"] = _now(now)
    _update_in_two(conn, person, rows.updated(PERSON), values, _PERSON_INDEXED_GROUP)


def _update_in_two(conn: Connection, crm_table: Any, updated: Any, values: dict[str, Any],
                   indexed_group: tuple[str, ...]) -> None:
    """UPDATE the CRM rows of the ``updated`` staged rows to ``values``.

    SQLite rewrites the index entries of every column an UPDATE sets, changed
    or not: the ``indexed_group`` (indexed columns and the columns their values
    are computed from) is set by a second statement, only in the rows where
    one of them changes. The statements read disjoint columns, so the result
    is that of one UPDATE.
    """
    indexed = {col: values.pop(col) for col in indexed_group}
    target = and_(crm_table.c.id == sa.c.target_id, updated)
    conn.execute(crm_table.update().where(target).values(values))
    conn.execute(crm_table.update().where(target, or_(*[
        value.is_distinct_from(crm_table.c[col]) for col, value in indexed.items()]))
        .values(indexed))


# -- communications ----------------------------------------------------------------
def _write_communications(conn: Connection, rows: _Rows, settings: ImportSettings) -> None:
    """New actors get every communication. Existing actors, per kind: Add new
    – keep existing adds a value not there yet; Replace – overwrite existing
    replaces that kind's values; Ignore changes nothing.

    Three statements for every kind together (each statement costs a pass
    over the staged rows): a DELETE of the replaced values and two INSERTs."""
    m = communication.c
    owner = and_(m.owner_type == sa.c.kind, m.owner_id == sa.c.target_id)
    replaced = [and_(m.kind == kind, sa.c[key_column].is_not(None),
                     sa.c[key_column] != m.value_key)
                for kind, (_column, key_column) in COMM_COLUMNS.items()
                if comm_rule(settings, kind) is CommunicationRule.REPLACE]
    if replaced:
        # Driven from the import's staged rows into the owner index (an EXISTS
        # per communication row would scan the staging table each time).
        doomed = (select(m.id).select_from(sa.join(communication, owner))
                  .where(rows.any_updated, or_(*replaced)))
        conn.execute(delete(communication).where(m.id.in_(doomed)))
    columns = ["owner_type", "owner_id", "kind", "value", "value_key", "rank"]
    # One pass over the staged rows, a row per kind of each (the staged rows
    # are the outer loop). The new actors' apart: a SELECT that reads
    # ``communication`` makes SQLite buffer all its rows before inserting them.
    kinds = each_of("kinds", list(COMM_COLUMNS))
    value = case({k: sa.c[column] for k, (column, _key) in COMM_COLUMNS.items()},
                 value=kinds.c.value)
    value_key = case({k: sa.c[key] for k, (_column, key) in COMM_COLUMNS.items()},
                     value=kinds.c.value)
    conn.execute(insert(communication).from_select(columns, select(
        sa.c.kind, sa.c.crm_id, kinds.c.value, value, value_key, literal(1))
        .select_from(CrossJoin(sa, kinds)).where(rows.any_new, value.is_not(None))))
    kept = [kind for kind in COMM_COLUMNS
            if comm_rule(settings, kind) is not CommunicationRule.IGNORE]
    if not kept:
        return
    same_kind = and_(owner, m.kind == kinds.c.value)
    next_rank = select(func.coalesce(func.max(m.rank), 0) + 1).where(same_kind).scalar_subquery()
    conn.execute(insert(communication).from_select(columns, select(
        sa.c.kind, sa.c.target_id, kinds.c.value, value, value_key, next_rank)
        .select_from(CrossJoin(sa, kinds))
        .where(rows.any_updated, kinds.c.value.in_(kept), value.is_not(None),
               ~exists().where(same_kind, m.value_key == value_key))))


# -- before images, links --------------------------------------------------------------
def _save_before_images(conn: Connection, import_id: int, rows: _Rows,
                        kinds: set[str]) -> None:
    """The columns and communications of every actor about to be updated (for undo)."""
    m = communication.c
    for kind, crm_table in ((COMPANY, company), (PERSON, person)):
        if kind not in kinds:
            continue
        comms = (select(json_array_agg(conn, json_object(conn, {
            "kind": m.kind, "value": m.value, "value_key": m.value_key, "rank": m.rank})))
            .where(m.owner_type == kind, m.owner_id == crm_table.c.id).scalar_subquery())
        pairs = {col.name: col for col in crm_table.c if col.name != "id"}
        pairs["communications"] = json_array_or_empty(conn, comms)
        conn.execute(insert(before_image).from_select(
            ["import_id", "crm_type", "crm_id", "data"],
            select(literal(import_id), literal(kind), crm_table.c.id, json_object(conn, pairs))
            .select_from(crm_table.join(sa, sa.c.target_id == crm_table.c.id))
            .where(rows.updated(kind))))


def _upsert_links(conn: Connection, import_id: int, rows: _Rows) -> None:
    """Link every imported (or unchanged) actor to its ERP actor: the match
    that wins next time."""
    query = (select(sa.c.kind, sa.c.crm_id, sa.c.connection_id, sa.c.actor_type, sa.c.erp_key,
                    sa.c.last_modified, literal(import_id))
             .where(rows.mine, sa.c.crm_id.is_not(None), sa.c.connection_id.is_not(None)))
    stmt = dialect_insert(conn, erp_link).from_select(
        ["crm_type", "crm_id", "connection_id", "actor_type", "erp_key", "last_modified",
         "import_id"], query)
    stmt = stmt.on_conflict_do_update(
        index_elements=["connection_id", "actor_type", "erp_key"],
        set_={"crm_type": stmt.excluded.crm_type, "crm_id": stmt.excluded.crm_id,
              "last_modified": stmt.excluded.last_modified,
              "import_id": stmt.excluded.import_id})
    conn.execute(stmt)


def _refresh_missing_keys(conn: Connection, rows: _Rows, batch_size: int) -> None:
    """Compute the keys the updates could not take from staging (a person's name
    mixing kept and new parts; a CRM row that had no keys): usually none."""
    c, p = company.c, person.c
    refresh_company_keys(conn, company_key_query().select_from(
        company.join(sa, sa.c.target_id == c.id)).where(
        rows.updated(COMPANY), or_(and_(c.name.is_not(None), c.name_key.is_(None)),
                                   and_(c.department.is_not(None), c.dept_key.is_(None)),
                                   and_(c.vatno.is_not(None), c.vat_key.is_(None)))),
        batch_size)
    refresh_person_keys(conn, person_key_query().select_from(
        person.join(sa, sa.c.target_id == p.id)).where(
        rows.updated(PERSON), p.name_key.is_(None),
        or_(p.firstname.is_not(None), p.lastname.is_not(None))),
        batch_size)


def _counts(conn: Connection, rows: _Rows) -> AppliedCounts:
    def count_if(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    imported = and_(sa.c.checked.is_(True), sa.c.status.in_(
        [COMPANY_NEW, PERSON_NEW, COMPANY_UPDATED, PERSON_UPDATED]))
    row = conn.execute(select(
        count_if(and_(imported, sa.c.status.in_([COMPANY_NEW, PERSON_NEW]))),
        count_if(and_(imported, sa.c.status.in_([COMPANY_UPDATED, PERSON_UPDATED]))),
        func.count(sa.c.created_company_id), func.count(),
    ).where(rows.mine)).one()
    new, updated, created, total = (int(v or 0) for v in row)
    return AppliedCounts(new=new + created, updated=updated, skipped=total - new - updated,
                         created_companies=created)


#: How many steps :func:`apply_rows` reports to ``on_step`` (progress of the apply).
APPLY_STEPS = 5


def apply_rows(conn: Connection, import_id: int, settings: ImportSettings,
               now: datetime, batch_size: int,
               on_step: Callable[[int, int], None] | None = None) -> AppliedCounts:
    """Write the checked rows of a previewed import into the CRM (caller's transaction).

    Sets ``staged_actor.crm_id`` of every imported row (and
    ``created_company_id`` of persons that got a company named after them).
    ``on_step(done, APPLY_STEPS)`` is called as groups of statements finish.
    """
    with bulk_work(conn):
        return _apply_rows(conn, import_id, settings, now, batch_size, on_step)


def _apply_rows(conn: Connection, import_id: int, settings: ImportSettings,
                now: datetime, batch_size: int,
                on_step: Callable[[int, int], None] | None) -> AppliedCounts:
    def step(done: int) -> None:
        if on_step is not None:
            on_step(done, APPLY_STEPS)

    rows = _Rows(import_id)
    lock_for_ids(conn, company, person)
    # Every step passes over the import's rows: skip the steps of a kind it lacks.
    kinds = set(conn.scalars(select(sa.c.kind).distinct().where(rows.mine)))
    persons = PERSON in kinds and settings.person_match is not PersonMatch.NONE
    if persons:
        # Persons whose staged company was unchecked after the preview.
        apply_no_company_rule(conn, import_id, settings.no_company, sa.c.checked.is_(True))
    _save_before_images(conn, import_id, rows, kinds)
    step(1)

    # The CRM ids: of new companies, and of the updated rows and the rows
    # already equal to their CRM actor (they are the same actor: they get
    # linked too). New persons get theirs below, after the new companies.
    unchanged = and_(sa.c.status == NOT_IMPORTED, sa.c.reason == reasons.UNCHANGED)
    _assign_ids(conn, company, rows.new(COMPANY), "crm_id", others=(
        and_(rows.mine, or_(rows.any_updated, unchanged)),
        case((unchanged, sa.c.match_id), else_=sa.c.target_id)))
    if COMPANY in kinds:
        _ensure_list_items(conn, rows, settings)
        _insert_companies(conn, rows, settings, now)
        _update_companies(conn, rows, settings, now)
    step(2)

    if persons:
        _resolve_person_companies(conn, rows)
        _companies_from_persons(conn, rows, now)
        _assign_ids(conn, person, rows.new(PERSON), "crm_id")
        _insert_persons(conn, rows, now)
        _update_persons(conn, rows, settings, now)
    step(3)

    _write_communications(conn, rows, settings)
    step(4)
    _refresh_missing_keys(conn, rows, batch_size)
    _upsert_links(conn, import_id, rows)
    fix_sequences(conn, company, person)
    return _counts(conn, rows)

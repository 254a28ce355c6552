"""What an update will change, field by field.

Two views of the same rules, which the tests hold equal:

- :func:`changes_of_rows`: the changes of a page of staged rows, in Python
  (the pure functions below), for the preview page. Diffs are worked out when
  they are shown, against the CRM as it is then, and never stored.
- :func:`changes_anything`: a SQL condition, true for an updated row the
  import would change; the preview marks the others ``unchanged`` with one
  statement. :mod:`.apply` makes exactly these changes with set statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, and_, exists, false, func, or_, select, true

from .fieldmap import (
    COMM_COLUMNS,
    COMPANY,
    COMPANY_FIELD,
    LIST_FIELDS,
    PERSON,
    ListField,
    comm_field_key,
    comm_rule,
    comms_of,
    fields_of,
    value_column,
)
from .schema import communication, company, list_item, person, staged_actor
from .settings import Action, CommunicationRule, ImportSettings, ListValues
from .sqlutil import RECORD_SEP, UNIT_SEP, concat_units
from .states import COMPANY_NEW, UPDATED

sa = staged_actor


def update_mode(settings: ImportSettings, kind: str) -> Action:
    """How an updated row of ``kind`` is updated: Merge or Replace. ("Add
    always" updates only actors matched through their ERP link: as Merge.)"""
    action = settings.company_action if kind == COMPANY else settings.person_action
    return Action.REPLACE if action is Action.REPLACE else Action.MERGE


def change(field: str, old: Any, new: Any) -> dict[str, Any]:
    return {"field": field, "old": old, "new": new}


def value_change(field: str, old: str | None, new: str | None,
                 mode: Action) -> dict[str, Any] | None:
    """Merge fills empty CRM fields; Replace overwrites with every value the ERP
    gives. An empty ERP value never clears a CRM field."""
    if new is None:
        return None
    if mode is Action.MERGE:
        return change(field, old, new) if not old else None
    return change(field, old, new) if new != old else None


def list_target(value: str | None, found: tuple[int, str] | None,
                default: tuple[int, str] | None,
                rule: ListValues) -> tuple[int | None, str | None] | None:
    """(list item id, name) an ERP list value resolves to; id None for an item
    "Add new item" creates; None when the ERP gives no value (no change)."""
    if value is None:
        return None
    if found is not None:
        return found
    if rule is ListValues.ADD:
        return (None, value)
    if rule is ListValues.DEFAULT and default is not None:
        return default
    return (None, None)  # blank


def list_change(field: str, old: tuple[int | None, str | None],
                target: tuple[int | None, str | None] | None,
                mode: Action) -> dict[str, Any] | None:
    if target is None:
        return None
    old_id, old_name = old
    new_id, new_name = target
    if mode is Action.MERGE:
        return change(field, None, new_name) if old_id is None and new_name else None
    if new_id is None and new_name is None:  # set to blank
        return change(field, old_name, None) if old_id is not None else None
    return change(field, old_name, new_name) if new_id is None or new_id != old_id else None


def comm_change(field: str, value: str | None, key: str | None,
                existing: list[tuple[str, str]], rule: CommunicationRule,
                ) -> dict[str, Any] | None:
    """Change of one communication kind of an existing actor: ``existing`` is
    [(value_key, value)] of that kind, in rank order."""
    if value is None or key is None or rule is CommunicationRule.IGNORE:
        return None
    keys = [k for k, _ in existing]
    old = ", ".join(v for _, v in existing) or None
    if rule is CommunicationRule.ADD:
        if key in keys:
            return None
        return change(field, old, ", ".join([v for _, v in existing] + [value]))
    if set(keys) == {key}:
        return None
    return change(field, old, value)


def parse_comms(text: str | None) -> dict[str, list[tuple[str, str]]]:
    """Aggregated ``kind US rank US id US value_key US value`` records by kind,
    each kind's list in rank order."""
    records: list[tuple[str, int, int, str, str]] = []
    for record in (text or "").split(RECORD_SEP):
        if record:
            kind, rank, cid, key, value = record.split(UNIT_SEP, 4)
            records.append((kind, int(rank or 0), int(cid or 0), key, value))
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, _rank, _cid, key, value in sorted(records, key=lambda r: r[:3]):
        out.setdefault(kind, []).append((key, value))
    return out


def _comm_aggregate(crm_table: Any, kind: str) -> Any:
    """The communications of the CRM actor of a row, aggregated: a correlated
    subquery (one index lookup per row, whatever plan the database picks)."""
    m = communication.c
    return (select(func.aggregate_strings(
                concat_units(m.kind, m.rank, m.id, m.value_key, m.value), RECORD_SEP))
            .where(m.owner_type == kind, m.owner_id == crm_table.c.id)
            .scalar_subquery().label("comms"))


def _default_items(conn: Connection) -> dict[str, tuple[int, str]]:
    """The default item of every list (lowest id when several are marked)."""
    out: dict[str, tuple[int, str]] = {}
    query = (select(list_item.c.list_name, list_item.c.id, list_item.c.name)
             .where(list_item.c.is_default.is_(True)).order_by(list_item.c.id.desc()))
    for list_name, item_id, name in conn.execute(query):
        out[list_name] = (item_id, name)
    return out


def _row_differ(kind: str, settings: ImportSettings, defaults: dict[str, tuple[int, str]],
                columns: list[str]) -> Callable[[Any], list[dict[str, Any]]]:
    """The function computing the changes of one updated row of ``kind``: a row
    of :func:`_diff_query` as a tuple, whose column names are ``columns``.
    Everything that does not depend on the row is worked out here once, and
    values are taken by position: the function runs once per updated actor."""
    at = {name: index for index, name in enumerate(columns)}
    mode = update_mode(settings, kind)
    values = [(key, at[value_column(key)], at[f"crm_{column}"])
              for key, column in fields_of(kind).items()]
    lists = [(lf.key, at[value_column(lf.key)], at[f"new_{lf.column}"],
              at[f"new_{lf.column}_name"], at[f"crm_{lf.column}"], at[f"old_{lf.column}_name"],
              defaults.get(lf.list_name))
             for lf in LIST_FIELDS] if kind == COMPANY else []
    comms = [(comm_field_key(kind, comm_kind), comm_kind, at[COMM_COLUMNS[comm_kind][0]],
              at[COMM_COLUMNS[comm_kind][1]], comm_rule(settings, comm_kind))
             for comm_kind in comms_of(kind).values()]
    company_columns = (None if kind == COMPANY else tuple(at[name] for name in (
        "crm_company_id", "old_company_name", "company_target_id", "new_company_name",
        "keeper_status", "keeper_name", "create_company", "display_name")))
    comms_at, list_rule = at["comms"], settings.list_values

    def changes_of(row: Any) -> list[dict[str, Any]]:
        changes: list[dict[str, Any] | None] = []
        for key, value_at, crm_at in values:
            changes.append(value_change(key, row[crm_at], row[value_at], mode))
        for key, value_at, found_at, found_name_at, crm_at, old_name_at, default in lists:
            value = row[value_at]
            found_id = row[found_at]
            found = (found_id, row[found_name_at]) if found_id else None
            target = list_target(value, found, default, list_rule)
            changes.append(list_change(key, (row[crm_at], row[old_name_at]), target, mode))
        if company_columns is not None:
            changes.append(_company_change(*(row[i] for i in company_columns), mode=mode))
        existing = parse_comms(row[comms_at]) if comms else {}
        for field, comm_kind, value_at, key_at, rule in comms:
            changes.append(comm_change(field, row[value_at], row[key_at],
                                       existing.get(comm_kind, []), rule))
        return [c for c in changes if c is not None]

    return changes_of


def _company_change(old_id: int | None, old_name: str | None, target_id: int | None,
                    target_name: str | None, keeper_status: str | None,
                    keeper_name: str | None, create_company: bool, display_name: str | None,
                    *, mode: Action) -> dict[str, Any] | None:
    """A person's company: the known CRM company, the staged company to be
    created, or the company created using the person's name."""
    if target_id is not None:
        new_id, new_name = target_id, target_name
    elif keeper_status == COMPANY_NEW:
        new_id, new_name = None, keeper_name
    elif create_company:
        new_id, new_name = None, display_name
    else:
        return None
    if mode is Action.MERGE and old_id is not None:
        return None
    if new_id is not None and new_id == old_id:
        return None
    return change(COMPANY_FIELD, old_name, new_name)


def _diff_query(import_id: int, kind: str, staged_ids: list[int]) -> Any:
    crm = company if kind == COMPANY else person
    comm_columns = [sa.c[c] for pair in COMM_COLUMNS.values() for c in pair]
    value_columns = [sa.c[value_column(key)] for key in fields_of(kind)]
    if kind == COMPANY:
        value_columns += [sa.c[value_column(lf.key)] for lf in LIST_FIELDS]
    columns = [sa.c.id, sa.c.display_name, sa.c.company_target_id,
               sa.c.create_company, *value_columns, *comm_columns, _comm_aggregate(crm, kind),
               *[crm.c[col].label(f"crm_{col}") for col in fields_of(kind).values()]]
    query_from = sa.join(crm, crm.c.id == sa.c.target_id)
    if kind == COMPANY:
        for lf in LIST_FIELDS:
            old = list_item.alias(f"old_{lf.list_name}")
            new = list_item.alias(f"new_{lf.list_name}")
            columns += [crm.c[lf.column].label(f"crm_{lf.column}"),
                        old.c.name.label(f"old_{lf.column}_name"),
                        new.c.id.label(f"new_{lf.column}"),
                        new.c.name.label(f"new_{lf.column}_name")]
            query_from = query_from.outerjoin(old, old.c.id == crm.c[lf.column]).outerjoin(
                new, (new.c.list_name == lf.list_name)
                & (new.c.name_key == sa.c[lf.key_column]))
    else:
        old_co, new_co = company.alias("old_co"), company.alias("new_co")
        keeper = sa.alias("keeper")
        columns += [crm.c.company_id.label("crm_company_id"),
                    old_co.c.name.label("old_company_name"),
                    new_co.c.name.label("new_company_name"),
                    keeper.c.status.label("keeper_status"),
                    keeper.c.display_name.label("keeper_name")]
        query_from = (query_from.outerjoin(old_co, old_co.c.id == crm.c.company_id)
                      .outerjoin(new_co, new_co.c.id == sa.c.company_target_id)
                      .outerjoin(keeper, keeper.c.id == sa.c.company_staged_id))
    return (select(*columns).select_from(query_from)
            .where(sa.c.import_id == import_id, sa.c.status == UPDATED[kind],
                   sa.c.id.in_(staged_ids)))


def changes_of_rows(conn: Connection, import_id: int, settings: ImportSettings,
                    staged_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Staged id -> the changes of that updated row (``{"field", "old", "new"}``)
    against the CRM as it is now; rows that are not updates, or change
    nothing, are left out. Meant for a page of rows: one query per kind."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not staged_ids:
        return out
    defaults = _default_items(conn)
    for kind in (COMPANY, PERSON):
        result = conn.execute(_diff_query(import_id, kind, staged_ids))
        columns = list(result.keys())
        changes_of, id_at = _row_differ(kind, settings, defaults, columns), columns.index("id")
        for row in result:
            if changes := changes_of(row):
                out[row[id_at]] = changes
    return out


# -- the same rules as one SQL condition ----------------------------------------
def _value_changes(current: Any, new: Any, mode: Action) -> Any:
    """:func:`value_change` is not None."""
    if mode is Action.MERGE:
        return and_(new.is_not(None), func.coalesce(current, "") == "")
    return and_(new.is_not(None), or_(current.is_(None), new != current))


def _list_changes(lf: ListField, mode: Action, rule: ListValues, current: Any) -> Any:
    """:func:`list_change` of :func:`list_target` is not None."""
    item = list_item.c
    found = (select(func.min(item.id))
             .where(item.list_name == lf.list_name, item.name_key == sa.c[lf.key_column])
             .correlate_except(list_item).scalar_subquery())
    target = found
    if rule is ListValues.DEFAULT:  # the default item when the value is not found
        default = (select(func.min(item.id))
                   .where(item.list_name == lf.list_name, item.is_default.is_(True))
                   .correlate_except(list_item).scalar_subquery())
        target = func.coalesce(found, default)
    given = sa.c[value_column(lf.key)].is_not(None)
    if mode is Action.MERGE:
        return and_(given, current.is_(None),
                    true() if rule is ListValues.ADD else target.is_not(None))
    if rule is ListValues.ADD:  # not found: a new item
        return and_(given, or_(found.is_(None), found != func.coalesce(current, 0)))
    return and_(given, target.is_distinct_from(current))


def _comm_changes(kind: str, crm_table: Any, comm_kind: str, rule: CommunicationRule) -> Any:
    """:func:`comm_change` is not None."""
    column, key_column = COMM_COLUMNS[comm_kind]
    if rule is CommunicationRule.IGNORE:
        return false()
    m = communication.c
    owned = and_(m.owner_type == kind, m.owner_id == crm_table.c.id, m.kind == comm_kind)
    # Correlated to the staged row and the CRM row of the enclosing statements.
    has_key = exists().where(owned, m.value_key == sa.c[key_column]).correlate_except(
        communication)
    given = and_(sa.c[column].is_not(None), sa.c[key_column].is_not(None))
    if rule is CommunicationRule.ADD:
        return and_(given, ~has_key)
    other_key = exists().where(owned, m.value_key != sa.c[key_column]).correlate_except(
        communication)
    return and_(given, or_(~has_key, other_key))


def _company_changes(mode: Action) -> Any:
    """:func:`_company_change` is not None (persons)."""
    keeper = sa.alias("keeper")
    target, current = sa.c.company_target_id, person.c.company_id
    has_new = or_(target.is_not(None), sa.c.create_company.is_(True),
                  exists().where(keeper.c.id == sa.c.company_staged_id,
                                 keeper.c.status == COMPANY_NEW).correlate_except(keeper))
    return and_(has_new, current.is_(None) if mode is Action.MERGE else true(),
                or_(target.is_(None), current.is_(None), target != current))


def changes_anything(kind: str, settings: ImportSettings) -> Any:
    """True for a staged row of ``kind`` whose import would change its CRM actor
    (``target_id``): an EXISTS over the CRM row."""
    crm = company if kind == COMPANY else person
    mode = update_mode(settings, kind)
    changes = [_value_changes(crm.c[column], sa.c[value_column(key)], mode)
               for key, column in fields_of(kind).items()]
    if kind == COMPANY:
        changes += [_list_changes(lf, mode, settings.list_values, crm.c[lf.column])
                    for lf in LIST_FIELDS]
    else:
        changes.append(_company_changes(mode))
    changes += [_comm_changes(kind, crm, comm_kind, comm_rule(settings, comm_kind))
                for comm_kind in comms_of(kind).values()]
    return exists().where(crm.c.id == sa.c.target_id, or_(*changes)).correlate_except(crm)

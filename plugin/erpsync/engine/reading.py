"""Reading staged rows and preview results, a page at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, case, false, func, select, true

from .diff import changes_of_rows
from .fieldmap import COMM_COLUMNS, COMPANY_FIELD, PERSON, VALUE_COLUMNS, comm_field_key
from .reasons import COMPANY_FROM_PERSON, SEVERAL_MATCHES
from .results import FieldChange, PreviewCounts, PreviewRow
from .schema import company, person, staged_actor
from .settings import ImportSettings
from .states import COMPANY_NEW, NOT_IMPORTED, PERSON_UPDATED, UPDATED

sa = staged_actor

_STAGED_COLUMNS = (sa.c.id, sa.c.actor_type, sa.c.kind, sa.c.erp_key, sa.c.display_name,
                   sa.c.connection_id, sa.c.parent_type, sa.c.parent_key, sa.c.via_parent,
                   sa.c.last_modified, sa.c.status, sa.c.reason, sa.c.checked, sa.c.extra,
                   *(sa.c[column] for column, _length in VALUE_COLUMNS.values()),
                   *(sa.c[value] for value, _key in COMM_COLUMNS.values()))


def _data(row: dict[str, Any]) -> dict[str, Any]:
    """The staged values by field key, as they will be imported, and the keys
    the CRM does not import."""
    data = {key: row.pop(column) for key, (column, _length) in VALUE_COLUMNS.items()}
    for comm_kind, (column, _key) in COMM_COLUMNS.items():
        data[comm_field_key(row["kind"], comm_kind)] = row.pop(column)
    data = {key: value for key, value in data.items() if value is not None}
    data.update(row.pop("extra") or {})
    return data


def list_staged(conn: Connection, import_id: int, offset: int, limit: int) -> list[dict]:
    """One page of staged rows; ``data`` holds the values by field key."""
    query = (select(*_STAGED_COLUMNS).where(sa.c.import_id == import_id)
             .order_by(sa.c.id).offset(offset).limit(limit))
    out = []
    for mapping in conn.execute(query).mappings():
        row = dict(mapping)
        row["data"] = _data(row)
        out.append(row)
    return out


def counts(conn: Connection, import_id: int) -> PreviewCounts:
    query = (select(sa.c.status, func.count(),
                    func.coalesce(func.sum(case((sa.c.checked.is_(True), 1), else_=0)), 0))
             .where(sa.c.import_id == import_id).group_by(sa.c.status))
    out = PreviewCounts()
    for status, total, checked in conn.execute(query):
        out.total += total
        if status in (None, NOT_IMPORTED):
            out.not_imported += total
            continue
        setattr(out, status, getattr(out, status) + total)
        out.checked += int(checked)
    return out


def warnings_of(row: Any) -> list[str]:
    """Data warnings from staging plus the preview's own."""
    out = list(row.warnings or [])
    if (row.match_count or 0) > 1 and row.status != NOT_IMPORTED:
        out.append(SEVERAL_MATCHES)
    if row.create_company and row.status != NOT_IMPORTED:
        out.append(COMPANY_FROM_PERSON)
    return out


def preview_rows(conn: Connection, import_id: int, settings: ImportSettings, offset: int,
                 limit: int, status: str | None) -> list[PreviewRow]:
    """One page of preview rows, each update with its changes against the CRM now."""
    keeper, target = sa.alias("keeper"), company.alias("target_company")
    current = company.alias("current_company")  # an updated person's company now
    query = (
        select(sa.c.id, sa.c.kind, sa.c.actor_type, sa.c.erp_key, sa.c.display_name,
               sa.c.status, sa.c.reason, sa.c.checked, sa.c.warnings,
               sa.c.match_count, sa.c.create_company,
               target.c.name.label("target_company"),
               current.c.name.label("current_company"),
               keeper.c.display_name.label("keeper_name"),
               keeper.c.status.label("keeper_status"))
        .select_from(sa.outerjoin(keeper, keeper.c.id == sa.c.company_staged_id)
                     .outerjoin(target, target.c.id == sa.c.company_target_id)
                     .outerjoin(person, (sa.c.status == PERSON_UPDATED)
                                & (person.c.id == sa.c.target_id))
                     .outerjoin(current, current.c.id == person.c.company_id))
        .where(sa.c.import_id == import_id)
        .order_by(sa.c.id).offset(offset).limit(limit))
    if status:
        query = query.where(sa.c.status == status)
    rows = conn.execute(query).all()
    diffs = changes_of_rows(conn, import_id, settings,
                            [row.id for row in rows if row.status in UPDATED.values()])
    out = []
    for row in rows:
        changes = [FieldChange(c["field"], c["old"], c["new"]) for c in diffs.get(row.id, [])]
        out.append(PreviewRow(
            staged_id=row.id, kind=row.kind, actor_type=row.actor_type, erp_key=row.erp_key,
            display_name=row.display_name or "", company_name=_company_name(row, changes),
            status=row.status or NOT_IMPORTED, reason=row.reason, checked=bool(row.checked),
            changes=changes, warnings=warnings_of(row)))
    return out


def _company_name(row: Any, changes: list[FieldChange]) -> str | None:
    """A person's company as it will be after the import."""
    if row.kind != PERSON or row.status == NOT_IMPORTED:
        return None
    if row.status == PERSON_UPDATED:
        moved = [c.new for c in changes if c.field == COMPANY_FIELD]
        return moved[0] if moved else row.current_company
    if row.target_company is not None:
        return row.target_company
    if row.keeper_status == COMPANY_NEW:
        return row.keeper_name
    return row.display_name if row.create_company else None


def set_checked(conn: Connection, import_id: int, staged_ids: Iterable[int] | None,
                checked: bool) -> int:
    """Check or uncheck rows; only rows the preview imports can be checked."""
    where = [sa.c.import_id == import_id]
    if checked:
        where.append(and_(sa.c.status.is_not(None), sa.c.status != NOT_IMPORTED))
    if staged_ids is None:
        return conn.execute(sa.update().where(*where)
                            .values(checked=true() if checked else false())).rowcount
    ids = list(staged_ids)
    done = 0
    for start in range(0, len(ids), 500):  # IN lists of bounded size
        done += conn.execute(sa.update().where(*where, sa.c.id.in_(ids[start:start + 500]))
                             .values(checked=true() if checked else false())).rowcount
    return done

"""Selections of imported actors: creating them, listing them, deleting their actors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from ..i18n import babel_locale, gettext
from .fieldmap import COMPANY, PERSON
from .normalize import person_name
from .results import ActorSummary
from .schema import (
    communication,
    company,
    erp_link,
    person,
    selection,
    selection_member,
    staged_actor,
)
from .states import COMPANY_NEW, COMPANY_UPDATED, PERSON_NEW, PERSON_UPDATED

sa = staged_actor
KIND_NEW = "import_new"
KIND_UPDATED = "import_updated"


def _names(now: datetime) -> tuple[str, str]:
    when = format_datetime(now.astimezone(), format="short", locale=babel_locale())
    # Translators: name of the selection holding the actors an import created;
    # %(date)s is the date and time of the import.
    new = gettext("Imported %(date)s: new actors", date=when)
    # Translators: name of the selection holding the actors an import updated;
    # %(date)s is the date and time of the import.
    updated = gettext("Imported %(date)s: updated actors", date=when)
    return new, updated


def _create(conn: Connection, name: str, kind: str, import_id: int, user_id: int | None,
            now: datetime) -> int:
    result = conn.execute(insert(selection).values(
        name=name[:200], kind=kind, import_id=import_id, created_by=user_id, created_at=now))
    return int(result.inserted_primary_key[0])


def create_import_selections(conn: Connection, import_id: int, user_id: int | None,
                             now: datetime, new_count: int, updated_count: int,
                             created_companies: int = 0) -> tuple[int | None, int | None]:
    """The two result selections of an import ("new actors", "updated actors");
    None for an empty one. ``created_companies``: how many of the new actors
    are companies named after persons (members through ``created_company_id``)."""
    mine = and_(sa.c.import_id == import_id, sa.c.checked.is_(True))
    new_name, updated_name = _names(now)
    new_id = _create(conn, new_name, KIND_NEW, import_id, user_id, now) if new_count else None
    updated_id = (_create(conn, updated_name, KIND_UPDATED, import_id, user_id, now)
                  if updated_count else None)
    # The members of both in one pass over the staged rows (each pass costs).
    selection_of = {status: selection_id for statuses, selection_id in (
        ((COMPANY_NEW, PERSON_NEW), new_id), ((COMPANY_UPDATED, PERSON_UPDATED), updated_id))
        if selection_id is not None for status in statuses}
    parts = []
    if selection_of:
        parts.append(select(case(selection_of, value=sa.c.status), sa.c.kind, sa.c.crm_id)
                     .where(mine, sa.c.status.in_(list(selection_of))))
    if new_id is not None and created_companies:
        parts.append(select(literal(new_id), literal(COMPANY), sa.c.created_company_id)
                     .where(mine, sa.c.created_company_id.is_not(None)))
    if parts:
        conn.execute(insert(selection_member).from_select(
            ["selection_id", "crm_type", "crm_id"], union_all(*parts)))
    return new_id, updated_id


def get_selection(conn: Connection, selection_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(selection).where(selection.c.id == selection_id)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["member_count"] = conn.scalar(
        select(func.count()).select_from(selection_member)
        .where(selection_member.c.selection_id == selection_id)) or 0
    return out


def selection_members(conn: Connection, selection_id: int, offset: int,
                      limit: int) -> list[ActorSummary]:
    """One page of a selection's actors (companies first), still in the CRM."""
    sm = selection_member.c
    person_company = company.alias("person_company")
    query = (
        select(sm.crm_type, sm.crm_id, company.c.name, company.c.postal_city,
               person.c.firstname, person.c.middlename, person.c.lastname,
               person.c.postal_city.label("person_city"),
               person_company.c.name.label("company_name"))
        .select_from(
            selection_member
            .outerjoin(company, and_(sm.crm_type == COMPANY, company.c.id == sm.crm_id))
            .outerjoin(person, and_(sm.crm_type == PERSON, person.c.id == sm.crm_id))
            .outerjoin(person_company, person_company.c.id == person.c.company_id))
        .where(sm.selection_id == selection_id,
               or_(company.c.id.is_not(None), person.c.id.is_not(None)))
        .order_by(sm.crm_type, sm.crm_id).offset(offset).limit(limit))
    out = []
    for row in conn.execute(query):
        if row.crm_type == COMPANY:
            out.append(ActorSummary(COMPANY, row.crm_id, row.name or "", None, row.postal_city))
        else:
            name = person_name(row.firstname, row.middlename, row.lastname) or ""
            out.append(ActorSummary(PERSON, row.crm_id, name, row.company_name,
                                    row.person_city))
    return out


def delete_selection_members(conn: Connection, selection_id: int) -> int:
    """Delete the selection's actors with their communications, ERP links and
    memberships; persons of a deleted company that are not in the selection
    stay, without a company. Returns the number of actors deleted."""
    sm = selection_member.c

    def member(crm_type: str, id_column: Any) -> Any:
        return exists().where(sm.selection_id == selection_id, sm.crm_type == crm_type,
                              sm.crm_id == id_column)

    deleted_companies = conn.scalar(select(func.count()).select_from(company)
                                    .where(member(COMPANY, company.c.id))) or 0
    deleted_persons = conn.scalar(select(func.count()).select_from(person)
                                  .where(member(PERSON, person.c.id))) or 0
    conn.execute(person.update().where(member(COMPANY, person.c.company_id),
                                       ~member(PERSON, person.c.id)).values(company_id=None))
    m, link = communication.c, erp_link.c
    conn.execute(delete(communication).where(member(m.owner_type, m.owner_id)))
    conn.execute(delete(erp_link).where(member(link.crm_type, link.crm_id)))
    conn.execute(delete(person).where(member(PERSON, person.c.id)))
    conn.execute(delete(company).where(member(COMPANY, company.c.id)))
    # Memberships of these actors in every selection (this one's rows last).
    other = selection_member.alias("other")
    conn.execute(delete(selection_member).where(exists().where(
        other.c.selection_id == selection_id, other.c.crm_type == sm.crm_type,
        other.c.crm_id == sm.crm_id)))
    return deleted_companies + deleted_persons

"""Preview: classify every staged row of an import with set statements.

The order of the rules (DESIGN.md "Import settings"):

1. validation: a company without NAME, a person without FIRSTNAME and LASTNAME
   -> not imported (``name_missing``);
2. the ERP link wins: a CRM actor linked to the same connection + actor type +
   ERP key is the match;
3. else the chosen duplicate match (lowest CRM id when several match, with a
   ``several_matches`` warning);
4. duplicates inside the import: the lowest staged id is imported, the others
   are not (``duplicate_in_import``, ``duplicate_of``);
5. the action: Add always -> new, Merge/Replace -> updated, Skip -> not
   imported (``skip_action``). An actor matched through its ERP link is the
   same actor, never a duplicate: with "Add always" it is updated as with Merge;
6. persons: their company (a staged company, else the CRM company linked to
   the parent) and the "If no company name" rule;
7. an update that changes nothing is not imported (``unchanged``; the
   condition is :func:`.diff.changes_anything`; the field-by-field diffs are
   worked out when the preview page shows them).

Each rule is one UPDATE over the rows of the import (correlated subqueries,
window functions, UPDATE .. FROM), so the number of statements does not grow
with the number of rows. A statement writes only the rows it changes (writing
a row is what costs), and the rules of a kind of actor the import lacks are
skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, case, exists, false, func, null, or_, select, true
from sqlalchemy.sql import ColumnElement

from . import reasons
from .crmkeys import fill_missing_keys
from .diff import changes_anything
from .fieldmap import COMPANY, PERSON
from .schema import communication, company, erp_link, person, staged_actor
from .settings import Action, CompanyMatch, ImportSettings, NoCompany, PersonMatch
from .sqlutil import bulk_work
from .states import COMPANY_NEW, NEW, NOT_IMPORTED, UPDATED

sa = staged_actor


class _Updater:
    """UPDATE statements over the staged rows of one import."""

    def __init__(self, conn: Connection, import_id: int) -> None:
        self.conn, self.import_id = conn, import_id

    def __call__(self, *where: Any, **values: Any) -> None:
        self.conn.execute(sa.update().where(sa.c.import_id == self.import_id, *where)
                          .values(**values))


def link_subquery(crm_type: str, actor_type: Any, erp_key: Any) -> Any:
    """The CRM id linked to (this row's connection, ``actor_type``, ``erp_key``),
    if that CRM actor still exists."""
    crm_table = company if crm_type == COMPANY else person
    link = erp_link.c
    return (select(func.min(link.crm_id))
            .where(link.crm_type == crm_type, link.connection_id == sa.c.connection_id,
                   link.actor_type == actor_type, link.erp_key == erp_key,
                   exists().where(crm_table.c.id == link.crm_id))
            .scalar_subquery())


def _company_match(match: CompanyMatch) -> tuple[list[Any], list[Any]] | None:
    """(conditions on ``company``, staged key columns) of a company match."""
    c = company.c
    if match is CompanyMatch.NAME:
        return [c.name_key == sa.c.name_key], [sa.c.name_key]
    if match is CompanyMatch.NAME_DEPARTMENT:
        return ([c.name_key == sa.c.name_key,
                 func.coalesce(c.dept_key, "") == func.coalesce(sa.c.dept_key, "")],
                [sa.c.name_key, sa.c.dept_key])
    if match is CompanyMatch.NUMBER:
        return [c.number == sa.c.v_number2], [sa.c.v_number2]
    if match is CompanyMatch.CODE:
        return [c.code == sa.c.v_number1], [sa.c.v_number1]
    if match is CompanyMatch.VATNO:
        return [c.vat_key == sa.c.vat_key], [sa.c.vat_key]
    return None  # ID: only the ERP link matches


def _match_subqueries(kind: str, settings: ImportSettings) -> tuple[Any, Any, list[Any]] | None:
    """(lowest matching CRM id, number of matches, staged key columns) or None."""
    if kind == COMPANY:
        spec = _company_match(settings.company_match)
        if spec is None:
            return None
        conds, keys = spec
        return (select(func.min(company.c.id)).where(*conds).scalar_subquery(),
                select(func.count()).select_from(company).where(*conds).scalar_subquery(),
                keys)
    match = settings.person_match
    p = person.c
    if match is PersonMatch.NAME:
        # Same company too, when the person's company is known.
        conds = [p.name_key == sa.c.name_key,
                 or_(and_(sa.c.company_staged_id.is_(None), sa.c.company_target_id.is_(None)),
                     p.company_id == sa.c.company_target_id)]
        keys = [sa.c.name_key, sa.c.company_staged_id, sa.c.company_target_id]
    elif match is PersonMatch.NUMBER:
        conds, keys = [p.number == sa.c.v_number], [sa.c.v_number]
    elif match in (PersonMatch.EMAIL, PersonMatch.MOBILE):
        comm_kind, key = (("email", sa.c.email_key) if match is PersonMatch.EMAIL
                          else ("mobile", sa.c.mobile_key))
        m = communication.c
        conds = [m.owner_type == PERSON, m.kind == comm_kind, m.value_key == key,
                 exists().where(person.c.id == m.owner_id)]
        return (select(func.min(m.owner_id)).where(*conds).scalar_subquery(),
                select(func.count(m.owner_id.distinct())).where(*conds).scalar_subquery(),
                [key])
    else:
        return None  # ID (and NONE, handled before)
    return (select(func.min(person.c.id)).where(*conds).scalar_subquery(),
            select(func.count()).select_from(person).where(*conds).scalar_subquery(), keys)


def _mark_duplicates(conn: Connection, import_id: int, kind: str,
                     partition: list[Any], *where: Any) -> None:
    """Among undecided rows of ``kind`` with equal ``partition`` values, all but
    the lowest id become ``duplicate_in_import`` of it."""
    ranked = (select(sa.c.id.label("sid"),
                     func.min(sa.c.id).over(partition_by=partition).label("keeper"))
              .where(sa.c.import_id == import_id, sa.c.kind == kind, sa.c.status.is_(None),
                     *where)
              .subquery())
    conn.execute(sa.update().where(sa.c.id == ranked.c.sid, ranked.c.keeper != ranked.c.sid)
                 .values(status=NOT_IMPORTED, reason=reasons.DUPLICATE_IN_IMPORT,
                         duplicate_of=ranked.c.keeper, checked=false()))


def _match_and_decide(conn: Connection, import_id: int, kind: str,
                      settings: ImportSettings) -> None:
    """Rules 3 to 5 for the undecided rows of ``kind`` (rule 2, the ERP link,
    was applied for all rows by :func:`_reset_and_link`)."""
    update = _Updater(conn, import_id)
    is_kind, undecided = sa.c.kind == kind, sa.c.status.is_(None)
    # 3. The duplicate match.
    spec = _match_subqueries(kind, settings)
    if spec is not None:
        lowest, count, keys = spec
        update(is_kind, undecided, sa.c.match_id.is_(None), keys[0].is_not(None),
               match_id=lowest, match_count=count)
    # 4. Duplicates inside the import: rows updating one CRM actor, and unmatched
    #    rows with the same match key (matched ones with the same key share a target).
    _mark_duplicates(conn, import_id, kind, [sa.c.match_id], sa.c.match_id.is_not(None))
    if spec is not None:
        keys = spec[2]
        _mark_duplicates(conn, import_id, kind, keys, sa.c.match_id.is_(None),
                         keys[0].is_not(None))
    # 5. The action, one statement for matched and unmatched rows.
    action = settings.company_action if kind == COMPANY else settings.person_action
    matched = sa.c.match_id.is_not(None)
    if action is Action.SKIP:
        update(is_kind, undecided, status=case((matched, NOT_IMPORTED), else_=NEW[kind]),
               reason=case((matched, reasons.SKIP_ACTION), else_=null()),
               checked=case((matched, false()), else_=true()))
        return
    if action is Action.ADD:  # only the ERP link's match is the same actor
        matched = and_(matched, sa.c.matched_by_link.is_(True))
    update(is_kind, undecided, status=case((matched, UPDATED[kind]), else_=NEW[kind]),
           target_id=case((matched, sa.c.match_id), else_=null()))


def _resolve_person_companies(conn: Connection, import_id: int) -> None:
    """A person's company: the staged company of its parent (following an
    in-import duplicate to the row that is imported), else the CRM company
    linked to the parent."""
    update = _Updater(conn, import_id)
    k = sa.alias("k")
    is_person = sa.c.kind == PERSON
    has_parent = and_(sa.c.parent_key.is_not(None), sa.c.parent_type.is_not(None))
    update(is_person, has_parent, company_staged_id=(
        select(func.min(func.coalesce(k.c.duplicate_of, k.c.id)))
        .where(k.c.import_id == sa.c.import_id, k.c.kind == COMPANY,
               k.c.actor_type == sa.c.parent_type, k.c.erp_key == sa.c.parent_key,
               k.c.connection_id.is_not_distinct_from(sa.c.connection_id))
        .scalar_subquery()))
    # The CRM company the staged company is (None while it is to be created).
    update(is_person, sa.c.company_staged_id.is_not(None), company_target_id=(
        select(case((k.c.status == COMPANY_NEW, null()), else_=k.c.match_id))
        .where(k.c.id == sa.c.company_staged_id).scalar_subquery()))
    update(is_person, has_parent, sa.c.company_staged_id.is_(None),
           company_target_id=link_subquery(COMPANY, sa.c.parent_type, sa.c.parent_key))


def without_company() -> ColumnElement[bool]:
    """Persons that would end up without a company: none known from the ERP,
    and new (or in the CRM without a company)."""
    k = sa.alias("k")
    return and_(
        sa.c.kind == PERSON, sa.c.status.in_(list(NEW.values()) + list(UPDATED.values())),
        sa.c.company_target_id.is_(None), sa.c.create_company.is_(False),
        or_(sa.c.company_staged_id.is_(None),
            ~exists().where(k.c.id == sa.c.company_staged_id, k.c.status == COMPANY_NEW,
                            k.c.checked.is_(True))),
        or_(sa.c.target_id.is_(None),
            exists().where(person.c.id == sa.c.target_id, person.c.company_id.is_(None))))


def apply_no_company_rule(conn: Connection, import_id: int, rule: NoCompany,
                          *where: Any) -> None:
    """The "If no company name" rule for persons without a company."""
    update = _Updater(conn, import_id)
    if rule is NoCompany.CREATE_FROM_PERSON:
        update(without_company(), *where, create_company=true())
    elif rule is NoCompany.SKIP:
        update(without_company(), *where, status=NOT_IMPORTED, reason=reasons.NO_COMPANY,
               target_id=null(), checked=false())


#: The staged columns the preview's statements filter and join on (the
#: statistics PostgreSQL's planner gets after a staging).
PLANNED_COLUMNS = tuple(sa.c[name] for name in (
    "import_id", "kind", "actor_type", "erp_key", "connection_id", "parent_type", "parent_key",
    "status", "reason", "checked", "target_id", "match_id", "matched_by_link", "duplicate_of",
    "company_staged_id", "company_target_id", "create_company", "crm_id", "name_key",
    "dept_key", "vat_key", "email_key", "mobile_key", "v_number1", "v_number2", "v_number"))


def classify(conn: Connection, import_id: int, settings: ImportSettings,
             batch_size: int) -> None:
    """Run every preview rule over the import's staged rows (one transaction)."""
    with bulk_work(conn, *PLANNED_COLUMNS):
        _classify(conn, import_id, settings, batch_size)


def _reset_and_link(conn: Connection, import_id: int, settings: ImportSettings) -> None:
    """Forget an earlier preview, apply rule 1 (and "persons are not imported"),
    and rule 2, the ERP link, for every kind.

    Each statement writes only the rows it changes (a write of every row is
    what costs): the reset touches rows an earlier preview classified, the
    validation rows without a name, the link rows that have one."""
    update = _Updater(conn, import_id)
    update(or_(sa.c.status.is_not(None), sa.c.checked.is_(False)),
           status=null(), reason=null(), checked=true(), target_id=null(), match_id=null(),
           match_count=null(), matched_by_link=false(), duplicate_of=null(),
           company_staged_id=null(), company_target_id=null(), create_company=false(),
           created_company_id=null(), crm_id=null())
    # 1. Validation (keys are None exactly when the name is missing).
    update(sa.c.name_key.is_(None),
           status=NOT_IMPORTED, reason=reasons.NAME_MISSING, checked=false())
    if settings.person_match is PersonMatch.NONE:
        update(sa.c.kind == PERSON, sa.c.status.is_(None),
               status=NOT_IMPORTED, reason=reasons.PERSONS_DISABLED, checked=false())
    # 2. The ERP link always wins: a join, so only linked rows are written.
    link = erp_link.c
    crm_exists = or_(
        and_(sa.c.kind == COMPANY, exists().where(company.c.id == link.crm_id)),
        and_(sa.c.kind == PERSON, exists().where(person.c.id == link.crm_id)))
    update(sa.c.status.is_(None), link.connection_id == sa.c.connection_id,
           link.actor_type == sa.c.actor_type, link.erp_key == sa.c.erp_key,
           link.crm_type == sa.c.kind, crm_exists,
           match_id=link.crm_id, matched_by_link=true(), match_count=1)


def _classify(conn: Connection, import_id: int, settings: ImportSettings,
              batch_size: int) -> None:
    update = _Updater(conn, import_id)
    fill_missing_keys(conn, batch_size)
    _reset_and_link(conn, import_id, settings)
    # Each rule passes over the import's rows: skip those of a kind it lacks.
    kinds = set(conn.scalars(select(sa.c.kind).distinct().where(sa.c.import_id == import_id)))
    if COMPANY in kinds:
        _match_and_decide(conn, import_id, COMPANY, settings)
    if PERSON in kinds and settings.person_match is not PersonMatch.NONE:
        _resolve_person_companies(conn, import_id)
        _match_and_decide(conn, import_id, PERSON, settings)
        apply_no_company_rule(conn, import_id, settings.no_company)

    # 7. Updates without a change are not imported.
    for kind in kinds:
        update(sa.c.status == UPDATED[kind], ~changes_anything(kind, settings),
               status=NOT_IMPORTED, reason=reasons.UNCHANGED, checked=false())

"""Keeping the CRM's match keys (``name_key``, ``dept_key``, ``vat_key``) in step.

Keys are computed in Python (case folding is not portable SQL), so each
refresh is one streaming query whose rows are written back in batches with
``executemany``: the number of statements grows with batches, not with rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Select, bindparam, or_, select

from . import normalize as nz
from .schema import company, person

_COMPANY_UPDATE = company.update().where(company.c.id == bindparam("b_id")).values(
    name_key=bindparam("b_name_key"), dept_key=bindparam("b_dept_key"),
    vat_key=bindparam("b_vat_key"))
_PERSON_UPDATE = person.update().where(person.c.id == bindparam("b_id")).values(
    name_key=bindparam("b_name_key"))


def _company_params(row: Any) -> dict[str, Any]:
    keys = nz.company_keys(row.name, row.department, row.vatno)
    return {"b_id": row.id, **{f"b_{k}": v for k, v in keys.items()}}


def _person_params(row: Any) -> dict[str, Any]:
    return {"b_id": row.id,
            "b_name_key": nz.person_name_key(row.firstname, row.middlename, row.lastname)}


def _stream_update(conn: Connection, query: Select, params: Callable[[Any], dict[str, Any]],
                   statement: Any, batch_size: int) -> int:
    done = 0
    # Options on the statement: Connection.execution_options() would change the
    # connection itself and stream every later statement too.
    result = conn.execute(query.execution_options(stream_results=True, yield_per=batch_size))
    for rows in result.partitions(batch_size):
        conn.execute(statement, [params(row) for row in rows])
        done += len(rows)
    return done


def company_key_query() -> Select:
    return select(company.c.id, company.c.name, company.c.department, company.c.vatno)


def person_key_query() -> Select:
    return select(person.c.id, person.c.firstname, person.c.middlename, person.c.lastname)


def fill_missing_keys(conn: Connection, batch_size: int) -> int:
    """Compute keys of CRM rows written without them (e.g. by the host)."""
    c, p = company.c, person.c
    companies = company_key_query().where(or_(
        (c.name.is_not(None)) & (c.name_key.is_(None)),
        (c.department.is_not(None)) & (c.dept_key.is_(None)),
        (c.vatno.is_not(None)) & (c.vat_key.is_(None))))
    persons = person_key_query().where(
        p.name_key.is_(None), or_(p.firstname.is_not(None), p.lastname.is_not(None)))
    return (_stream_update(conn, companies, _company_params, _COMPANY_UPDATE, batch_size)
            + _stream_update(conn, persons, _person_params, _PERSON_UPDATE, batch_size))


def refresh_company_keys(conn: Connection, query: Select, batch_size: int) -> int:
    """Recompute the keys of the companies selected by ``query`` (see
    :func:`company_key_query`)."""
    return _stream_update(conn, query, _company_params, _COMPANY_UPDATE, batch_size)


def refresh_person_keys(conn: Connection, query: Select, batch_size: int) -> int:
    """Recompute the keys of the persons selected by ``query`` (see :func:`person_key_query`)."""
    return _stream_update(conn, query, _person_params, _PERSON_UPDATE, batch_size)

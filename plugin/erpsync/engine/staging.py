"""Staging: ERP actors into ``staged_actor``, streamed in batches.

Every row gets its normalised match keys, its communications as they will be
written and its data warnings (invalid e-mail, values longer than the CRM
column) here, once; preview and apply only read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select

from ..connectors.base import ActorType, ErpActor
from ..i18n import lazy_gettext
from . import normalize as nz
from .fieldmap import (
    COMM_COLUMNS,
    COMM_LENGTH,
    LIST_FIELDS,
    LIST_NAME_LENGTH,
    PERSON,
    comms_of,
    crm_kind,
    fields_of,
    lengths_of,
)
from .reasons import INVALID_EMAIL, TRUNCATED, warning_code
from .results import ImportError_
from .schema import erp_link, staged_actor
from .sqlutil import dialect_insert

#: Rows per INSERT batch; memory holds one batch of prepared rows.
DEFAULT_BATCH_SIZE = 1000
ACTOR_TYPES = frozenset(t.value for t in ActorType)
#: Length of ``staged_actor.erp_key`` and ``parent_key``: longer keys cannot be matched.
KEY_LENGTH = 200


def _value(actor_type: Any) -> str | None:
    if actor_type is None:
        return None
    return str(getattr(actor_type, "value", actor_type))


def prepare_row(import_id: int, connection_id: int | None, actor: ErpActor,
                via_parent: bool) -> dict[str, Any]:
    """The ``staged_actor`` row of one ERP actor (pure: no database access)."""
    actor_type = _value(actor.actor_type) or ""
    key = "" if actor.key is None else str(actor.key)
    parent_key = "" if actor.parent_key is None else str(actor.parent_key)
    if (actor_type not in ACTOR_TYPES or not key.strip() or len(key) > KEY_LENGTH
            or len(parent_key) > KEY_LENGTH):
        raise ImportError_(
            # Translators: %(type)s is an actor type and %(key)s an ERP key as the ERP sent them.
            lazy_gettext("The ERP sent an actor that cannot be imported (actor type "
                         "%(type)s, key %(key)s). Not every actor of this search was added: "
                         "correct it in the ERP and add the import again.",
                         type=actor_type or "-", key=key[:40] or "-"),
            f"bad actor: {actor!r}"[:1000])
    kind = crm_kind(actor_type)
    data = {str(k): nz.clean(v) for k, v in (actor.fields or {}).items()}
    lengths = lengths_of(kind)
    warnings: list[str] = []

    def cut(key: str, length: int) -> str | None:
        value = data.get(key)
        if value is not None and len(value) > length:
            warnings.append(warning_code(TRUNCATED, key))
            return value[:length]
        return value

    values = {key: cut(key, lengths[col]) for key, col in fields_of(kind).items()}
    row: dict[str, Any] = {
        "import_id": import_id, "connection_id": connection_id,
        "actor_type": actor_type, "kind": kind, "erp_key": key,
        "parent_type": _value(actor.parent_type),
        "parent_key": parent_key or None,
        "last_modified": actor.last_modified, "via_parent": via_parent, "data": data,
    }
    if kind == PERSON:
        first, middle, last = values["FIRSTNAME"], values["MIDDLENAME"], values["LASTNAME"]
        row["display_name"] = nz.cut(nz.person_name(first, middle, last), 300)
        row["name_key"] = nz.person_name_key(first, middle, last)
        row["dept_key"] = None
        row["code_key"] = None
        row["number_key"] = nz.code_key(values["NUMBER"], 50)
        row["vat_key"] = None
    else:
        row["display_name"] = values["NAME"]
        row["name_key"] = nz.name_key(values["NAME"], 200)
        row["dept_key"] = nz.name_key(values["DEPARTMENT"], 200)
        row["code_key"] = nz.code_key(values["NUMBER1"], 50)
        row["number_key"] = nz.code_key(values["NUMBER2"], 50)
        row["vat_key"] = nz.vat_key(values["VATNO"], 50)

    for list_field in LIST_FIELDS:
        value = cut(list_field.key, LIST_NAME_LENGTH) if kind != PERSON else None
        row[list_field.key_column] = nz.name_key(value, LIST_NAME_LENGTH)

    for column, key_column in COMM_COLUMNS.values():
        row[column] = row[key_column] = None
    for key, comm_kind in comms_of(kind).items():
        value = data.get(key)
        if value is None:
            continue
        if comm_kind == "email" and not nz.is_valid_email(value):
            warnings.append(INVALID_EMAIL)
            continue
        value = cut(key, COMM_LENGTH)
        column, key_column = COMM_COLUMNS[comm_kind]
        row[column] = value
        row[key_column] = nz.communication_key(comm_kind, value)
        if row[key_column] is None:  # e.g. a phone number without digits
            row[column] = None
    row["warnings"] = warnings
    return row


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items, pulled from ``items`` one list at a time."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def count_staged(conn: Connection, import_id: int) -> int:
    return conn.scalar(select(func.count()).select_from(staged_actor)
                       .where(staged_actor.c.import_id == import_id)) or 0


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert prepared rows in one ``executemany``. A row whose (import,
    connection, actor type, ERP key) is staged already is skipped by the
    database (ON CONFLICT DO NOTHING): the first staging wins."""
    if rows:
        conn.execute(dialect_insert(conn, staged_actor).on_conflict_do_nothing(), rows)


def missing_parents(conn: Connection,
                    import_id: int) -> dict[tuple[int | None, str], list[str]]:
    """(connection id, parent actor type) -> ERP keys of the companies staged
    persons belong to that are neither staged nor linked to a CRM company."""
    sa, parent = staged_actor, staged_actor.alias("parent")
    query = (
        select(sa.c.connection_id, sa.c.parent_type, sa.c.parent_key).distinct()
        .where(sa.c.import_id == import_id, sa.c.kind == PERSON,
               sa.c.parent_key.is_not(None), sa.c.parent_type.is_not(None),
               ~exists().where(parent.c.import_id == sa.c.import_id,
                               parent.c.actor_type == sa.c.parent_type,
                               parent.c.erp_key == sa.c.parent_key,
                               parent.c.connection_id.is_not_distinct_from(sa.c.connection_id)),
               ~exists().where(and_(erp_link.c.connection_id == sa.c.connection_id,
                                    erp_link.c.actor_type == sa.c.parent_type,
                                    erp_link.c.erp_key == sa.c.parent_key)))
        .order_by(sa.c.connection_id, sa.c.parent_type, sa.c.parent_key))
    out: dict[tuple[int | None, str], list[str]] = {}
    for connection_id, parent_type, parent_key in conn.execute(query):
        out.setdefault((connection_id, parent_type), []).append(parent_key)
    return out

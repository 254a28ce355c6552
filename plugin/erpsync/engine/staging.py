"""Staging: ERP actors into ``staged_actor``, streamed in batches.

Every row gets its normalised match keys, its communications as they will be
written and its data warnings (invalid e-mail, values longer than the CRM
column) here, once; preview and apply only read them.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, and_, exists, func, select

from ..connectors.base import ActorType, ErpActor
from ..i18n import lazy_gettext
from . import normalize as nz
from .fieldmap import (
    COMM_COLUMNS,
    COMM_LENGTH,
    COMPANY,
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

#: Rows per INSERT batch; memory holds one batch of prepared rows.
DEFAULT_BATCH_SIZE = 1000
ACTOR_TYPES = frozenset(t.value for t in ActorType)
#: Length of ``staged_actor.erp_key`` and ``parent_key``: longer keys cannot be matched.
KEY_LENGTH = 200


def _value(actor_type: Any) -> str | None:
    if actor_type is None:
        return None
    return str(getattr(actor_type, "value", actor_type))


def _clean_fields(fields: dict[Any, Any] | None) -> dict[str, str | None]:
    """``nz.clean`` of every value, with a fast path for the usual text values."""
    data: dict[str, str | None] = {}
    for key, value in (fields or {}).items():
        if value.__class__ is str:
            value = value.strip() or None
        elif value is not None:
            value = nz.clean(value)
        data[key if key.__class__ is str else str(key)] = value
    return data


#: Per kind of actor: (field key, CRM column length) of the mapped fields.
_FIELD_LENGTHS = {kind: tuple((key, lengths_of(kind)[column])
                              for key, column in fields_of(kind).items())
                  for kind in (COMPANY, PERSON)}
#: Per kind of actor: (field key, communication kind, value column, key column).
_COMMS = {kind: tuple((key, comm_kind, *COMM_COLUMNS[comm_kind])
                      for key, comm_kind in comms_of(kind).items())
          for kind in (COMPANY, PERSON)}
_NO_COMMS = {column: None for pair in COMM_COLUMNS.values() for column in pair}


@functools.lru_cache(maxsize=4096)
def _list_key(value: str | None) -> str | None:
    """The key of a list value: lists have few values, repeated on many rows."""
    return nz.name_key(value, LIST_NAME_LENGTH)


def prepare_row(import_id: int, connection_id: int | None, actor: ErpActor,
                via_parent: bool) -> dict[str, Any]:
    """The ``staged_actor`` row of one ERP actor (pure: no database access).

    This runs once per staged actor, so it avoids needless work (it is most of
    the Python time of staging); the keys come from :mod:`.normalize`.
    """
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
    data = _clean_fields(actor.fields)
    warnings: list[str] = []
    values: dict[str, str | None] = {}
    for field_key, length in _FIELD_LENGTHS[kind]:
        value = data.get(field_key)
        if value is not None and len(value) > length:
            warnings.append(warning_code(TRUNCATED, field_key))
            value = value[:length]
        values[field_key] = value
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
        for list_field in LIST_FIELDS:
            row[list_field.key_column] = None
    else:
        row["display_name"] = values["NAME"]
        row["name_key"] = nz.name_key(values["NAME"], 200)
        row["dept_key"] = nz.name_key(values["DEPARTMENT"], 200)
        row["code_key"] = nz.code_key(values["NUMBER1"], 50)
        row["number_key"] = nz.code_key(values["NUMBER2"], 50)
        row["vat_key"] = nz.vat_key(values["VATNO"], 50)
        for list_field in LIST_FIELDS:
            value = data.get(list_field.key)
            if value is not None and len(value) > LIST_NAME_LENGTH:
                warnings.append(warning_code(TRUNCATED, list_field.key))
                value = value[:LIST_NAME_LENGTH]
            row[list_field.key_column] = _list_key(value)

    row.update(_NO_COMMS)
    for field_key, comm_kind, column, key_column in _COMMS[kind]:
        value = data.get(field_key)
        if value is None:
            continue
        if comm_kind == "email" and not nz.is_valid_email(value):
            warnings.append(INVALID_EMAIL)
            continue
        if len(value) > COMM_LENGTH:
            warnings.append(warning_code(TRUNCATED, field_key))
            value = value[:COMM_LENGTH]
        comm_key = nz.communication_key(comm_kind, value)
        if comm_key is not None:  # None e.g. for a phone number without digits
            row[column], row[key_column] = value, comm_key
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


#: The columns :func:`prepare_row` fills, in the order they are inserted ...
_PREPARED_COLUMNS = (
    "import_id", "connection_id", "actor_type", "kind", "erp_key", "parent_type",
    "parent_key", "last_modified", "via_parent", "data", "display_name", "name_key",
    "dept_key", "code_key", "number_key", "vat_key",
    *(lf.key_column for lf in LIST_FIELDS), *_NO_COMMS, "warnings")
#: ... followed by the other columns with a (scalar) default set by SQLAlchemy,
#: not the database: the raw insert below must give them.
_DEFAULTS = {c.name: c.default.arg for c in staged_actor.c
             if c.name not in _PREPARED_COLUMNS and c.default is not None
             and c.default.is_scalar}
_COLUMNS = (*_PREPARED_COLUMNS, *_DEFAULTS)
_COLUMN_LIST = ", ".join(_COLUMNS)
#: PostgreSQL: the temporary table each batch is copied into first.
_PG_BATCH_TABLE = "erpsync_staging_batch"


def _dumps(value: Any) -> str:
    """JSON text of staged values: compact, non-ASCII letters kept as they are."""
    return _ENCODER.encode(value) if value else ("[]" if isinstance(value, list) else "{}")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=8)
def _converters(dialect: Dialect) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, function) turning a prepared value into what the driver takes:
    JSON as text; on SQLite also SQLAlchemy's own storage of time stamps."""
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(_COLUMNS):
        column_type = staged_actor.c[name].type
        if isinstance(column_type, JSON):
            out.append((position, getattr(dialect, "_json_serializer", None) or _dumps))
        elif dialect.name == "sqlite":
            processor = column_type.bind_processor(dialect)
            if processor is not None:
                out.append((position, processor))
    return tuple(out)


def _driver_rows(conn: Connection, rows: list[dict[str, Any]]) -> list[list[Any]]:
    values = operator.itemgetter(*_PREPARED_COLUMNS)
    defaults = list(_DEFAULTS.values())
    converters = _converters(conn.dialect)
    out = []
    for row in rows:
        params = [*values(row), *defaults]
        for position, convert in converters:
            if params[position] is not None:
                params[position] = convert(params[position])
        out.append(params)
    return out


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert prepared rows (:func:`prepare_row`) in one batch. A row whose
    (import, connection, actor type, ERP key) is staged already is skipped by
    the database (ON CONFLICT DO NOTHING): the first staging wins.

    The rows go to the driver as they are (SQLAlchemy's per-value processing
    costs more than the insert itself): SQLite gets one ``executemany``,
    PostgreSQL a ``COPY`` into a temporary table and one ``INSERT .. SELECT``.
    """
    if not rows:
        return
    params = _driver_rows(conn, rows)
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, params)
        return
    marks = ", ".join("?" * len(_COLUMNS))
    conn.exec_driver_sql(f"INSERT INTO staged_actor ({_COLUMN_LIST}) VALUES ({marks}) "
                         "ON CONFLICT DO NOTHING", [tuple(p) for p in params])


def _copy_rows(conn: Connection, params: list[list[Any]]) -> None:
    """PostgreSQL: COPY, then insert in staging order (``seq``), skipping conflicts."""
    table = _PG_BATCH_TABLE
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ON COMMIT DELETE ROWS AS "
        f"SELECT {_COLUMN_LIST}, 0 AS seq FROM staged_actor WITH NO DATA")
    conn.exec_driver_sql(f"TRUNCATE {table}")
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, \
            cursor.copy(f"COPY {table} ({_COLUMN_LIST}, seq) FROM STDIN") as copy:
        for seq, row in enumerate(params):
            row.append(seq)
            copy.write_row(row)
    conn.exec_driver_sql(f"INSERT INTO staged_actor ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
                         f"FROM {table} ORDER BY seq ON CONFLICT DO NOTHING")


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

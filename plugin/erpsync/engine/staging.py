"""Staging: ERP actors into ``staged_actor``, streamed in batches.

Every row gets its values as they will be written (a column per field key,
cut to the CRM column's length), its normalised match keys, its
communications and its data warnings (invalid e-mail, values longer than the
CRM column) here, once; preview and apply only read them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Integer,
    String,
    and_,
    exists,
    func,
    select,
)

from ..connectors.base import ActorType, ErpActor
from ..i18n import lazy_gettext
from . import normalize as nz
from .fieldmap import (
    COMM_COLUMNS,
    COMM_LENGTH,
    COMPANY,
    COMPANY_FIELDS,
    LIST_FIELDS,
    LIST_NAME_LENGTH,
    PERSON,
    PERSON_FIELDS,
    VALUE_COLUMNS,
    comms_of,
)
from .reasons import INVALID_EMAIL, TRUNCATED, warning_code
from .results import ImportError_
from .runs import require_pending
from .schema import erp_link, staged_actor
from .sqlutil import write_transaction

#: Rows per INSERT batch; memory holds one batch of prepared rows.
DEFAULT_BATCH_SIZE = 1000
ACTOR_TYPES = frozenset(t.value for t in ActorType)
#: Length of ``staged_actor.erp_key`` and ``parent_key``: longer keys cannot be matched.
KEY_LENGTH = 200


def _value(actor_type: Any) -> str | None:
    if actor_type is None:
        return None
    return str(getattr(actor_type, "value", actor_type))


def _text(value: Any) -> str | None:
    """``nz.clean`` with a fast path for the usual text values."""
    if value.__class__ is str:
        return value.strip() or None
    return None if value is None else nz.clean(value)


@functools.lru_cache(maxsize=4096)
def _list_key(value: str | None) -> str | None:
    """The key of a list value: lists have few values, repeated on many rows."""
    return nz.name_key(value, LIST_NAME_LENGTH)


#: The columns :func:`prepare_row` fills, in the order of its tuple ...
#: (Codes and numbers match as they are: their value columns are their keys.)
_KEY_COLUMNS = ("name_key", "dept_key", "vat_key",
                *(lf.key_column for lf in LIST_FIELDS))
_COMM_VALUE_COLUMNS = tuple(column for pair in COMM_COLUMNS.values() for column in pair)
_PREPARED_COLUMNS = (
    "import_id", "connection_id", "actor_type", "kind", "erp_key", "parent_type",
    "parent_key", "last_modified", "via_parent", "display_name", *_KEY_COLUMNS,
    *_COMM_VALUE_COLUMNS, *(column for column, _length in VALUE_COLUMNS.values()),
    "extra", "warnings")
#: ... followed by the other columns with a (scalar) default set by SQLAlchemy,
#: not the database: the raw insert below gives them as constants.
_DEFAULTS = {c.name: c.default.arg for c in staged_actor.c
             if c.name not in _PREPARED_COLUMNS and c.default is not None
             and c.default.is_scalar}
assert all(isinstance(value, bool) for value in _DEFAULTS.values())
_COLUMNS = (*_PREPARED_COLUMNS, *_DEFAULTS)
_COLUMN_LIST = ", ".join(_COLUMNS)
#: The values of the columns: "" of a text column is NULL (see prepare_row).
_NULLABLE_TEXT = frozenset(c.name for c in staged_actor.c
                           if isinstance(c.type, String) and c.nullable)
_VALUE_LIST = ", ".join(
    [("NULLIF({}, '')" if name in _NULLABLE_TEXT else "{}") for name in _PREPARED_COLUMNS]
    + [("TRUE" if value else "FALSE") for value in _DEFAULTS.values()])

#: Field key -> (position in the value columns, length).
_VALUE_AT = {key: (position, length)
             for position, (key, (_column, length)) in enumerate(VALUE_COLUMNS.items())}
_MAPPED = {COMPANY: {*COMPANY_FIELDS, *(lf.key for lf in LIST_FIELDS), *comms_of(COMPANY)},
           PERSON: {*PERSON_FIELDS, *comms_of(PERSON)}}
#: Per kind of actor: (field key, position in the value columns, length).
_VALUE_KEYS = {kind: tuple((key, *_VALUE_AT[key]) for key in keys) for kind, keys in (
    (COMPANY, (*COMPANY_FIELDS, *(lf.key for lf in LIST_FIELDS))), (PERSON, PERSON_FIELDS))}
#: Per kind of actor: (field key, communication kind, position in the comm columns).
_COMMS = {kind: tuple((key, comm_kind, 2 * list(COMM_COLUMNS).index(comm_kind))
                      for key, comm_kind in comms_of(kind).items())
          for kind in (COMPANY, PERSON)}


def _bad_actor(actor: ErpActor, actor_type: str, key: str) -> ImportError_:
    return ImportError_(
        # Translators: %(type)s is an actor type and %(key)s an ERP key as the ERP sent them.
        lazy_gettext("The ERP sent an actor that cannot be imported (actor type "
                     "%(type)s, key %(key)s). Not every actor of this search was added: "
                     "correct it in the ERP and add the import again.",
                     type=actor_type or "-", key=key[:40] or "-"),
        f"bad actor: {actor!r}"[:1000])


def prepare_row(import_id: int, connection_id: int | None, actor: ErpActor,
                via_parent: bool) -> tuple[Any, ...]:
    """The ``staged_actor`` row of one ERP actor (pure: no database access), a
    tuple in the order of :data:`_PREPARED_COLUMNS`. A missing text value is
    ``""``, which :func:`insert_rows` stores as NULL (binding ``None`` costs
    the ``sqlite3`` module several times more than binding a string).

    This runs once per staged actor, so it avoids needless work (it is most of
    the Python time of staging); the keys come from :mod:`.normalize`, which
    treats ``""`` as no value.
    """
    actor_type = _value(actor.actor_type) or ""
    key = "" if actor.key is None else str(actor.key)
    parent_key = "" if actor.parent_key is None else str(actor.parent_key)
    if (actor_type not in ACTOR_TYPES or not key.strip() or len(key) > KEY_LENGTH
            or len(parent_key) > KEY_LENGTH):
        raise _bad_actor(actor, actor_type, key)
    kind = PERSON if actor_type == PERSON else COMPANY
    fields = actor.fields or {}
    warnings: list[str] = []
    values: list[str] = [""] * len(_VALUE_AT)
    for field_key, position, length in _VALUE_KEYS[kind]:
        value = fields.get(field_key)
        if value is None:
            continue
        value = value.strip() if value.__class__ is str else nz.clean(value)
        if not value:
            continue
        if len(value) > length:
            warnings.append(warning_code(TRUNCATED, field_key))
            value = value[:length]
        values[position] = value
    comms: list[str] = [""] * len(_COMM_VALUE_COLUMNS)
    for field_key, comm_kind, position in _COMMS[kind]:
        value = _text(fields.get(field_key))
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
            comms[position], comms[position + 1] = value, comm_key
    unmapped = fields.keys() - _MAPPED[kind]
    extra = {str(k): _text(fields[k]) for k in unmapped} if unmapped else None
    if kind == PERSON:
        first, middle, last = (values[_VALUE_AT[k][0]]
                               for k in ("FIRSTNAME", "MIDDLENAME", "LASTNAME"))
        display_name = nz.cut(nz.person_name(first, middle, last), 300) or ""
        keys: tuple[str, ...] = (nz.person_name_key(first, middle, last) or "", "", "", "", "")
    else:
        display_name = name = values[_NAME_AT]
        keys = (nz.name_key(name, 200) or "", nz.name_key(values[_DEPARTMENT_AT], 200) or "",
                nz.vat_key(values[_VATNO_AT], 50) or "",
                *(_list_key(values[at]) or "" for at in _LIST_AT))
    return (import_id, connection_id, actor_type, kind, key, _value(actor.parent_type) or "",
            parent_key, actor.last_modified, via_parent, display_name, *keys, *comms,
            *values, extra, warnings or None)


_NAME_AT, _DEPARTMENT_AT, _VATNO_AT = (_VALUE_AT[k][0] for k in ("NAME", "DEPARTMENT", "VATNO"))
_LIST_AT = tuple(_VALUE_AT[lf.key][0] for lf in LIST_FIELDS)


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items, pulled from ``items`` one list at a time."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def count_staged(conn: Connection, import_id: int) -> int:
    return conn.scalar(select(func.count()).select_from(staged_actor)
                       .where(staged_actor.c.import_id == import_id)) or 0


#: PostgreSQL: the temporary table each batch is copied into first.
_PG_BATCH_TABLE = "erpsync_staging_batch"


def _dumps(value: Any) -> str:
    """JSON text of staged values: compact, non-ASCII letters kept as they are."""
    return _ENCODER.encode(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _iso_text(value: Any) -> str:
    return value.isoformat(" ")


@functools.lru_cache(maxsize=8)
def _converters(dialect: Dialect) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, function) turning a prepared value into what the driver takes:
    JSON as text; on SQLite also time stamps as text."""
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(_PREPARED_COLUMNS):
        column_type = staged_actor.c[name].type
        if isinstance(column_type, JSON):
            out.append((position, getattr(dialect, "_json_serializer", None) or _dumps))
        elif dialect.name == "sqlite" and isinstance(column_type, DateTime):
            # The text the sqlite3 module's own adapter has always stored.
            out.append((position, _iso_text))
        elif dialect.name == "sqlite" and not isinstance(column_type, String | Integer):
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                out.append((position, processor))
    return tuple(out)


def _driver_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> list[Any]:
    converters = _converters(conn.dialect)
    out: list[Any] = []
    for row in rows:
        params: list[Any] | None = None
        for position, convert in converters:
            value = row[position]
            if value is not None:
                if params is None:
                    params = list(row)
                params[position] = convert(value)
        out.append(row if params is None else tuple(params))
    return out


def insert_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
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
    marks = _VALUE_LIST.format(*("?" * len(_PREPARED_COLUMNS)))
    conn.exec_driver_sql(f"INSERT INTO staged_actor ({_COLUMN_LIST}) VALUES ({marks}) "
                         "ON CONFLICT DO NOTHING", params)


def _copy_rows(conn: Connection, params: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY, then insert in staging order (``seq``), skipping conflicts."""
    table = _PG_BATCH_TABLE
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ON COMMIT DELETE ROWS AS "
        f"SELECT {', '.join(_PREPARED_COLUMNS)}, 0 AS seq FROM staged_actor WITH NO DATA")
    conn.exec_driver_sql(f"TRUNCATE {table}")
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, \
            cursor.copy(f"COPY {table} ({', '.join(_PREPARED_COLUMNS)}, seq) FROM STDIN") as copy:
        for seq, row in enumerate(params):
            copy.write_row((*row, seq))
    conn.exec_driver_sql(f"INSERT INTO staged_actor ({_COLUMN_LIST}) "
                         f"SELECT {_VALUE_LIST.format(*_PREPARED_COLUMNS)} "
                         f"FROM {table} ORDER BY seq ON CONFLICT DO NOTHING")


def write_batch(db: Engine, import_id: int, rows: list[tuple[Any, ...]]) -> None:
    """Insert one batch of prepared rows in a write transaction of its own,
    if the import is still pending (else :class:`StaleImportError`)."""
    with write_transaction(db) as conn:
        require_pending(conn, import_id)
        insert_rows(conn, rows)


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

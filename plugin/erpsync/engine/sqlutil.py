"""Small SQLAlchemy Core helpers that compile on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import product
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    String,
    Table,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.selectable import Join, Subquery

#: Separators of aggregated strings (ASCII record and unit separators).
RECORD_SEP = "\x1e"
UNIT_SEP = "\x1f"


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def write_transaction(db: Engine) -> Iterator[Connection]:
    """A write transaction (SQLite: taken at once, so no other writer slips in
    between our reads and writes)."""
    with db.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def dialect_insert(conn: Connection, table: Table) -> Insert:
    """An INSERT that supports ``on_conflict_do_nothing/do_update`` on this dialect."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {name!r}")


def as_text(expr: Any) -> ColumnElement[Any]:
    return cast(expr, String)


def concat_units(*parts: Any) -> ColumnElement[Any]:
    """``a || US || b || US || c`` with every part cast to text and NULL as ''."""
    out: ColumnElement[Any] | None = None
    for part in parts:
        piece = func.coalesce(as_text(part), literal(""))
        out = piece if out is None else out.op("||")(literal(UNIT_SEP)).op("||")(piece)
    assert out is not None
    return out


def json_object(conn: Connection, pairs: dict[str, Any]) -> ColumnElement[Any]:
    """A JSON object built by the database (json_object / json_build_object)."""
    args: list[Any] = []
    for key, value in pairs.items():
        args += [literal(str(key), String()), value]
    if conn.dialect.name == "postgresql":
        return func.json_build_object(*args)
    return func.json_object(*args)


def json_array_agg(conn: Connection, expr: Any) -> ColumnElement[Any]:
    """An aggregate JSON array of ``expr`` (json_group_array / json_agg)."""
    if conn.dialect.name == "postgresql":
        return func.json_agg(expr)
    return func.json_group_array(expr)


def json_array_or_empty(conn: Connection, subquery: Any) -> ColumnElement[Any]:
    """A scalar subquery of :func:`json_array_agg`, nested as JSON (not as a
    quoted string) and ``[]`` when it found no rows."""
    if conn.dialect.name == "postgresql":
        return func.coalesce(subquery, literal_column("'[]'::json"))
    return func.json(subquery)


class CrossJoin(Join):
    """``left CROSS JOIN right``: SQLite keeps ``left`` as the outer loop of a
    cross join (it may swap the tables of a plain join)."""

    inherit_cache = True
    __visit_name__ = "cross_join"

    def __init__(self, left: FromClause, right: FromClause) -> None:
        super().__init__(left, right, true())


@compiles(CrossJoin)
def _compile_cross_join(element: CrossJoin, compiler: SQLCompiler, **kw: Any) -> str:
    linter = kw.get("from_linter")
    if linter is not None:  # a wanted product: tell SQLAlchemy's cartesian product check
        linter.edges.update(product([f._de_clone() for f in element.left._from_objects],
                                    [f._de_clone() for f in element.right._from_objects]))
    kw["asfrom"] = True
    return (f"{compiler.process(element.left, **kw)} CROSS JOIN "
            f"{compiler.process(element.right, **kw)}")


def each_of(name: str, values: list[str]) -> Subquery:
    """A one-column table (column ``value``) of ``values``: joined to the staged
    rows with :class:`CrossJoin`, one pass over them yields a row per value."""
    return union_all(*[select(literal(v, String()).label("value")) for v in values]).subquery(name)


def fix_sequences(conn: Connection, *tables: Table) -> None:
    """After inserting rows with pre-assigned ids, move PostgreSQL's serial
    sequences past them (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")


def lock_for_ids(conn: Connection, *tables: Table) -> None:
    """Keep other writers from taking ids while we pre-assign them (PostgreSQL;
    SQLite's write transaction is already exclusive)."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        conn.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


#: Page cache of a SQLite connection while it previews or applies (KiB). The
#: set statements pass over the staged rows several times in one transaction;
#: with a small cache every pass reads and writes its pages again. (1,000,000
#: staged rows take about 700 MB: this bounds the memory, not the rows.)
WORK_CACHE_KIB = 128 * 1024


@contextmanager
def bulk_work(conn: Connection, *analyze: Column[Any]) -> Iterator[None]:
    """Settings for the set statements of a preview or an apply, in the caller's
    transaction.

    SQLite: a larger page cache for the ``with`` block (restored afterwards, so
    pooled connections do not keep the memory). PostgreSQL: plans for the whole
    result also when rows are streamed through a server-side cursor (the
    default, ``cursor_tuple_fraction`` 0.1, picks nested loops that re-run an
    aggregate per row), more memory for sorts and hashes, and fresh statistics
    of the ``analyze`` columns (the staging table was just filled). Only the
    columns the statements filter and join on: statistics of all 60 columns of
    the staging table took 0.7 s of a 100,000-row preview, of about 25 columns 0.2 s
    (the table's row count is refreshed either way).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        quote = conn.dialect.identifier_preparer.quote
        tables: dict[str, list[str]] = {}
        for column in analyze:
            tables.setdefault(column.table.name, []).append(quote(column.name))
        for table, columns in tables.items():
            conn.exec_driver_sql(f"ANALYZE {quote(table)} ({', '.join(columns)})")
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = {-WORK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")

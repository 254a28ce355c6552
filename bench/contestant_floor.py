"""Contestant "floor": the least work that gets the file into one indexed table.

SQLite: ``csv.reader`` -> one ``executemany`` of ``INSERT .. ON CONFLICT (ERPKEY)
DO UPDATE`` with the standard library's ``sqlite3``, one transaction.
PostgreSQL: ``COPY`` of the file into a temporary staging table, then one
``INSERT .. SELECT .. ON CONFLICT DO UPDATE`` (psycopg 3).

``prepare`` creates the table (unique index on the ERP key, an index on the
name) holding the CRM's version of every even row.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Any

import generate
from benchlib import contestant_parser, emit, timed

COLUMNS = [c.lower() for c in generate.COLUMNS]
TABLE_SQL = ("CREATE TABLE company (id {serial} PRIMARY KEY, "
             + ", ".join(f"{c} TEXT" for c in COLUMNS) + ")")
INDEX_SQL = ("CREATE UNIQUE INDEX ix_company_erpkey ON company (erpkey)",
             "CREATE INDEX ix_company_name ON company (name)")
UPSERT_SET = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "erpkey")
PLACEHOLDERS = {"sqlite": "?", "postgresql": "%s"}


def _pg_dsn(url: str) -> str:
    """psycopg's connection string of a ``postgresql+psycopg://`` URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    parts = {"dbname": parsed.database, "user": parsed.username, "password": parsed.password,
             "host": parsed.host or parsed.query.get("host"), "port": parsed.port}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _connect(url: str) -> tuple[str, Any]:
    if url.startswith("sqlite:///"):
        return "sqlite", sqlite3.connect(url.removeprefix("sqlite:///"))
    import psycopg

    return "postgresql", psycopg.connect(_pg_dsn(url))


def prepare(url: str, csv_path: Path) -> None:
    dialect, conn = _connect(url)
    with conn if dialect == "sqlite" else conn.transaction():
        cur = conn.cursor()
        cur.execute(TABLE_SQL.format(serial="INTEGER" if dialect == "sqlite" else "SERIAL"))
        for sql in INDEX_SQL:
            cur.execute(sql)
        mark = PLACEHOLDERS[dialect]
        insert = (f"INSERT INTO company ({', '.join(COLUMNS)}) "
                  f"VALUES ({', '.join([mark] * len(COLUMNS))})")
        cur.executemany(insert, ([row[c] for c in generate.COLUMNS]
                                 for row in generate.crm_rows(csv_path)))
    if dialect == "postgresql":
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE company")
    conn.close()


def run_sqlite(conn: sqlite3.Connection, csv_path: Path) -> None:
    with csv_path.open(encoding="utf-8", newline="") as fh, conn:
        reader = csv.reader(fh)
        header = [c.lower() for c in next(reader)]
        conn.executemany(
            f"INSERT INTO company ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})"
            f" ON CONFLICT (erpkey) DO UPDATE SET {UPSERT_SET}", reader)


def run_postgresql(conn: Any, csv_path: Path) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE staging (LIKE company INCLUDING DEFAULTS) "
                    "ON COMMIT DROP")
        with csv_path.open("rb") as fh, \
                cur.copy(f"COPY staging ({', '.join(COLUMNS)}) FROM STDIN "
                         "WITH (FORMAT csv, HEADER true)") as copy:
            while data := fh.read(1 << 20):
                copy.write(data)
        cur.execute(f"INSERT INTO company ({', '.join(COLUMNS)}) "
                    f"SELECT {', '.join(COLUMNS)} FROM staging "
                    f"ON CONFLICT (erpkey) DO UPDATE SET {UPSERT_SET}")


def run(url: str, csv_path: Path, rows: int) -> dict[str, Any]:
    dialect, conn = _connect(url)
    try:
        with timed() as clock:
            if dialect == "sqlite":
                run_sqlite(conn, csv_path)
            else:
                run_postgresql(conn, csv_path)
        total = conn.execute("SELECT count(*) FROM company").fetchone()[0]
    finally:
        conn.close()
    if total != rows:
        raise SystemExit(f"floor: {total} companies after the upsert, expected {rows}")
    return {"seconds": clock.seconds, "cpu_seconds": clock.cpu_seconds}


def main() -> None:
    parser = contestant_parser(__doc__, "sqlite:///path or postgresql+psycopg URL")
    args = parser.parse_args()
    if args.mode == "prepare":
        prepare(args.db, args.csv)
    else:
        emit(run(args.db, args.csv, args.rows))


if __name__ == "__main__":
    main()

"""Contestant "same-writes floor": raw SQL doing the writes erpsync's import does.

The issue's floor writes each row once, into one table. erpsync's import of the
same file writes more: the company row with its normalised keys, three
communications, the ERP link, a member of one of the two result selections,
and the before-image of every updated company (for undo), after an online
backup of the database. This contestant does exactly those writes, by hand,
with the standard library's ``sqlite3`` and no engine: the least work an
import with erpsync's results can do, to compare erpsync with like for like.

Same database as erpsync (``contestant_erpsync.py prepare``): the CRM holds
every even row of the file, linked to its ERP key. ``run``, one transaction
after the backup:

1. ``csv.reader`` -> one ``executemany`` (PostgreSQL: ``COPY``) into a
   temporary table, with the same normalised keys erpsync computes
   (:mod:`erpsync.engine.normalize`);
2. the match on the ERP link, the new ids (highest id + row number);
3. before-images of the matched companies (JSON of the row and its
   communications), as erpsync stores them;
4. missing list items, companies inserted and updated (Replace), their
   communications replaced, the links inserted or touched;
5. the two selections (new, updated) and their members.

``--leave-out PART`` (repeatable) skips a part of the result (the backup, the
before-images, the communications, the ERP links, the selections), to measure
what each costs: ``run`` then no longer produces erpsync's result.

On PostgreSQL the rows are loaded with ``COPY`` and there is no backup (as
for erpsync, whose safety net there is the before-images).
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import contestant_parser, emit, timed

#: CSV column -> company column (the rest: ERPKEY, PHONE/EMAIL/URL, the lists, LASTMODIFIED).
COMPANY_COLUMNS = {"NAME": "name", "DEPARTMENT": "department", "NUMBER1": "code",
                   "NUMBER2": "number", "VATNO": "vatno", "POSTALAD1": "postal_ad1",
                   "POSTALAD2": "postal_ad2", "POSTALZIP": "postal_zip",
                   "POSTALCITY": "postal_city", "COUNTRY": "country"}
COMMS = (("PHONE", "phone"), ("EMAIL", "email"), ("URL", "url"))
KEYS = ("name_key", "dept_key", "vat_key", "category_key", "business_key")
INCOMING = ("erp_key", *COMPANY_COLUMNS.values(), "category", "business", "last_modified",
            *KEYS, *(f"{kind}{part}" for _key, kind in COMMS for part in ("", "_key")))
CONNECTION_ID, ACTOR_TYPE = 1, "customer"
#: The parts ``--leave-out`` can skip.
PARTS = ("backup", "before-images", "communications", "links", "selections")


def prepare(url: str, csv_path: Path) -> None:
    import contestant_erpsync

    contestant_erpsync.prepare(url, csv_path)


def _incoming_rows(csv_path: Path) -> Any:
    """The file's rows as the temporary table's, keys normalised as erpsync does."""
    from erpsync.engine import normalize as nz

    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        at = {name: position for position, name in enumerate(next(reader))}
        company_at = [at[k] for k in COMPANY_COLUMNS]
        comms_at = [(at[key], kind) for key, kind in COMMS]
        name, dept, vat, category, business, erp_key, modified = (at[k] for k in (
            "NAME", "DEPARTMENT", "VATNO", "CATEGORY", "BUSINESS", "ERPKEY", "LASTMODIFIED"))
        name_key, vat_key = nz.name_key, nz.vat_key
        for cells in reader:
            values = [cell.strip() or None for cell in cells]
            comms: list[Any] = []
            for position, kind in comms_at:
                value = values[position]
                comms += [value, nz.communication_key(kind, value) if value else None]
            yield (values[erp_key], *(values[p] for p in company_at), values[category],
                   values[business], values[modified], name_key(values[name], 200),
                   name_key(values[dept], 200), vat_key(values[vat], 50),
                   name_key(values[category], 100), name_key(values[business], 100), *comms)


def _company_values() -> dict[str, str]:
    values = {column: f"i.{column}" for column in COMPANY_COLUMNS.values()}
    values.update(name_key="i.name_key", dept_key="i.dept_key", vat_key="i.vat_key",
                  category_id="(SELECT id FROM list_item WHERE list_name = 'category' "
                              "AND name_key = i.category_key)",
                  business_id="(SELECT id FROM list_item WHERE list_name = 'business' "
                              "AND name_key = i.business_key)")
    return values


class _Database:
    """The few things SQLite and PostgreSQL spell differently (SQL is written
    with ``?`` parameters and SQLite's spelling, adjusted here)."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite:///")
        if self.sqlite:
            # The connection settings erpsync's engine uses (erpsync.db).
            self.conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"),
                                             isolation_level=None)
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
                self.conn.execute(f"PRAGMA {pragma}")
        else:
            import psycopg
            from contestant_floor import _pg_dsn

            self.conn = psycopg.connect(_pg_dsn(url), autocommit=True)
        self.cur = self.conn.cursor()
        self.is_not = "IS NOT" if self.sqlite else "IS DISTINCT FROM"
        self.json_object = "json_object" if self.sqlite else "json_build_object"
        self.json_array = ("json_group_array({})" if self.sqlite
                           else "coalesce(json_agg({}), '[]'::json)")
        self.false = "0" if self.sqlite else "false"
        self.timestamp = "{}" if self.sqlite else "CAST({} AS timestamptz)"

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.cur.execute(sql if self.sqlite else sql.replace("?", "%s"), params)

    def insert_id(self, sql: str, params: tuple[Any, ...]) -> int:
        if self.sqlite:
            return self.cur.execute(sql, params).lastrowid
        return self.execute(f"{sql} RETURNING id", params).fetchone()[0]

    def load(self, table: str, columns: tuple[str, ...], rows: Any) -> None:
        """Rows into a (temporary) table: ``executemany`` or ``COPY``."""
        if self.sqlite:
            self.cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                 f"VALUES ({', '.join('?' * len(columns))})", rows)
            return
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def close(self) -> None:
        self.conn.close()


def run_import(db: _Database, csv_path: Path, backup_dir: Path,
               leave_out: frozenset[str] = frozenset()) -> dict[str, int]:
    now = datetime.now(UTC)
    stamp: Any = now.isoformat(" ") if db.sqlite else now
    if db.sqlite and "backup" not in leave_out:  # PostgreSQL: before-images only (as erpsync)
        with sqlite3.connect(backup_dir / "before-import.sqlite") as copy:
            db.conn.backup(copy)
    db.execute("BEGIN" + (" IMMEDIATE" if db.sqlite else ""))
    import_id = db.insert_id("INSERT INTO import_run (source, state, created_at) "
                             "VALUES ('erp', 'done', ?)", (stamp,))
    db.execute(f"CREATE TEMPORARY TABLE incoming (seq INTEGER, "
               f"{', '.join(f'{c} TEXT' for c in INCOMING)}, crm_id INTEGER, is_new INTEGER)")
    db.load("incoming", ("seq", *INCOMING),
            ((seq, *row) for seq, row in enumerate(_incoming_rows(csv_path))))
    db.execute("CREATE INDEX incoming_erp_key ON incoming (erp_key)")
    # The match on the ERP link; new companies get the next ids in file order.
    db.execute("UPDATE incoming SET is_new = 0, crm_id = (SELECT crm_id FROM erp_link "
               "WHERE connection_id = ? AND actor_type = ? AND erp_key = incoming.erp_key)",
               (CONNECTION_ID, ACTOR_TYPE))
    db.execute("UPDATE incoming SET is_new = 1, crm_id = n.base + n.rn FROM ("
               "SELECT seq AS s, row_number() OVER (ORDER BY seq) AS rn, "
               "(SELECT coalesce(max(id), 0) FROM company) AS base "
               "FROM incoming WHERE crm_id IS NULL) AS n WHERE incoming.seq = n.s")
    # (The statements below join the CRM's tables to it by id.)
    db.execute("CREATE INDEX incoming_crm_id ON incoming (crm_id)")
    if not db.sqlite:  # the planner knows nothing of a temporary table
        db.execute("ANALYZE incoming (seq, erp_key, crm_id, is_new)")
    # Before-images of the companies about to be updated.
    if "before-images" not in leave_out:
        columns = (*COMPANY_COLUMNS.values(), "postal_ad3", "category_id", "business_id",
                   "name_key", "dept_key", "vat_key", "created_at", "updated_at")
        image = ", ".join(f"'{c}', c.{c}" for c in columns)
        comm = db.json_array.format(f"{db.json_object}('kind', m.kind, 'value', m.value, "
                                    "'value_key', m.value_key, 'rank', m.rank)")
        db.execute(
            "INSERT INTO before_image (import_id, crm_type, crm_id, data) "
            f"SELECT ?, 'company', c.id, {db.json_object}({image}, 'communications', "
            f"(SELECT {comm} FROM communication m "
            "WHERE m.owner_type = 'company' AND m.owner_id = c.id)) "
            "FROM incoming i JOIN company c ON c.id = i.crm_id WHERE i.is_new = 0", (import_id,))
    # Missing list items, then the companies.
    for list_name in ("category", "business"):
        db.execute(f"INSERT INTO list_item (list_name, name, name_key, is_default) "
                   f"SELECT ?, min({list_name}), {list_name}_key, {db.false} FROM incoming i "
                   f"WHERE {list_name}_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                   f"list_item l WHERE l.list_name = ? AND l.name_key = i.{list_name}_key) "
                   f"GROUP BY {list_name}_key", (list_name, list_name))
    values = _company_values()
    db.execute(f"INSERT INTO company (id, {', '.join(values)}, created_at, updated_at) "
               f"SELECT i.crm_id, {', '.join(values.values())}, ?, ? FROM incoming i "
               "WHERE i.is_new = 1 ORDER BY i.crm_id", (stamp, stamp))
    if not db.sqlite:
        db.execute("SELECT setval(pg_get_serial_sequence('company', 'id'), "
                   "(SELECT max(id) FROM company))")
    # SQLite rewrites the index entries of every column an UPDATE sets: the
    # indexed columns only where they change.
    indexed = {c: values.pop(c) for c in ("name", "name_key", "vatno", "vat_key", "code",
                                          "number")}
    db.execute(f"UPDATE company SET {', '.join(f'{c} = {v}' for c, v in values.items())}, "
               "updated_at = ? FROM incoming i WHERE company.id = i.crm_id AND i.is_new = 0",
               (stamp,))
    db.execute(f"UPDATE company SET {', '.join(f'{c} = {v}' for c, v in indexed.items())} "
               "FROM incoming i WHERE company.id = i.crm_id AND i.is_new = 0 AND ("
               + " OR ".join(f"company.{c} {db.is_not} {v}" for c, v in indexed.items()) + ")")
    # Communications: Replace for the updated companies, all of them for the new.
    for _key, kind in () if "communications" in leave_out else COMMS:
        db.execute(f"DELETE FROM communication WHERE id IN (SELECT m.id FROM incoming i "
                   f"JOIN communication m ON m.owner_type = 'company' AND m.owner_id = i.crm_id "
                   f"WHERE i.is_new = 0 AND m.kind = ? AND i.{kind}_key IS NOT NULL "
                   f"AND m.value_key <> i.{kind}_key)", (kind,))
        db.execute(f"INSERT INTO communication (owner_type, owner_id, kind, value, value_key, "
                   f"rank) SELECT 'company', i.crm_id, ?, i.{kind}, i.{kind}_key, 1 "
                   f"FROM incoming i WHERE i.{kind}_key IS NOT NULL AND (i.is_new = 1 OR NOT "
                   f"EXISTS (SELECT 1 FROM communication m WHERE m.owner_type = 'company' "
                   f"AND m.owner_id = i.crm_id AND m.kind = ? AND m.value_key = i.{kind}_key))",
                   (kind, kind))
    # ERP links: new ones, and the existing ones touched by this import.
    if "links" not in leave_out:
        modified = db.timestamp.format("last_modified")
        db.execute("INSERT INTO erp_link (crm_type, crm_id, connection_id, actor_type, erp_key, "
                   f"last_modified, import_id) SELECT 'company', crm_id, ?, ?, erp_key, "
                   f"{modified}, ? FROM incoming WHERE is_new = 1",
                   (CONNECTION_ID, ACTOR_TYPE, import_id))
        db.execute(f"UPDATE erp_link SET last_modified = {db.timestamp.format('i.last_modified')}"
                   ", import_id = ? FROM incoming i WHERE i.is_new = 0 "
                   "AND erp_link.connection_id = ? AND erp_link.actor_type = ? "
                   "AND erp_link.erp_key = i.erp_key", (import_id, CONNECTION_ID, ACTOR_TYPE))
    # The two result selections.
    if "selections" not in leave_out:
        selections = {is_new: db.insert_id(
            "INSERT INTO selection (name, kind, import_id, created_at) "
            "VALUES (?, 'import', ?, ?)", (name, import_id, stamp))
            for is_new, name in ((1, "New"), (0, "Updated"))}
        db.execute("INSERT INTO selection_member (selection_id, crm_type, crm_id) "
                   "SELECT CASE is_new WHEN 1 THEN ? ELSE ? END, 'company', crm_id "
                   "FROM incoming", (selections[1], selections[0]))
    counts = dict(db.execute("SELECT is_new, count(*) FROM incoming GROUP BY is_new")
                  .fetchall())
    db.execute("DROP TABLE incoming")
    db.execute("COMMIT")
    return {"new": counts.get(1, 0), "updated": counts.get(0, 0)}


def run(url: str, csv_path: Path, rows: int,
        leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    db = _Database(url)
    backup_dir = Path(tempfile.mkdtemp(prefix="erpsync-bench-samewrites-"))
    try:
        with timed() as clock:
            counts = run_import(db, csv_path, backup_dir, leave_out)
        total = db.execute("SELECT count(*) FROM company").fetchone()[0]
    finally:
        db.close()
        shutil.rmtree(backup_dir, ignore_errors=True)
    if total != rows or counts != {"new": rows // 2, "updated": rows - rows // 2}:
        raise SystemExit(f"same-writes floor: {total} companies, {counts}; expected {rows}")
    return {"seconds": clock.seconds, "cpu_seconds": clock.cpu_seconds, **counts}


def main() -> None:
    parser = contestant_parser(__doc__, "sqlite:///path or postgresql+psycopg URL")
    parser.add_argument("--leave-out", action="append", choices=PARTS, default=[],
                        metavar="PART", help=f"skip a part of the result: {', '.join(PARTS)}")
    args = parser.parse_args()
    if args.mode == "prepare":
        prepare(args.db, args.csv)
    else:
        emit(run(args.db, args.csv, args.rows, frozenset(args.leave_out)))


if __name__ == "__main__":
    main()

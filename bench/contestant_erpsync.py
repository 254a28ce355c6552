"""Contestant "erpsync": the whole engine path on the generated CSV.

``prepare``: a database at the newest schema (``erpsync db upgrade``) whose
CRM already holds every even row of the file, in its older version, linked to
its ERP actor (``erp_link``), with its phone, e-mail and URL, and the lists'
items.

``run`` (timed): the CSV is read by a streaming ``csv.reader`` (or, with
``--reader workbook``, by the Workbook connector's ``iter_search``) into
:meth:`ImportEngine.stage`, then
``preview`` (match on the ERP link, classify, diffs, counts) and ``apply``
(backup of a SQLite database, before-images, inserts and updates,
communications, links, the two selections). Settings: duplicate match ID
(only the ERP link matches, as the other contestants match on the ERP key),
action Replace, phone and URLs + email Replace, list values Add new item.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import generate
from benchlib import contestant_parser, emit, timed

CONNECTION_ID = 1


def _company_values(row: dict[str, str], list_ids: dict[tuple[str, str], int]) -> dict[str, Any]:
    from erpsync.engine import normalize as nz
    from erpsync.engine.fieldmap import COMPANY_FIELDS

    values: dict[str, Any] = {column: (row[key] or None) for key, column in COMPANY_FIELDS.items()
                              if key in row}
    values.update(nz.company_keys(values["name"], values["department"], values["vatno"]))
    values["category_id"] = list_ids.get(("category", nz.name_key(row["CATEGORY"]) or ""))
    values["business_id"] = list_ids.get(("business", nz.name_key(row["BUSINESS"]) or ""))
    return values


def prepare(url: str, csv_path: Path) -> None:
    """The database before the import (not timed)."""
    from sqlalchemy import insert

    from erpsync import demo, migrate
    from erpsync.db import make_engine
    from erpsync.engine import normalize as nz
    from erpsync.engine.schema import communication, company, erp_connection, erp_link, list_item

    migrate.upgrade(url)
    db = make_engine(url)
    with db.begin() as conn:
        conn.execute(insert(erp_connection).values(
            id=CONNECTION_ID, name="Benchmark", connector="workbook",
            config={"path": str(csv_path.parent)}, active=True))
        items = [{"list_name": list_name, "name": en, "name_key": nz.name_key(en),
                  "is_default": False}
                 for list_name, pool in (("category", demo.CATEGORIES),
                                         ("business", demo.BUSINESSES))
                 for en, _nl, _no in pool.values()]
        conn.execute(insert(list_item), items)
        list_ids = {(r.list_name, r.name_key): r.id
                    for r in conn.execute(list_item.select())}
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            conn.execute(insert(company), [b["company"] for b in batch])
            conn.execute(insert(erp_link), [b["link"] for b in batch])
            conn.execute(insert(communication), [c for b in batch for c in b["comms"]])
            batch.clear()

        for crm_id, row in enumerate(generate.crm_rows(csv_path), start=1):
            comms = [{"owner_type": "company", "owner_id": crm_id, "kind": kind,
                      "value": row[key], "value_key": nz.communication_key(kind, row[key]),
                      "rank": 1}
                     for key, kind in (("PHONE", "phone"), ("EMAIL", "email"), ("URL", "url"))
                     if row[key]]
            batch.append({
                "company": {"id": crm_id, **_company_values(row, list_ids)},
                "link": {"crm_type": "company", "crm_id": crm_id, "connection_id": CONNECTION_ID,
                         "actor_type": "customer", "erp_key": row["ERPKEY"]},
                "comms": comms})
            if len(batch) >= 5000:
                flush()
        if batch:
            flush()
        if db.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('company', 'id'), "
                                 "(SELECT MAX(id) FROM company))")
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    db.dispose()


def csv_actors(path: Path) -> Iterator[Any]:
    """The companies of the file as ERP actors, streamed (``csv.reader``; empty
    cells are left to staging, which treats them as no value)."""
    from erpsync.connectors.base import ActorType, ErpActor

    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        customer, parse = ActorType.CUSTOMER, datetime.fromisoformat
        for cells in reader:
            fields = dict(zip(header, cells, strict=True))
            yield ErpActor(customer, fields.pop("ERPKEY"), fields,
                           parse(fields.pop("LASTMODIFIED")))


def run(url: str, csv_path: Path, rows: int, reader: str = "csv") -> dict[str, Any]:
    """The timed import; returns what happened."""
    from erpsync.connectors.base import ActorType
    from erpsync.connectors.workbook import WorkbookConnector
    from erpsync.db import make_engine
    from erpsync.engine.api import ImportEngine
    from erpsync.engine.settings import Action, CommunicationRule, CompanyMatch, ImportSettings

    folder = Path(tempfile.mkdtemp(prefix="erpsync-bench-csv-"))
    if reader == "workbook":  # the connector reads every CSV file of its folder
        (folder / "customer.csv").symlink_to(csv_path.resolve())
    backups = Path(tempfile.mkdtemp(prefix="erpsync-bench-backup-"))
    db = make_engine(url)
    engine = ImportEngine(db, backup_dir=backups, backup_keep=1)
    settings = ImportSettings(company_match=CompanyMatch.ID, company_action=Action.REPLACE,
                              phone=CommunicationRule.REPLACE,
                              url_email=CommunicationRule.REPLACE)
    try:
        with timed() as clock:
            with timed() as staging:
                if reader == "workbook":
                    actors = WorkbookConnector({"path": str(folder)}).iter_search(
                        ActorType.CUSTOMER, [])
                else:
                    actors = csv_actors(csv_path)
                import_id = engine.create_import("erp", None)
                engine.stage(import_id, CONNECTION_ID, actors)
            with timed() as previewing:
                engine.save_settings(import_id, settings)
                counts = engine.preview(import_id)
            with timed() as applying:
                result = engine.apply(import_id, None)
    finally:
        db.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(backups, ignore_errors=True)
    expected = (rows - rows // 2, rows // 2)  # new = odd rows, updated = even rows
    if (result.new, result.updated) != (rows // 2, rows - rows // 2):
        raise SystemExit(f"erpsync imported new={result.new} updated={result.updated}, "
                         f"expected {expected[::-1]}; preview {counts}")
    return {"seconds": clock.seconds, "cpu_seconds": clock.cpu_seconds,
            "new": result.new, "updated": result.updated,
            "phases": {name: [round(c.seconds, 2), round(c.cpu_seconds, 2)]
                       for name, c in (("stage", staging), ("preview", previewing),
                                       ("apply", applying))}}


def main() -> None:
    parser = contestant_parser(__doc__, "SQLAlchemy URL of the database")
    parser.add_argument("--reader", choices=("csv", "workbook"), default="csv",
                        help="csv: a streaming csv.reader (default); workbook: the "
                             "Workbook connector's search")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the run here")
    parser.add_argument("--breakdown", action="store_true",
                        help="print CPU seconds per engine step on stderr (bench/breakdown.py)")
    parser.add_argument("--statements", action="store_true",
                        help="print seconds per SQL statement on stderr (bench/statements.py)")
    args = parser.parse_args()
    if args.mode == "prepare":
        prepare(args.db, args.csv)
        return
    if args.breakdown:
        import breakdown

        breakdown.install()
    if args.statements:
        import statements

        statements.install()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        outcome = profiler.runcall(run, args.db, args.csv, args.rows, args.reader)
        profiler.dump_stats(args.profile)
    else:
        outcome = run(args.db, args.csv, args.rows, args.reader)
    emit(outcome)
    if args.breakdown:
        breakdown.report()
    if args.statements:
        statements.report()


if __name__ == "__main__":
    main()

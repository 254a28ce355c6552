"""One import of N generated companies in a process of its own, for tests/scale.

    python tests/scale/scale_run.py --db sqlite:////tmp/x.sqlite --rows 50000

The database (with every table) gets N/2 of the companies as CRM rows linked to
their ERP keys; then the N companies are streamed from a generator (never a
list) through stage -> preview -> apply. Prints one JSON line: the peak RSS
of the process after staging and at the end (``resource.getrusage``), and the
number of SQL statements of each phase.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.db import make_engine
from erpsync.engine import normalize as nz
from erpsync.engine.api import ImportEngine
from erpsync.engine.schema import communication, company, erp_link
from erpsync.engine.settings import Action, CommunicationRule, CompanyMatch, ImportSettings

CONNECTION = 1
CITIES = ("Oslo", "Bergen", "Tromsø", "Amsterdam", "Utrecht", "Groningen")
STAMP = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def actors(rows: int) -> Iterator[ErpActor]:
    """Company i: a stable key, a name, an address, a phone, an e-mail and a category."""
    for i in range(rows):
        yield ErpActor(ActorType.CUSTOMER, f"CUST-{i}", {
            "NAME": f"Bedrijf {i} Ålesund B.V.", "NUMBER1": f"C{i}", "NUMBER2": str(i),
            "VATNO": f"NO {900000000 + i} MVA", "POSTALAD1": f"Storgata {i % 240 + 1}",
            "POSTALZIP": f"{i % 9000 + 1000}", "POSTALCITY": CITIES[i % len(CITIES)],
            "COUNTRY": "Norge", "PHONE": f"+47 22 {i:08d}", "EMAIL": f"post{i}@example.no",
            "CATEGORY": f"Category {i % 7}"}, STAMP)


def seed_crm(db: Any, rows: int) -> None:
    """Every even company is already in the CRM, linked, with an older address."""
    with db.begin() as conn:
        for start in range(0, rows, 5000):
            evens = range(start + start % 2, min(start + 5000, rows), 2)
            conn.execute(insert(company), [
                {"id": i + 1, "name": f"Bedrijf {i} Ålesund B.V.", "postal_ad1": "Old street 1",
                 **nz.company_keys(f"Bedrijf {i} Ålesund B.V.", None, None)} for i in evens])
            conn.execute(insert(erp_link), [
                {"crm_type": "company", "crm_id": i + 1, "connection_id": CONNECTION,
                 "actor_type": "customer", "erp_key": f"CUST-{i}"} for i in evens])
            conn.execute(insert(communication), [
                {"owner_type": "company", "owner_id": i + 1, "kind": "phone",
                 "value": "+47 1", "value_key": "00471", "rank": 1} for i in evens])
        if db.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('company', 'id'), "
                                 "(SELECT MAX(id) FROM company))")


def peak_rss_mb() -> float:
    """Peak RSS of this process plus that of its largest finished child (the
    staging writer process), as if both peaked at once."""
    return sum(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--stage-only", action="store_true")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="rows per batch (default: the engine's)")
    args = parser.parse_args()
    db = make_engine(args.db)
    seed_crm(db, args.rows)
    statements: list[str] = []
    main_thread = threading.get_ident()  # not a job runner's heartbeat, if any

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if threading.get_ident() == main_thread:
            statements.append(sql)

    event.listen(db, "before_cursor_execute", count)
    batching = {"batch_size": args.batch_size} if args.batch_size else {}
    engine = ImportEngine(db, backup_dir=Path(tempfile.mkdtemp(prefix="erpsync-scale-")),
                          **batching)
    counts: dict[str, Any] = {}
    import_id = engine.create_import("erp", None)
    staged = engine.stage(import_id, CONNECTION, actors(args.rows))
    counts["stage"], counts["rss_staged_mb"] = len(statements), round(peak_rss_mb(), 1)
    counts["staged"] = staged.added
    if not args.stage_only:
        engine.save_settings(import_id, ImportSettings(
            company_match=CompanyMatch.ID, company_action=Action.REPLACE,
            phone=CommunicationRule.REPLACE))
        statements.clear()
        engine.preview(import_id)
        counts["preview"] = len(statements)
        statements.clear()
        result = engine.apply(import_id, None)
        counts["apply"] = len(statements)
        counts["new"], counts["updated"] = result.new, result.updated
    counts["rss_end_mb"] = round(peak_rss_mb(), 1)
    db.dispose()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()

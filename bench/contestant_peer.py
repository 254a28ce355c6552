"""Contestant "peer": django-import-export, run by bench/.venv-peer's Python.

``prepare`` builds the tiny Django project's SQLite database (``migrate
--run-syncdb``) holding the CRM's version of every even row. ``run`` (timed)
reads the CSV into a tablib Dataset, as the admin's import does, and calls
``import_data`` of :class:`crm.resources.CompanyResource` (``--mode default``)
or :class:`crm.resources.FastCompanyResource` (``--mode fast``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peer"))

import generate  # noqa: E402 - the data generator (standard library only at run time)
from benchlib import contestant_parser, emit, timed  # noqa: E402


def _setup(db_path: str) -> None:
    os.environ["PEER_DB"] = db_path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
    import django

    django.setup()


def prepare(csv_path: Path) -> None:
    from crm.models import Company
    from crm.resources import COLUMNS
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    batch: list[Company] = []
    for row in generate.crm_rows(csv_path):
        batch.append(Company(**{attr: row[column] for column, attr in COLUMNS.items()}))
        if len(batch) >= 5000:
            Company.objects.bulk_create(batch)
            batch.clear()
    Company.objects.bulk_create(batch)


def run(csv_path: Path, rows: int, mode: str) -> dict[str, Any]:
    import tablib
    from crm.models import Company
    from crm.resources import CompanyResource, FastCompanyResource

    resource = FastCompanyResource() if mode == "fast" else CompanyResource()
    with timed() as clock:
        with csv_path.open(encoding="utf-8", newline="") as fh:
            dataset = tablib.Dataset().load(fh.read(), format="csv")
        result = resource.import_data(dataset, dry_run=False, raise_errors=True)
    if result.has_errors() or Company.objects.count() != rows:
        raise SystemExit(f"peer: errors or wrong count ({Company.objects.count()})")
    totals = result.totals
    return {"seconds": clock.seconds, "cpu_seconds": clock.cpu_seconds, "mode": mode,
            "new": totals.get("new"), "updated": totals.get("update")}


def main() -> None:
    parser = contestant_parser(__doc__, "sqlite:///path of the peer's database", "action")
    parser.add_argument("--mode", choices=("default", "fast"), default="fast")
    args = parser.parse_args()
    _setup(args.db.removeprefix("sqlite:///"))
    if args.action == "prepare":
        prepare(args.csv)
    else:
        emit(run(args.csv, args.rows, args.mode))


if __name__ == "__main__":
    main()

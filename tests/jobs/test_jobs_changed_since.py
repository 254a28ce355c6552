"""Re-import what changed: only the ERP actors changed since the last import of
that actor type from that connection are staged (a workbook with LASTMODIFIED),
from the Select ERP connection dialog and from ``erpsync import
--changed-since-last``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jobs_helpers import form, location, text_of
from sqlalchemy import select

from erpsync.cli import main
from erpsync.connections import ConnectionStore
from erpsync.engine.history import CHANGED_SINCE_OVERLAP
from erpsync.engine.schema import import_run, staged_actor

COLUMNS = ["ERPKEY", "NAME", "POSTALCITY", "LASTMODIFIED"]
LONG_AGO = "2020-01-01T00:00:00+00:00"


def write_workbook(folder: Path, rows: list[tuple[str, str, str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "customer.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def first_rows() -> list[tuple[str, str, str, str]]:
    return [("C1", "Alfa AS", "Oslo", LONG_AGO), ("C2", "Bravo AS", "", LONG_AGO),
            ("C3", "Charlie AS", "Molde", LONG_AGO)]


def changed_rows(last_import: datetime) -> list[tuple[str, str, str, str]]:
    """After the first import: C2 changed (got a city), C4 and C5 are new (C5 a minute before
    the last import: inside the overlap window), C3 changed before the window."""
    iso = lambda moment: moment.astimezone(UTC).isoformat()  # noqa: E731
    return [
        ("C1", "Alfa AS", "Oslo", LONG_AGO),
        ("C2", "Bravo AS", "Trondheim", iso(datetime.now(UTC))),
        ("C3", "Charlie AS", "Molde", iso(last_import - CHANGED_SINCE_OVERLAP * 2)),
        ("C4", "Delta AS", "Bodø", iso(datetime.now(UTC))),
        ("C5", "Echo AS", "Tromsø", iso(last_import - timedelta(minutes=1))),
    ]


def last_import_time(db) -> datetime:
    with db.connect() as conn:
        stamp = conn.scalar(select(import_run.c.created_at).where(import_run.c.state == "done")
                            .order_by(import_run.c.id.desc()).limit(1))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def staged_keys(db, import_id: int) -> list[str]:
    with db.connect() as conn:
        return sorted(conn.scalars(select(staged_actor.c.erp_key)
                                   .where(staged_actor.c.import_id == import_id)))


# ------------------------------------------------------------------ the dialog


@pytest.fixture
def workbook_connection(app, tmp_path: Path) -> tuple[int, Path]:
    folder = tmp_path / "erp"
    write_workbook(folder, first_rows())
    store = ConnectionStore(app.state.db)
    return store.add("Changes ERP", "workbook", {"path": str(folder)}), folder


def test_the_dialog_stages_only_what_changed(admin, app, engine, admin_id,
                                             workbook_connection):
    connection_id, folder = workbook_connection
    page = admin.get("/erpsync/erp/select-connection", params={"connection": connection_id})
    assert 'formaction="/erpsync/erp/changed-since"' in page.text
    assert "Re-import changed since the last import" in text_of(page.text)

    # No earlier import of customers from this connection: nothing to compare with.
    refused = admin.post("/erpsync/erp/changed-since",
                         data={"connection": connection_id, "type": "customer"})
    assert refused.status_code == 409
    assert "There is no earlier import of Customers" in text_of(refused.text)
    assert engine.open_import("erp", admin_id) is None

    # The first import: everything.
    location(admin.post("/erpsync/erp/add-import", data=form(
        [("connection", connection_id), ("type", "customer"), ("scope", "all")])))
    first = engine.open_import("erp", admin_id)
    engine.preview(first)
    engine.apply(first, admin_id)
    write_workbook(folder, changed_rows(last_import_time(app.state.db)))

    target = location(admin.post("/erpsync/erp/changed-since",
                                 data={"connection": connection_id, "type": "customer"}))
    second = engine.open_import("erp", admin_id)
    assert target == f"/erpsync/imports/{second}/staged?added=3"
    assert staged_keys(app.state.db, second) == ["C2", "C4", "C5"]
    assert "3 actors added to the import" in text_of(admin.get(target).text)
    counts = engine.preview(second)
    assert (counts.company_new, counts.company_updated) == (2, 1)


# ------------------------------------------------------------------ the command line


@pytest.fixture
def cli(tmp_path: Path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"

    def invoke(*args: str):
        return runner.invoke(main, ["--db", url, *args], env={"ERPSYNC_LANG": "en"})

    return invoke


def test_cli_changed_since_last(cli, tmp_path: Path):
    folder = tmp_path / "cli-erp"
    write_workbook(folder, first_rows())
    assert cli("connections", "add", "Changes", "--connector", "workbook", "--config",
               f"path={folder}").exit_code == 0
    base = ("import", "--connection", "Changes", "--actor-type", "customer")

    never = cli(*base, "--changed-since-last", "--yes")
    assert never.exit_code == 2
    assert "There is no earlier import of Customers from Changes" in never.stderr
    mixed = cli(*base, "--changed-since-last", "--where", "NAME", "contains", "a")
    assert mixed.exit_code == 2 and "--changed-since-last cannot be used" in mixed.stderr

    first = cli(*base, "--yes", "--json", "--quiet")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["new"] == 3

    from erpsync.db import make_engine

    db = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    write_workbook(folder, changed_rows(last_import_time(db)))
    dry = cli(*base, "--changed-since-last", "--json", "--quiet")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["staged"] == 3
    again = cli(*base, "--changed-since-last", "--yes", "--json", "--quiet")
    assert again.exit_code == 0, again.output
    outcome = json.loads(again.stdout)
    assert (outcome["staged"], outcome["new"], outcome["updated"]) == (3, 2, 1)
    assert staged_keys(db, outcome["import_id"]) == ["C2", "C4", "C5"]
    db.dispose()

"""``erpsync imports list|show|undo|retry`` and the import's progress output
(a rich bar on a terminal, plain lines otherwise)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from erpsync.cli import main
from erpsync.cli_common import Progress
from erpsync.cli_imports import apply_with_progress
from erpsync.connectors.base import ActorType, ErpActor
from erpsync.db import make_engine
from erpsync.engine import jobs
from erpsync.engine.api import ImportEngine
from erpsync.engine.schema import company, import_run
from erpsync.paths import DEMO_DATA_DIR

CONNECTION = "Demo ERP"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.sqlite'}"


@pytest.fixture
def cli(db_url: str):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["--db", db_url, *args], env={"ERPSYNC_LANG": "en"})

    assert invoke("connections", "add", CONNECTION, "--connector", "workbook", "--config",
                  f"path={DEMO_DATA_DIR}").exit_code == 0
    return invoke


@pytest.fixture
def db(db_url: str, cli):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _import(cli, *where: str) -> dict:
    result = cli("import", "--connection", CONNECTION, "--actor-type", "customer",
                 "--where", "POSTALCITY", "=", "Oslo", *where, "--yes", "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def _companies(db) -> int:
    with db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(company)))


def test_import_shows_its_phases_as_plain_lines_without_a_terminal(cli):
    result = cli("import", "--connection", CONNECTION, "--actor-type", "customer",
                 "--where", "POSTALCITY", "=", "Oslo", "--yes")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    for phase in ("Backing up the database…", "Importing the actors…"):
        assert lines.count(phase) == 1, result.stderr


def test_a_terminal_gets_a_progress_bar(db, tmp_path: Path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    engine = ImportEngine(db, tmp_path / "backups")
    import_id = engine.create_import("erp", None)
    engine.stage(import_id, None, [ErpActor(ActorType.CUSTOMER, "X1", {"NAME": "Xylo AS"})])
    engine.preview(import_id)
    screen = Terminal()
    with Progress(stream=screen) as progress:
        assert progress.fancy
        apply_with_progress(engine, import_id, progress)
    shown = screen.getvalue()
    assert "Importing the actors…" in shown
    assert "━" in shown and "100/100" in shown  # rich's bar, finished


def test_list_and_show(cli, db):
    outcome = _import(cli)
    listed = cli("imports", "list")
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.splitlines()[:2]
    assert header.split()[:3] == ["ID", "Status", "Started"]
    assert row.split()[:2] == [str(outcome["import_id"]), "imported"]
    assert f"Demo ERP/customer:{outcome['staged']}" in row
    as_json = json.loads(cli("imports", "list", "--json").stdout)
    assert [(i["id"], i["state"], i["new"]) for i in as_json] == [
        (outcome["import_id"], "done", outcome["new"])]
    assert as_json[0]["settings"]["company_action"] == "merge"

    shown = cli("imports", "show", str(outcome["import_id"]))
    assert shown.exit_code == 0, shown.output
    assert "company_match=name" in shown.stdout
    assert f"Selection {outcome['new_selection_id']}: Imported " in shown.stdout
    detail = json.loads(cli("imports", "show", str(outcome["import_id"]), "--json").stdout)
    assert detail["selections"][0]["name"].endswith(": new actors")
    missing = cli("imports", "show", "999")
    assert missing.exit_code == 2 and "There is no import 999." in missing.stderr


def test_undo_from_the_command_line(cli, db):
    before = _companies(db)
    outcome = _import(cli)
    assert _companies(db) == before + outcome["new"]
    import_id = str(outcome["import_id"])

    dry = cli("imports", "undo", import_id)
    assert dry.exit_code == 0
    assert f"Remove {outcome['new']} new actors." in dry.stdout
    assert "Dry run: nothing was undone." in dry.stdout
    assert _companies(db) == before + outcome["new"]

    # Someone edits an imported company: undo is refused, --force undoes anyway.
    with db.begin() as conn:
        conn.execute(update(company).where(company.c.id == select(func.max(company.c.id))
                                           .scalar_subquery())
                     .values(postal_city="Hamar", updated_at=func.datetime("now", "+1 hour")))
    refused = cli("imports", "undo", import_id, "--yes")
    assert refused.exit_code == 1
    assert "changed after the import" in refused.stderr and "--force" in refused.stderr
    assert _companies(db) == before + outcome["new"]

    done = cli("imports", "undo", import_id, "--force", "--yes", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["removed"] == outcome["new"]
    assert _companies(db) == before
    again = cli("imports", "undo", import_id, "--yes")
    assert again.exit_code == 2 and "already been undone" in again.stderr


def test_retry_from_the_command_line(cli, db, tmp_path: Path):
    outcome = _import(cli)
    # A process that died mid-apply left another import behind ("importing").
    engine = ImportEngine(db, tmp_path / "backups")
    import_id = engine.create_import("erp", None)
    engine.stage(import_id, None, [ErpActor(ActorType.CUSTOMER, "Z1", {"NAME": "Zulu AS"})])
    engine.preview(import_id)
    host = jobs.worker_id().split(":")[0]
    engine.claim_import(import_id, worker=f"{host}:4194305::gone")
    jobs.unregister(import_id)

    not_failed = cli("imports", "retry", str(outcome["import_id"]), "--yes")
    assert not_failed.exit_code == 2 and "Only a failed import" in not_failed.stderr
    dry = cli("imports", "retry", str(import_id))
    assert dry.exit_code == 0 and "interrupted" in dry.stdout
    with db.connect() as conn:
        assert conn.scalar(select(import_run.c.error_code)
                           .where(import_run.c.id == import_id)) == "interrupted"
    before = _companies(db)
    done = cli("imports", "retry", str(import_id), "--yes", "--json", "--quiet")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["new"] == 1
    assert _companies(db) == before + 1
    twice = cli("imports", "retry", str(import_id), "--yes")
    assert twice.exit_code == 2
    assert _companies(db) == before + 1

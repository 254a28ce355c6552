"""Backups on PostgreSQL: ``pg_dump`` before an import and an undo when it is
configured (a real ``pg_dump`` against the throwaway server), the options from
the environment, and a dump that fails stops the import with nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from engine_helpers import add_company, companies, customer, run_import
from sqlalchemy import Engine, create_engine

from erpsync.engine import backup
from erpsync.engine.api import ImportEngine, ImportError_
from erpsync.engine.backup import BackupOptions, PgDumpError, backup_database, find_pg_dump
from erpsync.engine.settings import ImportSettings
from erpsync.i18n import use_locale

pytestmark = pytest.mark.postgresql_only


def dumped_companies(dump: Path) -> str:
    """The company rows in a custom-format dump, as ``pg_restore`` writes them."""
    pg_restore = Path(find_pg_dump("pg_dump")).with_name("pg_restore")
    done = subprocess.run([str(pg_restore), "--data-only", "--table=company", "--file=-",
                           str(dump)], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def dumping(db: Engine, tmp_path: Path) -> ImportEngine:
    return ImportEngine(db, backup_dir=tmp_path / "backups", pg_dump="pg_dump")


def test_a_dump_before_the_import_holds_the_crm_as_it_was(dumping: ImportEngine,
                                                          db: Engine, tmp_path: Path) -> None:
    add_company(db, "Before")
    result = run_import(dumping, [customer("C1", NAME="After")])
    dump = result.backup_path
    assert dump is not None and dump.parent == tmp_path / "backups" and dump.suffix == ".dump"
    assert dumping.get_import(result.import_id)["backup_path"] == str(dump)
    rows = dumped_companies(dump)
    assert "Before" in rows and "After" not in rows
    assert not list(dump.parent.glob("*.part"))


def test_an_undo_is_dumped_first_and_old_dumps_are_pruned(dumping: ImportEngine,
                                                          tmp_path: Path) -> None:
    dumping.backup_keep = 2
    results = [run_import(dumping, [customer(f"C{i}", NAME=f"Company {i}")]) for i in range(2)]
    undone = dumping.undo_import(results[1].import_id, 1)
    assert undone.backup_path is not None
    assert "Company 1" in dumped_companies(undone.backup_path)
    kept = sorted((tmp_path / "backups").iterdir())
    assert kept == sorted([results[1].backup_path, undone.backup_path])


def test_without_pg_dump_the_before_images_are_the_safety_net(engine: ImportEngine,
                                                             tmp_path: Path) -> None:
    result = run_import(engine, [customer("C1", NAME="New")])
    assert result.backup_path is None and not (tmp_path / "backups").exists()


def test_a_failing_dump_stops_the_import_and_a_retry_imports_once(
        dumping: ImportEngine, db: Engine, tmp_path: Path) -> None:
    add_company(db, "Before")
    dumping.pg_dump = str(tmp_path / "missing" / "pg_dump")
    import_id = dumping.create_import("erp", 1)
    dumping.stage(import_id, 1, [customer("C1", NAME="After")])
    dumping.save_settings(import_id, ImportSettings())
    dumping.preview(import_id)
    with pytest.raises(ImportError_) as raised:
        dumping.apply(import_id, 1)
    with use_locale("no"):
        message = str(raised.value.user_message)
    assert "pg_dump" in message and "nothing was imported" not in message
    assert "not found" in raised.value.technical
    record = dumping.get_import(import_id)
    assert (record["state"], record["error_code"]) == ("failed", "pg_dump")
    assert [c["name"] for c in companies(db)] == ["Before"]

    dumping.pg_dump = "false"  # runs, but makes no dump
    with pytest.raises(ImportError_) as raised:
        dumping.apply(import_id, 1, retry=True)
    assert "exited with 1" in raised.value.technical
    assert not list((tmp_path / "backups").glob("*"))

    dumping.pg_dump = "pg_dump"
    dumping.apply(import_id, 1, retry=True)
    assert sorted(c["name"] for c in companies(db)) == ["After", "Before"]


def test_the_password_reaches_pg_dump_in_its_environment(db: Engine, tmp_path: Path) -> None:
    # A stand-in pg_dump that records what it was given: the real server trusts
    # local users, so a password would not be asked for.
    record = tmp_path / "record.txt"
    fake = tmp_path / "pg_dump"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" "PGPASSWORD=$PGPASSWORD" > '
                    f'{record}\nfor a; do case "$a" in --file=*) : > "${{a#--file=}}";; '
                    "esac; done\n")
    fake.chmod(0o755)
    url = db.url.set(password="s3cret p'w")
    engine = create_engine(url)
    dump = backup_database(engine, tmp_path / "backups", 7, pg_dump=str(fake))
    engine.dispose()
    given = record.read_text().splitlines()
    assert given[-1] == "PGPASSWORD=s3cret p'w"
    assert not any("s3cret" in arg for arg in given[:-1])
    dbname = next(arg for arg in given if arg.startswith("--dbname="))
    assert f"dbname={db.url.database}" in dbname and "host=" in dbname
    assert dump is not None and dump.name.startswith(f"{db.url.database}-import7-")


def test_pg_dump_needs_a_backup_folder(db: Engine) -> None:
    with pytest.raises(ValueError, match="backup_dir"):
        ImportEngine(db, pg_dump="pg_dump")
    with pytest.raises(PgDumpError):
        backup_database(db, None, 1, pg_dump="pg_dump")


@pytest.mark.parametrize(("env", "expected"), [
    ({}, BackupOptions(5, None)),
    ({"ERPSYNC_BACKUP_KEEP": " 12 ", "ERPSYNC_PG_DUMP": "off"}, BackupOptions(12, None)),
    ({"ERPSYNC_PG_DUMP": "On"}, BackupOptions(5, "pg_dump")),
    ({"ERPSYNC_PG_DUMP": "/opt/pg16/bin/pg_dump"}, BackupOptions(5, "/opt/pg16/bin/pg_dump")),
])
def test_options_from_the_environment(env: dict[str, str], expected: BackupOptions) -> None:
    assert BackupOptions.from_environment(env) == expected


@pytest.mark.parametrize("keep", ["0", "-1", "three", "2.5"])
def test_a_bad_number_of_backups_is_refused_in_the_admins_language(keep: str) -> None:
    with use_locale("nl"), pytest.raises(ValueError) as raised:
        BackupOptions.from_environment({"ERPSYNC_BACKUP_KEEP": keep})
    assert "ERPSYNC_BACKUP_KEEP" in str(raised.value) and keep in str(raised.value)
    assert "must be" not in str(raised.value)  # Dutch, not English


def test_debians_newest_pg_dump_is_found_when_path_has_none(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    for version in ("9", "15", "13"):
        program = tmp_path / version / "bin" / "pg_dump"
        program.parent.mkdir(parents=True)
        program.write_text("")
    monkeypatch.setattr(backup, "DEBIAN_PG_DUMP", str(tmp_path / "*" / "bin" / "pg_dump"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_pg_dump("pg_dump") == str(tmp_path / "15" / "bin" / "pg_dump")
    with pytest.raises(PgDumpError, match="not found"):
        find_pg_dump("pg_dump16")

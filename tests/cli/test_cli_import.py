"""``erpsync import``: the ERP Sync wizard, headless, on the demo workbook."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_clean_error
from sqlalchemy import Engine, String, cast, func, literal, select, update

from erpsync.engine.schema import (
    company,
    erp_link,
    import_run,
    person,
    selection_member,
    staged_actor,
)
from erpsync.paths import DEMO_DATA_DIR

CONNECTION = "Demo ERP"


def _csv_rows(actor_type: str) -> list[dict[str, str]]:
    with (DEMO_DATA_DIR / f"{actor_type}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _count(db: Engine, table, *where) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _table_counts(db: Engine) -> dict[str, int]:
    return {t.name: _count(db, t) for t in (company, person, erp_link, import_run, staged_actor)}


@pytest.fixture
def demo(cli) -> None:
    result = cli("connections", "add", CONNECTION, "--connector", "workbook",
                 "--config", f"path={DEMO_DATA_DIR}")
    assert result.exit_code == 0, result.output


def _import_json(cli, *args: str) -> dict:
    result = cli("import", "--connection", CONNECTION, "--json", *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_import_customers_in_a_real_process(demo, db, db_url, erpsync_data_dir):
    """One real run of the installed command line: JSON counts equal the CRM tables."""
    bergen = [r for r in _csv_rows("customer") if "berg" in r["POSTALCITY"].casefold()]
    assert bergen, "the demo data should have customers in Bergen"
    env = {**os.environ, "ERPSYNC_LANG": "en", "ERPSYNC_DATA_DIR": str(erpsync_data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "erpsync.cli", "--db", db_url, "import",
         "--connection", CONNECTION, "--actor-type", "customer",
         "--where", "POSTALCITY", "contains", "BERG", "--yes", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)

    assert out["applied"] and not out["dry_run"]
    assert out["staged"] == len(bergen)
    assert out["new"] == _count(db, company) > 0  # the CRM was empty
    assert out["updated"] == 0
    assert out["new"] + out["skipped"] == len(bergen)
    assert out["preview"]["company_new"] == out["new"]
    assert out["preview"]["total"] == len(bergen)
    assert _count(db, erp_link, erp_link.c.crm_type == "company") == out["new"]
    assert _count(db, selection_member,
                  selection_member.c.selection_id == out["new_selection_id"]) == out["new"]
    with db.connect() as conn:
        cities = set(conn.execute(select(company.c.postal_city)).scalars())
    assert {c.casefold() for c in cities} == {r["POSTALCITY"].casefold() for r in bergen}
    assert _count(db, import_run, import_run.c.id == out["import_id"]) == 1
    assert "Traceback" not in proc.stderr


def test_running_the_same_import_again_updates_through_erp_links(cli, demo, db):
    args = ("--actor-type", "customer", "--where", "POSTALCITY", "contains", "stavanger",
            "--yes")
    first = _import_json(cli, *args)
    assert first["new"] > 0
    companies = _count(db, company)
    # Names no longer match: only the ERP links can find the companies again.
    with db.begin() as conn:
        renamed = literal("Renamed ") + cast(company.c.id, String)
        conn.execute(update(company).values(name=renamed, name_key=None, postal_zip=None))
    second = _import_json(cli, *args)
    assert second["new"] == 0
    assert second["updated"] == first["new"]
    assert second["preview"]["company_updated"] == first["new"]
    assert _count(db, company) == companies
    assert _count(db, company, company.c.postal_zip.is_(None)) == 0
    assert _count(db, company, company.c.name.like("Renamed %")) == companies  # merge keeps them


def test_dry_run_shows_the_preview_and_writes_nothing(cli, demo, db):
    before = _table_counts(db)
    out = _import_json(cli, "--actor-type", "supplier")
    assert out["dry_run"] and not out["applied"]
    assert out["import_id"] is None and out["new"] == 0
    assert out["preview"]["company_new"] == len(_csv_rows("supplier")) - out["preview"][
        "not_imported"]
    assert _table_counts(db) == before

    text = cli("import", "--connection", CONNECTION, "--actor-type", "supplier")
    assert text.exit_code == 0
    assert "Dry run" in text.stdout and "Companies new" in text.stdout


def test_persons_bring_their_companies(cli, demo, db):
    haugens = [r for r in _csv_rows("person") if r["LASTNAME"].casefold() == "haugen"]
    parents = {r["PARENTKEY"] for r in haugens if r["PARENTKEY"]}
    assert parents, "the demo data should have a Haugen with a company"
    out = _import_json(cli, "--actor-type", "person", "--where", "LASTNAME", "=", "haugen",
                       "--yes")
    assert out["staged"] == len(haugens) + len(parents)
    assert out["preview"]["person_new"] == _count(db, person)
    assert _count(db, erp_link, erp_link.c.crm_type == "company",
                  erp_link.c.erp_key.in_(parents)) == len(parents)
    assert _count(db, person, person.c.company_id.is_not(None)) >= 1


def test_list_values_by_name_in_any_language(cli, demo):
    wanted = {r["ERPKEY"] for r in _csv_rows("customer")
              if r["CATEGORY"] in ("A customer", "Key account")}
    out = _import_json(cli, "--actor-type", "customer",
                       "--where", "CATEGORY", "oneof", "A-klant|key account")
    assert out["staged"] == len(wanted)


def test_between_takes_two_values(cli, demo):
    wanted = [r for r in _csv_rows("customer") if 10010 <= int(r["NUMBER2"]) <= 10019]
    out = _import_json(cli, "--actor-type", "customer",
                       "--where", "NUMBER2", "between", "10010|10019")
    assert out["staged"] == len(wanted)


@pytest.mark.parametrize(("args", "fragments"), [
    (["--connection", "Nope", "--actor-type", "customer"],
     ["no ERP connection Nope", CONNECTION]),
    (["--connection", CONNECTION, "--actor-type", "customer", "--where", "SHOESIZE", "=", "4"],
     ["Unknown search field SHOESIZE", "POSTALCITY"]),
    (["--connection", CONNECTION, "--actor-type", "customer", "--where", "NAME", ">", "a"],
     ["operator > cannot be used with NAME", "contains"]),
    (["--connection", CONNECTION, "--actor-type", "customer", "--where", "NAME", "like", "a"],
     ["operator like"]),
    (["--connection", CONNECTION, "--actor-type", "customer",
      "--where", "CREDITLIMIT", ">", "lots"], ["lots"]),
    (["--connection", CONNECTION, "--actor-type", "customer",
      "--where", "NUMBER2", "between", "10"], ["low|high"]),
    (["--connection", CONNECTION, "--actor-type", "customer",
      "--where", "CATEGORY", "oneof", "Platinum"], ["Platinum", "A customer"]),
])
def test_bad_input_exits_2_and_writes_nothing(cli, demo, db, args, fragments):
    before = _table_counts(db)
    result = cli("import", *args, "--yes", "--json")
    assert_clean_error(result, 2, *fragments)
    assert result.stdout == ""
    assert _table_counts(db) == before


def test_actor_type_the_connection_lacks_is_bad_input(cli, db, tmp_path: Path):
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_text("ERPKEY,NAME\nC1,Solo AS\n", encoding="utf-8")
    assert cli("connections", "add", "Small", "--connector", "workbook",
               "--config", f"path={folder}").exit_code == 0
    result = cli("import", "--connection", "Small", "--actor-type", "supplier", "--yes")
    assert_clean_error(result, 2, "Small", "customer")
    assert _count(db, import_run) == 0


def test_unknown_actor_type_is_a_usage_error(cli, demo):
    result = cli("import", "--connection", CONNECTION, "--actor-type", "robot")
    assert result.exit_code == 2
    assert "robot" in result.stderr


def test_rows_not_imported_come_with_their_reason(cli, demo, db):
    same_name = [r for r in _csv_rows("customer")
                 if r["NAME"].casefold() == "café løvenskiold"]
    assert len(same_name) == 2, "the demo data has one duplicate company name"
    out = _import_json(cli, "--actor-type", "customer",
                       "--where", "NAME", "=", "CAFÉ LØVENSKIOLD", "--yes")
    assert (out["new"], out["skipped"]) == (1, 1)
    assert [(r["erp_key"], r["reason"]) for r in out["not_imported"]] == [
        (same_name[1]["ERPKEY"], "duplicate_in_import")]
    assert out["not_imported"][0]["reason_text"]

    text = cli("import", "--connection", CONNECTION, "--actor-type", "customer",
               "--where", "NAME", "=", "Café Løvenskiold")
    assert f"{same_name[1]['ERPKEY']}  Café Løvenskiold: " in text.stdout


def test_erp_failure_while_staging_exits_1_and_leaves_no_import(cli, db, tmp_path: Path):
    folder = tmp_path / "erp"
    folder.mkdir()
    (folder / "customer.csv").write_bytes(b"ERPKEY,NAME\nC1,fine\n")
    assert cli("connections", "add", "Broken", "--connector", "workbook",
               "--config", f"path={folder}").exit_code == 0
    (folder / "customer.csv").write_bytes(b"ERPKEY,NAME\nC1,\xff\xfe broken\n")
    result = cli("import", "--connection", "Broken", "--actor-type", "customer", "--yes")
    assert_clean_error(result, 1, "UTF-8")
    assert _count(db, import_run) == 0
    assert _count(db, staged_actor) == 0


def test_backups_to_keep_comes_from_the_environment(cli, demo, db, erpsync_data_dir):
    for actor_type in ("customer", "supplier", "person"):  # three imports that write
        result = cli("import", "--connection", CONNECTION, "--actor-type", actor_type,
                     "--yes", "--json", env={"ERPSYNC_BACKUP_KEEP": "2"})
        assert result.exit_code == 0, (result.output, result.exception)
        assert json.loads(result.stdout)["new"] > 0
    assert len(list((erpsync_data_dir / "backups").glob("*.sqlite"))) == 2


def test_a_bad_number_of_backups_exits_2_and_writes_nothing(cli, demo, db):
    before = _table_counts(db)
    result = cli("import", "--connection", CONNECTION, "--actor-type", "customer", "--yes",
                 "--json", env={"ERPSYNC_BACKUP_KEEP": "none"})
    assert_clean_error(result, 2, "ERPSYNC_BACKUP_KEEP", "none")
    assert _table_counts(db) == before

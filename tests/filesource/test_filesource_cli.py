"""``erpsync import --file``: the same run and JSON result as an ERP import."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from filesource_helpers import csv_bytes, write, xlsx_bytes
from sqlalchemy import func, select

from erpsync.cli import main
from erpsync.connectors.base import ActorType
from erpsync.db import make_engine
from erpsync.engine.schema import company, erp_link, import_run, person, staged_actor
from erpsync.filesource import saved
from erpsync.filesource.mapping import ColumnMapping

Invoke = Callable[..., Result]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.sqlite'}"


@pytest.fixture
def cli(db_url: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--db", db_url, *args], env={"ERPSYNC_LANG": "en"})

    return invoke


@pytest.fixture
def db(db_url: str, cli: Invoke):
    assert cli("db", "upgrade").exit_code == 0
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def count(db, table) -> int:
    with db.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def as_json(result: Result) -> dict:
    assert result.exit_code == 0, (result.output, result.stderr)
    return json.loads(result.stdout)


def test_a_csv_file_imports_with_the_erp_imports_json(cli, db, tmp_path: Path) -> None:
    path = write(tmp_path / "klanten.csv", csv_bytes([
        ["Bedrijfsnaam", "Postcode", "Plaats", "Opmerking"],
        ["Acme BV", "8011 AB", "Zwolle", "x"], ["Fjord AS", "5003", "Bergen", ""],
        ["ACME BV", "8011 AB", "Zwolle", "dubbel"],
    ], delimiter=";", encoding="cp1252"))
    out = as_json(cli("import", "--file", str(path), "--yes", "--json"))
    assert (out["applied"], out["staged"], out["new"], out["skipped"]) == (True, 3, 2, 1)
    assert out["not_imported"][0]["reason"] == "duplicate_in_import"
    assert count(db, company) == 2 and count(db, erp_link) == 0
    with db.connect() as conn:
        assert conn.scalar(select(import_run.c.source)) == "file"

    # The JSON of an ERP import has exactly these keys.
    erp = tmp_path / "erp"
    erp.mkdir()
    (erp / "customer.csv").write_text("ERPKEY,NAME\nC1,Solo AS\n", encoding="utf-8")
    assert cli("connections", "add", "Small", "--connector", "workbook",
               "--config", f"path={erp}").exit_code == 0
    erp_out = as_json(cli("import", "--connection", "Small", "--actor-type", "customer",
                          "--yes", "--json"))
    assert out.keys() == erp_out.keys()
    assert out["preview"].keys() == erp_out["preview"].keys()
    assert out["not_imported"][0].keys() == {"actor_type", "erp_key", "name", "reason",
                                             "reason_text"}


def test_persons_from_a_workbook_sheet(cli, db, tmp_path: Path) -> None:
    path = write(tmp_path / "book.xlsx", xlsx_bytes({
        "Info": [["Made by"], ["us"]],
        "Personer": [["Fornavn", "Etternavn", "Firmanavn", "E-post"],
                     ["Kari", "Nordmann", "Fjord AS", "kari@fjord.no"],
                     ["Ola", "Hansen", "Fjord AS", "ola@fjord.no"]],
    }))
    out = as_json(cli("import", "--file", str(path), "--sheet", "Personer", "--actor-type",
                      "person", "--person-match", "email", "--yes", "--json"))
    assert (out["new"], out["staged"]) == (3, 3)  # two persons and their company
    assert count(db, person) == 2 and count(db, company) == 1


def test_a_saved_mapping_by_name(cli, db, tmp_path: Path) -> None:
    saved.save(db, "Leveranciers", ActorType.SUPPLIER,
               ColumnMapping(["Wie", "Waar"], ["NAME", "POSTALCITY"]), None)
    path = write(tmp_path / "lev.csv", csv_bytes([["Wie", "Waar"], ["Delta GmbH", "Köln"]]))
    out = as_json(cli("import", "--file", str(path), "--mapping", "leveranciers", "--yes",
                      "--json"))
    assert out["new"] == 1
    with db.connect() as conn:
        assert conn.execute(select(company.c.name, company.c.postal_city)).one() == (
            "Delta GmbH", "Köln")
        assert conn.scalar(select(staged_actor.c.actor_type)) == "supplier"


def test_without_yes_it_is_a_dry_run(cli, db, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", b"NAME,POSTALCITY\nAcme,Oslo\n")
    result = cli("import", "--file", str(path))
    assert result.exit_code == 0
    assert "Dry run" in result.stdout and "Companies new" in result.stdout
    assert count(db, company) == 0 and count(db, import_run) == 0


@pytest.mark.parametrize(("name", "data", "args", "fragments"), [
    ("logo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, [],
     ["logo.csv is neither a CSV file nor an Excel workbook"]),
    ("empty.csv", b"", [], ["empty.csv is empty"]),
    ("header.csv", b"NAME;POSTALCITY\n", [], ["has column names but no rows"]),
    ("wide.csv", b"NAME;POSTALCITY\nAcme;Oslo\nBeta;Bergen;Norway\n", [],
     ["Row 3 of wide.csv has more values than there are columns"]),
    ("nomatch.csv", b"NAME;POSTALCITY\nAcme;Oslo\n", ["--match", "vatno"],
     ["Choose a column for VAT number", "VATNO", "--mapping"]),
    ("noname.csv", b"Wie;Waar\nAcme;Oslo\n", [], ["Choose a CRM field for at least one"]),
    ("c.csv", b"NAME\nAcme\n", ["--mapping", "Nope"], ["no saved mapping Nope"]),
    ("c.csv", b"NAME\nAcme\n", ["--sheet", "Blad1"], ["--sheet"]),
    ("c.csv", b"NAME\nAcme\n", ["--where", "NAME", "=", "x"], ["--where"]),
    ("c.csv", b"NAME\nAcme\n", ["--connection", "Demo"], ["either --connection"]),
])
def test_bad_input_exits_2_and_imports_nothing(cli, db, tmp_path: Path, name: str,
                                               data: bytes, args: list[str],
                                               fragments: list[str]) -> None:
    path = write(tmp_path / name, data)
    result = cli("import", "--file", str(path), *args, "--yes", "--json")
    assert result.exit_code == 2, (result.output, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    message = result.stderr.strip().splitlines()[-1]
    for fragment in fragments:
        assert fragment in message, message
    assert count(db, import_run) == 0 and count(db, company) == 0


def test_a_missing_file(cli, db, tmp_path: Path) -> None:
    result = cli("import", "--file", str(tmp_path / "nope.csv"), "--yes")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_neither_connection_nor_file(cli, db) -> None:
    result = cli("import", "--actor-type", "customer")
    assert result.exit_code == 2 and "--connection NAME or --file PATH" in result.stderr

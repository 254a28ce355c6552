"""Staging files through the shared engine, and saved mappings."""

from __future__ import annotations

from pathlib import Path

import pytest
from filesource_helpers import csv_bytes, write
from sqlalchemy import func, select

from erpsync.connectors.base import ActorType
from erpsync.engine.schema import company, erp_link, import_run, person, staged_actor
from erpsync.engine.settings import ImportSettings
from erpsync.filesource import reading, saved
from erpsync.filesource.errors import FileSourceError
from erpsync.filesource.importing import SOURCE_KEY, FilePlan, stage_file
from erpsync.filesource.mapping import ColumnMapping, source_id
from erpsync.filesource.synonyms import suggest


def plan_for(path: Path, actor_type: ActorType = ActorType.CUSTOMER,
             chosen: list[str | None] | None = None) -> FilePlan:
    fmt = reading.detect(path, path.name)
    sheet = fmt.sheets[0] if fmt.sheets else None
    scan = reading.scan(path, path.name, fmt, sheet)
    fields = chosen if chosen is not None else suggest(scan.header, actor_type)
    return FilePlan(path=path, name=path.name, fmt=fmt, sheet=sheet, actor_type=actor_type,
                    mapping=ColumnMapping(scan.header, fields), source=source_id("f" * 64))


def count(db, table, *where) -> int:
    with db.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table).where(*where))


def test_a_file_is_staged_without_connection_and_imported_without_erp_links(
        engine, tmp_path: Path) -> None:
    path = write(tmp_path / "klanten.csv", csv_bytes([
        ["Bedrijfsnaam", "Plaats", "E-mail"],
        ["Acme BV", "Zwolle", "info@acme.nl"],
        ["Beta AS", "Bergen", "post@beta.no"],
    ], delimiter=";", bom=True))
    import_id = engine.create_import(SOURCE_KEY, None)
    result = stage_file(engine, import_id, plan_for(path))
    assert (result.rows, result.added, result.already, result.parents) == (2, 2, 0, 0)
    with engine.db.connect() as conn:
        staged = conn.execute(select(staged_actor.c.connection_id, staged_actor.c.erp_key,
                                     staged_actor.c.display_name)
                              .order_by(staged_actor.c.id)).all()
        assert conn.scalar(select(import_run.c.source)) == "file"
    assert [(c, n) for c, _k, n in staged] == [(None, "Acme BV"), (None, "Beta AS")]
    engine.save_settings(import_id, ImportSettings())
    assert engine.preview(import_id).company_new == 2
    outcome = engine.apply(import_id, None)
    assert outcome.new == 2
    assert count(engine.db, company) == 2
    assert count(engine.db, erp_link) == 0


def test_the_same_file_twice_adds_nothing_twice(engine, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", csv_bytes([["Name"], ["Acme"], ["Beta"]]))
    import_id = engine.create_import(SOURCE_KEY, None)
    stage_file(engine, import_id, plan_for(path))
    again = stage_file(engine, import_id, plan_for(path))
    assert (again.added, again.already) == (0, 2)


def test_duplicates_inside_the_file_are_found_by_the_duplicate_match(
        engine, tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", csv_bytes([
        ["Name", "City"], ["Acme", "Oslo"], ["Beta", "Bergen"], ["ACME ", "Oslo"]]))
    import_id = engine.create_import(SOURCE_KEY, None)
    stage_file(engine, import_id, plan_for(path))
    engine.save_settings(import_id, ImportSettings())
    counts = engine.preview(import_id)
    assert (counts.company_new, counts.not_imported) == (2, 1)
    (row,) = engine.preview_rows(import_id, status="not_imported")
    assert (row.erp_key.endswith(":4"), row.reason) == (True, "duplicate_in_import")


def test_persons_bring_their_companies_by_name(engine, tmp_path: Path) -> None:
    from sqlalchemy import insert

    with engine.db.begin() as conn:  # Acme is in the CRM already
        conn.execute(insert(company).values(id=50, name="Acme BV", name_key="acme bv"))
    path = write(tmp_path / "personen.csv", csv_bytes([
        ["Voornaam", "Achternaam", "Bedrijfsnaam"],
        ["Jan", "Jansen", "Acme BV"], ["Piet", "Pietersen", "acme bv"],
        ["Kari", "Nordmann", "Fjord AS"], ["Solo", "Zonder", ""],
    ]))
    import_id = engine.create_import(SOURCE_KEY, None)
    result = stage_file(engine, import_id, plan_for(path, ActorType.PERSON))
    # "Acme BV" and "acme bv" are two staged companies (keys by name as written);
    # the engine's duplicate match takes them for one.
    assert (result.added, result.parents) == (4, 3)
    engine.save_settings(import_id, ImportSettings())
    engine.preview(import_id)
    engine.apply(import_id, None)
    with engine.db.connect() as conn:
        people = dict(conn.execute(
            select(person.c.firstname, company.c.name)
            .join(company, company.c.id == person.c.company_id)).all())
    assert people == {"Jan": "Acme BV", "Piet": "Acme BV", "Kari": "Fjord AS",
                      "Solo": "Solo Zonder"}  # If no company name: create from the person
    assert count(engine.db, company, company.c.name == "Acme BV") == 1


def test_a_bad_row_stops_the_file_before_anything_is_staged(engine, tmp_path: Path) -> None:
    rows = [["Id", "Name"]] + [[str(i), f"Firma {i}"] for i in range(1, 2500)]
    rows.append(["", "Zonder sleutel"])
    path = write(tmp_path / "keys.csv", csv_bytes(rows))
    plan = plan_for(path, chosen=["ERPKEY", "NAME"])
    import_id = engine.create_import(SOURCE_KEY, None)
    with pytest.raises(FileSourceError) as caught:
        stage_file(engine, import_id, plan)
    assert "Row 2501 of keys.csv has no value in the key column Id" in str(
        caught.value.user_message)
    assert engine.staged_count(import_id) == 0


def test_a_key_column_keys_the_rows(engine, tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", csv_bytes([["ERPKEY", "NAME"], ["K1", "Acme"],
                                                ["K2", "Beta"], ["K1", "Acme again"]]))
    import_id = engine.create_import(SOURCE_KEY, None)
    result = stage_file(engine, import_id, plan_for(path))
    assert (result.added, result.already) == (2, 1)  # a key is staged once
    assert [r["erp_key"] for r in engine.list_staged(import_id)] == ["K1", "K2"]


# ------------------------------------------------------------------ saved mappings


def test_saved_mappings_are_found_by_name_and_by_column_names(app) -> None:
    db = app.state.db
    header = ["Naam", "Plaats"]
    first = saved.save(db, "  Klanten   NL ", ActorType.CUSTOMER,
                       ColumnMapping(header, ["NAME", None]), None)
    again = saved.save(db, "Klanten NL", ActorType.CUSTOMER,
                       ColumnMapping(header, ["NAME", "POSTALCITY"]), None)
    assert first == again  # same name: replaced
    found = saved.get(db, "klanten nl")
    assert found is not None and found.pairs == [["Naam", "NAME"], ["Plaats", "POSTALCITY"]]
    assert saved.find_for(db, ["NAAM", "plaats"], ActorType.CUSTOMER).name == "Klanten NL"
    assert saved.find_for(db, ["NAAM", "plaats"], ActorType.PERSON) is None
    assert saved.find_for(db, ["Naam"], ActorType.CUSTOMER) is None
    with pytest.raises(FileSourceError):
        saved.save(db, "x" * 101, ActorType.CUSTOMER, ColumnMapping(header, ["NAME", None]),
                   None)

"""Apply: one transaction, once, after a backup, with a constant number of statements."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from engine_helpers import (
    CONNECTION,
    add_company,
    add_person,
    companies,
    contact,
    customer,
    persons,
    previewed,
    run_import,
)
from sqlalchemy import Engine, event, func, insert, select

from erpsync.engine import apply as apply_module
from erpsync.engine import normalize as nz
from erpsync.engine.api import ImportEngine, ImportError_, StaleImportError
from erpsync.engine.reasons import DUPLICATE_IN_IMPORT, NAME_MISSING, warning_label
from erpsync.engine.schema import (
    before_image,
    communication,
    company,
    erp_link,
    selection_member,
    staged_actor,
)
from erpsync.engine.settings import Action, ImportSettings, PersonMatch
from erpsync.i18n import use_locale


def test_duplicates_inside_one_staging(engine: ImportEngine) -> None:
    actors = [customer("C1", NAME="Acme"), customer("C2", NAME=" ACME "),
              customer("C3", NAME="Beta"), contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="B"),
              contact("P2", "C2", FIRSTNAME="ola", LASTNAME="b"),
              contact("P3", "C3", FIRSTNAME="Ola", LASTNAME="B")]
    _, rows = previewed(engine, actors)
    c2, p2 = rows["customer", "C2"], rows["person", "P2"]
    assert (c2.status, c2.reason, c2.checked) == ("not_imported", DUPLICATE_IN_IMPORT, False)
    # P2's company is C2, a duplicate of C1: so P2 is in C1 too, and a duplicate of P1.
    assert (p2.status, p2.reason) == ("not_imported", DUPLICATE_IN_IMPORT)
    assert rows["person", "P3"].status == "person_new"  # same name, other company
    result = run_import(engine, actors)
    assert (result.new, result.skipped) == (4, 2)
    assert sorted(c["name"] for c in companies(engine.db)) == ["Acme", "Beta"]
    assert len(persons(engine.db)) == 2


def test_duplicate_of_points_at_the_imported_row(engine: ImportEngine) -> None:
    import_id, _ = previewed(engine, [customer("C1", NAME="A"), customer("C2", NAME="a"),
                                      customer("C3", NAME="A ")])
    staged = engine.list_staged(import_id)
    with engine.db.connect() as conn:
        dup_of = dict(conn.execute(select(staged_actor.c.erp_key,
                                          staged_actor.c.duplicate_of)).all())
    assert dup_of == {"C1": None, "C2": staged[0]["id"], "C3": staged[0]["id"]}


def test_name_missing(engine: ImportEngine) -> None:
    _, rows = previewed(engine, [customer("C1", NUMBER1="X"), contact("P1", TITLE="CEO"),
                                 contact("P2", MIDDLENAME="only")])
    assert {r.reason for r in rows.values()} == {NAME_MISSING}
    assert not any(r.checked for r in rows.values())


def test_preview_counts_and_paging(engine: ImportEngine) -> None:
    add_company(engine.db, "Acme")
    actors = [customer("C1", NAME="Acme", POSTALCITY="Oslo"),
              *[customer(f"N{i}", NAME=f"New {i}") for i in range(5)],
              customer("X", NUMBER1="no name")]
    import_id, _ = previewed(engine, actors)
    counts = engine.preview_counts(import_id)
    assert (counts.company_new, counts.company_updated, counts.not_imported, counts.checked,
            counts.total) == (5, 1, 1, 6, 7)
    page = engine.preview_rows(import_id, offset=2, limit=3)
    assert [r.erp_key for r in page] == ["N1", "N2", "N3"]
    only_new = engine.preview_rows(import_id, status="company_new", limit=100)
    assert [r.erp_key for r in only_new] == [f"N{i}" for i in range(5)]
    engine.set_checked(import_id, None, False)
    assert engine.preview_counts(import_id).checked == 0
    engine.set_checked(import_id, None, True)  # the "X" row cannot be checked
    assert engine.preview_counts(import_id).checked == 6


def test_unchecked_rows_are_not_imported(engine: ImportEngine) -> None:
    import_id, rows = previewed(engine, [customer("C1", NAME="A"), customer("C2", NAME="B")])
    engine.set_checked(import_id, [rows["customer", "C2"].staged_id], False)
    result = engine.apply(import_id, 1)
    assert (result.new, result.skipped) == (1, 1)
    assert [c["name"] for c in companies(engine.db)] == ["A"]


def test_apply_runs_an_outdated_preview_first(engine: ImportEngine) -> None:
    add_company(engine.db, "Acme", postal_city="Oslo")
    import_id, _ = previewed(engine, [customer("C1", NAME="Acme", POSTALCITY="Bergen")])
    engine.save_settings(import_id, ImportSettings(company_action=Action.REPLACE))
    assert engine.get_import(import_id)["state"] == "staging"
    result = engine.apply(import_id, 1)
    assert result.updated == 1
    assert companies(engine.db)[0]["postal_city"] == "Bergen"


def test_double_apply_imports_once(engine: ImportEngine) -> None:
    import_id, _ = previewed(engine, [customer("C1", NAME="Acme")])
    first = engine.apply(import_id, 1)
    assert first.new == 1
    with pytest.raises(StaleImportError) as info:
        engine.apply(import_id, 1)
    assert str(info.value.user_message)
    assert len(companies(engine.db)) == 1
    run = engine.get_import(import_id)
    assert (run["state"], run["new_count"]) == ("done", 1)


def test_concurrent_submits_import_once(engine: ImportEngine) -> None:
    import_id, _ = previewed(engine, [customer(f"C{i}", NAME=f"Company {i}")
                                      for i in range(300)])
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        barrier.wait()
        try:
            engine.apply(import_id, 1)
            outcomes.append("imported")
        except StaleImportError:
            outcomes.append("stale")

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["imported", "stale"]
    assert len(companies(engine.db)) == 300


def test_failure_rolls_back_and_marks_failed(engine: ImportEngine,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    add_company(engine.db, "Acme", postal_city="Oslo")
    actors = [customer("C1", NAME="Acme", POSTALCITY="Bergen"), customer("C2", NAME="Beta")]
    import_id, _ = previewed(engine, actors, ImportSettings(company_action=Action.REPLACE))

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(apply_module, "_upsert_links", boom)
    with pytest.raises(ImportError_) as info, use_locale("en"):
        engine.apply(import_id, 1)
    assert "nothing was changed" in str(info.value.user_message)
    assert "disk on fire" in info.value.technical
    assert [(c["name"], c["postal_city"]) for c in companies(engine.db)] == [("Acme", "Oslo")]
    run = engine.get_import(import_id)
    assert run["state"] == "failed" and "disk on fire" in run["error"]
    with engine.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(before_image)) == 0

    monkeypatch.undo()
    engine.reopen_import(import_id)
    assert engine.apply(import_id, 1).updated == 1
    assert [c["postal_city"] for c in companies(engine.db)] == ["Bergen", None]


def test_truncation_warning(engine: ImportEngine) -> None:
    long_name = "N" * 250
    _, rows = previewed(engine, [customer("C1", NAME=long_name, POSTALZIP="1" * 30)])
    assert rows["customer", "C1"].warnings == ["truncated:NAME", "truncated:POSTALZIP"]
    with use_locale("en"):
        assert "NAME" in warning_label("truncated:NAME")
    run_import(engine, [customer("C1", NAME=long_name, POSTALZIP="1" * 30)])
    (crm,) = companies(engine.db)
    assert crm["name"] == "N" * 200 and crm["postal_zip"] == "1" * 20


def test_erp_links_and_staged_crm_ids(engine: ImportEngine) -> None:
    result = run_import(engine, [customer("C1", NAME="Acme"),
                                 contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="B")])
    acme, ola = companies(engine.db)[0]["id"], persons(engine.db)[0]["id"]
    with engine.db.connect() as conn:
        links = conn.execute(select(erp_link.c.crm_type, erp_link.c.crm_id,
                                    erp_link.c.connection_id, erp_link.c.actor_type,
                                    erp_link.c.erp_key, erp_link.c.import_id)).all()
    assert sorted(links) == [("company", acme, CONNECTION, "customer", "C1", result.import_id),
                             ("person", ola, CONNECTION, "person", "P1", result.import_id)]
    assert {r["erp_key"]: r for r in engine.list_staged(result.import_id)}


def test_file_imports_without_connection_make_no_links(engine: ImportEngine) -> None:
    run_import(engine, [customer("R1", NAME="Acme")], connection_id=None)
    with engine.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(erp_link)) == 0
    assert len(companies(engine.db)) == 1


def test_before_images_of_updated_actors(engine: ImportEngine) -> None:
    acme = add_company(engine.db, "Acme", postal_city="Oslo", comms={"phone": ["+47 1"]})
    result = run_import(engine, [customer("C1", NAME="Acme", POSTALCITY="Bergen")],
                        ImportSettings(company_action=Action.REPLACE))
    with engine.db.connect() as conn:
        images = conn.execute(select(before_image)).all()
    assert [(i.import_id, i.crm_type, i.crm_id) for i in images] == [
        (result.import_id, "company", acme)]
    data = images[0].data
    assert data["postal_city"] == "Oslo" and data["name"] == "Acme"
    assert [(c["kind"], c["value"]) for c in data["communications"]] == [("phone", "+47 1")]


def test_result_selections(engine: ImportEngine) -> None:
    acme = add_company(engine.db, "Acme")
    result = run_import(engine, [customer("C1", NAME="Acme", POSTALCITY="Oslo"),
                                 customer("C2", NAME="Beta", POSTALCITY="Bergen"),
                                 contact("P1", "C2", FIRSTNAME="Ola", LASTNAME="B")])
    assert (result.new, result.updated) == (2, 1)
    new_sel = engine.get_selection(result.new_selection_id)
    upd_sel = engine.get_selection(result.updated_selection_id)
    assert new_sel["kind"] == "import_new" and new_sel["member_count"] == 2
    assert "new actors" in new_sel["name"] and "updated actors" in upd_sel["name"]
    new_members = engine.selection_members(result.new_selection_id)
    assert [(m.crm_type, m.name, m.company_name, m.city) for m in new_members] == [
        ("company", "Beta", None, "Bergen"), ("person", "Ola B", "Beta", None)]
    assert [(m.crm_id, m.name) for m in engine.selection_members(
        result.updated_selection_id)] == [(acme, "Acme")]
    run = engine.get_import(result.import_id)
    assert (run["new_selection_id"], run["updated_selection_id"]) == (
        result.new_selection_id, result.updated_selection_id)


def test_selection_names_are_localized(engine: ImportEngine) -> None:
    with use_locale("en"):
        result = run_import(engine, [customer("C1", NAME="Acme")])
    name = engine.get_selection(result.new_selection_id)["name"]
    assert name.startswith("Imported ") and name.endswith(": new actors")


@pytest.mark.sqlite_only
def test_backup_before_import(engine: ImportEngine, db: Engine, tmp_path: Path) -> None:
    add_company(db, "Before")
    result = run_import(engine, [customer("C1", NAME="After")])
    assert result.backup_path is not None and result.backup_path.parent == tmp_path / "backups"
    assert engine.get_import(result.import_id)["backup_path"] == str(result.backup_path)
    with sqlite3.connect(result.backup_path) as copy:
        assert copy.execute("SELECT name FROM company").fetchall() == [("Before",)]


@pytest.mark.sqlite_only
def test_only_the_newest_backups_are_kept(engine: ImportEngine, tmp_path: Path) -> None:
    engine.backup_keep = 2
    paths = [run_import(engine, [customer(f"C{i}", NAME=f"C{i}")]).backup_path
             for i in range(4)]
    assert sorted((tmp_path / "backups").iterdir()) == sorted(paths[2:])


def test_delete_selection_members(engine: ImportEngine) -> None:
    kept = add_company(engine.db, "Kept", postal_city="Oslo")
    result = run_import(engine, [
        customer("C1", NAME="Kept", POSTALCITY="Bergen"),
        customer("C2", NAME="Beta", PHONE="+47 1"),
        contact("P1", "C2", FIRSTNAME="Ola", LASTNAME="B", EMAIL="ola@beta.no")],
        ImportSettings(company_action=Action.REPLACE))
    assert (result.new, result.updated) == (2, 1)
    beta = next(c["id"] for c in companies(engine.db) if c["name"] == "Beta")
    # The host adds a person to the imported company afterwards.
    outsider = add_person(engine.db, "Kari", "Host", company_id=beta)
    with engine.db.begin() as conn:  # ... and puts Beta in a manual selection too
        conn.execute(insert(selection_member).values(
            selection_id=result.updated_selection_id, crm_type="company", crm_id=beta))

    assert engine.delete_selection_members(result.new_selection_id) == 2
    assert [(c["id"], c["name"]) for c in companies(engine.db)] == [(kept, "Kept")]
    assert [(p["id"], p["company_id"]) for p in persons(engine.db)] == [(outsider, None)]
    with engine.db.connect() as conn:
        owners = conn.execute(select(communication.c.owner_type, communication.c.owner_id)).all()
        links = conn.execute(select(erp_link.c.erp_key)).scalars().all()
        members = conn.execute(select(selection_member.c.crm_type,
                                      selection_member.c.crm_id)).all()
    assert owners == []
    assert links == ["C1"]  # the updated company keeps its link
    assert members == [("company", kept)]
    assert engine.selection_members(result.new_selection_id) == []
    # Re-importing the deleted actors creates them again.
    again = run_import(engine, [customer("C2", NAME="Beta")])
    assert again.new == 1


# -- statement count ------------------------------------------------------------------------
def _count_statements(db: Engine, tmp_path: Path, n: int) -> int:
    """Statements of stage + preview + apply of ``n`` companies and ``n`` persons, half
    of them already in the CRM (updated), with communications and list values."""
    with db.begin() as conn:
        conn.execute(insert(company), [
            {"id": i + 1, "name": f"Company {i}", **nz.company_keys(f"Company {i}", None, None)}
            for i in range(0, n, 2)])
        conn.execute(insert(communication), [
            {"owner_type": "company", "owner_id": i + 1, "kind": "phone", "value": f"+47 {i}",
             "value_key": nz.phone_key(f"+47 {i}"), "rank": 1} for i in range(0, n, 2)])
    actors = []
    for i in range(n):
        actors.append(customer(f"C{i}", NAME=f"Company {i}", POSTALCITY="Oslo",
                               PHONE=f"+47 9{i}", EMAIL=f"c{i}@x.no", CATEGORY=f"Cat {i % 7}"))
        actors.append(contact(f"P{i}", f"C{i}" if i % 3 else None, FIRSTNAME="Per",
                              LASTNAME=f"Son {i}", PHONE_MOBILE=f"+47 4{i}"))
    engine = ImportEngine(db, backup_dir=tmp_path / f"backups{n}", batch_size=10_000)
    statements: list[str] = []
    event.listen(db, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append(sql))
    settings = ImportSettings(company_action=Action.REPLACE, person_match=PersonMatch.NAME)
    result = run_import(engine, actors, settings)
    # New: the n/2 unknown companies, every person, a company for each person without one.
    without_company = len(range(0, n, 3))
    assert (result.new, result.updated) == (n // 2 + n + without_company, n // 2)
    assert len(companies(db)) == n + without_company
    assert len(persons(db)) == n
    return len(statements)


def test_statement_count_does_not_grow_with_rows(new_db: Callable[[], Engine],
                                                 tmp_path: Path) -> None:
    small = _count_statements(new_db(), tmp_path, 200)
    large = _count_statements(new_db(), tmp_path, 2000)
    print(f"statements: {small} for 200 rows, {large} for 2,000 rows")
    assert small == large
    assert small < 200  # a handful of set statements, nowhere near one per row

"""Undo import in the engine: before-images back, new actors out, conflicts
refused unless forced, once only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select
from undo_helpers import (
    add_company,
    comms_of,
    companies,
    contact,
    customer,
    edit_in_crm,
    links,
    memberships,
    persons,
    run_import,
)

from erpsync.engine import history
from erpsync.engine.api import ImportEngine, ImportError_
from erpsync.engine.schema import before_image, company, person, selection, selection_member
from erpsync.engine.settings import Action, CommunicationRule, ImportSettings
from erpsync.engine.undo import CHANGED, LOSES_COMPANY, UndoRefused
from erpsync.i18n import use_locale

LAST_EDIT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
REPLACE = ImportSettings(company_action=Action.REPLACE, person_action=Action.REPLACE,
                         phone=CommunicationRule.REPLACE)


def _first_import(engine: ImportEngine) -> tuple[int, int]:
    """Acme (in the CRM) is updated, Beta and its person Per Son are new."""
    acme = add_company(engine.db, "Acme", postal_city="Oslo", department="Sales",
                       comms={"phone": ["+47 11 11 11 11", "+47 22 22 22 22"]},
                       updated_at=LAST_EDIT)
    result = run_import(engine, [
        customer("C1", NAME="Acme", POSTALCITY="Bergen", PHONE="+47 99 99 99 99",
                 EMAIL="post@acme.no"),
        customer("C2", NAME="Beta", POSTALCITY="Tromsø", EMAIL="beta@example.com"),
        contact("P1", "C2", FIRSTNAME="Per", LASTNAME="Son", PHONE_MOBILE="+47 40 00 00 00"),
    ], REPLACE)
    assert (result.new, result.updated) == (2, 1)
    return result.import_id, acme


def test_undo_restores_field_values_and_removes_new_actors(any_engine: ImportEngine) -> None:
    engine, db = any_engine, any_engine.db
    import_id, acme = _first_import(engine)
    with db.connect() as conn:
        before_acme = conn.execute(
            select(before_image.c.data).where(before_image.c.crm_id == acme)).scalar_one()
    after = companies(db)
    assert after["Acme"]["postal_city"] == "Bergen"
    beta = after["Beta"]["id"]
    # A manual selection holding a new actor loses that membership.
    with db.begin() as conn:
        manual = conn.execute(insert(selection).values(name="Mine", kind="manual")
                              ).inserted_primary_key[0]
        conn.execute(insert(selection_member).values(selection_id=manual, crm_type="company",
                                                     crm_id=beta))
        conn.execute(insert(selection_member).values(selection_id=manual, crm_type="company",
                                                     crm_id=acme))

    plan = engine.undo_plan(import_id)
    assert (plan.restore, plan.remove, plan.gone, plan.conflict_count) == (1, 2, 0, 0)
    result = engine.undo_import(import_id, 7)
    assert (result.restored, result.removed, result.overwritten) == (1, 2, 0)

    crm = companies(db)
    assert list(crm) == ["Acme"]
    restored = crm["Acme"]
    assert (restored["postal_city"], restored["department"]) == ("Oslo", "Sales")
    assert (restored["name_key"], restored["dept_key"]) == (before_acme["name_key"],
                                                            before_acme["dept_key"])
    assert restored["updated_at"].replace(tzinfo=None) == LAST_EDIT.replace(tzinfo=None)
    assert comms_of(db, "company", acme) == [("phone", "+47 11 11 11 11", 1),
                                             ("phone", "+47 22 22 22 22", 2)]
    assert comms_of(db, "company", beta) == []
    assert persons(db) == []
    assert links(db) == []  # Acme was matched by name: its link was made by the import
    assert memberships(db) == [(manual, "company", acme)]
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(selection)
                           .where(selection.c.import_id == import_id)) == 0
    run = engine.get_import(import_id)
    assert (run["state"], run["undone_by"]) == ("undone", 7)
    assert run["undone_at"] is not None
    assert run["new_selection_id"] is None and run["updated_selection_id"] is None
    assert (run["new_count"], run["updated_count"]) == (2, 1)  # the record stays


def test_undo_is_refused_when_actors_changed_after_the_import(engine: ImportEngine) -> None:
    db = engine.db
    import_id, acme = _first_import(engine)
    edit_in_crm(db, company, acme, postal_city="Trondheim")
    with pytest.raises(UndoRefused) as info, use_locale("en"):
        engine.undo_import(import_id, 1)
    with use_locale("en"):
        assert "changed after the import" in str(info.value.user_message)
    plan = info.value.plan
    assert plan.conflict_count == 1
    assert [(c.crm_type, c.crm_id, c.name, c.reason) for c in plan.conflicts] == [
        ("company", acme, "Acme", CHANGED)]
    # Nothing was undone.
    assert companies(db)["Acme"]["postal_city"] == "Trondheim"
    assert "Beta" in companies(db)
    assert engine.get_import(import_id)["state"] == "done"

    # Forced: the later change is overwritten, everything else undone.
    result = engine.undo_import(import_id, 1, force=True)
    assert result.overwritten == 1
    assert companies(db)["Acme"]["postal_city"] == "Oslo"
    assert list(companies(db)) == ["Acme"]


def test_a_later_import_is_a_change_after_the_import(engine: ImportEngine) -> None:
    first, _ = _first_import(engine)
    second = run_import(engine, [customer("C2", NAME="Beta", POSTALCITY="Bodø")], REPLACE)
    assert second.updated == 1
    plan = engine.undo_plan(first)
    assert [(c.name, c.reason) for c in plan.conflicts] == [("Beta", CHANGED)]
    # The later import itself can be undone: Beta gets the first import's values back.
    engine.undo_import(second.import_id, 1)
    assert companies(engine.db)["Beta"]["postal_city"] == "Tromsø"
    assert engine.undo_plan(first).conflict_count == 0
    engine.undo_import(first, 1)
    assert list(companies(engine.db)) == ["Acme"]


def test_a_person_of_another_import_would_lose_its_company(engine: ImportEngine) -> None:
    first, _ = _first_import(engine)
    later = run_import(engine, [contact("P2", "C2", FIRSTNAME="Kari", LASTNAME="Nord")])
    assert later.new == 1
    plan = engine.undo_plan(first)
    assert [(c.crm_type, c.name, c.reason) for c in plan.conflicts] == [
        ("person", "Kari Nord", LOSES_COMPANY)]
    with pytest.raises(UndoRefused):
        engine.undo_import(first, 1)
    engine.undo_import(first, 1, force=True)
    left = persons(engine.db)
    assert [(p["firstname"], p["company_id"]) for p in left] == [("Kari", None)]


def test_links_that_existed_before_the_import_stay(engine: ImportEngine) -> None:
    first = run_import(engine, [customer("C1", NAME="Gamma", POSTALCITY="Oslo")])
    gamma = companies(engine.db)["Gamma"]["id"]
    second = run_import(engine, [customer("C1", NAME="Gamma", POSTALCITY="Molde")], REPLACE)
    assert second.updated == 1
    engine.undo_import(second.import_id, 1)
    assert companies(engine.db)["Gamma"]["postal_city"] == "Oslo"
    assert links(engine.db) == [("C1", "company", gamma)]  # matched by it: kept
    engine.undo_import(first.import_id, 1)
    assert companies(engine.db) == {} and links(engine.db) == []


def test_actors_deleted_since_are_left_out(engine: ImportEngine) -> None:
    import_id, _ = _first_import(engine)
    selection_id = engine.get_import(import_id)["new_selection_id"]
    assert engine.delete_selection_members(selection_id) == 2
    plan = engine.undo_plan(import_id)
    assert (plan.restore, plan.remove, plan.gone) == (1, 0, 2)
    assert not plan.nothing_to_do
    engine.undo_import(import_id, 1)
    assert companies(engine.db)["Acme"]["postal_city"] == "Oslo"


def test_only_a_done_import_is_undone_and_only_once(engine: ImportEngine) -> None:
    pending = engine.create_import("erp", 1)
    with pytest.raises(ImportError_) as info, use_locale("en"):
        engine.undo_plan(pending)
    with use_locale("en"):
        assert str(info.value.user_message) == "Only a finished import can be undone."
    import_id, _ = _first_import(engine)
    engine.undo_import(import_id, 1)
    with pytest.raises(ImportError_) as info, use_locale("en"):
        engine.undo_import(import_id, 1)
    with use_locale("en"):
        assert "already been undone" in str(info.value.user_message)


def test_two_undos_at_once_undo_once(engine: ImportEngine) -> None:
    import_id, _ = _first_import(engine)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def undo() -> None:
        start.wait()
        try:
            engine.undo_import(import_id, 1)
            outcomes.append("undone")
        except ImportError_:
            outcomes.append("refused")

    threads = [threading.Thread(target=undo) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["refused", "undone"]
    assert list(companies(engine.db)) == ["Acme"]


def test_undo_backs_the_database_up_first(engine: ImportEngine, tmp_path) -> None:
    import_id, _ = _first_import(engine)
    result = engine.undo_import(import_id, 1)
    assert result.backup_path is not None and result.backup_path.exists()
    assert result.backup_path.parent == tmp_path / "backups"


def test_an_undone_import_is_not_the_last_import(any_engine: ImportEngine) -> None:
    engine = any_engine
    first = run_import(engine, [customer("C1", NAME="Delta"), contact("P1", "C1", LASTNAME="Y")])
    with engine.db.connect() as conn:
        stamp = history.last_import_time(conn, 1, "customer")
    assert stamp is not None
    assert engine.changed_since_start(1, "customer") == stamp - history.CHANGED_SINCE_OVERLAP
    # The history: counts, where the actors came from, how long it took.
    assert engine.count_imports() == 1
    [listed] = engine.list_imports()
    assert (listed["id"], listed["state"], listed["new_count"]) == (first.import_id, "done", 2)
    assert [(p.actor_type, p.count) for p in listed["parts"]] == [("customer", 1), ("person", 1)]
    assert listed["duration"].total_seconds() >= 0
    record = engine.import_record(first.import_id)
    assert [s["kind"] for s in record["selections"]] == ["import_new"]
    engine.undo_import(first.import_id, 1)
    assert engine.list_imports()[0]["state"] == "undone"
    assert engine.import_record(first.import_id)["selections"] == []
    with engine.db.connect() as conn:
        assert history.last_import_time(conn, 1, "customer") is None
        assert history.last_import_time(conn, 1, "person") is None


def test_selection_names_are_made_in_the_reader_s_language(engine: ImportEngine) -> None:
    result = run_import(engine, [customer("C1", NAME="Epsilon")])
    row = engine.get_selection(result.new_selection_id)
    with use_locale("nl"):
        assert history.selection_title(row).startswith("Geïmporteerd ")
    with use_locale("en"):
        assert history.selection_title(row).endswith(": new actors")
    # A name someone gave the selection is theirs.
    assert history.selection_title({**row, "name": "Oslo customers"}) == "Oslo customers"
    assert history.selection_title({"kind": "manual", "name": "Mine"}) == "Mine"


def test_persons_count_in_the_plan(engine: ImportEngine) -> None:
    import_id, _ = _first_import(engine)
    with engine.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(person)) == 1
    assert engine.undo_plan(import_id).remove == 2

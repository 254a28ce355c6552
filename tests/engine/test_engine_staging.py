"""Staging: streamed, staged once, nothing written to the CRM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_helpers import CONNECTION, companies, contact, customer, persons, run_import
from sqlalchemy import func, select

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.engine.api import ImportEngine, ImportError_, StaleImportError
from erpsync.engine.reasons import INVALID_EMAIL, warning_label
from erpsync.engine.schema import staged_actor


def test_stage_writes_only_staging(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 7)
    result = engine.stage(import_id, CONNECTION, [customer("C1", NAME="Acme"),
                                                  contact("P1", "C1", LASTNAME="Berg")])
    assert (result.added, result.already) == (2, 0)
    assert engine.staged_count(import_id) == 2
    assert companies(engine.db) == [] and persons(engine.db) == []
    staged = engine.list_staged(import_id)
    assert [(r["kind"], r["erp_key"], r["display_name"]) for r in staged] == [
        ("company", "C1", "Acme"), ("person", "P1", "Berg")]
    assert engine.open_import("erp", 7) == import_id
    assert engine.open_import("erp", 8) is None


def test_staged_once_across_searches_and_within_a_batch(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 1)
    first = engine.stage(import_id, CONNECTION, [customer("C1", NAME="First"),
                                                 customer("C1", NAME="Again in batch")])
    second = engine.stage(import_id, CONNECTION, [customer("C1", NAME="Second search"),
                                                  customer("C2", NAME="Other")])
    assert (first.added, first.already) == (1, 1)
    assert (second.added, second.already) == (1, 1)
    names = [r["display_name"] for r in engine.list_staged(import_id)]
    assert names == ["First", "Other"]  # the first staging wins


def test_same_key_other_actor_type_or_connection_is_another_row(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, 1, [customer("K", NAME="A"), ErpActor(ActorType.SUPPLIER, "K",
                                                                  {"NAME": "A"})])
    engine.stage(import_id, 2, [customer("K", NAME="A")])
    assert engine.staged_count(import_id) == 3


def test_staged_once_without_connection(engine: ImportEngine) -> None:
    """File imports have no connection: NULL must not defeat the uniqueness."""
    import_id = engine.create_import("file", 1)
    engine.stage(import_id, None, [customer("R1", NAME="Row one")])
    again = engine.stage(import_id, None, [customer("R1", NAME="Row one")])
    assert (again.added, again.already) == (0, 1)
    assert engine.staged_count(import_id) == 1


def test_stage_streams_in_batches(engine: ImportEngine) -> None:
    engine.batch_size = 10
    pulled: list[int] = []

    def actors() -> Iterator[ErpActor]:
        for i in range(35):
            pulled.append(i)
            yield customer(f"C{i}", NAME=f"Company {i}")

    import_id = engine.create_import("erp", 1)
    assert engine.stage(import_id, CONNECTION, actors()).added == 35
    assert engine.staged_count(import_id) == 35 and len(pulled) == 35


def test_keys_and_data_warnings_are_stored(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, [
        customer("C1", NAME=" Acme  AS ", VATNO="NO 987 654 321 MVA", EMAIL="not-an-email",
                 PHONE="+47 22 00 00 00", CUSTOM="kept"),
        contact("P1", FIRSTNAME="Ola", LASTNAME="Nordmann", PHONE_MOBILE="+47 912 34 567",
                EMAIL="Ola@Acme.no")])
    with engine.db.connect() as conn:
        rows = {r.erp_key: r for r in conn.execute(select(staged_actor))}
    company_row, person_row = rows["C1"], rows["P1"]
    assert company_row.name_key == "acme as" and company_row.vat_key == "987654321"
    assert company_row.comm_email is None and company_row.warnings == [INVALID_EMAIL]
    assert company_row.phone_key == "004722000000"
    assert company_row.v_name == "Acme  AS" and company_row.v_vatno == "NO 987 654 321 MVA"
    assert company_row.extra == {"CUSTOM": "kept"}  # keys the CRM does not import
    staged = {r["erp_key"]: r for r in engine.list_staged(import_id)}
    assert staged["C1"]["data"] == {"NAME": "Acme  AS", "VATNO": "NO 987 654 321 MVA",
                                    "PHONE": "+47 22 00 00 00", "CUSTOM": "kept"}
    assert person_row.name_key == "ola nordmann" and person_row.display_name == "Ola Nordmann"
    assert person_row.mobile_key == "004791234567" and person_row.email_key == "ola@acme.no"
    assert warning_label(INVALID_EMAIL) != INVALID_EMAIL


def test_missing_parents_lists_parents_neither_staged_nor_linked(engine: ImportEngine) -> None:
    # C9 gets linked by a first import.
    run_import(engine, [customer("C9", NAME="Linked")])
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, [
        customer("C1", NAME="Staged"), contact("P1", "C1", LASTNAME="A"),
        contact("P2", "C2", LASTNAME="B"), contact("P3", "C3", LASTNAME="C"),
        contact("P4", "C2", LASTNAME="D"), contact("P5", "C9", LASTNAME="E"),
        contact("P6", "S1", parent_type=ActorType.SUPPLIER, LASTNAME="F"),
        contact("P7", LASTNAME="No parent")])
    assert engine.missing_parents(import_id) == {
        (CONNECTION, "customer"): ["C2", "C3"], (CONNECTION, "supplier"): ["S1"]}


def test_stage_missing_parents_marks_them_via_parent(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, [contact("P1", "C1", LASTNAME="A")])
    asked: list[tuple[int | None, ActorType, list[str]]] = []

    def fetch(connection_id: int | None, actor_type: ActorType,
              keys: list[str]) -> list[ErpActor]:
        asked.append((connection_id, actor_type, keys))
        return [customer(k, NAME=f"Parent {k}") for k in keys]

    assert engine.stage_missing_parents(import_id, fetch) == 1
    assert asked == [(CONNECTION, ActorType.CUSTOMER, ["C1"])]
    assert engine.missing_parents(import_id) == {}
    with engine.db.connect() as conn:
        assert conn.scalar(select(staged_actor.c.via_parent)
                           .where(staged_actor.c.erp_key == "C1")) is True


def test_unstage_removes_rows_and_outdates_preview(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, [customer("C1", NAME="A"), customer("C2", NAME="B")])
    engine.preview(import_id)
    assert engine.get_import(import_id)["state"] == "previewed"
    first = engine.list_staged(import_id)[0]["id"]
    assert engine.unstage(import_id, [first]) == 1
    assert engine.staged_count(import_id) == 1
    assert engine.get_import(import_id)["state"] == "staging"


def test_staging_into_an_imported_import_is_refused(engine: ImportEngine) -> None:
    result = run_import(engine, [customer("C1", NAME="A")])
    with pytest.raises(StaleImportError):
        engine.stage(result.import_id, CONNECTION, [customer("C2", NAME="B")])
    with engine.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(staged_actor)) == 1


def test_discard_deletes_the_pending_import(engine: ImportEngine) -> None:
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, [customer("C1", NAME="A")])
    engine.discard_import(import_id)
    assert engine.staged_count(import_id) == 0
    assert engine.open_import("erp", 1) is None


def test_an_unknown_actor_type_stops_staging_at_its_batch(engine: ImportEngine) -> None:
    engine.batch_size = 2
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, [customer("C0", NAME="Z")])
    engine.preview(import_id)
    bad = ErpActor("prospect", "X1", {"NAME": "?"})  # type: ignore[arg-type]
    actors = [customer("C1", NAME="A"), customer("C2", NAME="B"),  # batch 1: staged
              customer("C3", NAME="C"), bad, customer("C4", NAME="D")]  # batch 2: not
    with pytest.raises(ImportError_) as info:
        engine.stage(import_id, CONNECTION, actors)
    assert "prospect" in str(info.value.user_message)
    assert [r["erp_key"] for r in engine.list_staged(import_id)] == ["C0", "C1", "C2"]
    assert engine.get_import(import_id)["state"] == "staging"  # preview outdated
    assert engine.stage(import_id, CONNECTION, actors[2:3]).added == 1

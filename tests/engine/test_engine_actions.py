"""Actions on a match, field-by-field diffs, and the preview showing exactly what changes."""

from __future__ import annotations

from engine_helpers import (
    add_company,
    add_person,
    comms_of,
    companies,
    contact,
    customer,
    persons,
    previewed,
    run_import,
)

from erpsync.engine.api import ImportEngine
from erpsync.engine.reasons import SKIP_ACTION, UNCHANGED
from erpsync.engine.results import FieldChange
from erpsync.engine.settings import Action, ImportSettings, NoCompany, PersonMatch


def _settings(action: Action) -> ImportSettings:
    return ImportSettings(company_action=action, person_action=action,
                          no_company=NoCompany.WITHOUT_COMPANY)


def _acme(engine: ImportEngine) -> int:
    return add_company(engine.db, "Acme", postal_city="Oslo", postal_zip=None, country="")


ERP_ACME = customer("C1", NAME="ACME", POSTALCITY="Bergen", POSTALZIP="5003", COUNTRY="Norway")


def test_add_always_creates_a_duplicate(engine: ImportEngine) -> None:
    _acme(engine)
    _, rows = previewed(engine, [ERP_ACME], _settings(Action.ADD))
    assert rows["customer", "C1"].status == "company_new"
    result = run_import(engine, [ERP_ACME], _settings(Action.ADD))
    assert (result.new, result.updated) == (1, 0)
    assert [(c["name"], c["postal_city"]) for c in companies(engine.db)] == [
        ("Acme", "Oslo"), ("ACME", "Bergen")]


def test_add_always_still_updates_the_linked_actor(engine: ImportEngine) -> None:
    """An actor linked to the same ERP actor is that actor, not a duplicate."""
    run_import(engine, [customer("C1", NAME="Acme")], _settings(Action.ADD))
    result = run_import(engine, [customer("C1", NAME="Acme", POSTALCITY="Oslo")],
                        _settings(Action.ADD))
    assert (result.new, result.updated) == (0, 1)
    assert [c["postal_city"] for c in companies(engine.db)] == ["Oslo"]


def test_merge_updates_only_empty_fields(engine: ImportEngine) -> None:
    acme = _acme(engine)
    _, rows = previewed(engine, [ERP_ACME], _settings(Action.MERGE))
    row = rows["customer", "C1"]
    assert row.status == "company_updated"
    assert row.changes == [FieldChange("POSTALZIP", None, "5003"),
                           FieldChange("COUNTRY", "", "Norway")]
    run_import(engine, [ERP_ACME], _settings(Action.MERGE))
    (crm,) = companies(engine.db)
    assert (crm["id"], crm["name"], crm["postal_city"], crm["postal_zip"], crm["country"]) == (
        acme, "Acme", "Oslo", "5003", "Norway")


def test_replace_overwrites_every_field_the_erp_gives(engine: ImportEngine) -> None:
    acme = add_company(engine.db, "Acme", postal_city="Oslo", department="Sales")
    erp = customer("C1", NAME="ACME", POSTALCITY="Bergen", POSTALZIP="5003")
    _, rows = previewed(engine, [erp], _settings(Action.REPLACE))
    assert rows["customer", "C1"].changes == [
        FieldChange("NAME", "Acme", "ACME"), FieldChange("POSTALZIP", None, "5003"),
        FieldChange("POSTALCITY", "Oslo", "Bergen")]
    run_import(engine, [erp], _settings(Action.REPLACE))
    (crm,) = companies(engine.db)
    assert (crm["id"], crm["name"], crm["postal_city"], crm["postal_zip"]) == (
        acme, "ACME", "Bergen", "5003")
    assert crm["department"] == "Sales"  # the ERP gave no department: kept


def test_skip_does_not_import_matches(engine: ImportEngine) -> None:
    _acme(engine)
    erp = [ERP_ACME, customer("C2", NAME="Beta")]
    _, rows = previewed(engine, erp, _settings(Action.SKIP))
    assert (rows["customer", "C1"].status, rows["customer", "C1"].reason) == (
        "not_imported", SKIP_ACTION)
    assert not rows["customer", "C1"].checked
    result = run_import(engine, erp, _settings(Action.SKIP))
    assert (result.new, result.updated, result.skipped) == (1, 0, 1)
    assert [(c["name"], c["postal_city"]) for c in companies(engine.db)] == [
        ("Acme", "Oslo"), ("Beta", None)]


def test_an_update_that_changes_nothing_is_not_imported(engine: ImportEngine) -> None:
    add_company(engine.db, "Acme", postal_city="Oslo")
    _, rows = previewed(engine, [customer("C1", NAME="Acme", POSTALCITY="Bergen")],
                        _settings(Action.MERGE))
    row = rows["customer", "C1"]
    assert (row.status, row.reason, row.checked, row.changes) == (
        "not_imported", UNCHANGED, False, [])
    result = run_import(engine, [customer("C1", NAME="Acme", POSTALCITY="Bergen")],
                        _settings(Action.MERGE))
    assert (result.new, result.updated, result.skipped) == (0, 0, 1)
    assert result.updated_selection_id is None
    assert companies(engine.db)[0]["postal_city"] == "Oslo"


def test_person_actions_and_company_change(engine: ImportEngine) -> None:
    """Matched by e-mail, the person moves to the ERP's company only with Replace."""
    old_company = add_company(engine.db, "Old employer")
    merged = add_person(engine.db, "Ola", "Nordmann", company_id=old_company, title="CEO",
                        comms={"email": ["ola@x.no"]})
    replaced = add_person(engine.db, "Kari", "Berg", company_id=old_company, title="CTO",
                          comms={"email": ["kari@x.no"]})
    by_email = {"person_match": PersonMatch.EMAIL, "no_company": NoCompany.WITHOUT_COMPANY}
    merge = ImportSettings(person_action=Action.MERGE, **by_email)
    replace = ImportSettings(person_action=Action.REPLACE, **by_email)

    erp = [customer("C1", NAME="New employer"),
           contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="Nordmann", TITLE="Chair",
                   POSITION="Board", EMAIL="ola@x.no")]
    _, rows = previewed(engine, erp, merge)
    assert rows["person", "P1"].changes == [FieldChange("POSITION", None, "Board")]
    assert rows["person", "P1"].company_name == "Old employer"  # Merge keeps it
    run_import(engine, erp, merge)
    crm = {p["id"]: p for p in persons(engine.db)}
    assert (crm[merged]["title"], crm[merged]["position"], crm[merged]["company_id"]) == (
        "CEO", "Board", old_company)

    erp = [customer("C2", NAME="Third employer"),
           contact("P2", "C2", FIRSTNAME="Kari", LASTNAME="Berg", TITLE="CIO",
                   EMAIL="KARI@x.no")]
    _, rows = previewed(engine, erp, replace)
    assert rows["person", "P2"].changes == [
        FieldChange("TITLE", "CTO", "CIO"),
        FieldChange("COMPANY", "Old employer", "Third employer")]
    assert rows["person", "P2"].company_name == "Third employer"
    run_import(engine, erp, replace)
    crm = {p["id"]: p for p in persons(engine.db)}
    third = [c["id"] for c in companies(engine.db) if c["name"] == "Third employer"]
    assert (crm[replaced]["title"], crm[replaced]["company_id"]) == ("CIO", third[0])
    assert len(crm) == 2


def test_the_preview_diff_is_what_apply_changes(engine: ImportEngine) -> None:
    """Every change the preview lists is in the CRM afterwards, and nothing else."""
    acme = add_company(engine.db, "Acme", postal_city="Oslo", code="A1",
                       comms={"phone": ["+47 22 00 00 00"], "email": ["post@acme.no"]})
    erp = [customer("C1", NAME="Acme", NUMBER1="A2", POSTALCITY="Bergen", COUNTRY="NO",
                    PHONE="+47 22 00 00 00", EMAIL="sales@acme.no", URL="acme.no")]
    settings = _settings(Action.REPLACE)
    _, rows = previewed(engine, erp, settings)
    before = companies(engine.db)[0]
    run_import(engine, erp, settings)
    after = companies(engine.db)[0]
    column = {"NUMBER1": "code", "POSTALCITY": "postal_city", "COUNTRY": "country"}
    changes = {c.field: c for c in rows["customer", "C1"].changes}
    assert set(changes) == {"NUMBER1", "POSTALCITY", "COUNTRY", "EMAIL", "URL"}
    for key, change in changes.items():
        if key in column:
            assert (before[column[key]], after[column[key]]) == (change.old, change.new)
    assert ", ".join(comms_of(engine.db, "company", acme, "email")) == changes["EMAIL"].new
    assert comms_of(engine.db, "company", acme, "url") == ["acme.no"]
    changed_columns = {k for k in before if before[k] != after[k]} - {"updated_at"}
    assert changed_columns == {"code", "postal_city", "country"}


def test_preview_again_after_new_settings(engine: ImportEngine) -> None:
    add_company(engine.db, "Acme", postal_city="Oslo")
    import_id, rows = previewed(engine, [customer("C1", NAME="Acme", POSTALCITY="Bergen")],
                                _settings(Action.MERGE))
    assert rows["customer", "C1"].reason == UNCHANGED
    assert engine.preview(import_id) == engine.preview_counts(import_id)  # repeatable
    engine.save_settings(import_id, _settings(Action.REPLACE))
    assert engine.get_settings(import_id).company_action is Action.REPLACE
    counts = engine.preview(import_id)
    assert (counts.company_updated, counts.not_imported, counts.checked) == (1, 0, 1)
    (row,) = engine.preview_rows(import_id)
    assert row.changes == [FieldChange("POSTALCITY", "Oslo", "Bergen")]

"""Duplicate match: each company and person match, the ERP link, several matches."""

from __future__ import annotations

import pytest
from engine_helpers import (
    add_company,
    add_person,
    companies,
    contact,
    customer,
    persons,
    previewed,
    run_import,
    supplier,
)

from erpsync.engine.api import ImportEngine
from erpsync.engine.reasons import PERSONS_DISABLED, SEVERAL_MATCHES
from erpsync.engine.settings import (
    Action,
    CompanyMatch,
    ImportSettings,
    NoCompany,
    PersonMatch,
)

REPLACE = ImportSettings(company_action=Action.REPLACE, person_action=Action.REPLACE)


def _company_settings(match: CompanyMatch) -> ImportSettings:
    return ImportSettings(company_match=match, company_action=Action.REPLACE)


@pytest.mark.parametrize(("match", "crm", "erp_match", "erp_other"), [
    (CompanyMatch.NAME, {}, {"NAME": "  ACME as"}, {"NAME": "Acme Holding"}),
    (CompanyMatch.NAME_DEPARTMENT, {"department": "Sales"},
     {"NAME": "acme AS", "DEPARTMENT": "SALES"},
     {"NAME": "Acme AS", "DEPARTMENT": "Support"}),
    (CompanyMatch.NUMBER, {"number": "10001"}, {"NAME": "Renamed", "NUMBER2": "10001"},
     {"NAME": "Acme AS", "NUMBER2": "10002"}),
    (CompanyMatch.CODE, {"code": "ACME"}, {"NAME": "Renamed", "NUMBER1": "ACME"},
     {"NAME": "Acme AS", "NUMBER1": "ACME2"}),
    (CompanyMatch.VATNO, {"vatno": "987654321"},
     {"NAME": "Renamed", "VATNO": "NO 987 654 321 MVA"},
     {"NAME": "Acme AS", "VATNO": "NO 987 654 322 MVA"}),
])
def test_company_match(engine: ImportEngine, match: CompanyMatch, crm: dict,
                       erp_match: dict, erp_other: dict) -> None:
    """The matching actor updates the CRM company; the other one is new even
    when other fields (like the name) are equal."""
    existing = add_company(engine.db, "Acme AS", **crm)
    _, rows = previewed(engine, [customer("C1", POSTALCITY="Bergen", **erp_match),
                                 customer("C2", **erp_other)], _company_settings(match))
    assert rows["customer", "C1"].status == "company_updated"
    assert rows["customer", "C2"].status == "company_new"

    run_import(engine, [customer("C1", POSTALCITY="Bergen", **erp_match),
                        customer("C2", **erp_other)], _company_settings(match))
    rows_after = companies(engine.db)
    assert len(rows_after) == 2
    assert rows_after[0]["id"] == existing and rows_after[0]["postal_city"] == "Bergen"


def test_company_match_by_id_only_uses_the_erp_link(engine: ImportEngine) -> None:
    add_company(engine.db, "Acme AS")
    settings = _company_settings(CompanyMatch.ID)
    first = run_import(engine, [customer("C1", NAME="Acme AS")], settings)
    assert first.new == 1  # same name, but no link yet: new
    second = run_import(engine, [customer("C1", NAME="Acme AS", POSTALCITY="Oslo")], settings)
    assert (second.new, second.updated) == (0, 1)
    assert [c["postal_city"] for c in companies(engine.db)] == [None, "Oslo"]


def test_several_crm_matches_update_the_lowest_id_with_a_warning(engine: ImportEngine) -> None:
    first = add_company(engine.db, "Acme")
    add_company(engine.db, "ACME")
    _, rows = previewed(engine, [customer("C1", NAME="acme", POSTALCITY="Oslo")])
    assert rows["customer", "C1"].warnings == [SEVERAL_MATCHES]
    run_import(engine, [customer("C1", NAME="acme", POSTALCITY="Oslo")])
    assert [(c["id"], c["postal_city"]) for c in companies(engine.db)] == [
        (first, "Oslo"), (first + 1, None)]


def test_erp_link_wins_over_the_duplicate_match(engine: ImportEngine) -> None:
    run_import(engine, [customer("C1", NAME="Old name")])
    other = add_company(engine.db, "New name")
    # Renamed in the ERP to the name of another CRM company: the link still wins.
    result = run_import(engine, [customer("C1", NAME="New name", POSTALCITY="Oslo")], REPLACE)
    assert (result.new, result.updated) == (0, 1)
    crm = companies(engine.db)
    assert [(c["name"], c["postal_city"]) for c in crm] == [("New name", "Oslo"),
                                                            ("New name", None)]
    assert crm[1]["id"] == other


def test_reimport_via_link_updates_instead_of_duplicating(engine: ImportEngine) -> None:
    actors = [customer("C1", NAME="Acme", POSTALCITY="Oslo"),
              contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="Nordmann", TITLE="CEO")]
    assert run_import(engine, actors).new == 2
    # Renamed in the ERP and in the CRM: neither name matches any more.
    changed = [customer("C1", NAME="Acme Group", POSTALCITY="Bergen"),
               contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="Nordmann-Berg", TITLE="CFO")]
    result = run_import(engine, changed, REPLACE)
    assert (result.new, result.updated) == (0, 2)
    assert [(c["name"], c["postal_city"]) for c in companies(engine.db)] == [
        ("Acme Group", "Bergen")]
    crm_persons = persons(engine.db)
    assert [(p["lastname"], p["title"], p["name_key"]) for p in crm_persons] == [
        ("Nordmann-Berg", "CFO", "ola nordmann-berg")]
    assert companies(engine.db)[0]["name_key"] == "acme group"


def test_supplier_and_customer_matching_one_company_update_it_once(
        engine: ImportEngine) -> None:
    existing = add_company(engine.db, "Acme")
    _, rows = previewed(engine, [customer("C1", NAME="Acme", POSTALCITY="Oslo"),
                                 supplier("S1", NAME="ACME", POSTALCITY="Bergen")])
    assert rows["customer", "C1"].status == "company_updated"
    assert rows["supplier", "S1"].reason == "duplicate_in_import"
    run_import(engine, [customer("C1", NAME="Acme", POSTALCITY="Oslo"),
                        supplier("S1", NAME="ACME", POSTALCITY="Bergen")])
    assert [(c["id"], c["postal_city"]) for c in companies(engine.db)] == [(existing, "Oslo")]


# -- persons -----------------------------------------------------------------------------
def test_person_match_by_name_within_the_known_company(engine: ImportEngine) -> None:
    acme = add_company(engine.db, "Acme")
    beta = add_company(engine.db, "Beta")
    run_import(engine, [customer("C1", NAME="Acme")])  # links C1 to Acme
    in_acme = add_person(engine.db, "Ola", "Nordmann", company_id=acme)
    in_beta = add_person(engine.db, "Ola", "Nordmann", company_id=beta)
    _, rows = previewed(engine, [
        contact("P1", "C1", FIRSTNAME="OLA", LASTNAME="nordmann", TITLE="CEO"),
        contact("P2", "C7", FIRSTNAME="Ola", LASTNAME="Nordmann", TITLE="CTO"),
        customer("C7", NAME="Gamma")], REPLACE)
    assert rows["person", "P1"].status == "person_updated"
    assert rows["person", "P1"].company_name == "Acme"
    # P2's company is new: no CRM person can be in it.
    assert rows["person", "P2"].status == "person_new"
    run_import(engine, [contact("P1", "C1", FIRSTNAME="OLA", LASTNAME="nordmann", TITLE="CEO")],
               REPLACE)
    titles = {p["id"]: p["title"] for p in persons(engine.db)}
    assert titles == {in_acme: "CEO", in_beta: None}


def test_person_match_by_name_without_company_matches_any(engine: ImportEngine) -> None:
    existing = add_person(engine.db, "Kari", "Berg", company_id=add_company(engine.db, "X"))
    result = run_import(engine, [contact("P1", FIRSTNAME="Kari", LASTNAME="Berg",
                                         POSITION="Buyer")], REPLACE)
    assert (result.new, result.updated) == (0, 1)
    assert [(p["id"], p["position"]) for p in persons(engine.db)] == [(existing, "Buyer")]


@pytest.mark.parametrize(("match", "crm_comms", "erp_fields"), [
    (PersonMatch.EMAIL, {"email": ["Ola@Acme.no"]}, {"EMAIL": " ola@acme.NO"}),
    (PersonMatch.MOBILE, {"mobile": ["+47 912 34 567"]}, {"PHONE_MOBILE": "0047 91234567"}),
    (PersonMatch.NUMBER, {}, {"NUMBER": "P-100"}),
])
def test_person_match_by_communication_or_number(engine: ImportEngine, match: PersonMatch,
                                                 crm_comms: dict, erp_fields: dict) -> None:
    existing = add_person(engine.db, "Ola", "Nordmann", comms=crm_comms, number="P-100")
    settings = ImportSettings(person_match=match, person_action=Action.REPLACE,
                              no_company=NoCompany.WITHOUT_COMPANY)
    result = run_import(engine, [
        contact("P1", FIRSTNAME="Someone", LASTNAME="Else", TITLE="CEO", **erp_fields),
        contact("P2", FIRSTNAME="Ola", LASTNAME="Nordmann", TITLE="Other")], settings)
    assert (result.new, result.updated) == (1, 1)
    crm = persons(engine.db)
    assert (crm[0]["id"], crm[0]["lastname"], crm[0]["title"]) == (existing, "Else", "CEO")
    assert crm[1]["lastname"] == "Nordmann" and crm[1]["title"] == "Other"


def test_person_match_by_id_only_uses_the_link(engine: ImportEngine) -> None:
    add_person(engine.db, "Ola", "Nordmann")
    settings = ImportSettings(person_match=PersonMatch.ID, person_action=Action.REPLACE)
    actors = [contact("P1", FIRSTNAME="Ola", LASTNAME="Nordmann")]
    first = run_import(engine, actors, settings)
    assert first.updated == 0 and len(persons(engine.db)) == 2
    second = run_import(engine, [contact("P1", FIRSTNAME="Ola", LASTNAME="Nordmann",
                                         TITLE="CEO")], settings)
    assert second.updated == 1
    assert [p["title"] for p in persons(engine.db)] == [None, "CEO"]


def test_person_match_none_imports_no_person(engine: ImportEngine) -> None:
    settings = ImportSettings(person_match=PersonMatch.NONE)
    _, rows = previewed(engine, [customer("C1", NAME="Acme"),
                                 contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="N")], settings)
    assert rows["person", "P1"].status == "not_imported"
    assert rows["person", "P1"].reason == PERSONS_DISABLED
    assert not rows["person", "P1"].checked
    result = run_import(engine, [customer("C1", NAME="Acme"),
                                 contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="N")], settings)
    assert (result.new, result.skipped) == (1, 1)
    assert persons(engine.db) == []

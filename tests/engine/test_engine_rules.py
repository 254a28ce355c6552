"""The "If no company name", list value, phone and URL/e-mail rules."""

from __future__ import annotations

import pytest
from engine_helpers import (
    add_company,
    add_list_item,
    add_person,
    comms_of,
    companies,
    contact,
    customer,
    list_name_of,
    persons,
    previewed,
    run_import,
)
from sqlalchemy import func, select

from erpsync.engine.api import ImportEngine
from erpsync.engine.reasons import COMPANY_FROM_PERSON, NO_COMPANY
from erpsync.engine.results import FieldChange
from erpsync.engine.schema import list_item
from erpsync.engine.settings import (
    Action,
    CommunicationRule,
    ImportSettings,
    ListValues,
    NoCompany,
)

# -- If no company name ----------------------------------------------------------------
LONELY = [contact("P1", FIRSTNAME="Kari", MIDDLENAME="M.", LASTNAME="Solo"),
          customer("C1", NAME="Acme"), contact("P2", "C1", FIRSTNAME="Ola", LASTNAME="Berg")]


def test_no_company_create_company_using_person_name(engine: ImportEngine) -> None:
    settings = ImportSettings(no_company=NoCompany.CREATE_FROM_PERSON)
    _, rows = previewed(engine, LONELY, settings)
    assert rows["person", "P1"].warnings == [COMPANY_FROM_PERSON]
    assert rows["person", "P1"].company_name == "Kari M. Solo"
    assert rows["person", "P2"].warnings == [] and rows["person", "P2"].company_name == "Acme"
    result = run_import(engine, LONELY, settings)
    assert result.new == 4  # two persons, Acme, and the company named after Kari
    crm = {c["name"]: c["id"] for c in companies(engine.db)}
    by_last = {p["lastname"]: p["company_id"] for p in persons(engine.db)}
    assert by_last == {"Solo": crm["Kari M. Solo"], "Berg": crm["Acme"]}
    members = engine.selection_members(result.new_selection_id, limit=10)
    assert {(m.crm_type, m.name) for m in members} == {
        ("company", "Acme"), ("company", "Kari M. Solo"), ("person", "Kari M. Solo"),
        ("person", "Ola Berg")}


def test_no_company_skip(engine: ImportEngine) -> None:
    settings = ImportSettings(no_company=NoCompany.SKIP)
    _, rows = previewed(engine, LONELY, settings)
    assert (rows["person", "P1"].status, rows["person", "P1"].reason) == (
        "not_imported", NO_COMPANY)
    result = run_import(engine, LONELY, settings)
    assert (result.new, result.skipped) == (2, 1)
    assert [p["lastname"] for p in persons(engine.db)] == ["Berg"]


def test_no_company_import_persons_without_company(engine: ImportEngine) -> None:
    settings = ImportSettings(no_company=NoCompany.WITHOUT_COMPANY)
    result = run_import(engine, LONELY, settings)
    assert result.new == 3
    assert [c["name"] for c in companies(engine.db)] == ["Acme"]
    by_last = {p["lastname"]: p["company_id"] for p in persons(engine.db)}
    assert by_last == {"Solo": None, "Berg": companies(engine.db)[0]["id"]}


def test_person_of_an_unchecked_company_falls_to_the_rule_at_apply(
        engine: ImportEngine) -> None:
    import_id, rows = previewed(engine, LONELY, ImportSettings(no_company=NoCompany.SKIP))
    engine.set_checked(import_id, [rows["customer", "C1"].staged_id], False)
    result = engine.apply(import_id, 1)
    assert (result.new, result.skipped) == (0, 3)
    assert persons(engine.db) == [] and companies(engine.db) == []


def test_person_of_a_skipped_company_joins_the_crm_company(engine: ImportEngine) -> None:
    acme = add_company(engine.db, "Acme")
    settings = ImportSettings(company_action=Action.SKIP, no_company=NoCompany.SKIP)
    result = run_import(engine, LONELY[1:], settings)
    assert (result.new, result.updated) == (1, 0)
    assert [(p["lastname"], p["company_id"]) for p in persons(engine.db)] == [("Berg", acme)]


def test_person_of_a_company_linked_earlier(engine: ImportEngine) -> None:
    run_import(engine, [customer("C1", NAME="Acme")])
    result = run_import(engine, [contact("P2", "C1", FIRSTNAME="Ola", LASTNAME="Berg")],
                        ImportSettings(no_company=NoCompany.SKIP))
    assert result.new == 1
    assert persons(engine.db)[0]["company_id"] == companies(engine.db)[0]["id"]


def test_existing_person_with_company_is_not_given_a_new_one(engine: ImportEngine) -> None:
    acme = add_company(engine.db, "Acme")
    add_person(engine.db, "Kari", "Solo", company_id=acme)
    result = run_import(engine, [contact("P1", FIRSTNAME="Kari", LASTNAME="Solo",
                                         TITLE="CEO")])
    assert (result.new, result.updated) == (0, 1)
    assert [c["name"] for c in companies(engine.db)] == ["Acme"]
    assert persons(engine.db)[0]["company_id"] == acme


# -- lists -------------------------------------------------------------------------------
def _list_case(engine: ImportEngine, rule: ListValues, action: Action) -> dict:
    add_list_item(engine.db, "category", "Standard", is_default=True)
    add_list_item(engine.db, "category", "VIP")
    existing = add_company(engine.db, "Acme", category_id=add_list_item(engine.db, "category",
                                                                        "Old"))
    settings = ImportSettings(list_values=rule, company_action=action)
    run_import(engine, [customer("C1", NAME="Acme", CATEGORY="Platinum"),
                        customer("C2", NAME="Beta", CATEGORY="vip"),
                        customer("C3", NAME="Gamma", CATEGORY="Platinum", BUSINESS="Retail"),
                        customer("C4", NAME="Delta")], settings)
    out = {c["name"]: (list_name_of(engine.db, c["category_id"]),
                       list_name_of(engine.db, c["business_id"]))
           for c in companies(engine.db)}
    assert companies(engine.db)[0]["id"] == existing
    return out


def test_list_values_add_new_item(engine: ImportEngine) -> None:
    assert _list_case(engine, ListValues.ADD, Action.REPLACE) == {
        "Acme": ("Platinum", None), "Beta": ("VIP", None), "Gamma": ("Platinum", "Retail"),
        "Delta": (None, None)}
    with engine.db.connect() as conn:  # one new item, however many rows use it
        assert conn.scalar(select(func.count()).select_from(list_item)
                           .where(list_item.c.name == "Platinum")) == 1


def test_list_values_ignore_use_default(engine: ImportEngine) -> None:
    assert _list_case(engine, ListValues.DEFAULT, Action.REPLACE) == {
        "Acme": ("Standard", None), "Beta": ("VIP", None), "Gamma": ("Standard", None),
        "Delta": (None, None)}


def test_list_values_ignore_set_to_blank(engine: ImportEngine) -> None:
    assert _list_case(engine, ListValues.BLANK, Action.REPLACE) == {
        "Acme": (None, None), "Beta": ("VIP", None), "Gamma": (None, None),
        "Delta": (None, None)}


def test_list_values_merge_keeps_the_crm_value(engine: ImportEngine) -> None:
    assert _list_case(engine, ListValues.ADD, Action.MERGE)["Acme"] == ("Old", None)


def test_list_item_only_added_when_used(engine: ImportEngine) -> None:
    add_company(engine.db, "Acme", category_id=add_list_item(engine.db, "category", "Old"))
    result = run_import(engine, [customer("C1", NAME="Acme", CATEGORY="Platinum",
                                          POSTALCITY="Oslo")],
                        ImportSettings(list_values=ListValues.ADD, company_action=Action.MERGE))
    assert result.updated == 1
    with engine.db.connect() as conn:  # Merge keeps "Old": "Platinum" is not needed
        assert list(conn.scalars(select(list_item.c.name))) == ["Old"]


def test_list_value_diff(engine: ImportEngine) -> None:
    add_list_item(engine.db, "category", "Standard", is_default=True)
    add_company(engine.db, "Acme", category_id=add_list_item(engine.db, "category", "Old"))
    erp = [customer("C1", NAME="Acme", CATEGORY="Platinum")]
    for rule, new in ((ListValues.ADD, "Platinum"), (ListValues.DEFAULT, "Standard"),
                      (ListValues.BLANK, None)):
        _, rows = previewed(engine, erp, ImportSettings(list_values=rule,
                                                        company_action=Action.REPLACE))
        assert rows["customer", "C1"].changes == [FieldChange("CATEGORY", "Old", new)]


# -- phone, URLs + e-mail -------------------------------------------------------------------
CRM_COMMS = {"phone": ["+47 22 00 00 00"], "email": ["post@acme.no", "info@acme.no"],
             "url": ["https://acme.no"]}
ERP_COMMS = {"PHONE": "+47 33 00 00 00", "EMAIL": "sales@acme.no", "URL": "www.acme.no/"}


@pytest.mark.parametrize(("phone", "url_email", "expected"), [
    (CommunicationRule.ADD, CommunicationRule.ADD,
     {"phone": ["+47 22 00 00 00", "+47 33 00 00 00"],
      "email": ["post@acme.no", "info@acme.no", "sales@acme.no"],
      "url": ["https://acme.no"]}),  # same URL key: not added twice
    (CommunicationRule.REPLACE, CommunicationRule.REPLACE,
     {"phone": ["+47 33 00 00 00"], "email": ["sales@acme.no"], "url": ["https://acme.no"]}),
    (CommunicationRule.IGNORE, CommunicationRule.IGNORE, CRM_COMMS),
    (CommunicationRule.REPLACE, CommunicationRule.IGNORE,
     {**CRM_COMMS, "phone": ["+47 33 00 00 00"]}),
])
def test_communication_rules_for_existing_actors(engine: ImportEngine, phone: CommunicationRule,
                                                 url_email: CommunicationRule,
                                                 expected: dict) -> None:
    acme = add_company(engine.db, "Acme", comms=CRM_COMMS)
    settings = ImportSettings(phone=phone, url_email=url_email, company_action=Action.MERGE)
    import_id, rows = previewed(engine, [customer("C1", NAME="Acme", **ERP_COMMS)], settings)
    changed = {c.field for c in rows["customer", "C1"].changes}
    engine.apply(import_id, 1)
    actual = {kind: comms_of(engine.db, "company", acme, kind) for kind in expected}
    assert actual == expected
    assert changed == {key for key, kind in (("PHONE", "phone"), ("EMAIL", "email"),
                                             ("URL", "url")) if actual[kind] != CRM_COMMS[kind]}


def test_new_actors_get_every_communication(engine: ImportEngine) -> None:
    settings = ImportSettings(phone=CommunicationRule.IGNORE,
                              url_email=CommunicationRule.IGNORE)
    run_import(engine, [customer("C1", NAME="Acme", **ERP_COMMS),
                        contact("P1", "C1", FIRSTNAME="Ola", LASTNAME="Berg",
                                EMAIL="ola@acme.no", PHONE_DIRECT="+47 1",
                                PHONE_MOBILE="+47 912 34 567")], settings)
    acme, ola = companies(engine.db)[0]["id"], persons(engine.db)[0]["id"]
    assert comms_of(engine.db, "company", acme) == ["sales@acme.no", "+47 33 00 00 00",
                                                   "www.acme.no/"]
    assert comms_of(engine.db, "person", ola, "mobile") == ["+47 912 34 567"]
    assert comms_of(engine.db, "person", ola, "phone") == ["+47 1"]
    assert comms_of(engine.db, "person", ola, "email") == ["ola@acme.no"]


def test_invalid_email_is_not_imported(engine: ImportEngine) -> None:
    run_import(engine, [customer("C1", NAME="Acme", EMAIL="post(at)acme.no", PHONE="+47 1")])
    acme = companies(engine.db)[0]["id"]
    assert comms_of(engine.db, "company", acme) == ["+47 1"]


def test_unchecked_company_and_create_rule_at_apply(engine: ImportEngine) -> None:
    import_id, rows = previewed(engine, LONELY[1:],
                                ImportSettings(no_company=NoCompany.CREATE_FROM_PERSON))
    assert rows["person", "P2"].company_name == "Acme"
    engine.set_checked(import_id, [rows["customer", "C1"].staged_id], False)
    result = engine.apply(import_id, 1)
    assert (result.new, result.skipped) == (2, 1)  # Ola and the company named after him
    assert [c["name"] for c in companies(engine.db)] == ["Ola Berg"]
    assert persons(engine.db)[0]["company_id"] == companies(engine.db)[0]["id"]

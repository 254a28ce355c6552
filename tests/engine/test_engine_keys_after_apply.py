"""After an import, every CRM match key is the key of the values the CRM holds.

Apply writes the keys of updated actors in the same set statement as their
values (a value taken from the ERP brings its staged key, a kept value keeps
its key); a person's name mixing kept and new parts is recomputed afterwards.
"""

from __future__ import annotations

import pytest
from engine_helpers import (
    add_company,
    add_person,
    companies,
    contact,
    customer,
    persons,
    run_import,
)

from erpsync.engine import normalize as nz
from erpsync.engine.api import ImportEngine
from erpsync.engine.settings import Action, CompanyMatch, ImportSettings, PersonMatch


def _assert_keys_in_step(engine: ImportEngine) -> None:
    for row in companies(engine.db):
        assert (row["name_key"], row["dept_key"], row["vat_key"]) == tuple(
            nz.company_keys(row["name"], row["department"], row["vatno"]).values()), row
    for row in persons(engine.db):
        assert row["name_key"] == nz.person_name_key(
            row["firstname"], row["middlename"], row["lastname"]), row


@pytest.mark.parametrize("action", [Action.MERGE, Action.REPLACE])
def test_company_keys_follow_the_values(engine: ImportEngine, action: Action) -> None:
    add_company(engine.db, "Acme AS", vatno="987654321", code="A1")
    add_company(engine.db, "Beta AS", department="Sales", code="B1")
    add_company(engine.db, "Gamma", code="G1")
    result = run_import(engine, [
        customer("C1", NUMBER1="A1", NAME="ACME  Holding", VATNO="NO 912 345 678 MVA",
                 DEPARTMENT="Support"),
        customer("C2", NUMBER1="B1", NAME="Beta AS", DEPARTMENT="Lager"),
        customer("C3", NUMBER1="G1", NAME="Gamma", VATNO="NL8123.45.678.B01"),
    ], ImportSettings(company_match=CompanyMatch.CODE, company_action=action))
    assert result.updated == (3 if action is Action.REPLACE else 2)  # Merge: Beta has a department
    names = {c["code"]: (c["name"], c["department"], c["vatno"]) for c in companies(engine.db)}
    if action is Action.REPLACE:
        assert names["A1"] == ("ACME  Holding", "Support", "NO 912 345 678 MVA")
    else:
        assert names["A1"] == ("Acme AS", "Support", "987654321")
    _assert_keys_in_step(engine)


@pytest.mark.parametrize("action", [Action.MERGE, Action.REPLACE])
def test_person_name_key_follows_the_name(engine: ImportEngine, action: Action) -> None:
    add_person(engine.db, "Ola", "Nordmann", number="P1")
    add_person(engine.db, "Kari", "Hansen", number="P2", middlename="van")
    add_person(engine.db, "Per", None, number="P3")
    run_import(engine, [
        contact("P1", FIRSTNAME="Ola", MIDDLENAME="de", LASTNAME="Nordmann", NUMBER="P1"),
        contact("P2", FIRSTNAME="KARI", LASTNAME="Hansen-Berg", NUMBER="P2"),
        contact("P3", FIRSTNAME="Peder", LASTNAME="Aas", NUMBER="P3"),
    ], ImportSettings(person_match=PersonMatch.NUMBER, person_action=action))
    rows = {p["number"]: p for p in persons(engine.db)}
    assert rows["P1"]["middlename"] == "de"  # merged or replaced: a mix of kept and new
    expected_p2 = ("KARI", "van", "Hansen-Berg") if action is Action.REPLACE \
        else ("Kari", "van", "Hansen")
    assert tuple(rows["P2"][c] for c in ("firstname", "middlename", "lastname")) == expected_p2
    _assert_keys_in_step(engine)

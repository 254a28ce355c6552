"""The preview's SQL condition "this update changes something" and the diffs the
preview page shows (Python) follow the same rules: for many generated CRM
states, ERP values and settings, a row is ``unchanged`` exactly when its diff
is empty."""

from __future__ import annotations

import random
from typing import Any

import pytest
from engine_helpers import CONNECTION, add_company, add_list_item, add_person, contact, customer
from sqlalchemy import select

from erpsync.connectors.base import ErpActor
from erpsync.engine.api import ImportEngine
from erpsync.engine.diff import changes_of_rows
from erpsync.engine.reasons import UNCHANGED
from erpsync.engine.schema import staged_actor as sa
from erpsync.engine.settings import (
    Action,
    CommunicationRule,
    ImportSettings,
    ListValues,
    NoCompany,
)
from erpsync.engine.states import UPDATED

TEXTS = (None, "", "Oslo", "Bergen")
PHONES = ("+47 22 00 00 00", "0047 22000000", "+47 55 00 00 00")
EMAILS = ("post@acme.no", "POST@acme.no", "sales@acme.no")
CATEGORIES = (None, "Gold", "Silver", "Bronze")  # Bronze is not in the CRM


def _pick(rnd: random.Random, values: tuple[Any, ...], empty: float = 0.3) -> list[Any]:
    """Zero, one or two values."""
    if rnd.random() < empty:
        return []
    return rnd.sample(values, rnd.choice((1, 1, 2)))


def _world(engine: ImportEngine, rnd: random.Random, size: int) -> list[ErpActor]:
    """CRM companies and persons in varied states, and one ERP actor for each."""
    gold = add_list_item(engine.db, "category", "Gold")
    add_list_item(engine.db, "category", "Silver", is_default=rnd.random() < 0.5)
    actors: list[ErpActor] = []
    for n in range(size):
        name = f"Company {n}"
        crm_phones, crm_emails = _pick(rnd, PHONES), _pick(rnd, EMAILS)
        company_id = add_company(
            engine.db, name, postal_city=rnd.choice(TEXTS), country=rnd.choice(TEXTS),
            category_id=rnd.choice((None, gold)),
            comms={"phone": crm_phones, "email": crm_emails})
        fields = {"NAME": name, "POSTALCITY": rnd.choice(TEXTS), "COUNTRY": rnd.choice(TEXTS),
                  "CATEGORY": rnd.choice(CATEGORIES)}
        if phones := _pick(rnd, PHONES, 0.4):
            fields["PHONE"] = phones[0]
        if emails := _pick(rnd, EMAILS, 0.4):
            fields["EMAIL"] = emails[0]
        actors.append(customer(f"C{n}", **{k: v for k, v in fields.items() if v is not None}))
        if rnd.random() < 0.6:  # a person, in the CRM with or without a company
            add_person(engine.db, "Kari", name, company_id=rnd.choice((None, company_id)),
                       title=rnd.choice(TEXTS), comms={"email": _pick(rnd, EMAILS)})
            person_fields = {"FIRSTNAME": "Kari", "LASTNAME": name, "TITLE": rnd.choice(TEXTS),
                             "EMAIL": rnd.choice((None, *EMAILS))}
            parent = rnd.choice((None, f"C{n}"))
            actors.append(contact(f"P{n}", parent, **{k: v for k, v in person_fields.items()
                                                      if v is not None}))
    return actors


SETTINGS = [
    ImportSettings(company_action=action, person_action=action, list_values=lists,
                   phone=phone, url_email=email, no_company=no_company)
    for action, lists, phone, email, no_company in (
        (Action.MERGE, ListValues.ADD, CommunicationRule.ADD, CommunicationRule.ADD,
         NoCompany.CREATE_FROM_PERSON),
        (Action.REPLACE, ListValues.ADD, CommunicationRule.REPLACE, CommunicationRule.ADD,
         NoCompany.WITHOUT_COMPANY),
        (Action.REPLACE, ListValues.DEFAULT, CommunicationRule.ADD, CommunicationRule.REPLACE,
         NoCompany.CREATE_FROM_PERSON),
        (Action.MERGE, ListValues.BLANK, CommunicationRule.IGNORE, CommunicationRule.REPLACE,
         NoCompany.WITHOUT_COMPANY),
        (Action.REPLACE, ListValues.BLANK, CommunicationRule.IGNORE, CommunicationRule.IGNORE,
         NoCompany.CREATE_FROM_PERSON),
        (Action.MERGE, ListValues.DEFAULT, CommunicationRule.REPLACE, CommunicationRule.REPLACE,
         NoCompany.WITHOUT_COMPANY),
    )]


@pytest.mark.parametrize("seed", [1, 2])
def test_unchanged_exactly_when_the_diff_is_empty(engine: ImportEngine, seed: int) -> None:
    rnd = random.Random(seed)
    actors = _world(engine, rnd, 40)
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, actors)
    checked = 0
    for settings in SETTINGS:
        engine.save_settings(import_id, settings)
        engine.preview(import_id)
        with engine.db.begin() as conn:
            rows = conn.execute(select(sa.c.id, sa.c.kind, sa.c.status, sa.c.reason)
                                .where(sa.c.import_id == import_id)).all()
            unchanged = [r.id for r in rows if r.reason == UNCHANGED]
            updated = [r.id for r in rows if r.status in UPDATED.values()]
            # Look at the unchanged rows as updates: their diffs must be empty.
            for row in rows:
                if row.reason == UNCHANGED:
                    conn.execute(sa.update().where(sa.c.id == row.id)
                                 .values(status=UPDATED[row.kind]))
            diffs = changes_of_rows(conn, import_id, settings, unchanged + updated)
            conn.rollback()
        assert updated, settings  # the world has updates under every setting ...
        assert not {i: diffs[i] for i in unchanged if i in diffs}, settings
        assert not [i for i in updated if i not in diffs], settings
        checked += len(unchanged) + len(updated)
    assert checked > 200

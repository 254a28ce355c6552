"""A full import from a real Tryton ERP at HTTP level, through the reference
host: Select ERP connection -> Search ERP -> Add Import -> settings ->
preview -> Import, with the CRM rows checked field by field against Tryton's
own data, a re-import that updates instead of duplicating, and no secret in
any log line or page of a full run."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from connections_helpers import post, text_of
from sqlalchemy import func, select

from erpsync.connections import ConnectionStore
from erpsync.connectors.tryton_rpc import TrytonRpc
from erpsync.engine.schema import communication, company, erp_connection, erp_link, person
from erpsync.engine.settings import ImportSettings

CITY = "Tromsø"
PARTY_FIELDS = [
    "name", "code", "active", "categories", "categories.name",
    "addresses.street", "addresses.postal_code", "addresses.city", "addresses.active",
    "addresses.sequence", "addresses.country.code",
    "contact_mechanisms.type", "contact_mechanisms.value", "contact_mechanisms.active",
    "contact_mechanisms.sequence",
    "identifiers.type", "identifiers.code",
    "relations.to", "relations.type.name",
]


# ------------------------------------------------------------------ Tryton's own data


@pytest.fixture(scope="module")
def raw(tryton_config: dict[str, str]):
    rpc = TrytonRpc(tryton_config["url"], tryton_config["database"], tryton_config["user"],
                    tryton_config["password"])
    yield rpc
    rpc.close()


def parties(raw: TrytonRpc) -> dict[int, dict[str, Any]]:
    rows = raw.model("party.party", "search_read", [], 0, None, [["id", "ASC"]],
                     PARTY_FIELDS)
    return {row["id"]: row for row in rows}


def category_names(party: dict[str, Any]) -> set[str]:
    return {c["name"] for c in party.get("categories.") or []}


def first(records: list[dict[str, Any]] | None, **wanted: Any) -> dict[str, Any] | None:
    """The first active record (by sequence, then id) with the wanted values."""
    found = [r for r in records or [] if r.get("active", True)
             and all(r.get(k) == v for k, v in wanted.items())]
    found.sort(key=lambda r: (r.get("sequence") is None, r.get("sequence") or 0, r["id"]))
    return found[0] if found else None


def compact(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def tromso_customers(all_parties: dict[int, dict[str, Any]]) -> set[int]:
    """Oracle: active customers (category Customer or below) that are not persons,
    with an active address in Tromsø."""
    result = set()
    for pid, party in all_parties.items():
        names = category_names(party)
        if "Person" in names or not names & {"Customer", "Key account"}:
            continue
        if any(a.get("active") and (a.get("city") or "").casefold() == CITY.casefold()
               for a in party.get("addresses.") or []):
            result.add(pid)
    return result


def works_for(all_parties: dict[int, dict[str, Any]], company_id: int) -> set[int]:
    return {pid for pid, p in all_parties.items() if "Person" in category_names(p)
            and any(r.get("to") == company_id and (r.get("type.") or {}).get("name")
                    == "Works for" for r in p.get("relations.") or [])}


# ------------------------------------------------------------------ the wizard


def criteria(*rows: tuple[str, str, str]) -> list[tuple[str, str]]:
    pairs = []
    for index, (field, operator, value) in enumerate(rows):
        pairs += [(f"f.{index}", field), (f"op.{index}", operator), (f"v.{index}", value)]
    return pairs


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:800])
    return response.headers["location"]


def run_import(app, admin, connection_id: int, company_rows: list[tuple[str, str, str]],
               person_keys: list[str], settings: dict[str, str]) -> int:
    """Search ERP + Add Import (all matching companies, chosen persons), then
    settings, preview and Import; returns the import id once applied."""
    select_page = admin.get("/erpsync/erp/select-connection")
    assert select_page.status_code == 200, text_of(select_page.text)[:800]
    assert re.search(rf'<option value="{connection_id}"[^>]*>[^<]*Tryton[^<]*</option>',
                     select_page.text)
    search_url = location(admin.post("/erpsync/erp/select-connection",
                                     data={"connection": connection_id, "type": "customer"}))
    assert search_url.startswith("/erpsync/erp/search")
    staged_url = location(admin.post("/erpsync/erp/add-import", data={
        "connection": connection_id, "type": "customer", "scope": "all",
        **dict(criteria(*company_rows))}))
    if person_keys:
        staged_url = location(admin.post("/erpsync/erp/add-import", data={
            "connection": connection_id, "type": "person", "scope": "selected",
            "key": person_keys}))
    import_id = int(re.search(r"/imports/(\d+)/", staged_url).group(1))
    preview_url = location(admin.post(f"/erpsync/imports/{import_id}/settings",
                                      data=settings))
    preview = admin.get(preview_url)
    assert preview.status_code == 200, text_of(preview.text)[:800]
    rows = re.findall(r'name="row" value="(\d+)"', preview.text)
    assert rows
    location(admin.post(f"/erpsync/imports/{import_id}/apply",
                        data={"row": rows, "checked": rows}))
    erpsync = app.state.erpsync
    erpsync.jobs.wait(import_id, timeout=120)
    state = erpsync.engine.get_import(import_id)
    assert state["state"] == "done", state
    return import_id


def crm_id(db, connection_id: int, actor_type: str, key: int | str) -> int:
    with db.connect() as conn:
        return conn.execute(select(erp_link.c.crm_id).where(
            erp_link.c.connection_id == connection_id, erp_link.c.actor_type == actor_type,
            erp_link.c.erp_key == str(key))).scalar_one()


def comms(db, owner_type: str, owner_id: int) -> dict[str, list[str]]:
    with db.connect() as conn:
        rows = conn.execute(select(communication.c.kind, communication.c.value).where(
            communication.c.owner_type == owner_type,
            communication.c.owner_id == owner_id).order_by(communication.c.rank)).all()
    found: dict[str, list[str]] = {}
    for kind, value in rows:
        found.setdefault(kind, []).append(value)
    return found


def check_company(db, row_id: int, party: dict[str, Any]) -> None:
    with db.connect() as conn:
        row = conn.execute(select(company).where(company.c.id == row_id)).mappings().one()
    assert row["name"] == party["name"]
    assert row["code"] == party["code"]
    identifiers = party.get("identifiers.") or []
    orgnr = next((i for i in identifiers if i["type"] in ("no_orgnr", "nl_kvk", "se_orgnr")),
                 None)
    vat = next((i for i in identifiers if str(i["type"]).endswith("_vat")), None)
    assert compact(row["number"]) == compact(orgnr["code"] if orgnr else None)
    assert compact(row["vatno"]) == compact(vat["code"] if vat else None)
    address = first(party.get("addresses."))
    assert address is not None
    assert row["postal_ad1"] == (address["street"] or "").splitlines()[0]
    assert (row["postal_zip"], row["postal_city"]) == (address["postal_code"], CITY)
    assert row["country"] == (address.get("country.") or {}).get("code")
    mechanisms = party.get("contact_mechanisms.")
    expected = {kind: [m["value"]] for kind, ttype in (("email", "email"), ("phone", "phone"),
                                                       ("url", "website"))
                if (m := first(mechanisms, type=ttype))}
    assert comms(db, "company", row_id) == expected


def check_person(db, row_id: int, party: dict[str, Any], company_row: int) -> None:
    with db.connect() as conn:
        row = conn.execute(select(person).where(person.c.id == row_id)).mappings().one()
    full = " ".join(p for p in (row["firstname"], row["middlename"], row["lastname"]) if p)
    assert full == party["name"]
    assert row["lastname"] == party["name"].split()[-1]
    assert row["number"] == party["code"]
    assert row["company_id"] == company_row  # linked to its company
    mechanisms = party.get("contact_mechanisms.")
    expected = {kind: [m["value"]] for kind, ttype in (("email", "email"),
                                                       ("mobile", "mobile"),
                                                       ("phone", "phone"))
                if (m := first(mechanisms, type=ttype))}
    assert comms(db, "person", row_id) == expected


def counts(db) -> tuple[int, int, int]:
    with db.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (company, person, erp_link))


def test_import_from_tryton_then_reimport_updates(app, admin, raw, tryton_config):
    db = app.state.db
    connection_id = ConnectionStore(db).add("Tryton ERP", "tryton", tryton_config)
    all_parties = parties(raw)
    expected_companies = tromso_customers(all_parties)
    assert len(expected_companies) >= 5
    employer = next(cid for cid in sorted(expected_companies) if works_for(all_parties, cid))
    expected_persons = works_for(all_parties, employer)

    # The search dialog finds what Tryton holds (the oracle), every match once.
    found = admin.get("/erpsync/erp/search", params=[
        ("connection", connection_id), ("type", "customer"),
        *criteria(("POSTALCITY", "=", CITY.upper())), ("run", "1")])
    assert found.status_code == 200, text_of(found.text)[:800]
    assert f"{len(expected_companies)} actors found" in text_of(found.text)
    assert {int(k) for k in re.findall(r'name="key" value="(\d+)"', found.text)} == \
        expected_companies
    people = admin.get("/erpsync/erp/search", params=[
        ("connection", connection_id), ("type", "person"),
        *criteria(("COMPANY", "=", all_parties[employer]["name"])), ("run", "1")])
    assert {int(k) for k in re.findall(r'name="key" value="(\d+)"', people.text)} == \
        expected_persons

    before = counts(db)
    run_import(app, admin, connection_id, [("POSTALCITY", "=", CITY)],
               [str(p) for p in sorted(expected_persons)], settings={})
    companies, persons, links = counts(db)
    assert companies - before[0] == len(expected_companies)
    assert persons - before[1] == len(expected_persons)
    assert links - before[2] == len(expected_companies) + len(expected_persons)

    for cid in expected_companies:
        check_company(db, crm_id(db, connection_id, "customer", cid), all_parties[cid])
    employer_row = crm_id(db, connection_id, "customer", employer)
    for pid in expected_persons:
        check_person(db, crm_id(db, connection_id, "person", pid), all_parties[pid],
                     employer_row)

    # Change the company in Tryton, import again: the linked rows are updated.
    address = first(all_parties[employer]["addresses."])
    raw.model("party.party", "write", [employer], {"name": "Renamed Fjord AS"})
    raw.model("party.address", "write", [address["id"]], {"street": "Storgata 1"})
    email = first(all_parties[employer]["contact_mechanisms."], type="email")
    if email:
        raw.model("party.contact_mechanism", "write", [email["id"]],
                  {"value": "new@renamed-fjord.no"})
    after_first = counts(db)
    settings = {**ImportSettings().to_json(), "company_action": "replace",
                "person_action": "replace", "url_email": "replace"}
    run_import(app, admin, connection_id, [("POSTALCITY", "=", CITY)],
               [str(p) for p in sorted(expected_persons)], settings=settings)
    assert counts(db) == after_first, "a re-import must not duplicate"
    updated = parties(raw)
    check_company(db, employer_row, updated[employer])
    with db.connect() as conn:
        name = conn.execute(select(company.c.name, company.c.postal_ad1)
                            .where(company.c.id == employer_row)).one()
    assert tuple(name) == ("Renamed Fjord AS", "Storgata 1")
    for pid in expected_persons:
        check_person(db, crm_id(db, connection_id, "person", pid), updated[pid],
                     employer_row)


def test_no_secret_in_the_logs_or_pages_of_a_full_run(app, admin, raw, tryton_config,
                                                       caplog):
    """Add the Tryton connection through the pages, test it, import from it:
    the password appears in no log record, no page and not in the database."""
    caplog.set_level(logging.DEBUG)
    password = tryton_config["password"]
    pages: list[str] = []
    form = {"connector": "tryton", "shown_connector": "tryton", "name": "Logged Tryton",
            **{f"cfg.{k}": v for k, v in tryton_config.items()}, "active": "1",
            "scope": "everyone", "action": "test"}
    tested = post(admin, "/settings/connections/add", form)
    pages.append(tested.text)
    assert "Connection test passed." in text_of(tested.text), text_of(tested.text)[:800]
    saved = post(admin, "/settings/connections/add", {**form, "action": "save"})
    assert saved.status_code == 303, text_of(saved.text)[:800]
    connection = ConnectionStore(app.state.db).get_by_name("Logged Tryton")
    assert connection.active and connection.config["password"] == password
    with app.state.db.connect() as conn:
        stored = str(conn.execute(select(erp_connection.c.config)
                                  .where(erp_connection.c.id == connection.id)).scalar_one())
    assert password not in stored

    pages.append(admin.get("/settings/connections").text)
    pages.append(admin.get(f"/settings/connections/{connection.id}/edit").text)
    pages.append(post(admin, f"/settings/connections/{connection.id}/test", {}).text)
    import_id = run_import(app, admin, connection.id, [("POSTALCITY", "=", "Ålesund")], [],
                           settings={})
    pages.append(admin.get(f"/erpsync/imports/{import_id}/result").text)
    # A wrong password: the failure is logged and shown, the password is not.
    bad = post(admin, "/settings/connections/add", {
        **form, "name": "Wrong Tryton", "cfg.password": "wrong-" + password})
    pages.append(bad.text)
    assert "Connection test failed." in text_of(bad.text)

    assert caplog.records, "the run should have logged something"
    assert password not in caplog.text
    for record in caplog.records:
        assert password not in record.getMessage()
        assert password not in str(record.args)
    for page in pages:
        assert password not in page

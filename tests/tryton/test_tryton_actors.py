"""Paging, actors by key, persons with their companies and incremental sync
against a real Tryton server."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tryton_helpers import all_parties, category_ids, ids_of, is_type

from erpsync.connectors.base import ActorType, ErpActor, Operator, Restriction
from erpsync.connectors.registry import connector_classes
from erpsync.connectors.tryton import TrytonConnector
from erpsync.connectors.tryton_rpc import TrytonRpc
from erpsync.plugins import get_plugin_manager


def test_registered_as_builtin_plugin() -> None:
    classes = connector_classes(get_plugin_manager(load_entry_points=False))
    assert classes["tryton"] is TrytonConnector
    keys = [f.key for f in TrytonConnector.config_fields()]
    assert keys[:4] == ["url", "database", "user", "password"]
    assert TrytonConnector.config_fields()[3].type.value == "password"


def test_test_and_actor_types(connector: TrytonConnector, tryton_server: Any) -> None:
    assert tryton_server.version() == "8.2"
    result = connector.test()
    assert result.ok, result.technical
    assert "8.2" in str(result.message)
    assert connector.actor_types() == [ActorType.CUSTOMER, ActorType.SUPPLIER,
                                       ActorType.PERSON]


def test_missing_category_hides_actor_type(tryton_config: dict[str, str]) -> None:
    with TrytonConnector({**tryton_config, "supplier_category": "Vendors"}) as conn:
        assert conn.actor_types() == [ActorType.CUSTOMER, ActorType.PERSON]
        result = conn.test()
        assert result.ok and "Vendors" in str(result.message)


def test_unknown_relation_type_means_no_companies(tryton_config: dict[str, str]) -> None:
    with TrytonConnector({**tryton_config, "company_relation": "Married to"}) as conn:
        result = conn.test()
        assert result.ok and "Married to" in str(result.message)
        persons = conn.search(ActorType.PERSON, [], 0, 50).actors
        assert persons and all(a.parent_key is None for a in persons)
        assert all(a.fields["COMPANY"] is None for a in persons)


def test_offset_paging_and_totals(connector: TrytonConnector, raw: TrytonRpc) -> None:
    cats = category_ids(raw)
    expected = sorted(p["id"] for p in all_parties(raw)
                      if p["active"] and is_type(p, "customer", cats))
    seen: list[int] = []
    offset = 0
    while True:
        page = connector.search(ActorType.CUSTOMER, [], offset=offset, limit=40)
        assert page.total == len(expected)
        assert (page.offset, page.limit) == (offset, 40)
        seen += [int(a.key) for a in page.actors]
        if len(page.actors) < 40:
            break
        offset += 40
    assert seen == expected  # ordered by id, no gaps, no duplicates
    past_end = connector.search(ActorType.CUSTOMER, [], offset=len(expected) + 5, limit=10)
    assert past_end.actors == [] and past_end.total == len(expected)
    assert [int(a.key) for a in connector.iter_search(ActorType.CUSTOMER, [], 7)] == expected


def test_company_fields(connector: TrytonConnector, raw: TrytonRpc) -> None:
    party = next(p for p in all_parties(raw) if p["name"] == "Blåbær & Ørret Handel AS")
    (actor,) = connector.get_actors(ActorType.CUSTOMER, [str(party["id"])])
    address = party["addresses."][0]
    vat = [i["code"] for i in party["identifiers."] if i["type"].endswith("_vat")]
    fields = actor.fields
    assert fields["NAME"] == "Blåbær & Ørret Handel AS"
    assert fields["NUMBER1"] == party["code"]
    assert fields["POSTALCITY"] == address["city"]
    assert fields["POSTALZIP"] == address["postal_code"]
    assert fields["POSTALAD1"] == address["street"]
    assert fields["COUNTRY"] == address["country."]["code"]
    assert fields["VATNO"] == (vat[0] if vat else None)
    assert fields["ID"] == party["id"] and fields["ACTIVE"] is True
    assert fields["CREATED"].endswith("+00:00")
    assert actor.last_modified is not None and actor.last_modified.tzinfo is not None
    assert actor.parent_key is None


def test_get_actors_by_key(connector: TrytonConnector, raw: TrytonRpc) -> None:
    cats = category_ids(raw)
    parties = all_parties(raw)
    customers = [p["id"] for p in parties if p["active"] and is_type(p, "customer", cats)]
    archived = next(p["id"] for p in parties if not p["active"]
                    and is_type(p, "customer", cats))
    person = next(p["id"] for p in parties if is_type(p, "person", cats))
    keys = [str(customers[5]), "nonsense", str(archived), "999999", str(customers[0]),
            str(person), str(customers[5])]
    actors = connector.get_actors(ActorType.CUSTOMER, keys)
    assert [a.key for a in actors] == [str(customers[5]), str(archived), str(customers[0])]
    assert actors[1].fields["ACTIVE"] is False
    assert [a.key for a in connector.get_actors(ActorType.PERSON, [str(person),
                                                                   str(customers[0])])] \
        == [str(person)]
    # Chunked: more keys than one request carries.
    many = connector.get_actors(ActorType.CUSTOMER, [str(i) for i in range(1, 500)])
    assert ids_of(many) >= set(customers)


def test_persons_with_companies(connector: TrytonConnector, raw: TrytonRpc) -> None:
    cats = category_ids(raw)
    parties = {p["id"]: p for p in all_parties(raw)}
    persons = list(connector.iter_search(ActorType.PERSON, [], page_size=100))
    assert len(persons) > 100
    with_company = [a for a in persons if a.parent_key]
    without = [a for a in persons if not a.parent_key]
    assert with_company and without
    for actor in persons:
        relations = [r for r in parties[int(actor.key)]["relations."]
                     if r["type."]["name"] == "Works for"]
        if not relations:
            assert actor.parent_type is None and actor.fields["COMPANY"] is None
            continue
        company = parties[relations[0]["to"]]
        assert actor.parent_key == str(company["id"])
        assert actor.fields["COMPANY"] == company["name"]
        wanted = (ActorType.CUSTOMER if is_type(company, "customer", cats)
                  else ActorType.SUPPLIER if is_type(company, "supplier", cats)
                  else ActorType.CUSTOMER)
        assert actor.parent_type is wanted
    # The parent can be fetched with the type and key the person gives.
    sample = with_company[0]
    assert sample.parent_type is not None and sample.parent_key is not None
    (company_actor,) = connector.get_actors(sample.parent_type, [sample.parent_key])
    assert company_actor.fields["NAME"] == sample.fields["COMPANY"]
    # Name split, Dutch particles go to the middle name.
    (jan,) = [a for a in persons if a.fields["NAME"] == "Jan van der Berg"]
    assert (jan.fields["FIRSTNAME"], jan.fields["MIDDLENAME"], jan.fields["LASTNAME"]) == \
        ("Jan", "van der", "Berg")
    (ase,) = [a for a in persons if a.fields["NAME"] == "Åse Marit Ødegård"]
    assert (ase.fields["FIRSTNAME"], ase.fields["LASTNAME"]) == ("Åse Marit", "Ødegård")


def _watermark(actors: list[ErpActor]) -> dt.datetime:
    return max(a.last_modified for a in actors if a.last_modified)


def test_changed_since_sees_child_edits_and_archiving(connector: TrytonConnector,
                                                      raw: TrytonRpc) -> None:
    cats = category_ids(raw)
    parties = all_parties(raw)
    customers = [p for p in parties if p["active"] and is_type(p, "customer", cats)
                 and p["addresses."] and p["contact_mechanisms."]]
    every = list(connector.changed_since(ActorType.CUSTOMER, dt.datetime(2000, 1, 1)))
    # Archived customers included.
    assert ids_of(every) == {p["id"] for p in parties if is_type(p, "customer", cats)}
    assert any(not p["active"] for p in parties if is_type(p, "customer", cats))
    since = _watermark(every)
    assert list(connector.changed_since(ActorType.CUSTOMER, since)) == []

    address_only, new_email, archived = customers[10], customers[20], customers[30]
    raw.model("party.address", "write", [address_only["addresses."][0]["id"]],
              {"city": "Hønefoss"})
    raw.model("party.contact_mechanism", "create",
              [{"party": new_email["id"], "type": "email", "value": "new@example.no"}])
    raw.model("party.party", "write", [archived["id"]], {"active": False})

    changed = list(connector.changed_since(ActorType.CUSTOMER, since))
    assert [int(a.key) for a in changed] == sorted(
        [address_only["id"], new_email["id"], archived["id"]])
    by_key = {int(a.key): a for a in changed}
    assert by_key[address_only["id"]].fields["POSTALCITY"] == "Hønefoss"
    assert by_key[archived["id"]].fields["ACTIVE"] is False
    assert all(a.last_modified and a.last_modified > since for a in changed)
    # The naive "write_date" query would have missed the address-only edit.
    naive = raw.model("party.party", "search",
                      [["write_date", ">", since.replace(tzinfo=None)]], 0, None, None,
                      context={"active_test": False})
    assert address_only["id"] not in naive
    # The new watermark returns nothing new; persons did not change.
    assert list(connector.changed_since(ActorType.CUSTOMER, _watermark(changed))) == []
    assert list(connector.changed_since(ActorType.PERSON, since)) == []
    # Back to active for the other tests of the session.
    raw.model("party.party", "write", [archived["id"]], {"active": True})


def test_archived_party_search_by_key_and_flag(connector: TrytonConnector) -> None:
    archived = connector.search(ActorType.PERSON,
                                [Restriction("ACTIVE", Operator.EQ, ("0",))]).actors
    assert archived and all(a.fields["ACTIVE"] is False for a in archived)
    again = connector.get_actors(ActorType.PERSON, [a.key for a in archived])
    assert [a.key for a in again] == [a.key for a in archived]

"""Searching a real Tryton server with every operator of DESIGN.md.

Expected results come from a Python oracle over the raw party data (read with
plain JSON-RPC), not from the connector's own domain translation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tryton_helpers import all_parties, category_ids, expected_text, ids_of, is_type

from erpsync.connectors.base import ActorType, ConnectorError, Operator, Restriction
from erpsync.connectors.tryton import TrytonConnector
from erpsync.connectors.tryton_rpc import TrytonRpc
from erpsync.i18n import LazyString


@pytest.fixture(scope="module")
def parties(raw: TrytonRpc) -> list[dict[str, Any]]:
    return all_parties(raw)


@pytest.fixture(scope="module")
def cats(raw: TrytonRpc) -> dict[str, int]:
    return category_ids(raw)


def search_ids(connector: TrytonConnector, actor_type: ActorType,
               *restrictions: Restriction) -> set[int]:
    """All matches through iter_search, checked against search()'s total."""
    found = ids_of(connector.iter_search(actor_type, list(restrictions), page_size=200))
    assert connector.search(actor_type, list(restrictions), 0, 1).total == len(found)
    return found


def R(key: str, op: str, *values: str) -> Restriction:
    return Restriction(key, Operator(op), tuple(values))


TEXT_CASES = [
    ("customer", "NAME", "contains", "fisk"),
    ("customer", "NAME", "begins", "fjord"),
    ("customer", "NAME", "ends", "as 12"),
    ("customer", "NAME", "=", "BLÅBÆR & ØRRET HANDEL AS"),
    ("supplier", "NAME", "isnot", "100% fisk as"),
    ("customer", "NAME", "notbegins", "fjord"),
    ("customer", "NAME", "notcontains", "a"),
    ("supplier", "NAME", "notends", "b.v. 7"),
    # LIKE wildcards in the value are literal ("1000 Bølger AS", "Data-Lab Sør AS" must not match)
    ("supplier", "NAME", "begins", "100%"),
    ("supplier", "NAME", "begins", "data_lab"),
    ("customer", "NAME", "contains", "_"),
    ("customer", "NAME", "notcontains", "%"),
    # æøå in any case (SQLite folds ASCII only; the connector sends case variants)
    ("customer", "POSTALCITY", "=", "TROMSØ"),
    ("customer", "POSTALCITY", "begins", "ål"),
    ("supplier", "POSTALCITY", "contains", "Ø"),
    ("customer", "POSTALCITY", "ends", "SJØEN"),
    ("customer", "POSTALCITY", "notcontains", "o"),
    ("supplier", "POSTALCITY", "isnot", "oslo"),
    ("customer", "POSTALZIP", "contains", "1 a"),
    ("customer", "POSTALAD1", "contains", "GATE"),
    ("customer", "COUNTRY", "=", "nl"),
    ("supplier", "COUNTRY", "=", "norway"),
    ("customer", "COUNTRY", "isnot", "NO"),
    ("customer", "EMAIL", "ends", ".NL"),
    ("customer", "EMAIL", "notbegins", "post@"),
    ("supplier", "PHONE", "begins", "+47"),
    ("customer", "URL", "contains", "www.fjord"),
    ("customer", "NUMBER1", "=", "12"),
    ("person", "NAME", "contains", "VAN DER"),
    ("person", "NAME", "begins", "åse"),
    ("person", "EMAIL", "ends", "@example.com"),
    ("person", "PHONE_MOBILE", "begins", "+31 6"),
    ("person", "PHONE_DIRECT", "notcontains", "+47"),
    ("person", "COMPANY", "contains", "fjord"),
    ("person", "COMPANY", "notcontains", "as"),
    ("person", "POSTALCITY", "isnot", "OSLO"),
]


@pytest.mark.parametrize(("actor_type", "key", "op", "value"), TEXT_CASES)
def test_text_operators(connector: TrytonConnector, parties: list[dict[str, Any]],
                        cats: dict[str, int], actor_type: str, key: str, op: str,
                        value: str) -> None:
    expected = expected_text(parties, actor_type, cats, key, op, value)
    assert search_ids(connector, ActorType(actor_type), R(key, op, value)) == expected


def test_text_cases_are_not_trivial(parties: list[dict[str, Any]],
                                    cats: dict[str, int]) -> None:
    """Guard the table above: the escaping and æøå cases match a few parties,
    not none or all of them."""
    for actor_type, key, op, value in TEXT_CASES:
        if op in ("begins", "=") and key in ("NAME", "POSTALCITY"):
            found = expected_text(parties, actor_type, cats, key, op, value)
            everyone = {p["id"] for p in parties if p["active"]
                        and is_type(p, actor_type, cats)}
            assert found and found != everyone, (key, op, value)


def test_text_between_is_inclusive_and_swaps_bounds(
        connector: TrytonConnector, parties: list[dict[str, Any]],
        cats: dict[str, int]) -> None:
    expected = {p["id"] for p in parties if p["active"] and is_type(p, "customer", cats)
                and "B" <= p["name"] <= "D"}
    assert expected
    assert search_ids(connector, ActorType.CUSTOMER, R("NAME", "between", "B", "D")) == expected
    assert search_ids(connector, ActorType.CUSTOMER, R("NAME", "between", "D", "B")) == expected


def test_identifiers_match_formatted_and_compact(connector: TrytonConnector,
                                                 parties: list[dict[str, Any]]) -> None:
    nl_vat = next(i for p in parties for i in p["identifiers."] if i["type"] == "nl_vat")
    no_org = next(i for p in parties for i in p["identifiers."] if i["type"] == "no_orgnr")
    owner_vat = {p["id"] for p in parties
                 if any(i["code"] == nl_vat["code"] for i in p["identifiers."])}
    owner_org = {p["id"] for p in parties
                 if any(i["code"] == no_org["code"] for i in p["identifiers."])}
    spaced = " ".join([nl_vat["code"][:2], nl_vat["code"][2:7], nl_vat["code"][7:]]).lower()
    for typed in (nl_vat["code"], spaced, nl_vat["code_compact"]):
        found = set()
        for actor_type in (ActorType.CUSTOMER, ActorType.SUPPLIER):
            found |= ids_of(connector.search(actor_type, [R("VATNO", "=", typed)]).actors)
        assert found == owner_vat, typed
    for typed in (no_org["code"], no_org["code_compact"]):
        found = set()
        for actor_type in (ActorType.CUSTOMER, ActorType.SUPPLIER):
            found |= ids_of(connector.search(actor_type, [R("NUMBER2", "=", typed)]).actors)
        assert found == owner_org, typed
    # An organisation number is not a VAT number.
    assert not connector.search(ActorType.CUSTOMER, [R("VATNO", "=", no_org["code"])]).total


@pytest.mark.parametrize(("op", "values", "check"), [
    ("=", ("12",), lambda i: i == 12),
    ("!=", ("12",), lambda i: i != 12),
    (">", ("200",), lambda i: i > 200),
    ("<", ("30",), lambda i: i < 30),
    (">=", ("230",), lambda i: i >= 230),
    ("<=", ("9",), lambda i: i <= 9),
    ("between", ("40", "20"), lambda i: 20 <= i <= 40),
])
def test_number_operators(connector: TrytonConnector, parties: list[dict[str, Any]],
                          cats: dict[str, int], op: str, values: tuple[str, ...],
                          check: Any) -> None:
    expected = {p["id"] for p in parties if p["active"] and is_type(p, "customer", cats)
                and check(p["id"])}
    assert search_ids(connector, ActorType.CUSTOMER, R("ID", op, *values)) == expected


def test_datetime_operators(connector: TrytonConnector, parties: list[dict[str, Any]],
                            cats: dict[str, int]) -> None:
    customers = [p for p in parties if p["active"] and is_type(p, "customer", cats)]
    created = sorted({p["create_date"] for p in customers})
    day = created[0].date()
    # A moment between two creation batches splits the customers in two.
    pivot = created[len(created) // 2]

    def expect(check: Any) -> set[int]:
        return {p["id"] for p in customers if check(p["create_date"])}

    iso = pivot.isoformat()  # naive: UTC, as the server runs with TZ=UTC
    cases = [
        (R("CREATED", "=", day.isoformat()), expect(lambda c: c.date() == day)),
        (R("CREATED", "before", day.isoformat()), expect(lambda c: c.date() < day)),
        (R("CREATED", "after", day.isoformat()), expect(lambda c: c.date() > day)),
        (R("CREATED", "beforeOrEqual", day.isoformat()), expect(lambda c: c.date() <= day)),
        (R("CREATED", "afterOrEqual", day.isoformat()), expect(lambda c: c.date() >= day)),
        (R("CREATED", "before", iso), expect(lambda c: c < pivot)),
        (R("CREATED", "after", iso), expect(lambda c: c > pivot)),
        (R("CREATED", "=", iso), expect(lambda c: c == pivot)),
        (R("CREATED", "afterOrEqual", iso + "+00:00"), expect(lambda c: c >= pivot)),
        (R("CREATED", "between", (day + dt.timedelta(days=1)).isoformat(), day.isoformat()),
         expect(lambda c: c.date() == day)),
        (R("UPDATED", "between", created[0].isoformat(), iso),
         {p["id"] for p in customers if created[0] <= p["last_modified_at"] <= pivot}),
    ]
    assert expect(lambda c: c < pivot) and expect(lambda c: c >= pivot)
    for restriction, expected in cases:
        assert search_ids(connector, ActorType.CUSTOMER, restriction) == expected, restriction


def test_checkbox_finds_archived(connector: TrytonConnector, parties: list[dict[str, Any]],
                                 cats: dict[str, int]) -> None:
    archived = {p["id"] for p in parties if not p["active"] and is_type(p, "supplier", cats)}
    active = {p["id"] for p in parties if p["active"] and is_type(p, "supplier", cats)}
    assert archived
    assert search_ids(connector, ActorType.SUPPLIER, R("ACTIVE", "=", "no")) == archived
    assert search_ids(connector, ActorType.SUPPLIER, R("ACTIVE", "=", "yes")) == active
    assert search_ids(connector, ActorType.SUPPLIER) == active


def test_list_operators(connector: TrytonConnector, parties: list[dict[str, Any]],
                        cats: dict[str, int]) -> None:
    wanted = {cats["Retail"], cats["Shipping"]}
    customers = [p for p in parties if p["active"] and is_type(p, "customer", cats)]
    inside = {p["id"] for p in customers if wanted & set(p["categories"])}
    assert inside and len(inside) < len(customers)
    assert search_ids(connector, ActorType.CUSTOMER,
                      R("CATEGORY", "oneof", "Retail", "Shipping")) == inside
    assert search_ids(connector, ActorType.CUSTOMER,
                      R("CATEGORY", "notoneof", "Retail", "Shipping")) == \
        {p["id"] for p in customers} - inside
    items = {item.key for item in connector.list_items("category")}
    assert {"Retail", "Shipping", "Key account"} <= items
    assert not items & {"Customer", "Supplier", "Person", "Organisation"}


def test_criteria_are_anded(connector: TrytonConnector, parties: list[dict[str, Any]],
                            cats: dict[str, int]) -> None:
    by_city = expected_text(parties, "customer", cats, "POSTALCITY", "=", "oslo")
    by_mail = expected_text(parties, "customer", cats, "EMAIL", "ends", ".no")
    pivot = sorted(by_city)[len(by_city) // 2]
    expected = {i for i in by_city & by_mail if i > pivot}
    assert expected and expected != by_city
    found = search_ids(connector, ActorType.CUSTOMER, R("POSTALCITY", "=", "oslo"),
                       R("EMAIL", "ends", ".no"), R("ID", ">", str(pivot)))
    assert found == expected


@pytest.mark.parametrize(("restriction", "fragment"), [
    (Restriction("NOPE", Operator.EQ, ("x",)), "NOPE"),
    (Restriction("NAME", Operator.GT, ("x",)), "NAME"),
    (Restriction("ID", Operator.EQ, ("abc",)), "ID"),
    (Restriction("ID", Operator.EQ, ("1.5",)), "ID"),
    (Restriction("CREATED", Operator.AFTER, ("yesterday",)), "CREATED"),
    (Restriction("NAME", Operator.BETWEEN, ("a",)), "NAME"),
    (Restriction("FIRSTNAME", Operator.EQ, ("Kari",)), "FIRSTNAME"),  # not searchable
])
def test_bad_criteria_are_localized_errors(connector: TrytonConnector,
                                           restriction: Restriction, fragment: str) -> None:
    actor_type = ActorType.PERSON if restriction.field == "FIRSTNAME" else ActorType.CUSTOMER
    with pytest.raises(ConnectorError) as info:
        connector.search(actor_type, [restriction])
    assert isinstance(info.value.user_message, LazyString)
    assert str(info.value.user_message)
    assert fragment in info.value.technical


def test_searchable_fields_have_types(connector: TrytonConnector) -> None:
    fields = {f.key: f for f in connector.searchable_fields(ActorType.CUSTOMER)}
    assert {"NAME", "NUMBER1", "NUMBER2", "VATNO", "PHONE", "EMAIL", "URL", "POSTALAD1",
            "POSTALZIP", "POSTALCITY", "COUNTRY", "CATEGORY", "ID", "CREATED",
            "UPDATED", "ACTIVE"} <= set(fields)
    assert fields["ID"].type.value == "integer"
    assert fields["CREATED"].type.value == "datetime"
    assert fields["CATEGORY"].type.value == "list"
    assert fields["ACTIVE"].type.value == "checkbox"
    person = {f.key for f in connector.searchable_fields(ActorType.PERSON)}
    assert {"NAME", "EMAIL", "PHONE_DIRECT", "PHONE_MOBILE", "COMPANY"} <= person
    assert "FIRSTNAME" not in person
    assert "FIRSTNAME" in {f.key for f in connector.fields(ActorType.PERSON)}

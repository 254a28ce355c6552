"""Domain translation and name splitting of the Tryton connector (no server)."""

from __future__ import annotations

import datetime as dt

import pytest

from erpsync.connectors.base import ConnectorError, FieldMeta, FieldType, Operator, Restriction
from erpsync.connectors.tryton_domain import (
    Target,
    case_variants,
    compact_variants,
    escape_like,
    like_pattern,
    translate,
)
from erpsync.connectors.tryton_fields import split_person_name

NAME = (FieldMeta("NAME", "Name"), Target(("name",)))
CITY = (FieldMeta("CITY", "City"), Target(("city",), relation="addresses"))
EMAIL = (FieldMeta("EMAIL", "Email"),
         Target(("value",), relation="contact_mechanisms", where=(("type", "=", "email"),)))
ID = (FieldMeta("ID", "Id", FieldType.INTEGER), Target(("id",)))
WHEN = (FieldMeta("WHEN", "When", FieldType.DATETIME), Target(("last_modified_at",)))
ACTIVE = (FieldMeta("ACTIVE", "Active", FieldType.CHECKBOX), Target(("active",)))
CATEGORY = (FieldMeta("CATEGORY", "Category", FieldType.LIST, list_name="category"),
            Target(("name",), relation="categories"))
FIELDS = [NAME, CITY, EMAIL, ID, WHEN, ACTIVE, CATEGORY]


def domain(key: str, op: str, *values: str, tz: str = "UTC") -> list:
    return translate(FIELDS, [Restriction(key, Operator(op), values)], tz).domain


def test_like_escaping() -> None:
    assert escape_like(r"100%_a\b") == r"100\%\_a\\b"
    assert like_pattern(Operator.BEGINS, "50%") == r"50\%%"
    assert like_pattern(Operator.CONTAINS, "a_b") == r"%a\_b%"
    assert like_pattern(Operator.ENDS, "x") == "%x"
    assert like_pattern(Operator.EQ, "x%") == r"x\%"


def test_case_variants_only_for_non_ascii_letters() -> None:
    assert case_variants("Oslo") == ["Oslo"]
    assert case_variants("123 ÷") == ["123 ÷"]
    assert case_variants("TROMSØ") == ["TROMSØ", "tromsø", "Tromsø"]
    assert compact_variants("nl 285.238-577 b24") == ["NL285238577B24", "285238577B24"]
    assert compact_variants("NL2852", Operator.CONTAINS) == ["NL2852"]


def test_text_operators_on_party_and_related_records() -> None:
    assert domain("NAME", "begins", "Fjord") == [["name", "ilike", "Fjord%"]]
    assert domain("NAME", "isnot", "a_b") == [["name", "not ilike", r"a\_b"]]
    assert domain("NAME", "notcontains", "Ø") == [[["name", "not ilike", "%Ø%"],
                                                   ["name", "not ilike", "%ø%"]]]
    assert domain("CITY", "contains", "oslo") == [
        ["addresses", "where", [["city", "ilike", "%oslo%"]]]]
    assert domain("EMAIL", "notends", ".nl") == [
        ["contact_mechanisms", "not where", [["type", "=", "email"],
                                             ["value", "ilike", "%.nl"]]]]
    assert domain("NAME", "between", "d", "B") == [[["name", ">=", "B"], ["name", "<=", "d"]]]


def test_numbers_dates_checkbox_lists() -> None:
    assert domain("ID", "between", "9", "3") == [[["id", ">=", 3], ["id", "<=", 9]]]
    assert domain("ID", "!=", "7") == [["id", "!=", 7]]
    day_start = dt.datetime(2026, 3, 14)
    assert domain("WHEN", "=", "2026-03-14") == [[["last_modified_at", ">=", day_start],
                                                  ["last_modified_at", "<", dt.datetime(
                                                      2026, 3, 15)]]]
    assert domain("WHEN", "after", "2026-03-14") == [
        ["last_modified_at", ">=", dt.datetime(2026, 3, 15)]]
    # Instants are converted to the server's local time (Oslo is UTC+1 in March).
    assert domain("WHEN", "before", "2026-03-14T10:00", tz="Europe/Oslo") == [
        ["last_modified_at", "<", dt.datetime(2026, 3, 14, 11, 0)]]
    result = translate(FIELDS, [Restriction("ACTIVE", Operator.EQ, ("no",))])
    assert result.domain == [["active", "=", False]] and result.include_inactive
    assert domain("CATEGORY", "notoneof", "Retail", "Shipping") == [
        ["categories", "not where", [["name", "in", ["Retail", "Shipping"]]]]]


@pytest.mark.parametrize("restriction", [
    Restriction("NOPE", Operator.EQ, ("x",)),
    Restriction("NAME", Operator.LT, ("x",)),
    Restriction("ID", Operator.EQ, ("1.5",)),
    Restriction("WHEN", Operator.EQ, ("soon",)),
    Restriction("CATEGORY", Operator.ONEOF, ()),
])
def test_bad_criteria(restriction: Restriction) -> None:
    with pytest.raises(ConnectorError):
        translate(FIELDS, [restriction])


@pytest.mark.parametrize(("name", "parts"), [
    ("Kari Nordmann", ("Kari", "", "Nordmann")),
    ("Jan van der Berg", ("Jan", "van der", "Berg")),
    ("Lotte van 't Hof", ("Lotte", "van 't", "Hof")),
    ("Åse  Marit   Ødegård", ("Åse Marit", "", "Ødegård")),
    ("Berg, Jan van der", ("Jan", "van der", "Berg")),
    ("Nordmann, Kari", ("Kari", "", "Nordmann")),
    ("Cher", ("", "", "Cher")),
    ("van Dijk", ("van", "", "Dijk")),
    ("", ("", "", "")),
])
def test_split_person_name(name: str, parts: tuple[str, str, str]) -> None:
    assert split_person_name(name) == parts

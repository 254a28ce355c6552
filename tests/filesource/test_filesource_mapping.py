"""Column mappings: suggestions, checks against the import settings, row keys."""

from __future__ import annotations

import pytest

from erpsync.connectors.base import ActorType
from erpsync.engine import fieldmap
from erpsync.engine.settings import CompanyMatch, ImportSettings, PersonMatch
from erpsync.filesource import fields, mapping, synonyms
from erpsync.filesource.errors import FileSourceError
from erpsync.filesource.mapping import ColumnMapping, RowConverter

CUSTOMER, PERSON = ActorType.CUSTOMER, ActorType.PERSON


def test_targets_are_the_engines_field_keys() -> None:
    """Every field the engine imports can be chosen, and nothing it would ignore
    (but the key and a person's company, which the File source handles)."""
    company = set(fieldmap.COMPANY_FIELDS) | set(fieldmap.COMPANY_COMMS) | {
        f.key for f in fieldmap.LIST_FIELDS}
    person = set(fieldmap.PERSON_FIELDS) | set(fieldmap.PERSON_COMMS)
    assert set(fields.targets(CUSTOMER)) == company | {"ERPKEY"}
    assert set(fields.targets(PERSON)) == person | {"ERPKEY", "COMPANY"}


@pytest.mark.parametrize(("header", "actor_type", "expected"), [
    # Field keys map themselves, in any case.
    (["NAME", "postalzip", "Vatno", "ERPKEY"], CUSTOMER,
     ["NAME", "POSTALZIP", "VATNO", "ERPKEY"]),
    # Dutch.
    (["Bedrijfsnaam", "Postcode", "Plaats", "Klantnummer", "BTW-nummer", "E-mailadres"],
     CUSTOMER, ["NAME", "POSTALZIP", "POSTALCITY", "NUMBER2", "VATNO", "EMAIL"]),
    # Norwegian.
    (["Firmanavn", "Postnummer", "Sted", "Org.nr", "Telefon", "Nettsted"], CUSTOMER,
     ["NAME", "POSTALZIP", "POSTALCITY", "VATNO", "PHONE", "URL"]),
    # English, with spaces and punctuation that do not count.
    (["Company name", "Zip code", "City", "Web site", "e-mail address"], CUSTOMER,
     ["NAME", "POSTALZIP", "POSTALCITY", "URL", "EMAIL"]),
    # Persons: the same word can mean another field.
    (["Voornaam", "Achternaam", "Bedrijf", "Telefoon", "Mobiel", "Functie"], PERSON,
     ["FIRSTNAME", "LASTNAME", "COMPANY", "PHONE_DIRECT", "PHONE_MOBILE", "POSITION"]),
    (["Fornavn", "Etternavn", "Firmanavn", "Mobil", "Stilling", "Poststed"], PERSON,
     ["FIRSTNAME", "LASTNAME", "COMPANY", "PHONE_MOBILE", "POSITION", "POSTALCITY"]),
    # Unknown columns stay unmapped.
    (["Naam", "Schoenmaat", ""], CUSTOMER, ["NAME", None, None]),
])
def test_suggestions_by_key_and_known_names(header, actor_type, expected) -> None:
    assert synonyms.suggest(header, actor_type, fuzzy=False) == expected


def test_close_spellings_are_suggested_in_the_dialog_only() -> None:
    header = ["Telefoonnumer", "Bedrijfsnam", "Postnumer"]
    assert synonyms.suggest(header, CUSTOMER) == ["PHONE", "NAME", "POSTALZIP"]
    assert synonyms.suggest(header, CUSTOMER, fuzzy=False) == [None, None, None]


def test_a_field_is_suggested_for_one_column_only() -> None:
    # The exact key wins over a known name; the second "Name" gets nothing.
    assert synonyms.suggest(["Firmanaam", "NAME", "Name"], CUSTOMER) == [None, "NAME", None]


def test_normalize() -> None:
    assert synonyms.normalize(" E-mail adres ") == "emailadres"
    assert synonyms.normalize("Leverandør-nummer") == "leverandornummer"
    assert synonyms.normalize("Straße") == "strasse"


# ------------------------------------------------------------------ checks


def problems(header, chosen, actor_type=CUSTOMER, **settings) -> list[str]:
    return mapping.check(ColumnMapping(header, chosen), actor_type,
                         ImportSettings(**settings))


def test_a_complete_mapping_has_no_problems() -> None:
    assert problems(["A", "B"], ["NAME", None]) == []
    assert problems(["A", "B"], [None, "LASTNAME"], PERSON) == []


def test_the_name_is_required() -> None:
    assert problems(["A"], ["POSTALCITY"]) == [
        "Choose a column for Name: a company without a name is not imported."]
    assert problems(["A"], ["EMAIL"], PERSON) == [
        "Choose a column for First name or Last name: a person without a name is not "
        "imported."]


@pytest.mark.parametrize(("actor_type", "settings", "needed"), [
    (CUSTOMER, {"company_match": CompanyMatch.NUMBER}, "Number"),
    (CUSTOMER, {"company_match": CompanyMatch.CODE}, "Code"),
    (CUSTOMER, {"company_match": CompanyMatch.VATNO}, "VAT number"),
    (CUSTOMER, {"company_match": CompanyMatch.NAME_DEPARTMENT}, "Department"),
    (PERSON, {"person_match": PersonMatch.EMAIL}, "Email address"),
    (PERSON, {"person_match": PersonMatch.MOBILE}, "Mobile phone"),
    (PERSON, {"person_match": PersonMatch.NUMBER}, "Number"),
])
def test_the_duplicate_match_needs_its_field(actor_type, settings, needed) -> None:
    name = "NAME" if actor_type.is_company else "LASTNAME"
    found = problems(["A", "B"], [name, "POSTALCITY"], actor_type, **settings)
    assert found == [f"Choose a column for {needed}: the duplicate match is "
                     f"{_option(actor_type, settings)}."]


def _option(actor_type, settings) -> str:
    from erpsync.engine.settings import option_label

    return str(option_label(next(iter(settings.values()))))


def test_matches_without_a_field_of_their_own_need_only_the_name() -> None:
    assert problems(["A"], ["NAME"], company_match=CompanyMatch.ID) == []
    assert problems(["A"], ["LASTNAME"], PERSON, person_match=PersonMatch.NONE) == []


def test_a_field_chosen_twice_and_unknown_fields() -> None:
    assert problems(["A", "B", "C"], ["NAME", "EMAIL", "EMAIL"]) == [
        "Email address is chosen for more than one column (B, C). Choose it for one "
        "column only."]
    assert problems(["A", "B"], ["NAME", "FIRSTNAME"]) == [
        "FIRSTNAME cannot be imported into Customers."]
    assert problems(["A"], [None]) == ["Choose a CRM field for at least one column."]
    assert problems(["A"], ["ERPKEY"]) == ["Choose a CRM field for at least one column."]


def test_required_fields_follow_the_settings() -> None:
    labels = [r.label() for r in fields.requirements(
        CUSTOMER, ImportSettings(company_match=CompanyMatch.VATNO))]
    assert labels == ["Name", "VAT number"]


# ------------------------------------------------------------------ saved pairs, keys


def test_a_saved_mapping_applies_by_column_name() -> None:
    pairs = [["Naam", "NAME"], ["Plaats", "POSTALCITY"], ["Tel", "PHONE"], ["Tel", "URL"],
             ["Voornaam", "FIRSTNAME"]]
    header = ["plaats ", "Extra", "NAAM", "Tel", "Tel", "Voornaam"]
    assert mapping.from_pairs(header, pairs, CUSTOMER) == [
        "POSTALCITY", None, "NAME", "PHONE", "URL", None]  # FIRSTNAME: not a company field


def test_headers_hash_ignores_case_and_spaces_only() -> None:
    assert mapping.headers_hash(["Naam", "Plaats"]) == mapping.headers_hash([" naam", "PLAATS"])
    assert mapping.headers_hash(["Naam", "Plaats"]) != mapping.headers_hash(["Plaats", "Naam"])


def test_row_keys_without_a_key_column_are_file_and_row() -> None:
    source = mapping.source_id("ab" * 32)
    converter = RowConverter(ColumnMapping(["Naam", "Plaats"], ["NAME", "POSTALCITY"]),
                             CUSTOMER, source, "f.csv")
    actor = converter.actor(7, ["Acme", None])
    assert (actor.key, actor.fields) == (f"{source}:7", {"NAME": "Acme"})
    assert mapping.source_id("ab" * 32) == source != mapping.source_id("ab" * 32, "Blad2")


def test_row_keys_from_a_key_column_are_checked() -> None:
    converter = RowConverter(ColumnMapping(["Id", "Naam"], ["ERPKEY", "NAME"]), CUSTOMER,
                             "src", "f.csv")
    assert converter.actor(2, [1001.0, "Acme"]).key == "1001"  # Excel numbers stay whole
    with pytest.raises(FileSourceError) as caught:
        converter.check(5, [None, "Beta"])
    assert str(caught.value.user_message) == (
        "Row 5 of f.csv has no value in the key column Id. Fill it in, or import without "
        "a key column.")
    with pytest.raises(FileSourceError):
        converter.check(6, ["x" * 201, "Gamma"])


def test_a_persons_company_becomes_its_parent() -> None:
    converter = RowConverter(ColumnMapping(["Voornaam", "Bedrijf"], ["FIRSTNAME", "COMPANY"]),
                             PERSON, "src", "f.csv")
    actor = converter.actor(2, ["Jan", "  Acme   BV "])
    assert (actor.parent_type, actor.parent_key) == (ActorType.CUSTOMER, "~Acme BV")
    assert mapping.company_name_of(actor.parent_key) == "Acme BV"
    assert converter.actor(3, ["Piet", None]).parent_key is None

"""Match keys: the same normalisation on the CRM side and the staged side."""

from __future__ import annotations

import pytest

from erpsync.engine import normalize as nz
from erpsync.engine.fieldmap import COMPANY_FIELDS, PERSON_FIELDS
from erpsync.engine.schema import company, person


def test_name_key_casefolds_and_collapses_whitespace() -> None:
    assert nz.name_key("  ACME \t  Holding  AS ") == "acme holding as"
    assert nz.name_key("Straße") == nz.name_key("STRASSE")
    assert nz.name_key("   ") is None
    assert nz.name_key(None) is None


@pytest.mark.parametrize("raw", ["NO 987 654 321 MVA", "987.654.321", "987-654-321",
                                 "no987654321mva", "987654321"])
def test_vat_key_norwegian_forms_are_equal(raw: str) -> None:
    assert nz.vat_key(raw) == "987654321"


def test_vat_key_keeps_other_suffixes() -> None:
    assert nz.vat_key("NL8123.45.678.B01") == "812345678B01"
    assert nz.vat_key("8123 45 678 B01") == "812345678B01"


def test_phone_key_plus_is_double_zero() -> None:
    assert nz.phone_key("+47 912 34 567") == nz.phone_key("0047 91234567") == "004791234567"
    assert nz.phone_key("912 34 567") == "91234567"
    assert nz.phone_key("n/a") is None


@pytest.mark.parametrize(("value", "valid"), [
    ("ola@acme.no", True), ("Ola.Nordmann@sub.acme.no", True), ("ola@acme", False),
    ("ola@@acme.no", False), ("@acme.no", False), ("ola acme@x.no", False), ("", False),
    ("ola@acme.", False),
])
def test_email_validation(value: str, valid: bool) -> None:
    assert nz.is_valid_email(value) is valid


def test_email_and_url_keys() -> None:
    assert nz.email_key("  Ola@ACME.no ") == "ola@acme.no"
    assert nz.url_key("https://www.Acme.no/") == nz.url_key("acme.no") == "acme.no"


def test_person_name_key_needs_first_or_last_name() -> None:
    assert nz.person_name_key("Ola", None, "Nordmann") == "ola nordmann"
    assert nz.person_name_key(None, "Jr", None) is None
    assert nz.person_name("Ola", " ", "Nordmann") == "Ola Nordmann"


def test_field_map_targets_existing_columns() -> None:
    assert set(COMPANY_FIELDS.values()) <= set(company.c.keys())
    assert set(PERSON_FIELDS.values()) <= set(person.c.keys())

"""Locale normalisation and negotiation, and localize() of connector names."""

from __future__ import annotations

import pytest

from erpsync import i18n


@pytest.mark.parametrize(("code", "expected"), [
    ("nb", "no"), ("nn", "no"), ("nb_NO", "no"), ("nb-NO", "no"), ("no_NO", "no"),
    ("no", "no"), ("NO", "no"), ("nb_NO.UTF-8", "no"),
    ("nl", "nl"), ("nl_BE", "nl"), ("nl-NL", "nl"),
    ("en", "en"), ("en_US", "en"),
    ("de", None), ("xx", None), ("", None), (None, None),
])
def test_normalize_locale(code, expected):
    assert i18n.normalize_locale(code) == expected


@pytest.mark.parametrize("code", ["de", "xx", "", None])
def test_unsupported_locales_negotiate_to_english(code):
    assert i18n.negotiate_locale(code) == "en"


@pytest.mark.parametrize(("header", "expected"), [
    ("de-DE,nb;q=0.8", "no"),
    ("fr,nl-BE;q=0.5", "nl"),
    ("*", "en"),
    ("nl;q=0.2,no_NO;q=0.9", "no"),      # by quality, not by order
    ("nl;q=0, nb", "no"),                # q=0 means "not this one"
    ("de, fr;q=0.5", "en"),
    ("", "en"),
])
def test_negotiate_locale_from_accept_language(header, expected):
    assert i18n.negotiate_locale(accept_language=header) == expected


def test_negotiate_locale_prefers_explicit_candidates_and_honours_default():
    assert i18n.negotiate_locale(None, "nb_NO", accept_language="nl") == "no"
    assert i18n.negotiate_locale("de", accept_language="nl-BE") == "nl"
    assert i18n.negotiate_locale(accept_language="*", default="nl") == "nl"
    assert i18n.negotiate_locale(accept_language="*", default="nb") == "no"


def test_babel_locale_of_norwegian_is_bokmal():
    assert str(i18n.babel_locale("no")) == "nb"
    assert str(i18n.babel_locale("nl")) == "nl"


def test_localize_dicts():
    names = {"en": "Customer", "nl": "Klant", "nb": "Kunde"}
    assert i18n.localize(names, "nl") == "Klant"
    assert i18n.localize(names, "no") == "Kunde"          # nb key reaches no
    assert i18n.localize({"en": "Customer", "nl": "Klant"}, "no") == "Customer"
    assert i18n.localize({"de": "Kunde"}, "nl") == "Kunde"  # last resort: any value


def test_localize_multi_language_strings():
    value = 'US:"Name";NO:"Navn"'
    assert i18n.localize(value, "no") == "Navn"
    assert i18n.localize(value, "en") == "Name"
    assert i18n.localize(value, "nl") == "Name"            # US is English, the fallback
    assert i18n.localize('NL:"Naam";GB:"Name";', "nl") == "Naam"
    assert i18n.localize('NO:"Navn"', "nl") == "Navn"


def test_localize_plain_values():
    assert i18n.localize(None) == ""
    assert i18n.localize("Plain name", "nl") == "Plain name"
    assert i18n.localize("Ratio: 5:1", "nl") == "Ratio: 5:1"
    with i18n.use_locale("nl"):
        assert i18n.localize({"en": "Customer", "nl": "Klant"}) == "Klant"

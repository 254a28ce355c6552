"""The shipped Dutch and Norwegian catalogs: the help pages' words (DESIGN.md
"Terms", docs/translating.md "Glossary"), plural forms, capitalisation, and
numbers formatted per locale by the templates' ``number`` filter.

These read the real catalogs under locales/ (the tooling tests use temporary
checkouts instead)."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from erpsync import i18n
from erpsync.paths import LOCALES_DIR
from erpsync.rendering import Renderer

NBSP = "\N{NO-BREAK SPACE}"

#: (msgctxt, msgid) -> (nl, no): the mandatory terms of the glossary.
GLOSSARY: dict[tuple[str | None, str], tuple[str, str]] = {
    (None, "Settings and maintenance"): ("Instellingen en onderhoud",
                                         "Innstillinger og vedlikehold"),
    ("screen", "Import"): ("Import", "Importer"),
    (None, "Select an import source"): ("Een importbron selecteren", "Velg en importkilde"),
    ("import source", "ERP Sync"): ("ERP synchroniseren", "ERP Sync"),
    (None, "Select ERP connection"): ("ERP-verbinding selecteren", "Velg ERP-kobling"),
    (None, "ERP connection"): ("ERP-verbinding", "ERP-kobling"),
    (None, "Actor type"): ("Actor-type", "Aktørtype"),
    ("actor type", "Customers"): ("Klanten", "Kunder"),
    ("actor type", "Suppliers"): ("Leveranciers", "Leverandører"),
    ("actor type", "Persons"): ("Personen", "Enkeltpersoner"),
    (None, "Search ERP"): ("Zoeken in ERP", "Søk i ERP"),
    ("button", "Search"): ("Zoeken", "Søk"),
    (None, "Add Import"): ("Import toevoegen", "Legg til import"),
    (None, "Configure import settings"): ("Importinstellingen configureren",
                                          "Konfigurer importinnstillinger"),
    (None, "Next"): ("Volgende", "Neste"),
    (None, "Preview import"): ("Voorbeeld van import", "Forhåndsvisning"),
    ("button", "Import"): ("Import", "Importer"),
    ("button", "OK"): ("OK", "OK"),
    (None, "Quote/Sync"): ("Offerte/Synchroniseren", "Tilbud/Sync"),
    ("link", "Quote/Sync › Sync tab"): ("Offerte/Synchroniseren › Sync-tabblad",
                                       "Tilbud/Sync › Sync-fanen"),
    (None, "Selections"): ("Selecties", "Utvalg"),
    (None, "Selection with the new actors"): ("Selectie met de nieuwe actors",
                                              "Utvalg med de nye aktørene"),
    ("import setting", "Duplicate match"): ("Duplicaat", "Duplikate treff"),
    ("import setting", "Action"): ("Actie", "Handling"),
    ("import action", "Add always"): ("Altijd toevoegen", "Legg til alltid"),
    ("import action", "Merge – update empty fields"): (
        "Samenvoegen – lege velden bijwerken", "Flett – oppdater tomme felt"),
    ("import action", "Replace – overwrite existing"): (
        "Vervangen – bestaande overschrijven", "Erstatt – overskriv eksisterende"),
    ("import action", "Skip – do not import"): ("Overslaan – niet importeren",
                                                "Hopp over – ikke importer"),
}


def translate(lang: str, context: str | None, msgid: str) -> str:
    translations = i18n.get_translations(lang)
    return translations.pgettext(context, msgid) if context else translations.gettext(msgid)


@pytest.mark.parametrize(("lang", "index"), [("nl", 0), ("no", 1)])
def test_catalogs_use_the_glossary_terms(lang: str, index: int) -> None:
    wrong = {key: (translate(lang, *key), want[index]) for key, want in GLOSSARY.items()
             if translate(lang, *key) != want[index]}
    assert not wrong, wrong


def test_english_catalog_keeps_the_msgids() -> None:
    for context, msgid in GLOSSARY:
        assert translate("en", context, msgid) == msgid


def _entries(lang: str):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "erpsync.po").open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id and not message.fuzzy:
            ids = message.id if message.pluralizable else (message.id,)
            forms = message.string if message.pluralizable else (message.string,)
            yield message, list(zip(ids, forms, strict=False))


@pytest.mark.parametrize("lang", ["nl", "no"])
def test_translations_are_capitalised_as_the_msgids(lang: str) -> None:
    """A label that starts in capitals stays so, a fragment in lower case
    stays so ("criterion 1", operators); names such as erpsync are exempt."""
    opening = "“«‘'\"(-"
    wrong = []
    for message, pairs in _entries(lang):
        for english, translated in pairs:
            a, b = english.lstrip(opening), (translated or "").lstrip(opening)
            if not (a[:1].isalpha() and b[:1].isalpha()) or b.startswith("erpsync"):
                continue
            if a[0].isupper() != b[0].isupper():
                wrong.append((message.context, english, translated))
    assert not wrong, wrong


@pytest.mark.parametrize("lang", ["nl", "no"])
def test_typographic_dashes_and_menu_paths_are_kept(lang: str) -> None:
    wrong = []
    for message, pairs in _entries(lang):
        for english, translated in pairs:
            for mark in ("–", "›"):
                if translated and english.count(mark) != translated.count(mark):
                    wrong.append((message.context, english, translated))
    assert not wrong, wrong


# ------------------------------------------------------------------ plurals


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", {0: "0 actors added to the import", 1: "1 actor added to the import",
            2: "2 actors added to the import"}),
    ("nl", {0: "0 actors aan de import toegevoegd", 1: "1 actor aan de import toegevoegd",
            2: "2 actors aan de import toegevoegd"}),
    ("no", {0: "0 aktører lagt til i importen", 1: "1 aktør lagt til i importen",
            2: "2 aktører lagt til i importen"}),
])
def test_ngettext_picks_the_plural_form_of_the_language(lang: str, expected: dict) -> None:
    with i18n.use_locale(lang):
        got = {n: i18n.ngettext("%(num)s actor added to the import",
                                "%(num)s actors added to the import", n) for n in expected}
    assert got == expected


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("nl", "1 nieuw bedrijf", "21 nieuwe bedrijven"),
    ("no", "1 nytt firma", "21 nye firmaer"),
])
def test_template_ngettext_uses_the_catalog_plurals(lang: str, one: str, many: str) -> None:
    env = Renderer().environment(lang)
    template = env.from_string(
        '{{ ngettext("%(num)s new company", "%(num)s new companies", n, num=n | number) }}')
    assert template.render(n=1) == one
    assert template.render(n=21) == many


def test_every_plural_entry_has_a_singular_and_a_plural_form() -> None:
    for lang in ("nl", "no"):
        for message, pairs in _entries(lang):
            if message.pluralizable:
                assert len(pairs) == 2 and all(form for _, form in pairs), (lang, message.id)


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "1,234,567"),
    ("nl", "1.234.567"),
    ("no", f"1{NBSP}234{NBSP}567"),
])
def test_number_filter_formats_per_locale(lang: str, expected: str) -> None:
    env = Renderer().environment(lang)
    assert env.filters["number"](1234567) == expected
    assert env.from_string("{{ n | number }}").render(n=1234567) == expected
    assert env.from_string("{{ n | number }}").render(n=999) == "999"


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "1,234 actors found"),
    ("nl", "1.234 actors gevonden"),
    ("no", f"1{NBSP}234 aktører funnet"),
])
def test_counts_in_messages_are_formatted_per_locale(lang: str, expected: str) -> None:
    env = Renderer().environment(lang)
    template = env.from_string(
        '{{ ngettext("%(num)s actor found", "%(num)s actors found", n, num=n | number) }}')
    assert template.render(n=1234) == expected

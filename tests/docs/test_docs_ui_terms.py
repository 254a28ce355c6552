"""The help pages are tested against the UI they describe.

Every bold term of a help page is a word of the UI in the page's language: it
must appear on one of the screens its section describes (``PAGE_SCREENS``),
rendered by the reference host in that language. The Import from ERP page
names the wizard's screens in the order an admin meets them, and every
screen's title and primary buttons are named by some help page. So a button
renamed in the UI without a docs change fails, and so does a docs change
naming a button that does not exist.
"""

from __future__ import annotations

import pytest
from docs_helpers import LANGUAGES, help_docs, primary_buttons, sections

#: The screens each section of a help page describes: one set per section
#: (index 0 is the text before the first ``##`` heading). Every language has
#: the same sections, so translations stay complete. A single set stands for
#: every section of the page.
PAGE_SCREENS: dict[str, tuple[frozenset[str], ...]] = {
    "import-from-erp": (
        frozenset({"import"}),
        frozenset({"settings_home", "import", "import_sync_on", "quote_sync",
                   "select_connection", "search", "staged"}),
        frozenset({"staged", "settings", "preview"}),
        frozenset({"result", "selection"}),
    ),
    "search-criteria": (
        frozenset({"search"}),
        frozenset({"search"}),
        frozenset({"search"}),
        frozenset({"search", "staged", "preview"}),
    ),
    "import-settings": (
        frozenset({"staged", "settings"}),
        frozenset({"settings"}),
        frozenset({"settings"}),
        frozenset({"settings"}),
        frozenset({"settings", "preview"}),
    ),
    "preview-import": (
        frozenset({"settings", "preview"}),
        frozenset({"settings", "preview"}),
        frozenset({"settings", "preview", "result"}),
    ),
    "sync-tab": (
        frozenset({"quote_sync", "import"}),
        frozenset({"settings_home", "quote_sync", "import"}),
        frozenset({"import_sync_on", "import"}),
    ),
    "undo-import": (
        frozenset({"import", "result", "result_undone", "undo", "imports", "import_detail",
                   "selections", "selection", "selection_delete"}),
    ),
    "import-from-file": (
        frozenset({"settings_home", "import", "file_upload", "file_mapping", "staged",
                   "settings", "preview", "result"}),
    ),
    "add-erp-connection": (
        frozenset({"settings_home", "connections", "connection_add", "select_connection"}),
    ),
}

#: The page that tells the wizard's steps in order.
WIZARD_PAGE = "import-from-erp"
#: Screens whose title and primary buttons some help page must name.
DOCUMENTED_SCREENS = ("import", "select_connection", "search", "staged", "settings",
                      "preview", "result", "quote_sync", "connections", "connection_add")


def _pages(language: str) -> list[str]:
    return help_docs().page_names(language)


def test_every_help_page_is_mapped_to_its_screens():
    names = {n for lang in LANGUAGES for n in _pages(lang)}
    assert names, "no help pages found"
    unmapped = sorted(names - PAGE_SCREENS.keys())
    assert not unmapped, f"map these help pages to the screens they describe: {unmapped}"
    assert set(_pages("en")) == names, "every help page needs an English original"


@pytest.mark.parametrize("language", LANGUAGES)
def test_sections_match_the_mapping(language):
    docs = help_docs()
    for name in _pages(language):
        found = sections(docs.load(name, language))
        mapped = PAGE_SCREENS[name]
        if len(mapped) > 1:
            assert len(found) == len(mapped), (
                f"{language}/{name}.md has {len(found)} sections "
                f"({[s.heading for s in found]}), PAGE_SCREENS maps {len(mapped)}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_bold_terms_are_on_the_screens_they_describe(language, screens):
    capture = screens(language)
    docs = help_docs()
    missing = []
    for name in _pages(language):
        mapped = PAGE_SCREENS[name]
        for section in sections(docs.load(name, language)):
            names = mapped[section.index] if len(mapped) > 1 else mapped[0]
            absent = [s for s in names if s not in capture.screens]
            assert not absent, f"screens {absent} were not captured"
            text = capture.text(names)
            missing += [f"{language}/{name}.md § {section.heading!r}: **{term}** "
                        f"(screens {sorted(names)})"
                        for term in dict.fromkeys(section.terms) if term not in text]
    assert not missing, "bold UI terms not found on their screens:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_wizard_screens_come_in_the_documented_order(language, screens):
    capture = screens(language)
    visited = list(dict.fromkeys(capture.wizard_titles))
    assert len(visited) >= 7 and all(visited), visited
    source = help_docs().load(WIZARD_PAGE, language)
    documented = [t for s in sections(source) for t in s.terms if t in visited]
    first_mentions = list(dict.fromkeys(documented))
    assert first_mentions == visited, (
        f"{language}/{WIZARD_PAGE}.md names the wizard's screens as {first_mentions}, "
        f"the wizard shows {visited}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_title_and_primary_button_is_documented(language, screens):
    capture = screens(language)
    docs = help_docs()
    documented = {t for name in _pages(language)
                  for s in sections(docs.load(name, language)) for t in s.terms}
    undocumented = set()
    for name in DOCUMENTED_SCREENS:
        for screen in capture.screens[name]:
            for label in [screen.title, *primary_buttons(screen.html)]:
                if label and label not in documented:
                    undocumented.add(f"{name}: {label!r}")
    assert not undocumented, (
        f"no {language} help page names these UI words in bold: {sorted(undocumented)}")

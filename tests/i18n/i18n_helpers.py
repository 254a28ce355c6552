"""Helpers for the translator-tooling tests: a small source checkout (Python and
Jinja sources using every keyword) and complete translations for it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from erpsync import i18n_tools

REPO_ROOT = Path(__file__).resolve().parents[2]

PYTHON_SOURCE = '''\
from erpsync.i18n import gettext, lazy_gettext as _l, lazy_pgettext, ngettext, pgettext

TITLE = _l("Select an import source")
BUTTON = lazy_pgettext("button", "Import")


def summary(name, n):
    # Translators: %(name)s is the name of the ERP connection
    connected = gettext("Connected to %(name)s", name=name)
    # Translators: shown under the result grid
    rows = ngettext("One actor found", "%(num)s actors found", n)
    return connected, rows, pgettext("screen", "Import")
'''

TEMPLATE_SOURCE = '''\
<h1>{{ _("Preview import") }}</h1>
{# Translators: count is the number of actors that will be imported #}
{% trans count=n %}
  {{ count }} actor will be imported
{% pluralize %}
  {{ count }} actors will be imported
{% endtrans %}
<button>{{ pgettext("button", "Next") }}</button>
'''

#: Complete, correct translations of the sources above: (msgctxt, msgid) -> msgstr.
TRANSLATIONS = {
    "nl": {
        (None, "Select an import source"): "Een importbron selecteren",
        ("button", "Import"): "Import",
        (None, "Connected to %(name)s"): "Verbonden met %(name)s",
        (None, "One actor found"): ("Eén actor gevonden", "%(num)s actors gevonden"),
        ("screen", "Import"): "Import",
        (None, "Preview import"): "Voorbeeld van import",
        (None, "%(count)s actor will be imported"): (
            "%(count)s actor wordt geïmporteerd", "%(count)s actors worden geïmporteerd"),
        ("button", "Next"): "Volgende",
    },
    "no": {
        (None, "Select an import source"): "Velg en importkilde",
        ("button", "Import"): "Importer",
        (None, "Connected to %(name)s"): "Koblet til %(name)s",
        (None, "One actor found"): ("Én aktør funnet", "%(num)s aktører funnet"),
        ("screen", "Import"): "Importer",
        (None, "Preview import"): "Forhåndsvisning",
        (None, "%(count)s actor will be imported"): (
            "%(count)s aktør blir importert", "%(count)s aktører blir importert"),
        ("button", "Next"): "Neste",
    },
}


def write_sources(root: Path) -> None:
    (root / "plugin" / "erpsync").mkdir(parents=True, exist_ok=True)
    (root / "templates" / "erpsync").mkdir(parents=True, exist_ok=True)
    (root / "plugin" / "erpsync" / "wizard.py").write_text(PYTHON_SOURCE, encoding="utf-8")
    (root / "templates" / "erpsync" / "preview.html").write_text(TEMPLATE_SOURCE,
                                                                 encoding="utf-8")


def edit_po(path: Path, edit: Callable) -> None:
    """Read a catalog, let ``edit(catalog)`` change it, write it back."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    edit(catalog)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=76)


def translate(project: i18n_tools.Project, locale: str, *,
              overrides: dict | None = None, fuzzy: set | None = None) -> None:
    """Fill ``locale``'s catalog from :data:`TRANSLATIONS` (plus ``overrides``)."""
    table = {**TRANSLATIONS[locale], **(overrides or {})}

    def edit(catalog):
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id[0] if message.pluralizable else message.id
            key = (message.context, msgid)
            if key in table:
                message.string = table[key]
            if fuzzy and key in fuzzy:
                message.flags.add("fuzzy")

    edit_po(project.po_path(locale), edit)


def make_project(root: Path) -> i18n_tools.Project:
    """A checkout at ``root`` with the real babel.cfg, the sources above, an
    extracted template and complete nl/no catalogs (en filled by `update`)."""
    shutil.copy(REPO_ROOT / "babel.cfg", root / "babel.cfg")
    write_sources(root)
    proj = i18n_tools.Project.from_checkout(root)
    i18n_tools.extract(proj)
    i18n_tools.update(proj)
    translate(proj, "nl")
    translate(proj, "no")
    return proj

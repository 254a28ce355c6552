"""Every dialog of the ERP import, rendered through the real reference host in
English, Dutch and Norwegian: each shows the words of the help pages
(docs/help/<lang>/import-from-erp.md, DESIGN.md "Terms"), and the Dutch and
Norwegian pages show no English message of our catalog.

One walk through the wizard per language (module-scoped: the walk imports, so
it runs once and the checks read its pages):

    login -> Settings and maintenance -> Import (Select an import source)
    -> Select ERP connection -> Search ERP -> Add Import (staged list)
    -> Configure import settings -> Next (Preview import) -> Import (result)
    -> selection (host page, delete confirmation, the plugin's own page)
    -> Quote/Sync › Sync tab -> ERP Sync inactive while synchronization is on
    -> Help
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from demo_host import follow_to_result, form, location, login, values_of
from erpsync.connections import ConnectionStore
from erpsync.host import settings as host_settings
from erpsync.host import users
from erpsync.host.app import create_app
from erpsync.host.demo import DEMO_CONNECTION, ensure_demo
from erpsync.i18n import get_translations
from erpsync.paths import LOCALES_DIR

LANGUAGES = ("en", "nl", "no")

#: Three Oslo customers new to the CRM, and Rutger Bos, whose company
#: Vermeulen ICT B.V. is in the demo CRM already (staged with him, updated).
CUSTOMERS = ("CUST-10025", "CUST-10057", "CUST-10063")
PERSON = "PERS-30079"


# ------------------------------------------------------------------ visible text


class _VisibleText(HTMLParser):
    """Text a user sees or hears: text nodes (not script/style) and the
    attributes that name or describe an element."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.ATTRIBUTES if values.get(a)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The visible text of a whole page, whitespace collapsed to single spaces."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


# ------------------------------------------------------------------ the walk


@dataclass
class Walk:
    """The pages of one walk through the wizard, by dialog name."""

    lang: str
    pages: dict[str, str]

    def text(self, dialog: str) -> str:
        return visible_text(self.pages[dialog])


def _ok(response) -> str:
    assert response.status_code == 200, (response.status_code, visible_text(response.text)[:500])
    return response.text


def walk_wizard(data_dir: Path, lang: str) -> Walk:
    """Go through every dialog of the ERP import in ``lang`` (chosen with
    ``?lang=`` before logging in, kept by the session) and import."""
    app = create_app(data_dir=data_dir, secret_key="i18n-walk-secret",
                     load_entry_points=False)
    ensure_demo(app, data_dir, echo=None)
    connection = ConnectionStore(app.state.db).get_by_name(DEMO_CONNECTION).id
    pages: dict[str, str] = {}
    # The browser asks for English: the explicit choice must win.
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as client:
        pages["login"] = _ok(client.get("/login", params={"lang": lang}))
        login(client, "admin", "admin")
        pages["settings"] = _ok(client.get("/settings"))
        # The session's anti-forgery token (in the logout form) for the posts below.
        token = re.search(r'name="csrf_token" value="([^"]+)"', pages["settings"])
        if token:
            client.headers["X-CSRF-Token"] = html.unescape(token.group(1))
        pages["import_sources"] = _ok(client.get("/settings/import"))
        pages["select_connection"] = _ok(client.get("/erpsync/erp/select-connection"))
        pages["search"] = _ok(client.get("/erpsync/erp/search", params=[
            ("connection", connection), ("type", "customer"), ("f.0", "POSTALCITY"),
            ("op.0", "contains"), ("v.0", "Oslo"), ("run", "1")]))
        assert set(CUSTOMERS) <= set(values_of(pages["search"], "key"))

        location(client.post("/erpsync/erp/add-import", data=form(
            [("connection", connection), ("type", "customer"), ("scope", "selected"),
             *[("key", key) for key in CUSTOMERS]])))
        staged = location(client.post("/erpsync/erp/add-import", data=form(
            [("connection", connection), ("type", "person"), ("scope", "selected"),
             ("key", PERSON)])))
        pages["staged"] = _ok(client.get(staged))
        import_id = int(re.search(r"/imports/(\d+)/", staged).group(1))
        base = f"/erpsync/imports/{import_id}"

        pages["import_settings"] = _ok(client.get(f"{base}/settings"))
        assert location(client.post(f"{base}/settings", data={})) == f"{base}/preview"
        pages["preview"] = _ok(client.get(f"{base}/preview"))
        rows = values_of(pages["preview"], "row")
        progress = location(client.post(f"{base}/apply", data=form(
            [*[("row", r) for r in rows], *[("checked", r) for r in rows]])))
        pages["result"] = _ok(client.get(follow_to_result(client, progress, timeout=30.0)))

        selection = re.search(r'href="/settings/selections/(\d+)"', pages["result"]).group(1)
        pages["selection"] = _ok(client.get(f"/settings/selections/{selection}"))
        pages["selection_delete"] = _ok(client.get(f"/settings/selections/{selection}/delete"))
        pages["plugin_selection"] = _ok(client.get(f"/erpsync/selections/{selection}"))

        pages["quote_sync"] = _ok(client.get("/settings/quote-sync", params={"tab": "sync"}))
        host_settings.set_setting(app.state.db, "erp_sync_enabled", True)
        pages["import_sources_sync_on"] = _ok(client.get("/settings/import"))
        refused = client.get("/erpsync/erp/select-connection")
        assert refused.status_code == 409
        pages["select_connection_sync_on"] = refused.text

        pages["help"] = _ok(client.get("/erpsync/help/import-from-erp"))
    return Walk(lang, pages)


@pytest.fixture(scope="module", params=LANGUAGES)
def walk(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    with pytest.MonkeyPatch.context() as patch:
        # Cheap argon2: logging in is not what these tests are about.
        patch.setattr(users, "_hasher",
                      PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield walk_wizard(tmp_path_factory.mktemp(f"i18n-walk-{request.param}"),
                          request.param)


# ------------------------------------------------------------------ key terms

#: The words each dialog must show, per language. Counts follow from the walk:
#: 3 customers + 1 person staged, whose company comes along as an update.
TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "login": {
        "en": ("Log in", "Username", "Password"),
        "nl": ("Aanmelden", "Gebruikersnaam", "Wachtwoord"),
        "no": ("Logg på", "Brukernavn", "Passord"),
    },
    "settings": {
        "en": ("Settings and maintenance", "Import", "Quote/Sync", "ERP connections",
               "Selections"),
        "nl": ("Instellingen en onderhoud", "Import", "Offerte/Synchroniseren",
               "ERP-verbindingen", "Selecties"),
        "no": ("Innstillinger og vedlikehold", "Importer", "Tilbud/Sync", "ERP-koblinger",
               "Utvalg"),
    },
    "import_sources": {
        "en": ("Settings and maintenance", "Import", "Select an import source", "ERP Sync",
               "Pending imports", "Recent imports"),
        "nl": ("Instellingen en onderhoud", "Import", "Een importbron selecteren",
               "ERP synchroniseren", "Wachtende imports", "Recente imports"),
        "no": ("Innstillinger og vedlikehold", "Importer", "Velg en importkilde", "ERP Sync",
               "Ventende importer", "Nylige importer"),
    },
    "select_connection": {
        "en": ("Select ERP connection", "ERP connection", "Actor type", "Customers",
               "Suppliers", "Persons", "OK", "Cancel"),
        "nl": ("ERP-verbinding selecteren", "ERP-verbinding", "Actor-type", "Klanten",
               "Leveranciers", "Personen", "OK", "Annuleren"),
        "no": ("Velg ERP-kobling", "ERP-kobling", "Aktørtype", "Kunder", "Leverandører",
               "Enkeltpersoner", "OK", "Avbryt"),
    },
    "search": {
        "en": ("Search ERP", "Search criteria", "Search", "Add criterion", "contains",
               "City", "Search results", "actors found", "Add Import"),
        "nl": ("Zoeken in ERP", "Zoekcriteria", "Zoeken", "Criterium toevoegen", "bevat",
               "Plaats", "Zoekresultaten", "actors gevonden", "Import toevoegen"),
        "no": ("Søk i ERP", "Søkekriterier", "Søk", "Legg til kriterium", "inneholder",
               "Poststed", "Søkeresultater", "aktører funnet", "Legg til import"),
    },
    "staged": {
        "en": ("Actors to import", "1 actor added to the import",
               "1 company added because persons in the import belong to it",
               "5 actors waiting for import", "Search ERP", "Configure import settings",
               "have not been imported into the CRM yet"),
        "nl": ("Te importeren actors", "1 actor aan de import toegevoegd",
               "1 bedrijf toegevoegd omdat personen in de import erbij horen",
               "5 actors wachten op import", "Zoeken in ERP", "Importinstellingen configureren",
               "nog niet in het CRM geïmporteerd"),
        "no": ("Aktører som skal importeres", "1 aktør lagt til i importen",
               "1 firma lagt til fordi personer i importen hører til det",
               "5 aktører venter på import", "Søk i ERP", "Konfigurer importinnstillinger",
               "ikke importert til CRM ennå"),
    },
    "import_settings": {
        "en": ("Configure import settings", "Companies", "Persons", "Duplicate match",
               "Action", "Add always", "Merge – update empty fields",
               "Replace – overwrite existing", "Skip – do not import", "If no company name",
               "Next"),
        "nl": ("Importinstellingen configureren", "Bedrijven", "Personen", "Duplicaat",
               "Actie", "Altijd toevoegen", "Samenvoegen – lege velden bijwerken",
               "Vervangen – bestaande overschrijven", "Overslaan – niet importeren",
               "Als bedrijfsnaam ontbreekt", "Volgende"),
        "no": ("Konfigurer importinnstillinger", "Firmaer", "Enkeltpersoner", "Duplikate treff",
               "Handling", "Legg til alltid", "Flett – oppdater tomme felt",
               "Erstatt – overskriv eksisterende", "Hopp over – ikke importer",
               "Hvis firmanavn mangler", "Neste"),
    },
    "preview": {
        "en": ("Preview import", "3 new companies", "1 updated company", "1 new person",
               "5 of 5 rows are checked for import.", "New company", "Updated company",
               "New person", "Import"),
        "nl": ("Voorbeeld van import", "3 nieuwe bedrijven", "1 bijgewerkt bedrijf",
               "1 nieuwe persoon", "5 van 5 rijen zijn aangevinkt om te importeren.",
               "Nieuw bedrijf", "Bijgewerkt bedrijf", "Nieuwe persoon", "Import"),
        "no": ("Forhåndsvisning", "3 nye firmaer", "1 oppdatert firma", "1 ny person",
               "5 av 5 rader er merket for import.", "Nytt firma", "Oppdatert firma",
               "Ny person", "Importer"),
    },
    "result": {
        "en": ("Import finished", "4 new actors", "1 updated actor", "New actors",
               "Updated actors", "Selection with the new actors",
               "Selection with the updated actors"),
        "nl": ("Import voltooid", "4 nieuwe actors", "1 bijgewerkte actor", "Nieuwe actors",
               "Bijgewerkte actors", "Selectie met de nieuwe actors",
               "Selectie met de bijgewerkte actors"),
        "no": ("Importen er fullført", "4 nye aktører", "1 oppdatert aktør", "Nye aktører",
               "Oppdaterte aktører", "Utvalg med de nye aktørene",
               "Utvalg med de oppdaterte aktørene"),
    },
    "selection": {
        "en": ("Selections", "This selection holds 4 actors.", "Delete", "new actors"),
        "nl": ("Selecties", "Deze selectie bevat 4 actors.", "Verwijderen", "nieuwe actors"),
        "no": ("Utvalg", "Dette utvalget inneholder 4 aktører.", "Slett", "nye aktører"),
    },
    "selection_delete": {
        "en": ("Delete actors", "This cannot be undone.", "Delete", "Cancel"),
        "nl": ("Actors verwijderen", "Dit kan niet ongedaan worden gemaakt.", "Verwijderen",
               "Annuleren"),
        "no": ("Slett aktører", "Dette kan ikke angres.", "Slett", "Avbryt"),
    },
    "plugin_selection": {
        "en": ("Delete the actors in this selection",),
        "nl": ("De actors in deze selectie verwijderen",),
        "no": ("Slett aktørene i dette utvalget",),
    },
    "quote_sync": {
        "en": ("Quote/Sync", "Quote", "Sync", "ERP synchronization", "Save"),
        "nl": ("Offerte/Synchroniseren", "Offerte", "Sync", "ERP-synchronisatie", "Opslaan"),
        "no": ("Tilbud/Sync", "Tilbud", "Sync", "ERP-synkronisering", "Lagre"),
    },
    "import_sources_sync_on": {
        "en": ("ERP Sync", "ERP synchronization is on", "Quote/Sync › Sync tab"),
        "nl": ("ERP synchroniseren", "ERP-synchronisatie staat aan",
               "Offerte/Synchroniseren › Sync-tabblad"),
        "no": ("ERP Sync", "ERP-synkronisering er slått på", "Tilbud/Sync › Sync-fanen"),
    },
    "select_connection_sync_on": {
        "en": ("ERP synchronization is on", "Quote/Sync › Sync tab"),
        "nl": ("ERP-synchronisatie staat aan", "Offerte/Synchroniseren › Sync-tabblad"),
        "no": ("ERP-synkronisering er slått på", "Tilbud/Sync › Sync-fanen"),
    },
    "help": {
        "en": ("Import from ERP", "Select an import source", "Select ERP connection",
               "Search ERP", "Add Import", "Configure import settings", "Preview import"),
        "nl": ("Importeren vanuit ERP", "Een importbron selecteren", "ERP-verbinding selecteren",
               "Zoeken in ERP", "Import toevoegen", "Importinstellingen configureren",
               "Voorbeeld van import"),
        "no": ("Importere fra ERP", "Velg en importkilde", "Velg ERP-kobling", "Søk i ERP",
               "Legg til import", "Konfigurer importinnstillinger", "Forhåndsvisning"),
    },
}

#: Exact elements: (dialog, regex) per language, for the terms whose place matters.
ELEMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "select_connection": {
        "en": (r"<h1>Select ERP connection</h1>", r'<label for="erp-connection">ERP connection<',
               r'<label for="erp-actor-type">Actor type<', r">OK</button>"),
        "nl": (r"<h1>ERP-verbinding selecteren</h1>",
               r'<label for="erp-connection">ERP-verbinding<',
               r'<label for="erp-actor-type">Actor-type<', r">OK</button>"),
        "no": (r"<h1>Velg ERP-kobling</h1>", r'<label for="erp-connection">ERP-kobling<',
               r'<label for="erp-actor-type">Aktørtype<', r">OK</button>"),
    },
    "search": {
        "en": (r"<h1>Search ERP</h1>", r">Search</button>", r">Add Import</button>"),
        "nl": (r"<h1>Zoeken in ERP</h1>", r">Zoeken</button>", r">Import toevoegen</button>"),
        "no": (r"<h1>Søk i ERP</h1>", r">Søk</button>", r">Legg til import</button>"),
    },
    "import_settings": {
        "en": (r"<legend>Companies</legend>", r">Next</button>"),
        "nl": (r"<legend>Bedrijven</legend>", r">Volgende</button>"),
        "no": (r"<legend>Firmaer</legend>", r">Neste</button>"),
    },
    "preview": {
        "en": (r"<h1>Preview import</h1>", r">Import</button>"),
        "nl": (r"<h1>Voorbeeld van import</h1>", r">Import</button>"),
        "no": (r"<h1>Forhåndsvisning</h1>", r">Importer</button>"),
    },
    "import_sources": {
        "en": (r"<h1>Import</h1>", r'class="source-label">ERP Sync<'),
        "nl": (r"<h1>Import</h1>", r'class="source-label">ERP synchroniseren<'),
        "no": (r"<h1>Importer</h1>", r'class="source-label">ERP Sync<'),
    },
}


@pytest.mark.parametrize("dialog", list(TERMS))
def test_dialog_shows_the_help_page_words(walk: Walk, dialog: str) -> None:
    text = walk.text(dialog)
    assert f'<html lang="{walk.lang}">' in walk.pages[dialog]
    missing = [term for term in TERMS[dialog][walk.lang] if term not in text]
    assert not missing, f"{walk.lang} {dialog} lacks {missing}:\n{text}"
    for pattern in ELEMENTS.get(dialog, {}).get(walk.lang, ()):
        assert re.search(pattern, walk.pages[dialog]), (walk.lang, dialog, pattern)


def test_every_dialog_of_the_walk_is_checked(walk: Walk) -> None:
    assert set(walk.pages) == set(TERMS)
    for dialog, terms in TERMS.items():
        assert set(terms) == set(LANGUAGES), dialog


def test_help_page_words_are_the_ui_words(walk: Walk) -> None:
    """Every term the help page sets in bold or italics (a button, a dialog, a
    list, a tab) is shown by the UI, in the same language and spelling."""
    article = walk.pages["help"].split("<article", 1)[1].split("</article>", 1)[0]
    terms = {visible_text(t) for t in re.findall(r"<(?:strong|em)>(.*?)</(?:strong|em)>",
                                                  article, re.S)}
    assert len(terms) >= 10, terms
    ui = " | ".join(walk.text(d) for d in walk.pages if d != "help")
    missing = sorted(t for t in terms
                     if not re.search(rf"(?<!\w){re.escape(t)}(?!\w)", ui))
    assert not missing, f"{walk.lang}: the help page names {missing}, the UI does not"


# ------------------------------------------------------------------ nothing left in English

#: Shorter English messages are ambiguous ("Import", "OK", "Sync" are Dutch or
#: Norwegian words too): only messages with this many words of their own count.
MIN_WORDS = 2
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


@functools.cache
def english_patterns(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    """One regex per English message (msgid and msgid_plural) that ``lang``
    translates differently; placeholders match any text."""
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "erpsync.po").open("rb") as fh:
        catalog = read_po(fh)
    patterns = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        forms = message.string if message.pluralizable else (message.string,)
        for english in ids:
            if english in forms or not all(forms):
                continue
            literal = _PLACEHOLDER.split(english)
            if sum(len(p.split()) for p in literal) < MIN_WORDS:
                continue
            regex = r".+?".join(r"\s+".join(map(re.escape, p.split())) if p.strip() else ""
                                for p in literal)
            # Whole words only: "Sync tab" must not match inside "ERP Sync tabs".
            patterns.append((english, re.compile(rf"(?<!\w){regex}(?!\w)")))
    return patterns


def test_english_patterns_find_untranslated_text() -> None:
    patterns = dict(english_patterns("nl"))
    assert patterns["%(num)s actors found"].search("Zoeken: 12 actors found")
    assert not patterns["%(num)s actors found"].search("12 actors gevonden")
    assert patterns["Select ERP connection"].search("x Select  ERP connection y")
    assert "Import" not in patterns  # one word: ambiguous


@pytest.mark.parametrize("walk", ["nl", "no"], indirect=True)
@pytest.mark.parametrize("dialog", list(TERMS))
def test_no_english_message_is_left_untranslated(walk: Walk, dialog: str) -> None:
    text = walk.text(dialog)
    left = [english for english, pattern in english_patterns(walk.lang) if pattern.search(text)]
    assert not left, f"{walk.lang} {dialog} shows English: {left}\n{text}"


def test_the_catalogs_are_loaded_for_the_walk() -> None:
    # A missing catalog would make every page English and the checks above
    # fail on terms; make the cause obvious.
    for lang in ("nl", "no"):
        assert get_translations(lang).pgettext("screen", "Import") == (
            "Import" if lang == "nl" else "Importer")
        assert get_translations(lang).gettext("Select an import source") != \
            "Select an import source"

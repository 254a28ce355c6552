"""The screens the help pages describe, rendered by the reference host in one
language, by walking the ERP import the way an admin does (following the
links and forms of each page, over HTTP).

:func:`capture_screens` returns the pages by screen name, and the titles of
the wizard's screens in the order the walk met them.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docs_helpers import h1_of, visible_text
from sqlalchemy import update
from starlette.testclient import TestClient

from erpsync.engine.schema import person
from erpsync.host.app import create_app
from erpsync.host.demo import DEMO_CONNECTION, ensure_demo
from erpsync.paths import DEMO_DATA_DIR

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Screen:
    name: str
    url: str
    html: str

    @property
    def text(self) -> str:
        return visible_text(self.html)

    @property
    def title(self) -> str:
        return h1_of(self.html)


@dataclass
class Capture:
    """Rendered screens by name (a name may hold several pages, e.g. the
    preview filtered by each mark), and the wizard's titles in walk order."""

    language: str
    screens: dict[str, list[Screen]] = field(default_factory=dict)
    wizard_titles: list[str] = field(default_factory=list)
    #: Help link of each dialog met (its URL -> the dialog's title).
    help_links: dict[str, str] = field(default_factory=dict)
    #: The pages those links open (URL -> (status code, HTML)).
    help_pages: dict[str, tuple[int, str]] = field(default_factory=dict)

    def add(self, name: str, screen: Screen) -> Screen:
        self.screens.setdefault(name, []).append(screen)
        return screen

    def text(self, names: Iterable[str]) -> str:
        return " ¦ ".join(s.text for n in names for s in self.screens.get(n, []))


class Walker:
    """A logged-in admin's browser: GET/POST with redirects followed by hand."""

    def __init__(self, client: TestClient, capture: Capture) -> None:
        self.client = client
        self.capture = capture
        #: The session's anti-forgery token, from the last page that had one.
        self.csrf: str | None = None

    def get(self, url: str, name: str | None = None, *, wizard: bool = False) -> Screen:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:800])
        token = _CSRF.search(response.text)
        if token:
            self.csrf = _unescape(token.group(1))
        screen = Screen(name or url, url, response.text)
        link = re.search(r'<a class="help-link" href="([^"]+)"', response.text)
        if link:
            self.capture.help_links.setdefault(_unescape(link.group(1)), screen.title)
        if name:
            self.capture.add(name, screen)
        if wizard:
            self.capture.wizard_titles.append(screen.title)
        return screen

    def post(self, url: str, data: Mapping[str, Any] | list[tuple[str, Any]]) -> str:
        """POST a form; returns where the 303 redirect goes."""
        pairs = data.items() if isinstance(data, Mapping) else data
        form: dict[str, list[str]] = {}
        for key, value in pairs:
            form.setdefault(key, []).append(str(value))
        if self.csrf and "csrf_token" not in form:
            form["csrf_token"] = [self.csrf]
        response = self.client.post(url, data=form)
        assert response.status_code == 303, (url, response.status_code, response.text[:800])
        return response.headers["location"]


def _unescape(value: str) -> str:
    return html.unescape(value)


def _href(page: str, pattern: str) -> str:
    match = re.search(pattern, page, re.S)
    assert match, f"no link matching {pattern!r}"
    return _unescape(match.group(1))


def _inputs(page: str, name: str) -> list[str]:
    return [_unescape(v) for v in re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', page)]


def _form_fields(form_html: str) -> list[tuple[str, str]]:
    """Hidden inputs of a form, in order."""
    return [(_unescape(n), _unescape(v)) for n, v in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html)]


def login(client: TestClient, username: str, password: str) -> None:
    page = client.get("/login")
    token = _CSRF.search(page.text)
    assert token, "the login page has no csrf_token"
    response = client.post("/login", data={"username": username, "password": password,
                                           "next": "/settings", "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text[:500]
    # erpsync's dialogs want the session's CSRF token on every POST (erpsync.security).
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
    assert token, "no csrf_token on /settings"
    client.headers["X-CSRF-Token"] = token.group(1)


def make_app(data_dir: Path) -> Any:
    app = create_app(data_dir=data_dir, secret_key="docs-test-secret", load_entry_points=False)
    ensure_demo(app, data_dir, echo=None)
    return app


def _search_url(connection_id: str, actor_type: str,
                criteria: list[tuple[str, str, str]]) -> str:
    from urllib.parse import urlencode

    pairs = [("connection", connection_id), ("type", actor_type), ("run", "1")]
    for i, (fld, op, value) in enumerate(criteria):
        pairs += [(f"f.{i}", fld), (f"op.{i}", op), (f"v.{i}", value)]
    return "/erpsync/erp/search?" + urlencode(pairs)


def _add_all(walker: Walker, search_page: str) -> str:
    """Click the "add all results" button of a search: returns the redirect."""
    form = re.search(r'<form method="post" action="([^"]+)" class="add-import-form">(.*?)</form>',
                     search_page, re.S)
    assert form, "the search found nothing to add"
    return walker.post(_unescape(form.group(1)), [*_form_fields(form.group(2)),
                                                  ("scope", "all")])


def _finish(walker: Walker, url: str) -> Screen:
    """The page an import leads to once it has finished: imports run in the
    background, and their progress page reloads (or redirects) until then."""
    for _ in range(300):
        response = walker.client.get(url)
        if response.status_code in (302, 303):
            url = response.headers["location"]
            continue
        assert response.status_code == 200, (url, response.status_code, response.text[:800])
        if 'http-equiv="refresh"' not in response.text:
            screen = Screen(url, url, response.text)
            link = re.search(r'<a class="help-link" href="([^"]+)"', response.text)
            if link:
                walker.capture.help_links.setdefault(_unescape(link.group(1)), screen.title)
            return screen
        time.sleep(0.1)
    raise AssertionError(f"the import at {url} did not finish")


def _apply(walker: Walker, preview_url: str) -> str:
    """Import every row the preview checks; returns the result URL."""
    page = walker.get(preview_url).html
    apply_url = _href(page, r'formaction="([^"]+/apply)"')
    rows = _inputs(page, "row")
    return walker.post(apply_url, [*(("row", r) for r in rows), *(("checked", r) for r in rows),
                                   ("page", "1")])


def capture_screens(data_dir: Path, language: str) -> Capture:
    """Walk the reference host in ``language`` and keep every screen the help
    pages describe."""
    app = make_app(data_dir)
    capture = Capture(language)
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": language}) as client:
        login(client, "admin", "admin")
        walker = Walker(client, capture)
        walker.get(f"/settings?lang={language}", "settings_home")
        seed_import = _seed_persons(walker, app)
        _walk_wizard(walker)
        _walk_host_pages(walker, app)
        _walk_history_and_undo(walker, seed_import)
        _walk_file_source(walker)
        for url in capture.help_links:
            response = client.get(url)
            capture.help_pages[url] = (response.status_code, response.text)
    app.state.db.dispose()
    return capture


def _seed_persons(walker: Walker, app: Any) -> str:
    """A first import of persons, then their CRM position emptied: the walk's
    import finds them again and shows them as updated persons."""
    connection_id = _connection_id(app)
    page = walker.get(_search_url(connection_id, "person", [("LASTNAME", "begins", "b")])).html
    staged = _add_all(walker, page)
    import_id = re.search(r"/imports/(\d+)/", staged).group(1)
    preview = walker.post(f"/erpsync/imports/{import_id}/settings", {})
    _finish(walker, _apply(walker, preview))
    with app.state.db.begin() as conn:
        conn.execute(update(person).values(position=None))
    return import_id


def _connection_id(app: Any) -> str:
    from erpsync.connections import ConnectionStore

    return str(ConnectionStore(app.state.db).get_by_name(DEMO_CONNECTION).id)


def _walk_wizard(walker: Walker) -> None:
    """Import screen -> ERP Sync -> ... -> Import finished, as the help page tells."""
    import_screen = walker.get("/settings/import", "import", wizard=True)
    erp = _href(import_screen.html, r'data-source="erp">\s*<a class="source-button" href="([^"]+)"')
    select = walker.get(erp, "select_connection", wizard=True)
    connection_id = _inputs(select.html, "connection") or re.findall(
        r'<option value="(\d+)"[^>]*>', select.html)
    select_form = _href(select.html, r'<form method="post" action="([^"]+)" class="dialog-form"')
    search_url = walker.post(select_form, {"connection": connection_id[0], "type": "customer"})
    walker.get(search_url, "search", wizard=True)
    # Results, a text row and a yes/no row (their operators and values), and the
    # empty row that offers every operator.
    results = walker.get(_search_url(connection_id[0], "customer",
                                     [("NAME", "contains", "a"), ("BLOCKED", "=", "0")]),
                         "search")
    staged_url = _add_all(walker, results.html)
    walker.get(staged_url, "staged")
    persons = walker.get(_search_url(connection_id[0], "person", [("LASTNAME", "begins", "b")]))
    _add_all(walker, persons.html)
    persons = walker.get(_search_url(connection_id[0], "person", [("LASTNAME", "begins", "a")]))
    staged_url = _add_all(walker, persons.html)
    staged = walker.get(staged_url, "staged", wizard=True)

    settings_url = _href(staged.html, r'<a class="button button-primary" href="([^"]+/settings)"')
    settings = walker.get(settings_url, "settings", wizard=True)
    form = re.search(r'<form method="post" action="([^"]+)" class="settings-form">', settings.html)
    assert form, "no settings form"
    preview_url = walker.post(_unescape(form.group(1)), {})
    preview = walker.get(preview_url, "preview", wizard=True)
    # Every mark: the preview filtered by each of them.
    for status in sorted(set(re.findall(r'/preview\?status=([a-z_]+)"', preview.html))):
        walker.get(f"{preview_url.split('?')[0]}?status={status}", "preview")

    result_url = _apply(walker, preview_url)
    result = _finish(walker, result_url)
    capture = walker.capture
    capture.add("result", result)
    capture.wizard_titles.append(result.title)
    for href in re.findall(r'<p class="selection-link">\s*<a href="([^"]+)"', result.html):
        selection = walker.get(_unescape(href), "selection")
        delete = re.search(r'<a class="button button-danger" href="([^"]+)"', selection.html)
        if delete:
            walker.get(_unescape(delete.group(1)), "selection_delete")
    undo = re.search(r'<a class="button button-danger" href="([^"]+/undo)"', result.html)
    if undo:
        walker.get(_unescape(undo.group(1)), "undo")


def _walk_host_pages(walker: Walker, app: Any) -> None:
    """Quote/Sync › Sync tab, the Import screen while sync is on, connections,
    selections."""
    quote_sync = walker.get("/settings/quote-sync?tab=sync", "quote_sync")
    token = _CSRF.search(quote_sync.html)
    assert token
    walker.post("/settings/quote-sync", {"tab": "sync", "erp_sync_enabled": "1",
                                         "csrf_token": token.group(1)})
    walker.get("/settings/quote-sync?tab=sync", "quote_sync")
    walker.get("/settings/import", "import_sync_on")
    walker.get("/settings/connections", "connections")
    _walk_connection_form(walker)
    walker.get("/settings/selections", "selections")


def _walk_connection_form(walker: Walker) -> None:
    """Add ERP connection: the empty form, and the form after a passing test."""
    form = walker.get("/settings/connections/add", "connection_add")
    token = _CSRF.search(form.html)
    assert token
    response = walker.client.post("/settings/connections/add", data={
        "csrf_token": token.group(1), "name": "Docs test", "connector": "workbook",
        "shown_connector": "workbook", "cfg.path": str(DEMO_DATA_DIR), "scope": "everyone",
        "action": "test"})
    assert response.status_code == 200, response.text[:800]
    walker.capture.add("connection_add", Screen("connection_test", "", response.text))
    # Saved inactive: the list then shows an inactive connection with Activate.
    token = _CSRF.search(response.text)
    assert token
    walker.post("/settings/connections/add", {
        "csrf_token": token.group(1), "name": "Docs test", "connector": "workbook",
        "shown_connector": "workbook", "cfg.path": str(DEMO_DATA_DIR), "scope": "everyone",
        "action": "save"})
    walker.get("/settings/connections", "connections")


def _walk_history_and_undo(walker: Walker, import_id: str) -> None:
    """Import history, one import's details, and undoing the first import (whose
    persons the walk's import changed since: the undo page lists them)."""
    history = walker.get("/settings/imports", "imports")
    detail = re.search(r'href="(/settings/imports/\d+)"', history.html)
    if detail:
        walker.get(detail.group(1), "import_detail")
    undo_url = f"/erpsync/imports/{import_id}/undo"
    page = walker.get(undo_url, "undo")
    force = [("force", "yes")] if 'name="force"' in page.html else []
    after = walker.post(undo_url, [("confirm", "yes"), *force])
    walker.capture.add("result_undone", _finish(walker, after))


#: A small CSV for the File import source's dialogs.
CSV = "Bedrijfsnaam;Plaats;VAT number\nDocs Test AS;Bergen;NO 999 888 777\n"


def _walk_file_source(walker: Walker) -> None:
    """The File source: the upload dialog, and the column mapping of a CSV."""
    upload = walker.get("/erpsync/file/upload", "file_upload")
    form = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data"',
                     upload.html)
    assert form, "no upload form"
    upload_action = _unescape(form.group(1))
    # A streamed upload sends its anti-forgery token in a header (or the URL).
    token = {"X-CSRF-Token": walker.csrf or ""}
    response = walker.client.post(upload_action, data={"type": "customer"}, headers=token,
                                  files={"file": ("customers.csv", CSV.encode(), "text/csv")})
    assert response.status_code == 303, (response.status_code, response.text[:800])
    mapping = walker.get(response.headers["location"], "file_mapping")
    # Add it with its suggested mapping, saved: the staged list of a file import,
    # then a second upload that offers the saved mapping.
    form = re.search(r'<form method="post" action="([^"]+)" class="dialog-form" id="mapping-form">'
                     r"(.*?)</form>", mapping.html, re.S)
    assert form, "no mapping form"
    staged = walker.post(_unescape(form.group(1)), [
        *_selected(form.group(2)), ("save_as", "Docs mapping"), ("action", "import")])
    walker.get(staged, "staged")
    response = walker.client.post(upload_action, data={"type": "customer"}, headers=token,
                                  files={"file": ("again.csv", CSV.encode(), "text/csv")})
    assert response.status_code == 303, (response.status_code, response.text[:800])
    walker.get(response.headers["location"], "file_mapping")


def _selected(form_html: str) -> list[tuple[str, str]]:
    """The chosen option of every list of a form (what a browser would send)."""
    pairs = []
    for name, body in re.findall(r'<select[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>',
                                 form_html, re.S):
        options = re.findall(r'<option value="([^"]*)"([^>]*)>', body)
        chosen = next((v for v, attrs in options if "selected" in attrs),
                      options[0][0] if options else None)
        if chosen is not None:
            pairs.append((_unescape(name), _unescape(chosen)))
    return pairs

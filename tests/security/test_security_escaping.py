"""ERP data, connector field names, list item names and connection names are
rendered escaped on every page of an import: no raw markup and no
``javascript:`` link reaches the HTML, and the text shows as typed. Every way
around autoescaping (``|safe``, ``Markup()``) in the code is on a justified list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from security_helpers import (
    PAYLOADS,
    add_import,
    location,
    run_import,
    text_of,
    write_evil_workbook,
)
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.paths import TEMPLATES_DIR
from erpsync.rendering import Renderer
from reliability_figures import record

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "plugin" / "erpsync"
_BYPASS = re.compile(r"\|\s*safe\b|Markup\(|autoescape\s+false|\|\s*urlize")

#: Every bypass of autoescaping, with why it is safe. A new one fails the test.
JUSTIFIED: dict[str, tuple[int, str]] = {
    "i18n.py": (2, "Markup(translation) % variables, as Jinja's own newstyle gettext: the "
                   "translation comes from our catalogs, the variables (ERP data) are "
                   "escaped by Markup's % operator"),
    "helpdocs.py": (1, "help pages are our own Markdown from docs/help, rendered with raw "
                       "HTML disabled (markdown-it html=False)"),
    "security.py": (2, "the hidden CSRF field: a constant tag, the token escaped"),
}

EVIL_CONNECTION = "Evil ERP " + PAYLOADS["script"]


def test_every_autoescape_bypass_is_justified() -> None:
    found: dict[str, int] = {}
    for path in [*Path(TEMPLATES_DIR).rglob("*.html"), *PACKAGE_DIR.rglob("*.py")]:
        count = len(_BYPASS.findall(path.read_text(encoding="utf-8")))
        if count:
            found[path.name] = found.get(path.name, 0) + count
    assert found == {name: count for name, (count, _) in JUSTIFIED.items()}, found


def test_autoescape_is_on_for_templates_and_strings() -> None:
    env = Renderer().environment("en")
    payload = PAYLOADS["script"]
    assert payload not in env.from_string("{{ x }}").render(x=payload)
    assert payload not in env.from_string("{% macro m(v) %}{{ v }}{% endmacro %}{{ m(x) }}"
                                          ).render(x=payload)
    # A placeholder of a translated string is escaped too.
    assert payload not in env.from_string(
        '{{ _("%(name)s", name=x) }}').render(x=payload)


def raw_payloads(html: str) -> list[str]:
    """Payloads (or javascript: links) that reached the HTML unescaped."""
    found = [name for name, payload in PAYLOADS.items()
             if any(ch in payload for ch in "<>\"'") and payload in html]
    if re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I):
        found.append("javascript: URL")
    return found


@pytest.fixture
def evil(app: Starlette, tmp_path: Path) -> dict:
    info = write_evil_workbook(tmp_path / "evil-erp")
    info["connection_id"] = ConnectionStore(app.state.db).add(
        EVIL_CONNECTION, "workbook", {"path": str(tmp_path / "evil-erp")})
    return info


def test_malicious_erp_data_is_shown_as_typed_and_never_as_markup(
        app: Starlette, admin: TestClient, engine, admin_id: int, evil: dict) -> None:
    connection = evil["connection_id"]
    pages: dict[str, str] = {}

    def visit(label: str, url: str, lang: str = "en") -> str:
        if lang != "en":
            url += ("&" if "?" in url else "?") + f"lang={lang}"
        response = admin.get(url)
        assert response.status_code == 200, (label, response.status_code,
                                             text_of(response.text)[:300])
        pages[f"{label} ({lang})"] = response.text
        return response.text

    for lang in ("en", "nl", "no"):
        visit("select connection", f"/erpsync/erp/select-connection?connection={connection}",
              lang)
        visit("search form", f"/erpsync/erp/search?connection={connection}&type=customer",
              lang)
    search = visit("search results",
                   f"/erpsync/erp/search?connection={connection}&type=customer&run=1")
    visit("search, filtered", f"/erpsync/erp/search?connection={connection}&type=customer"
                              "&run=1&f.0=NAME&op.0=contains&v.0=%3Cscript")
    add_import(admin, connection, "customer", evil["customer_keys"])
    add_import(admin, connection, "person", evil["person_keys"])
    import_id = engine.open_import("erp", admin_id)
    assert engine.staged_count(import_id) == 5
    for lang in ("en", "nl", "no"):
        visit("staged list", f"/erpsync/imports/{import_id}/staged", lang)
    location(admin.post(f"/erpsync/imports/{import_id}/settings", data={}))
    for lang in ("en", "nl", "no"):
        visit("preview", f"/erpsync/imports/{import_id}/preview", lang)
    result = run_import(admin, import_id)
    for lang in ("en", "nl", "no"):
        visit("result", result, lang)
    imp = engine.get_import(import_id)
    visit("selection (plugin)", f"/erpsync/selections/{imp['new_selection_id']}")
    visit("selection (host)", f"/settings/selections/{imp['new_selection_id']}")
    visit("selections", "/settings/selections")
    visit("import history", "/settings/imports")
    visit("import detail", f"/settings/imports/{import_id}")
    visit("undo", f"/erpsync/imports/{import_id}/undo")
    visit("connections", "/settings/connections")
    visit("connection edit", f"/settings/connections/{connection}/edit")
    visit("import screen", "/settings/import")

    for label, html in pages.items():
        assert raw_payloads(html) == [], label
    # The text shows as typed (escaped markup is text, templates do not evaluate it).
    for label in ("search results (en)", "staged list (en)", "preview (en)", "result (en)",
                  "selection (plugin) (en)", "selection (host) (en)"):
        shown = text_of(pages[label])
        assert PAYLOADS["script"] in shown, label
        assert PAYLOADS["img"] in shown, label
    assert "{{ 7*7 }}" in text_of(search) and ">49<" not in search
    assert EVIL_CONNECTION in text_of(pages["connections (en)"])
    record("security.escaping.http", pages_checked=len(pages), payloads=len(PAYLOADS),
           malicious_actors=5, field_and_list_names=6, raw_markup_found=0)

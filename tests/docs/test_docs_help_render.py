"""The in-app help: Markdown from docs/help rendered with includes, callouts,
working links and images; English with a notice where a translation is
missing; and a help link on every dialog that opens the page in the dialog's
language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_helpers import LANGUAGES, h1_of, help_docs
from markupsafe import Markup

from erpsync.helpdocs import HelpDocs, HelpError


def _urls():
    return {"page_url": lambda name, lang, frag: f"/h/{name}?lang={lang}"
                                               + (f"#{frag}" if frag else ""),
            "media_url": lambda path: f"/h/media/{path}"}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small help folder: an English page with everything, a Dutch one."""
    (tmp_path / "en" / "includes").mkdir(parents=True)
    (tmp_path / "nl").mkdir()
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "icon.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "en" / "includes" / "steps.md").write_text(
        "First line of the step.\nSecond line, same step.\n", encoding="utf-8")
    (tmp_path / "en" / "includes" / "note.md").write_text(
        "> [!CAUTION]\n> Back up first.\n", encoding="utf-8")
    (tmp_path / "en" / "guide.md").write_text(
        "---\nuid: help-en-guide\ntitle: \"The guide\"\nlanguage: en\naudience: settings\n---\n\n"
        "# The guide\n\n[!include[note](includes/note.md)]\n\n"
        "1. [!include[steps](includes/steps.md)]\n2. Click **OK**.\n\n"
        "> [!NOTE]\n> Nothing is written yet.\n\n> [!TIP]\n> Use the [other page](other.md#the-end)"
        " or [Dutch](../nl/other.md).\n\n"
        "![An icon](../media/icon.svg) <script>alert(1)</script>\n\n## The end\n",
        encoding="utf-8")
    (tmp_path / "en" / "other.md").write_text(
        "---\ntitle: Other\n---\n# Other\n\n[outside](../../hooks.md)\n", encoding="utf-8")
    (tmp_path / "nl" / "other.md").write_text(
        "---\ntitle: Ander\n---\n# Ander\n", encoding="utf-8")
    return tmp_path


def test_includes_callouts_links_and_images(tree):
    page = HelpDocs(tree).render("guide", "en", **_urls())
    html = str(page.html)
    assert isinstance(page.html, Markup) and page.title == "The guide"
    # The fragment's second line stays inside the list item.
    assert "<li>First line of the step.\nSecond line, same step.</li>" in html
    assert '<div class="markdown-alert markdown-alert-caution">' in html
    assert '<p class="markdown-alert-title">Caution</p>' in html
    assert '<p class="markdown-alert-title">Note</p>' in html
    assert '<div class="markdown-alert markdown-alert-tip">' in html
    assert '<a href="/h/other?lang=en#the-end">other page</a>' in html
    assert '<a href="/h/other?lang=nl">Dutch</a>' in html
    assert '<img src="/h/media/icon.svg" alt="An icon"' in html
    assert '<h2 id="the-end">The end</h2>' in html
    assert "<strong>OK</strong>" in html


def test_author_comments_are_not_shown(tree):
    (tree / "en" / "commented.md").write_text(
        "# C\n\nText.\n\n<!-- Referenced links -->\n[1]: other.md\n", encoding="utf-8")
    html = str(HelpDocs(tree).render("commented", "en", **_urls()).html)
    assert "Referenced" not in html and "<!--" not in html and "&lt;!--" not in html


def test_raw_html_is_not_rendered(tree):
    html = str(HelpDocs(tree).render("guide", "en", **_urls()).html)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_callout_titles_are_in_the_pages_language(tree):
    (tree / "nl" / "guide.md").write_text("# Gids\n\n> [!NOTE]\n> Let op.\n", encoding="utf-8")
    html = str(HelpDocs(tree).render("guide", "nl", **_urls()).html)
    from erpsync.i18n import pgettext, use_locale

    with use_locale("nl"):
        expected = pgettext("help callout", "Note")
    assert f'<p class="markdown-alert-title">{expected}</p>' in html


def test_a_missing_translation_falls_back_to_english(tree):
    page = HelpDocs(tree).render("guide", "nl", **_urls())
    assert page.language == "en" and page.requested_language == "nl" and page.fallback
    assert not HelpDocs(tree).render("other", "nl", **_urls()).fallback


def test_links_that_cannot_work_in_the_app_are_text(tree):
    docs = HelpDocs(tree)
    page = docs.render("other", "en", **_urls())
    assert "outside" in page.html and "hooks.md" not in page.html
    assert page.problems
    with pytest.raises(HelpError, match="does not resolve"):
        docs.render("other", "en", strict=True, **_urls())


def test_a_missing_include_shows_a_marker_in_the_app_and_fails_strictly(tree):
    (tree / "en" / "broken.md").write_text("# B\n\n[!include[x](includes/gone.md)]\n",
                                           encoding="utf-8")
    docs = HelpDocs(tree)
    assert "missing include" in docs.render("broken", "en", **_urls()).html
    with pytest.raises(HelpError, match="missing include"):
        docs.render("broken", "en", strict=True, **_urls())


def test_page_names_cannot_leave_the_help_folder(tree):
    docs = HelpDocs(tree)
    assert docs.page_path("../en/guide", "en") is None
    assert docs.page_path("guide", "xx") is None
    assert not docs.exists("..%2Fsecret")


def test_the_index_lists_pages_in_the_language_else_english(tree):
    entries = {e.name: e for e in HelpDocs(tree).index("nl")}
    assert entries["other"].title == "Ander" and entries["other"].language == "nl"
    assert entries["guide"].title == "The guide" and entries["guide"].language == "en"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_dialog_links_to_its_help_page_in_its_language(language, screens):
    capture = screens(language)
    assert len(capture.help_links) >= 5, capture.help_links
    docs = help_docs()
    for url, dialog in capture.help_links.items():
        status, page = capture.help_pages[url]
        name = re.search(r"/help/([a-z0-9-]+)", url)
        assert name and status == 200, f"the help link of {dialog!r} ({url}) answers {status}"
        assert f'<html lang="{language}">' in page
        wanted = language if docs.page_path(name.group(1), language) else "en"
        assert f'<article class="help-article" lang="{wanted}">' in page
        assert h1_of(page) == docs.load(name.group(1), wanted).title
        if wanted != language:
            assert 'class="notice notice-warning help-fallback"' in page


def test_the_help_pages_are_served_with_their_images(screens):
    capture = screens("en")
    url = next(u for u in capture.help_links if "/help/import-from-erp" in u)
    _, page = capture.help_pages[url]
    assert re.search(r'<img src="/erpsync/help/media/import-erp.svg"', page)


def test_the_app_shows_english_with_a_notice_when_a_page_is_not_translated(
        tree, erpsync_data_dir, monkeypatch):
    from argon2 import PasswordHasher
    from docs_screens import login, make_app
    from starlette.testclient import TestClient

    from erpsync.host import users
    from erpsync.ui import help_pages

    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(help_pages, "HELP", HelpDocs(tree))
    app = make_app(erpsync_data_dir)
    with TestClient(app, follow_redirects=False) as client:
        login(client, "admin", "admin")
        page = client.get("/erpsync/help/guide?lang=nl")
        assert page.status_code == 200
        assert '<html lang="nl">' in page.text
        assert '<article class="help-article" lang="en">' in page.text
        assert 'class="notice notice-warning help-fallback"' in page.text
        assert "Nederlands" in page.text  # the notice names the missing language
        translated = client.get("/erpsync/help/other?lang=nl")
        assert "help-fallback" not in translated.text
        assert client.get("/erpsync/help/nothing-here?lang=nl").status_code == 404
    app.state.db.dispose()

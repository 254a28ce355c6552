"""A translation with a broken placeholder must not break a page: Jinja and
Python gettext fall back to the English msgid, with a warning in the log."""

from __future__ import annotations

import io
import logging

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations

from erpsync import i18n
from erpsync.rendering import Renderer

TEMPLATE = """\
<p>{{ _("Connected to %(name)s", name=conn) }}</p>
<p>{{ ngettext("%(num)s actor", "%(num)s actors", n) }}</p>
<p>{{ pgettext("button", "Import %(what)s", what=conn) }}</p>
<p>{{ npgettext("grid", "%(num)s row", "%(num)s rows", n) }}</p>
<p>{% trans count=n %}{{ count }} update{% pluralize %}{{ count }} updates{% endtrans %}</p>
<p>{{ _("Done") }}</p>
<p>{{ _("Reason: %(message)s", message="x") }}</p>
"""


def translations(strings: dict) -> Translations:
    """A compiled Dutch catalog of ``{(msgctxt, msgid): msgstr}``."""
    catalog = Catalog(locale="nl")
    for (ctx, msgid), value in strings.items():
        catalog.add(msgid, value, context=ctx)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain="erpsync")


GOOD = {
    (None, "Connected to %(name)s"): "Verbonden met %(name)s",
    (None, ("%(num)s actor", "%(num)s actors")): ("%(num)s actor", "%(num)s actoren"),
    ("button", "Import %(what)s"): "%(what)s importeren",
    ("grid", ("%(num)s row", "%(num)s rows")): ("%(num)s rij", "%(num)s rijen"),
    (None, ("%(count)s update", "%(count)s updates")): (
        "%(count)s wijziging", "%(count)s wijzigingen"),
    (None, "Done"): "Klaar",
    (None, "Reason: %(message)s"): "Reden: %(message)s",
}
BROKEN = {
    (None, "Connected to %(name)s"): "Verbonden met %(naam)s",             # KeyError
    (None, ("%(num)s actor", "%(num)s actors")): (
        "%(num)s actor", "%(num)s actoren %"),                            # ValueError
    ("button", "Import %(what)s"): "%(what)d importeren",                 # TypeError
    ("grid", ("%(num)s row", "%(num)s rows")): ("%(num)s rij", "%(aantal)s rijen"),
    (None, ("%(count)s update", "%(count)s updates")): (
        "%(count)s wijziging", "%(n)s wijzigingen"),
    (None, "Done"): "100% klaar",                                         # lone %
    (None, "Reason: %(message)s"): "Reden: %(bericht)s",
}


@pytest.fixture
def render(tmp_path, monkeypatch):
    (tmp_path / "page.html").write_text(TEMPLATE, encoding="utf-8")

    def render(strings: dict, **context) -> list[str]:
        monkeypatch.setattr(i18n, "get_translations", lambda locale: translations(strings))
        html = Renderer(extra_dirs=[tmp_path]).render("page.html", "nl", **context)
        return [line.removeprefix("<p>").removesuffix("</p>") for line in html.splitlines()]

    return render


def test_good_translations_render(render):
    assert render(GOOD, conn="Tryton <test>", n=3) == [
        "Verbonden met Tryton &lt;test&gt;",
        "3 actoren",
        "Tryton &lt;test&gt; importeren",
        "3 rijen",
        "3 wijzigingen",
        "Klaar",
        "Reden: x",
    ]


def test_broken_placeholders_fall_back_to_english(render, caplog):
    with caplog.at_level(logging.WARNING, logger="erpsync.i18n"):
        lines = render(BROKEN, conn="Tryton <test>", n=3)
    assert lines == [
        "Connected to Tryton &lt;test&gt;",   # still autoescaped
        "3 actors",
        "Import Tryton &lt;test&gt;",
        "3 rows",
        "3 updates",
        "Done",
        "Reason: x",
    ]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 7
    assert all(w.startswith("broken placeholder in nl translation of") for w in warnings)
    # The singular forms were fine and still translate.
    assert render(BROKEN, conn="T", n=1)[1:5:2] == ["1 actor", "1 rij"]


def test_python_gettext_falls_back_too(monkeypatch, caplog):
    monkeypatch.setattr(i18n, "get_translations", lambda locale: translations(BROKEN))
    with i18n.use_locale("nl"), caplog.at_level(logging.WARNING, logger="erpsync.i18n"):
        assert i18n.gettext("Connected to %(name)s", name="X") == "Connected to X"
        assert i18n.pgettext("button", "Import %(what)s", what="X") == "Import X"
        assert i18n.npgettext("grid", "%(num)s row", "%(num)s rows", 2) == "2 rows"
        assert i18n.gettext("Reason: %(message)s", message="m") == "Reason: m"
    assert len(caplog.records) == 4

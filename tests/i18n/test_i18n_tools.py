"""extract / update / compile / check of erpsync.i18n_tools on a temp checkout."""

from __future__ import annotations

import json

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from click.testing import CliRunner
from i18n_helpers import edit_po, translate

from erpsync import i18n_tools
from erpsync.i18n_cli import i18n_group


def kinds(report: i18n_tools.CheckReport, locale: str | None = None) -> list[tuple]:
    """(kind, msgctxt, msgid) of the findings, for one locale or the template."""
    findings = (report.template.findings if locale is None
                else report.locales[locale].findings)
    return [(f.kind, f.msgctxt, f.msgid) for f in findings]


def run_cli(project, *args):
    return CliRunner().invoke(i18n_group, ["--root", str(project.root), *args])


# --------------------------------------------------------------------- extract


def test_extract_collects_python_and_jinja_messages(project):
    with project.pot_path.open("rb") as fh:
        pot = read_po(fh)
    keys = {i18n_tools.message_key(m) for m in pot if m.id}
    assert keys == {
        ("", "Select an import source", ""),        # _l
        ("button", "Import", ""),                   # lazy_pgettext:1c,2
        ("", "Connected to %(name)s", ""),
        ("", "One actor found", "%(num)s actors found"),
        ("screen", "Import", ""),                   # pgettext
        ("", "Preview import", ""),
        # {% trans %} with trimmed = true: whitespace collapsed, as at runtime
        ("", "%(count)s actor will be imported", "%(count)s actors will be imported"),
        ("button", "Next", ""),
    }
    comments = {m.id if isinstance(m.id, str) else m.id[0]: m.auto_comments for m in pot}
    assert comments["Connected to %(name)s"] == ["%(name)s is the name of the ERP connection"]
    assert comments["%(count)s actor will be imported"] == [
        "count is the number of actors that will be imported"]
    locations = {loc for m in pot for loc, _ in m.locations}
    assert locations == {"plugin/erpsync/wizard.py", "templates/erpsync/preview.html"}


def test_extract_does_not_rewrite_an_unchanged_template(project):
    before = project.pot_path.read_bytes()
    result = i18n_tools.extract(project)
    assert not result.written
    assert project.pot_path.read_bytes() == before

    (project.root / "plugin/erpsync/extra.py").write_text(
        'from erpsync.i18n import gettext\n\nX = gettext("Search ERP")\n')
    assert i18n_tools.extract(project).written
    assert b'msgid "Search ERP"' in project.pot_path.read_bytes()


def test_extract_reports_a_template_jinja_cannot_parse(project):
    (project.root / "templates/erpsync/broken.html").write_text("{% trans %}Oops{% endif %}")
    with pytest.raises(i18n_tools.I18nToolError, match="broken.html"):
        i18n_tools.extract(project)
    result = run_cli(project, "extract")
    assert result.exit_code == 1
    assert "broken.html" in result.output


def test_extract_without_babel_cfg_says_what_is_wrong(tmp_path):
    result = CliRunner().invoke(i18n_group, ["--root", str(tmp_path), "extract"])
    assert result.exit_code == 1
    assert "babel.cfg not found" in result.output


# --------------------------------------------------------------------- update


def test_update_creates_catalogs_with_the_right_plural_forms(project):
    for locale, language in (("en", "en"), ("nl", "nl"), ("no", "nb")):
        with project.po_path(locale).open("rb") as fh:
            catalog = read_po(fh)
        assert str(catalog.locale) == language
        assert catalog.num_plurals == 2
        assert "nplurals=2; plural=(n != 1);" in catalog.plural_forms


def test_update_fills_english_with_the_msgids(project):
    with project.po_path("en").open("rb") as fh:
        en = read_po(fh)
    for message in en:
        if message.pluralizable:
            assert tuple(message.string) == tuple(message.id)
        elif message.id:
            assert message.string == message.id


def test_update_keeps_translations_and_marks_removed_messages_obsolete(project):
    wizard = project.root / "plugin/erpsync/wizard.py"
    wizard.write_text(wizard.read_text().replace('"Select an import source"',
                                                 '"Select an import source:"'))
    i18n_tools.extract(project)
    (nl,) = i18n_tools.update(project, ["nl"], fuzzy_matching=False)
    assert nl.written and nl.added == 1 and nl.obsolete == 1

    with project.po_path("nl").open("rb") as fh:
        catalog = read_po(fh)
    assert catalog.get("Connected to %(name)s").string == "Verbonden met %(name)s"
    assert catalog.get("Select an import source:").string == ""
    assert [m.string for m in catalog.obsolete.values()] == ["Een importbron selecteren"]

    report = i18n_tools.check(project, ["nl"])
    assert ("untranslated", None, "Select an import source:") in kinds(report, "nl")
    obsolete = [f for f in report.locales["nl"].findings if f.kind == "obsolete"]
    assert [f.severity for f in obsolete] == ["warning"]

    i18n_tools.update(project, ["nl"], drop_obsolete=True)
    with project.po_path("nl").open("rb") as fh:
        assert not read_po(fh).obsolete


def test_update_drops_obsolete_english_copies_but_keeps_edited_english(project):
    def edit(catalog):
        catalog.get("Preview import").string = "Preview the import"

    edit_po(project.po_path("en"), edit)
    wizard = project.root / "templates/erpsync/preview.html"
    wizard.write_text(wizard.read_text().replace('"Preview import"', '"Preview"'))
    wizard = project.root / "plugin/erpsync/wizard.py"
    wizard.write_text(wizard.read_text().replace('"Connected to %(name)s"',
                                                 '"Connected to %(name)s."'))
    i18n_tools.extract(project)
    (en,) = i18n_tools.update(project, ["en"])
    with project.po_path("en").open("rb") as fh:
        catalog = read_po(fh)
    assert [m.string for m in catalog.obsolete.values()] == ["Preview the import"]
    assert catalog.get("Connected to %(name)s.").string == "Connected to %(name)s."
    assert en.filled == 2 and en.obsolete == 1


def test_update_does_not_flag_empty_entries_fuzzy(project):
    translate(project, "nl", overrides={(None, "One actor found"): ("", "")})
    (project.root / "plugin/erpsync/extra.py").write_text(
        "from erpsync.i18n import ngettext\n\n"
        'X = ngettext("One actor founded", "%(num)s actors founded", 2)\n')
    i18n_tools.extract(project)
    i18n_tools.update(project, ["nl"])
    with project.po_path("nl").open("rb") as fh:
        catalog = read_po(fh)
    assert not [m.id for m in catalog if m.fuzzy]
    # A translated neighbour is still offered as a fuzzy guess.
    translate(project, "nl")
    (project.root / "plugin/erpsync/extra.py").write_text(
        'from erpsync.i18n import gettext\n\nX = gettext("Connected to %(name)s!")\n')
    i18n_tools.extract(project)
    i18n_tools.update(project, ["nl"])
    with project.po_path("nl").open("rb") as fh:
        guess = read_po(fh).get("Connected to %(name)s!")
    assert guess.fuzzy and guess.string == "Verbonden met %(name)s"


def test_update_is_idempotent(project):
    before = {loc: project.po_path(loc).read_bytes() for loc in project.locales}
    results = i18n_tools.update(project)
    assert not any(r.written for r in results)
    assert before == {loc: project.po_path(loc).read_bytes() for loc in project.locales}


# --------------------------------------------------------------------- compile


def test_compile_writes_loadable_mo_files(project):
    result = run_cli(project, "compile")
    assert result.exit_code == 0, result.output
    assert "8 of 8 messages translated" in result.output
    with project.mo_path("no").open("rb") as fh:
        no = Translations(fh, domain="erpsync")
    assert no.pgettext("button", "Import") == "Importer"
    assert no.ngettext("One actor found", "%(num)s actors found", 3) == "%(num)s aktører funnet"


# --------------------------------------------------------------------- check


def test_check_passes_on_a_complete_catalog(project):
    report = i18n_tools.check(project)
    assert report.findings == []
    assert report.ok()
    assert report.template.checked_sources
    assert {loc: rep.stats.translated for loc, rep in report.locales.items()} == {
        "en": 8, "nl": 8, "no": 8}

    result = run_cli(project, "check")
    assert result.exit_code == 0, result.output
    assert "Check passed" in result.output


def test_check_finds_a_missing_translation(project):
    translate(project, "nl", overrides={(None, "Preview import"): ""})
    report = i18n_tools.check(project)
    assert kinds(report, "nl") == [("untranslated", None, "Preview import")]
    assert report.locales["nl"].stats.untranslated == 1
    assert kinds(report, "no") == []
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert 'untranslated: "Preview import": no translation' in result.output


def test_check_finds_an_untranslated_plural_form(project):
    translate(project, "no", overrides={
        (None, "One actor found"): ("Én aktør funnet", "")})
    report = i18n_tools.check(project)
    findings = report.locales["no"].findings
    assert [(f.kind, f.msgid) for f in findings] == [("untranslated", "One actor found")]
    assert "msgstr[1]" in findings[0].message
    assert not report.ok()


def test_check_finds_a_wrong_placeholder(project):
    translate(project, "nl", overrides={
        (None, "Connected to %(name)s"): "Verbonden met %(naam)s",
        (None, "%(count)s actor will be imported"): (
            "%(count)s actor wordt geïmporteerd", "%(num)s actoren worden geïmporteerd"),
    })
    report = i18n_tools.check(project)
    found = {(f.kind, f.msgid): f.message for f in report.locales["nl"].findings}
    assert set(found) == {("placeholder", "Connected to %(name)s"),
                          ("placeholder", "%(count)s actor will be imported")}
    assert "lacks %(name)s" in found[("placeholder", "Connected to %(name)s")]
    assert "%(naam)s" in found[("placeholder", "Connected to %(name)s")]
    assert found[("placeholder", "%(count)s actor will be imported")].startswith("msgstr[1]")
    assert run_cli(project, "check").exit_code == 1


def test_check_finds_a_fuzzy_entry(project):
    translate(project, "no", fuzzy={("button", "Next")})
    report = i18n_tools.check(project)
    assert kinds(report, "no") == [("fuzzy", "button", "Next")]
    assert report.locales["no"].stats.fuzzy == 1
    assert report.locales["no"].stats.translated == 7
    assert run_cli(project, "check").exit_code == 1


def test_check_finds_a_stale_template(project):
    (project.root / "plugin/erpsync/extra.py").write_text(
        'from erpsync.i18n import pgettext\n\nX = pgettext("operator", "begins")\n')
    report = i18n_tools.check(project)
    assert [f.kind for f in report.template.findings] == ["stale-template"]
    assert report.template.added == ['[operator] "begins"']
    assert report.template.removed == []
    assert run_cli(project, "check").exit_code == 1
    # Skipping the source comparison ignores it.
    assert i18n_tools.check(project, check_sources=False).ok()


def test_check_finds_bad_msgids_in_the_sources(project):
    (project.root / "plugin/erpsync/extra.py").write_text(
        'from erpsync.i18n import gettext\n\nX = gettext("Found %(num)s rows", num=1)\n')
    (project.root / "templates/erpsync/extra.html").write_text(
        '{# Translators: the share of rows done #}\n{{ _("%s done", 5) }}\n')
    i18n_tools.extract(project)
    i18n_tools.update(project)
    report = i18n_tools.check(project, ["en"])
    assert sorted((f.kind, f.severity, f.msgid) for f in report.template.findings) == [
        ("no-comment", "warning", "Found %(num)s rows"),
        ("source-placeholder", "error", "%s done"),
    ]


def test_check_finds_catalogs_not_merged_with_the_template(project):
    (project.root / "plugin/erpsync/extra.py").write_text(
        'from erpsync.i18n import gettext\n\nX = gettext("Search ERP")\n')
    i18n_tools.extract(project)
    report = i18n_tools.check(project)
    assert report.template.findings == []
    for locale in project.locales:
        assert [f.kind for f in report.locales[locale].findings] == ["not-merged"]
        assert '"Search ERP"' in report.locales[locale].findings[0].message


def test_check_finds_a_missing_catalog_and_a_bad_plural_header(project):
    project.po_path("en").unlink()
    edit_po(project.po_path("nl"),
            lambda c: setattr(c, "_num_plurals", 3) or setattr(c, "_plural_expr", "n%3"))
    report = i18n_tools.check(project)
    assert kinds(report, "en") == [("missing-catalog", None, None)]
    assert [f.kind for f in report.locales["nl"].findings][:1] == ["header"]
    assert "nplurals=3" in report.locales["nl"].findings[0].message


def test_check_json_output(project):
    translate(project, "nl", overrides={(None, "Preview import"): ""},
              fuzzy={("button", "Next")})
    result = run_cli(project, "check", "--json", "--locale", "nl")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["errors"] == 2
    assert list(data["locales"]) == ["nl"]
    nl = data["locales"]["nl"]
    assert nl["stats"]["untranslated"] == 1 and nl["stats"]["fuzzy"] == 1
    assert {(f["kind"], f["msgid"]) for f in nl["findings"]} == {
        ("untranslated", "Preview import"), ("fuzzy", "Next")}
    assert all(f["line"] for f in nl["findings"])
    assert data["template"]["stale"] is False


def test_strict_check_fails_on_obsolete_entries(project):
    def add_obsolete(catalog):
        catalog.obsolete["Gone"] = catalog["Preview import"].__class__("Gone", "Weg")

    edit_po(project.po_path("nl"), add_obsolete)
    assert run_cli(project, "check").exit_code == 0
    result = run_cli(project, "check", "--strict")
    assert result.exit_code == 1
    assert "obsolete" in result.output


def test_stats_command(project):
    translate(project, "nl", overrides={(None, "Preview import"): ""})
    result = run_cli(project, "stats", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["nl"]["translated"] == 7 and data["nl"]["total"] == 8
    assert data["no"]["percent"] == 100.0


def test_unknown_locale_option_is_refused(project):
    result = run_cli(project, "check", "--locale", "de")
    assert result.exit_code == 2
    assert "'de' is not one of en, nl, no" in result.output


# --------------------------------------------------------------------- placeholders


@pytest.mark.parametrize(("sources", "translation", "template", "ok"), [
    (["Found %(num)s rows"], "%(num)s rijen gevonden", False, True),
    (["Found %(num)s rows"], "Rijen gevonden", False, False),            # dropped
    (["Found %(num)s rows"], "%(aantal)s rijen", False, False),          # renamed
    (["Found %(num)d rows"], "%(num)s rijen", False, False),             # conversion
    (["%(a)s of %(b)s"], "%(b)s av %(a)s", False, True),                 # reordered
    (["%s of %s"], "%s av %s", False, True),
    (["%s of %d"], "%d av %s", False, False),                            # positional order
    (["100%% done"], "100%% klaar", True, True),
    (["100%% done"], "100% klaar", True, False),                         # lone % in Jinja
    (["Done"], "100% klaar", True, False),
    (["Done"], "100% ferdig", False, True),                              # never formatted
    (["Done"], "Klaar %(x)s", False, False),
    (["Hello {name}"], "Hallo {name}", False, True),
    (["Hello {name}"], "Hallo {naam}", False, False),
    (["Use {{braces}}"], "Gebruik {{accolades}}", False, True),
    (["One row", "%(num)s rows"], "Eén rij", False, True),               # singular form
    (["One row", "%(num)s rows"], "%(num)s rijen", False, True),
    (["One row", "%(num)s rows"], "%(num)s rijen %(x)s", False, False),
])
def test_placeholder_problem(sources, translation, template, ok):
    problem = i18n_tools.placeholder_problem(sources, translation, always_formatted=template)
    assert (problem is None) == ok, problem

"""The command line speaks the language of ERPSYNC_LANG or the POSIX locale."""

from __future__ import annotations

import pytest
from babel.support import NullTranslations
from click.testing import CliRunner

from erpsync import i18n
from erpsync.cli import main
from erpsync.cli_common import cli_locale

#: A tiny stand-in catalog per language, so the test does not depend on how far
#: the real catalogs are translated.
FAKE = {
    "nl": {"Error: %(message)s": "Fout: %(message)s", "ERP connections.": "ERP-verbindingen."},
    "no": {"Error: %(message)s": "Feil: %(message)s", "ERP connections.": "ERP-koblinger."},
}


class _FakeTranslations(NullTranslations):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def ugettext(self, message: str) -> str:
        return self.messages.get(message, message)

    gettext = ugettext


@pytest.fixture(autouse=True)
def fake_catalogs(monkeypatch):
    monkeypatch.setattr(i18n, "get_translations",
                        lambda locale: _FakeTranslations(FAKE.get(locale, {})))


@pytest.mark.parametrize(("env", "expected"), [
    ({"ERPSYNC_LANG": "nl", "LANG": "nb_NO.UTF-8"}, "nl"),
    ({"LANG": "nb_NO.UTF-8"}, "no"),
    ({"LC_ALL": "nn_NO.UTF-8", "LANG": "nl_NL.UTF-8"}, "no"),
    ({"LC_ALL": "C.UTF-8", "LANG": "nl_BE.UTF-8"}, "nl"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({}, "en"),
])
def test_cli_locale(env, expected):
    assert cli_locale(env) == expected


@pytest.mark.parametrize(("env", "prefix"), [
    ({"ERPSYNC_LANG": "nl"}, "Fout: "),
    ({"LANG": "nb_NO.UTF-8"}, "Feil: "),
    ({"LANG": "C.UTF-8"}, "Error: "),
])
def test_errors_are_localized(env, prefix, db_url):
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db_url, "connections", "test", "Nope"],
                           env={"ERPSYNC_LANG": None, "LC_ALL": None, "LC_MESSAGES": None,
                                **env})
    assert result.exit_code == 2
    assert result.stderr.startswith(prefix)


def test_help_is_localized():
    result = CliRunner().invoke(main, ["connections", "--help"], env={"ERPSYNC_LANG": "no"})
    assert result.exit_code == 0
    assert "ERP-koblinger." in result.stdout
    assert i18n.get_locale() == "en"  # the language does not leak out of the command

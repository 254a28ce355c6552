"""Helpers of the reference host's tests: users, a fake import-source plugin, login."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from erpsync import hookimpl
from erpsync.i18n import lazy_gettext
from erpsync.sources.base import ImportSource

ADMIN = ("alice", "alice-secret-1")
VIEWER = ("victor", "victor-secret-1")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeSources:
    """A tiny plugin with two sources: one enabled, one disabled with a reason."""

    @hookimpl
    def erpsync_import_sources(self, erpsync):
        return [
            ImportSource(key="fakefile", label=lazy_gettext("Fake file"), url="fake/start",
                         icon="fake/icon.svg", description=lazy_gettext("A test source"),
                         order=50),
            ImportSource(key="fakeoff", label=lazy_gettext("Fake off"), url="fake/off",
                         order=60, enabled=False,
                         disabled_reason=lazy_gettext("Fake source is switched off."),
                         disabled_link="/settings/quote-sync?tab=quote",
                         disabled_link_label=lazy_gettext("Fix it here")),
        ]


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no csrf_token field"
    return found.group(1)


def login(client: TestClient, username: str, password: str,
          next_url: str = "/settings"):
    page = client.get("/login", params={"next": next_url})
    return client.post("/login", data={"username": username, "password": password,
                                       "next": next_url, "csrf_token": csrf_from(page.text)})

"""The language switcher and ?lang=."""

from __future__ import annotations

import re

from host_helpers import ADMIN, login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.host import users


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found
    return found.group(1)


def test_default_language_is_english(client: TestClient) -> None:
    assert html_lang(client.get("/login").text) == "en"


def test_browser_language_is_used(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"})
    assert html_lang(page.text) == "no"


def test_lang_switch_is_remembered_in_the_session(client: TestClient) -> None:
    assert html_lang(client.get("/login", params={"lang": "no"}).text) == "no"
    assert html_lang(client.get("/login").text) == "no"
    assert html_lang(client.get("/login", params={"lang": "nl"}).text) == "nl"
    # An unknown language changes nothing.
    assert html_lang(client.get("/login", params={"lang": "xx"}).text) == "nl"


def test_lang_switch_is_stored_on_the_profile(app: Starlette,
                                              admin_client: TestClient) -> None:
    page = admin_client.get("/settings", params={"lang": "nb_NO"})
    assert html_lang(page.text) == "no"
    assert users.get_user_by_name(app.state.db, ADMIN[0]).locale == "no"
    # A new session (another browser) starts in the profile's language.
    admin_client.cookies.clear()
    login(admin_client, *ADMIN)
    assert html_lang(admin_client.get("/settings").text) == "no"


def test_language_chosen_before_login_survives_it(client: TestClient) -> None:
    client.get("/login", params={"lang": "nl"})
    login(client, *ADMIN)
    assert html_lang(client.get("/settings").text) == "nl"


def test_switcher_links_keep_the_page_and_its_query(admin_client: TestClient) -> None:
    html = admin_client.get("/settings/quote-sync", params={"tab": "sync"}).text
    for code, name in (("en", "English"), ("nl", "Nederlands"), ("no", "Norsk")):
        assert (f'href="/settings/quote-sync?tab=sync&amp;lang={code}" lang="{code}"'
                in html), code
        assert f">{name}</a>" in html
    assert 'aria-current="true" class="is-current">English<' in html

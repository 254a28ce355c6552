"""In a real browser (Debian's Chromium), an admin imports ERP actors whose names,
cities, keys, field names and list items carry script: no script runs (no
dialog opens, ``window.__xss`` stays unset, no JavaScript error) and the text
shows as typed on the search results, staged list, preview, result and
selection pages. Fails, not skips, under CI when Chromium is missing."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from security_helpers import PAYLOADS, write_evil_workbook
from starlette.applications import Starlette

from erpsync.connections import ConnectionStore
from live_host import LiveServer
from reliability_figures import record

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests "
                        "(apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")


def in_own_thread(work: Callable[[Any], None]) -> None:
    """Run ``work(browser)`` with Chromium in a thread of its own: Playwright's sync
    API refuses a thread whose asyncio loop runs (another suite's browser fixture)."""
    from playwright.sync_api import sync_playwright

    failure: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                try:
                    work(browser)
                finally:
                    browser.close()
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="xss-browser")
    thread.start()
    thread.join(300)
    assert not thread.is_alive(), "the browser test did not finish"
    if failure:
        raise failure[0]


def test_no_script_from_erp_data_runs_and_the_text_shows_as_typed(
        app: Starlette, tmp_path: Path, engine) -> None:
    chromium_or_skip()
    from playwright.sync_api import expect

    info = write_evil_workbook(tmp_path / "evil-erp")
    connection_id = ConnectionStore(app.state.db).add(
        "Evil ERP " + PAYLOADS["img"], "workbook", {"path": str(tmp_path / "evil-erp")})
    dialogs: list[str] = []
    errors: list[str] = []
    checked: list[str] = []

    def scenario(browser: Any) -> None:
        context = browser.new_context(base_url=server_url, locale="en-US")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def check(label: str, *expected: str) -> None:
            """Nothing ran on this page, and the payloads show as text."""
            page.wait_for_load_state("load")
            page.mouse.move(5, 5)
            page.mouse.move(400, 300)  # hover handlers, if any were injected
            assert page.evaluate("() => window.__xss") is None, label
            main = page.locator("main").inner_text()
            for text in expected:
                assert text in main, (label, text)
            checked.append(label)

        page.goto("/login")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("admin")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/settings")

        # Select ERP connection: the evil connection and its (escaped) name.
        page.goto(f"/erpsync/erp/select-connection?connection={connection_id}")
        check("select connection")
        page.get_by_label("Actor type", exact=True).select_option(label="Customers")
        page.get_by_role("button", name="OK", exact=True).click()
        # Search ERP: field names with markup, then all customers.
        expect(page.get_by_role("heading", name="Search ERP")).to_be_visible()
        check("search form")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.get_by_role("heading", name="Search results")).to_be_visible()
        check("search results", PAYLOADS["script"], PAYLOADS["img"], PAYLOADS["textarea"])
        page.get_by_label("Select all rows on this page").check()
        page.get_by_role("button", name="Add Import", exact=True).click()
        expect(page.get_by_role("heading", name="Actors to import")).to_be_visible()
        check("staged list", PAYLOADS["script"], PAYLOADS["img"])

        page.get_by_role("link", name="Configure import settings").click()
        check("settings")
        page.get_by_role("button", name="Next", exact=True).click()
        expect(page.get_by_role("heading", name="Preview import")).to_be_visible()
        check("preview", PAYLOADS["script"], PAYLOADS["img"])
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_role("heading", name="Import finished")).to_be_visible(
            timeout=60_000)
        check("result", PAYLOADS["script"], PAYLOADS["img"])

        page.get_by_role("link", name="Selection with the new actors").click()
        check("selection", PAYLOADS["script"], PAYLOADS["img"])
        for url, label in ((page.url.replace("/settings/selections/", "/erpsync/selections/"),
                            "plugin selection"), ("/settings/imports", "import history"),
                           ("/settings/connections", "connections")):
            page.goto(url)
            check(label)
        # The Dutch and Norwegian list item names (translations from the ERP) too.
        import_id = engine.list_imports()[0]["id"]
        for lang in ("nl", "no"):
            page.goto(f"/erpsync/imports/{import_id}/result?lang={lang}")
            check(f"result ({lang})", PAYLOADS["script"])
        # The control: the same payloads do run when markup is not escaped.
        control = context.new_page()
        live: list[str] = []
        control.on("dialog", lambda dialog: (live.append(dialog.message), dialog.dismiss()))
        control.set_content(f"<body>{PAYLOADS['img']}</body>")
        control.wait_for_function("() => window.__xss === 'img'")
        assert live == ["img"]
        context.close()

    with LiveServer(app) as server:
        server_url = server.url
        in_own_thread(scenario)

    assert dialogs == [], dialogs
    assert errors == [], errors
    assert len(info["customer_keys"]) == 4
    assert re.search(r"Evil ERP", ConnectionStore(app.state.db).get(connection_id).name)
    record("security.escaping.browser", pages_checked=len(checked), payloads=len(PAYLOADS),
           dialogs_opened=len(dialogs), scripts_ran=0)

"""Fixtures of the browser tests: the real reference host served by uvicorn on a
free 127.0.0.1 port (demo data: admin/admin, the "Demo ERP" workbook connection),
and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.host.app import create_app
from erpsync.host.demo import ensure_demo
from live_host import CHROMIUM, CHROMIUM_ARGS, LiveServer

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture
def live_host(erpsync_data_dir: Path) -> Iterator[LiveServer]:
    """The reference host with the demo set up, in its own data directory
    (``ERPSYNC_DATA_DIR``, so the SQLite file and backups stay there)."""
    app = create_app(data_dir=erpsync_data_dir, secret_key="browser-test-secret",
                     load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Module scope: a live Playwright sync session keeps an asyncio loop marked as
# running in the main thread, which breaks later tests that use asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def javascript() -> bool:
    """Whether the tab runs JavaScript (override with a parametrized fixture)."""
    return True


@pytest.fixture
def page(browser, live_host: LiveServer, request: pytest.FixtureRequest,
         javascript: bool) -> Iterator[object]:
    """A fresh English-speaking browser tab on the live host; a screenshot of
    the last page lands in test-results/ when the test fails."""
    context = browser.new_context(base_url=live_host.url, locale="en-US",
                                  java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        if request.node.stash.get(_FAILED, False):
            RESULTS_DIR.mkdir(exist_ok=True)
            tab.screenshot(path=str(RESULTS_DIR / f"{request.node.name}.png"), full_page=True)
        context.close()

"""Security headers (CSP without inline script, nosniff, no framing) on every
response: every route of the host and of the mounted erpsync app, static
files, /healthz, 404/405 and 500 pages of both - and no page has inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from security_helpers import endpoints, login
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from erpsync import hookimpl
from erpsync.host.app import create_app
from erpsync.host.demo import ensure_demo
from erpsync.paths import TEMPLATES_DIR
from erpsync.security import SECURITY_HEADERS
from reliability_figures import record

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
_EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def check_headers(response, where: object) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (where, name, response.headers.get(name))


def check_no_inline_script(response, where: object) -> None:
    if "text/html" not in response.headers.get("content-type", ""):
        return
    assert not _INLINE_SCRIPT.search(response.text), where
    assert not _EVENT_HANDLER.search(response.text), where


def test_the_policy_forbids_inline_script_and_framing() -> None:
    csp = dict(part.strip().split(" ", 1)
               for part in SECURITY_HEADERS["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"


class Boom:
    """A plugin whose page fails, to see the plugin app's 500 page."""

    @hookimpl
    def erpsync_routes(self, erpsync):
        def fail(request):
            raise RuntimeError("boom")

        return [Route("/boom", fail, name="boom")]


@pytest.fixture
def boom_app(erpsync_data_dir: Path) -> Starlette:
    app = create_app(data_dir=erpsync_data_dir, secret_key="headers-secret",
                     plugins=[Boom()], load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)

    async def host_fail(request) -> Response:
        raise RuntimeError("host boom")

    app.router.routes.append(Route("/settings/boom", host_fail))
    return app


def test_every_response_has_the_headers(boom_app: Starlette) -> None:
    checked = 0
    statuses: set[int] = set()
    with TestClient(boom_app, follow_redirects=False, raise_server_exceptions=False) as anon, \
            TestClient(boom_app, follow_redirects=False,
                       raise_server_exceptions=False) as admin:
        login(admin, "admin", "admin", header=True)
        for endpoint in endpoints(boom_app):
            path = endpoint.path()
            for client in (anon, admin):
                response = client.request(endpoint.method, path)
                check_headers(response, (endpoint.method, path, response.status_code))
                check_no_inline_script(response, path)
                statuses.add(response.status_code)
                checked += 1
        extra = {
            "/static/erpsync.css": 200, "/erpsync/ui-static/dialogs.js": 200,
            "/healthz": 200, "/nowhere": 404, "/erpsync/nowhere": 404,
            "/static/nowhere.css": 404, "/erpsync/boom": 500, "/settings/boom": 500,
        }
        for path, status in extra.items():
            response = admin.get(path)
            assert response.status_code == status, path
            check_headers(response, path)
            statuses.add(response.status_code)
            checked += 1
        wrong_method = admin.put("/settings")
        assert wrong_method.status_code == 405
        check_headers(wrong_method, "405")
        statuses.add(wrong_method.status_code)
        # The 500 pages are localized pages, without the exception's details for the host.
        host_500 = admin.get("/settings/boom", params={"lang": "nl"})
        assert "host boom" not in host_500.text and 'lang="nl"' in host_500.text
        checked += 2
    record("security.headers", responses_checked=checked,
           statuses=sorted(statuses), missing=0)


def test_the_healthz_503_has_the_headers_too(app: Starlette) -> None:
    app.state.db.dispose()
    with TestClient(app) as client:
        from sqlalchemy import create_engine

        app.state.db = create_engine("sqlite:////nonexistent-dir/db.sqlite")
        response = client.get("/healthz")
    assert response.status_code == 503
    check_headers(response, "/healthz 503")


def test_templates_have_no_inline_script_and_no_event_handlers() -> None:
    files = sorted(Path(TEMPLATES_DIR).rglob("*.html"))
    assert len(files) > 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not _INLINE_SCRIPT.search(text), path
        assert not _EVENT_HANDLER.search(text), path

"""CSRF: every state-changing route (host pages and the mounted erpsync app,
found by walking the router) refuses a request without the session's token or
with a wrong one (403, nothing changed), and every POST form of every page
carries the token. The Origin check stays as a second layer."""

from __future__ import annotations

from collections import deque
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from security_helpers import (
    SAFE,
    Endpoint,
    add_import,
    csrf_of,
    endpoints,
    forms_of,
    run_import,
    text_of,
)
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync import security
from reliability_figures import record

CSRF_TEXT = "Your session has expired or the form was sent from another site."
#: Ids of nothing: the positive control must not change real data.
NOWHERE = 999_999


def state_changing(app: Starlette) -> list[Endpoint]:
    return [e for e in endpoints(app) if e.method not in SAFE]


@pytest.fixture
def staged(admin: TestClient, engine, admin_id: int, connection_id: int) -> int:
    add_import(admin, connection_id, "customer", ["CUST-10025", "CUST-10057"])
    import_id = engine.open_import("erp", admin_id)
    assert engine.staged_count(import_id) == 2
    return import_id


def test_every_post_without_or_with_a_wrong_token_is_refused(
        app: Starlette, admin_no_token: TestClient, engine, staged: int) -> None:
    client = admin_no_token
    routes = state_changing(app)
    assert len(routes) >= 20, routes
    attempts = 0
    for endpoint in routes:
        path = endpoint.path(import_id=staged, selection_id=1, id=1)
        tries = {
            "no token": {"data": {"confirm": "yes", "tab": "sync", "erp_sync_enabled": "1"}},
            "wrong field": {"data": {"csrf_token": "forged", "confirm": "yes"}},
            "wrong header": {"data": {"confirm": "yes"},
                             "headers": {"X-CSRF-Token": "forged"}},
            "multipart, wrong query": {"params": {"csrf_token": "forged"},
                                       "files": {"file": ("a.csv", b"NAME\nx\n", "text/csv")}},
        }
        for label, kwargs in tries.items():
            response = client.request(endpoint.method, path, **kwargs)
            assert response.status_code == 403, (endpoint.method, path, label,
                                                 response.status_code)
            assert CSRF_TEXT in response.text, (path, label)
            attempts += 1
    # Nothing happened: the import is still pending with its rows, sync is still off.
    assert engine.get_import(staged)["state"] == "staging"
    assert engine.staged_count(staged) == 2
    from erpsync.host.settings import get_setting

    assert get_setting(app.state.db, "erp_sync_enabled") is False
    record("security.csrf.refused", state_changing_routes=len(routes),
           forged_requests=attempts, refused=attempts, changed=0)


def test_the_right_token_gets_through(app: Starlette, admin_no_token: TestClient) -> None:
    """The positive control: the same requests with the session's token pass the
    CSRF check (answered by the page itself: 303, 400, 404, 409..., never 403)."""
    client = admin_no_token
    token = csrf_of(client.get("/settings").text)
    for endpoint in state_changing(app):
        if endpoint.template == "/logout":
            continue  # checked last: it ends the session
        path = endpoint.path(import_id=NOWHERE, selection_id=NOWHERE, id=NOWHERE)
        response = client.request(endpoint.method, path, data={"csrf_token": token})
        assert response.status_code not in (403, 500), (path, response.status_code)
    upload = client.post("/erpsync/file/upload", params={"csrf_token": token},
                         files={"file": ("a.csv", b"NAME\nx\n", "text/csv")})
    assert upload.status_code != 403
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_the_origin_check_stays_as_a_second_layer(admin: TestClient, engine,
                                                  staged: int) -> None:
    # The right token, but the browser says the form came from another site.
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        response = admin.post(f"/erpsync/imports/{staged}/discard", headers=headers)
        assert response.status_code == 403, headers
    assert engine.staged_count(staged) == 2


def test_login_rotates_the_token(app: Starlette, anonymous: TestClient) -> None:
    before = csrf_of(anonymous.get("/login").text)
    from security_helpers import login

    login(anonymous, "admin", "admin")
    after = csrf_of(anonymous.get("/settings").text)
    assert after != before
    response = anonymous.post("/erpsync/erp/select-connection", data={"csrf_token": before})
    assert response.status_code == 403


def test_every_post_form_of_every_page_carries_the_token(
        app: Starlette, admin: TestClient, engine, admin_id: int, connection_id: int) -> None:
    # Pages in every state: a finished import (result, undo, selections), a
    # pending one (staged, settings, preview), search results, the file upload.
    add_import(admin, connection_id, "customer", ["CUST-10025", "CUST-10063"])
    done = engine.open_import("erp", admin_id)
    run_import(admin, done)
    add_import(admin, connection_id, "person", ["PERS-30079"])
    pending = engine.open_import("erp", admin_id)
    admin.post(f"/erpsync/imports/{pending}/settings", data={})
    token = admin.headers["X-CSRF-Token"]
    seeds = ["/settings", "/settings/import", "/settings/connections", "/settings/imports",
             "/settings/selections", f"/erpsync/imports/{pending}/staged",
             f"/erpsync/imports/{pending}/preview", f"/erpsync/imports/{pending}/discard",
             f"/erpsync/imports/{done}/result", f"/erpsync/imports/{done}/undo",
             f"/erpsync/erp/search?connection={connection_id}&type=customer&run=1",
             "/erpsync/erp/select-connection", "/erpsync/file/upload"]
    queue, seen = deque(seeds), set(seeds)
    pages = forms = 0
    while queue and pages < 250:
        url = queue.popleft()
        response = admin.get(url)
        if response.status_code != 200 or "text/html" not in response.headers.get(
                "content-type", ""):
            continue
        pages += 1
        for form in forms_of(response.text):
            if form.method != "post":
                continue
            forms += 1
            carried = [v for n, v in form.fields + form.buttons if n == security.CSRF_FIELD]
            if form.enctype == "multipart/form-data":
                carried += parse_qs(urlsplit(form.action).query).get(security.CSRF_FIELD, [])
            assert carried and all(v == token for v in carried), (url, form.action)
        for link in _links(response.text, url):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    assert pages >= 20 and forms >= 15, (pages, forms)
    record("security.csrf.forms", pages_crawled=pages, post_forms_checked=forms,
           forms_without_token=0)


def _links(page: str, base: str) -> list[str]:
    import re

    found = []
    for href in re.findall(r'href="([^"#]+)"', page):
        url = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith(("/settings", "/erpsync")):
            continue
        if "lang=" in parts.query or "/ui-static/" in parts.path or "/help/media" in parts.path:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def test_the_plugin_refuses_forms_without_token_and_says_why(admin_no_token: TestClient,
                                                            staged: int) -> None:
    assert "Access denied" in text_of(admin_no_token.post(
        f"/erpsync/imports/{staged}/discard").text)
    for lang in ("nl", "no"):
        response = admin_no_token.post(f"/erpsync/imports/{staged}/discard",
                                       params={"lang": lang})
        assert response.status_code == 403
        assert f'lang="{lang}"' in response.text
        assert CSRF_TEXT not in response.text  # translated

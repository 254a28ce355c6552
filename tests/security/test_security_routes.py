"""Every route of the reference host, the mounted erpsync app included, needs a
logged-in user with the Settings and maintenance right, except an explicit
allow-list. The routes are found by walking the router, so a route that a
plugin or a later change adds without a guard fails here."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from security_helpers import Endpoint, endpoints, static_mounts
from starlette.applications import Starlette
from starlette.testclient import TestClient

from reliability_figures import record

#: Routes anyone may reach, and why.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/"): "only redirects to /settings, which asks for a login",
    ("GET", "/login"): "the login form",
    ("POST", "/login"): "logging in (needs the CSRF token; throttled)",
    ("POST", "/logout"): "ends the caller's own session (needs the CSRF token)",
    ("GET", "/healthz"): "load balancer probe: says only ok/unavailable",
}
#: File mounts anyone may read, and why (no data, only assets).
PUBLIC_FILES: dict[str, str] = {
    "/static": "the host's CSS and source icons",
    "/erpsync/ui-static": "the dialogs' CSS and JavaScript",
    "/erpsync/help/media": "images of the help pages (screenshots of the demo)",
}


def guarded(app: Starlette) -> list[Endpoint]:
    return [e for e in endpoints(app) if (e.method, e.template) not in PUBLIC]


def test_the_walk_finds_host_and_plugin_routes(app: Starlette) -> None:
    found = {(e.method, e.template) for e in endpoints(app)}
    for expected in [("GET", "/settings"), ("POST", "/settings/quote-sync"),
                     ("GET", "/settings/connections"), ("POST", "/settings/connections/add"),
                     ("GET", "/settings/imports"), ("GET", "/settings/selections"),
                     ("GET", "/erpsync/erp/select-connection"), ("POST", "/erpsync/erp/add-import"),
                     ("GET", "/erpsync/erp/search"),
                     ("POST", "/erpsync/imports/{import_id:int}/apply"),
                     ("POST", "/erpsync/imports/{import_id:int}/undo"),
                     ("GET", "/erpsync/selections/{selection_id:int}"),
                     ("POST", "/erpsync/file/upload"), ("GET", "/healthz")]:
        assert expected in found, expected


def test_the_allow_list_has_no_stale_entries(app: Starlette) -> None:
    found = {(e.method, e.template) for e in endpoints(app)}
    assert set(PUBLIC) <= found, set(PUBLIC) - found
    assert {m.prefix for m in static_mounts(app)} == set(PUBLIC_FILES)


def test_anonymous_users_are_sent_to_the_login_page(app: Starlette,
                                                    anonymous: TestClient) -> None:
    checked = 0
    for endpoint in guarded(app):
        path = endpoint.path()
        response = anonymous.request(endpoint.method, path, params={"probe": "1"})
        where = (endpoint.method, path, response.status_code)
        if response.status_code == 303:
            target = urlsplit(response.headers["location"])
            assert target.path == "/login", where
            assert parse_qs(target.query)["next"] == [f"{path}?probe=1"], where
        else:
            assert response.status_code in (401, 403), where
        checked += 1
    assert checked >= 40, checked
    record("security.routes.anonymous", routes_checked=checked,
           public_routes=len(PUBLIC), public_file_mounts=len(PUBLIC_FILES),
           refused=checked)


def test_users_without_the_right_get_403(app: Starlette, viewer: TestClient, engine,
                                         admin_id: int) -> None:
    import_id = engine.create_import("erp", admin_id)
    checked = 0
    for endpoint in guarded(app):
        path = endpoint.path(import_id=import_id)
        response = viewer.request(endpoint.method, path,
                                  data={"confirm": "yes", "tab": "sync",
                                        "erp_sync_enabled": "1"})
        assert response.status_code == 403, (endpoint.method, path, response.status_code)
        assert "Access denied" in response.text
        checked += 1
    # The refused requests changed nothing.
    assert engine.get_import(import_id)["state"] == "staging"
    from erpsync.host.settings import get_setting

    assert get_setting(app.state.db, "erp_sync_enabled") is False
    record("security.routes.no_right", routes_checked=checked, refused=checked)


def test_admins_get_every_page_without_a_server_error(app: Starlette, admin: TestClient,
                                                      engine, admin_id: int) -> None:
    """The positive control: the guard lets admins through (nothing 401/403/500)."""
    import_id = engine.create_import("erp", admin_id)
    for endpoint in guarded(app):
        if endpoint.method != "GET":
            continue
        path = endpoint.path(import_id=import_id)
        response = admin.get(path)
        assert response.status_code not in (401, 403, 500), (path, response.status_code)


@pytest.mark.parametrize("prefix", sorted(PUBLIC_FILES))
def test_public_file_mounts_serve_only_files(app: Starlette, anonymous: TestClient,
                                             prefix: str) -> None:
    assert anonymous.get(prefix + "/../../pyproject.toml").status_code == 404
    assert anonymous.get(prefix + "/%2e%2e/%2e%2e/pyproject.toml").status_code == 404

"""Only users with the Settings and maintenance right reach /settings/**."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient


def settings_routes(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) of every /settings route of the app, found by walking its routes,
    so that a page added later is covered too."""
    found = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/settings"):
            path = route.path.replace("{id:int}", "1")
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, path))
    return found


def test_the_walk_finds_the_pages(app: Starlette) -> None:
    paths = {path for _, path in settings_routes(app)}
    assert {"/settings", "/settings/import", "/settings/quote-sync", "/settings/connections",
            "/settings/selections", "/settings/selections/1",
            "/settings/selections/1/delete"} <= paths


def test_anonymous_users_are_sent_to_login(app: Starlette, client: TestClient) -> None:
    for method, path in settings_routes(app):
        response = client.request(method, path, params={"tab": "sync"})
        assert response.status_code == 303, (method, path)
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [f"{path}?tab=sync"]


def test_users_without_the_right_get_403(app: Starlette, viewer_client: TestClient) -> None:
    for method, path in settings_routes(app):
        response = viewer_client.request(method, path, data={"erp_sync_enabled": "1",
                                                             "tab": "sync", "confirm": "yes"})
        assert response.status_code == 403, (method, path)
        assert "Access denied" in response.text
        assert "Settings and maintenance right" in response.text


def test_forbidden_page_is_localized(viewer_client: TestClient) -> None:
    response = viewer_client.get("/settings", params={"lang": "no"})
    assert response.status_code == 403
    assert '<html lang="no">' in response.text


def test_a_forbidden_post_changes_nothing(app: Starlette, viewer_client: TestClient) -> None:
    from erpsync.host.settings import get_setting

    viewer_client.post("/settings/quote-sync", data={"tab": "sync", "erp_sync_enabled": "1"})
    assert get_setting(app.state.db, "erp_sync_enabled") is False


@pytest.mark.parametrize("path", ["/settings", "/settings/import", "/settings/connections",
                                  "/settings/selections", "/settings/quote-sync"])
def test_admins_get_in(admin_client: TestClient, path: str) -> None:
    response = admin_client.get(path)
    assert response.status_code == 200
    assert "Settings and maintenance" in response.text

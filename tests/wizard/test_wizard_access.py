"""Only admins (the Settings and maintenance right) reach any wizard route."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.routing import Route

from demo_host import form, location, text_of


def wizard_routes(erpsync) -> list[tuple[str, str]]:
    """(method, path) of every route of the erpsync app, path params filled in."""
    params = {"import_id": 1, "selection_id": 1, "page": "import-from-erp"}
    found = []
    for route in erpsync.asgi_app().routes:
        if not isinstance(route, Route):
            continue  # the static files mount
        path = route.path_format.format(**{k: params[k] for k in route.param_convertors})
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


@pytest.fixture
def staged_import(admin, engine, admin_id, connection_id) -> int:
    location(admin.post("/erpsync/erp/add-import", data=form(
        [("connection", connection_id), ("type", "customer"), ("key", "CUST-10025")])))
    import_id = engine.open_import("erp", admin_id)
    assert import_id == 1
    return import_id


def test_the_route_list_covers_the_whole_wizard(erpsync):
    paths = {path for _, path in wizard_routes(erpsync)}
    for expected in ("/erp/select-connection", "/erp/search", "/erp/add-import",
                     "/imports/1/staged", "/imports/1/settings", "/imports/1/preview",
                     "/imports/1/apply", "/imports/1/result", "/selections/1"):
        assert expected in paths


def test_users_without_the_right_get_403_on_every_route(viewer, erpsync, engine,
                                                         staged_import):
    for method, path in wizard_routes(erpsync):
        response = viewer.request(method, "/erpsync" + path)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Settings and maintenance right" in text_of(response.text)
    assert engine.staged_count(staged_import) == 1
    assert engine.get_import(staged_import)["state"] == "staging"


def test_anonymous_users_are_sent_to_the_login_page(anonymous, erpsync, staged_import):
    for method, path in wizard_routes(erpsync):
        response = anonymous.request(method, "/erpsync" + path)
        target = urlsplit(location(response))
        assert target.path == "/login", (method, path)
        assert parse_qs(target.query)["next"] == ["/erpsync" + path]


def test_a_form_posted_from_another_site_is_refused(admin, engine, staged_import):
    response = admin.post(f"/erpsync/imports/{staged_import}/discard",
                          headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert engine.staged_count(staged_import) == 1
    same_site = admin.post(f"/erpsync/imports/{staged_import}/discard",
                           headers={"Origin": "http://testserver"})
    assert location(same_site) == "/settings/import"


def test_unknown_import_is_a_localized_404(admin):
    response = admin.get("/erpsync/imports/424242/result", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This import does not exist." in text_of(response.text)

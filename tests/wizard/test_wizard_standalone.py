"""The dialogs in a minimal host that gives only a user and an engine: erpsync's
own layout, assets under any mount point, and its own selection page."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from demo_host import follow_to_result, location, text_of, values_of
from erpsync import hookimpl
from erpsync.app import CurrentUser, ErpSync
from erpsync.connections import ConnectionStore
from erpsync.db import make_engine, metadata
from erpsync.engine import schema  # noqa: F401 - registers the tables on the metadata
from erpsync.engine.api import ImportEngine
from erpsync.paths import DEMO_DATA_DIR


class MiniHost:
    """Users come from an ``X-User`` header; "boss" is an admin."""

    def __init__(self, engine: ImportEngine) -> None:
        self.engine = engine

    @hookimpl
    def erpsync_current_user(self, erpsync, request):
        name = request.headers.get("x-user")
        return CurrentUser(id=7, username=name, display_name=name,
                           may_admin=name == "boss") if name else None

    @hookimpl
    def erpsync_import_engine(self, erpsync):
        return self.engine


@pytest.fixture
def mini(tmp_path: Path):
    db = make_engine(f"sqlite:///{tmp_path / 'mini.sqlite'}")
    metadata.create_all(db)
    engine = ImportEngine(db, tmp_path / "backups")
    connection_id = ConnectionStore(db).add("Files", "workbook", {"path": str(DEMO_DATA_DIR)})
    erpsync = ErpSync(host_plugins=[MiniHost(engine)], load_entry_points=False)
    app = Starlette(routes=[Mount("/erp-import", app=erpsync.asgi_app())])
    with TestClient(app, follow_redirects=False, headers={"X-User": "boss"}) as client:
        yield client, engine, connection_id
    db.dispose()


def test_own_layout_and_assets_under_the_hosts_mount(mini):
    client, _, connection_id = mini
    page = client.get("/erp-import/erp/select-connection")
    assert page.status_code == 200
    assert 'class="erpsync-standalone"' in page.text
    assert '<link rel="stylesheet" href="/erp-import/ui-static/dialogs.css">' in page.text
    assert '<script src="/erp-import/ui-static/dialogs.js" defer></script>' in page.text
    assert "<script>" not in page.text  # no inline script: a strict CSP works
    css = client.get("/erp-import/ui-static/dialogs.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/erp-import/ui-static/dialogs.js").status_code == 200
    assert 'action="/erp-import/erp/select-connection"' in page.text
    assert location(client.post("/erp-import/erp/select-connection",
                                data={"connection": connection_id, "type": "customer"})) == \
        f"/erp-import/erp/search?connection={connection_id}&type=customer"


def test_without_a_login_page_anonymous_users_get_401(mini):
    client, _, _ = mini
    response = client.get("/erp-import/erp/select-connection", headers={"X-User": ""})
    assert response.status_code == 401
    assert "Log in to continue." in text_of(response.text)


def test_the_page_follows_the_browser_language(mini):
    client, _, _ = mini
    page = client.get("/erp-import/erp/select-connection",
                      headers={"Accept-Language": "nb-NO,nb;q=0.9"})
    assert page.headers["content-language"] == "no"
    assert '<html lang="no">' in page.text


def test_result_links_to_the_plugins_own_selection_page(mini):
    client, engine, connection_id = mini
    location(client.post("/erp-import/erp/add-import", data={
        "connection": str(connection_id), "type": "customer", "key": ["CUST-10025"]}))
    import_id = engine.open_import("erp", 7)
    location(client.post(f"/erp-import/imports/{import_id}/settings", data={}))
    rows = values_of(client.get(f"/erp-import/imports/{import_id}/preview").text, "row")
    progress = location(client.post(f"/erp-import/imports/{import_id}/apply",
                                    data={"row": rows, "checked": rows}))
    assert follow_to_result(client, progress) == f"/erp-import/imports/{import_id}/result"
    selection_id = engine.get_import(import_id)["new_selection_id"]
    result = client.get(f"/erp-import/imports/{import_id}/result")
    assert f'href="/erp-import/selections/{selection_id}"' in result.text
    selection = client.get(f"/erp-import/selections/{selection_id}")
    assert "Tveit Maskin AS" in text_of(selection.text)

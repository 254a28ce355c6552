"""The plugin's pages inside the host: its chrome, its access rules, its links."""

from __future__ import annotations

import re

from host_helpers import VIEWER, login
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.engine.normalize import company_keys
from erpsync.engine.schema import company
from erpsync.host import users

SELECT_CONNECTION = "/erpsync/erp/select-connection"


def test_plugin_pages_wear_the_host_chrome(admin_client: TestClient) -> None:
    response = admin_client.get(SELECT_CONNECTION)
    assert response.status_code == 200
    html = response.text
    assert "Reference CRM" in html and "Alice Admin" in html
    assert 'href="/static/erpsync.css"' in html
    # Breadcrumbs: Settings and maintenance › Import › the dialog.
    crumbs = html[html.index('class="breadcrumbs"'):html.index("</nav>",
                                                             html.index('class="breadcrumbs"'))]
    assert crumbs.index('href="/settings"') < crumbs.index('href="/settings/import"')
    assert "Select ERP connection" in crumbs
    # The plugin's own assets still load.
    assert re.search(r'href="/erpsync/ui-static/[^"]+\.css"', html)


def test_plugin_pages_follow_the_language_switch(admin_client: TestClient) -> None:
    html = admin_client.get(SELECT_CONNECTION, params={"lang": "no"}).text
    assert '<html lang="no">' in html
    assert f'href="{SELECT_CONNECTION}?lang=nl"' in html
    assert '<html lang="no">' in admin_client.get("/settings").text


def test_plugin_pages_enforce_the_same_right(client: TestClient) -> None:
    response = client.get(SELECT_CONNECTION)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ferpsync%2Ferp%2Fselect-connection"
    login(client, *VIEWER)
    assert client.get(SELECT_CONNECTION).status_code == 403


def test_an_import_end_to_end_shows_up_on_the_host_pages(app: Starlette,
                                                         admin_client: TestClient) -> None:
    db = app.state.db
    with db.begin() as conn:
        conn.execute(insert(company).values(name="Fjord Fisk AS",
                                            **company_keys("Fjord Fisk AS", None, None)))
    engine = app.state.erpsync.engine
    alice = users.get_user_by_name(db, "alice").id
    import_id = engine.create_import("erp", alice)
    engine.stage(import_id, None, [
        ErpActor(ActorType.CUSTOMER, "C1", {"NAME": "Fjord Fisk AS", "POSTALCITY": "Bergen"}),
        ErpActor(ActorType.CUSTOMER, "C2", {"NAME": "Nytt Firma AS", "POSTALCITY": "Oslo"}),
    ])

    html = admin_client.get("/settings/import").text
    href = f"/erpsync/imports/{import_id}/staged"
    assert f'href="{href}"' in html
    staged = admin_client.get(href)
    assert staged.status_code == 200 and "Nytt Firma AS" in staged.text

    engine.preview(import_id)
    result = engine.apply(import_id, alice)
    assert (result.new, result.updated) == (1, 1)

    html = admin_client.get("/settings/import").text
    assert href not in html  # not pending any more
    new_href = f"/settings/selections/{result.new_selection_id}"
    assert f'<a href="{new_href}">1</a>' in html
    new_page = admin_client.get(new_href).text
    assert "Nytt Firma AS" in new_page
    assert f'href="/erpsync/imports/{import_id}/result"' in new_page
    updated = admin_client.get(f"/settings/selections/{result.updated_selection_id}").text
    assert "Fjord Fisk AS" in updated and "Bergen" in updated
    # The plugin's result page links to the host's selection pages.
    result_page = admin_client.get(f"/erpsync/imports/{import_id}/result").text
    assert f'href="{new_href}"' in result_page

"""The Import screen: Select an import source, pending and recent imports."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from host_helpers import csrf_from
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.engine.schema import import_run, staged_actor
from erpsync.host import users

ERP_START = "/erpsync/erp/select-connection"


def source_item(html: str, key: str) -> str:
    """The <li> of one import source."""
    found = re.search(rf'<li class="source-item" data-source="{key}">(.*?)</li>', html, re.S)
    assert found, f"no source {key!r} on the page"
    return found.group(1)


def set_sync(client: TestClient, enabled: bool) -> None:
    page = client.get("/settings/quote-sync", params={"tab": "sync"})
    data = {"csrf_token": csrf_from(page.text), "tab": "sync"}
    if enabled:
        data["erp_sync_enabled"] = "1"
    response = client.post("/settings/quote-sync", data=data)
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/quote-sync?tab=sync"


def test_import_screen_lists_the_sources(admin_client: TestClient) -> None:
    html = admin_client.get("/settings/import").text
    assert "Select an import source" in html
    erp = source_item(html, "erp")
    assert f'href="{ERP_START}"' in erp
    assert "ERP Sync" in erp
    assert 'src="/static/icons/import-erp.svg"' in erp
    assert "aria-disabled" not in erp
    fake = source_item(html, "fakefile")
    # Source URLs and icons are relative to the plugin mount.
    assert 'href="/erpsync/fake/start"' in fake
    assert 'src="/erpsync/fake/icon.svg"' in fake
    assert "A test source" in fake
    # Sorted by the sources' order.
    assert html.index('data-source="erp"') < html.index('data-source="fakefile"')


def test_a_disabled_source_is_no_link_and_says_why(admin_client: TestClient) -> None:
    item = source_item(admin_client.get("/settings/import").text, "fakeoff")
    assert 'aria-disabled="true"' in item
    assert "is-disabled" in item
    assert 'href="/erpsync/fake/off"' not in item
    assert "Fake source is switched off." in item
    assert '<a href="/settings/quote-sync?tab=quote">Fix it here</a>' in item


def test_erp_sync_is_disabled_while_synchronization_is_on(app: Starlette,
                                                          admin_client: TestClient) -> None:
    set_sync(admin_client, True)
    sync_tab = admin_client.get("/settings/quote-sync", params={"tab": "sync"}).text
    assert "Your changes have been saved." in sync_tab
    assert re.search(r'name="erp_sync_enabled" value="1"\s+checked', sync_tab)

    erp = source_item(admin_client.get("/settings/import").text, "erp")
    assert 'aria-disabled="true"' in erp
    assert ERP_START not in erp
    assert "ERP synchronization is on" in erp
    assert 'href="/settings/quote-sync?tab=sync"' in erp

    set_sync(admin_client, False)
    erp = source_item(admin_client.get("/settings/import").text, "erp")
    assert f'href="{ERP_START}"' in erp
    assert "aria-disabled" not in erp


def test_the_sync_tab_explains_the_switch(admin_client: TestClient) -> None:
    html = admin_client.get("/settings/quote-sync", params={"tab": "sync"}).text
    assert "the ERP Sync import source is disabled" in html
    assert 'type="checkbox" name="erp_sync_enabled"' in html
    quote = admin_client.get("/settings/quote-sync").text
    assert 'aria-current="page" class="is-current">Quote<' in quote
    assert "erp_sync_enabled" not in quote


def test_sync_form_needs_the_token(app: Starlette, admin_client: TestClient) -> None:
    from erpsync.host.settings import get_setting

    response = admin_client.post("/settings/quote-sync",
                                 data={"tab": "sync", "erp_sync_enabled": "1"})
    assert response.status_code == 403
    assert get_setting(app.state.db, "erp_sync_enabled") is False


def _add_import(db, user_id: int, state: str, staged: int = 0, **values) -> int:
    now = datetime.now(UTC)
    with db.begin() as conn:
        import_id = conn.execute(insert(import_run).values(
            source="erp", user_id=user_id, state=state, created_at=now, **values)
        ).inserted_primary_key[0]
        for n in range(staged):
            conn.execute(insert(staged_actor).values(
                import_id=import_id, connection_id=None, actor_type="customer",
                kind="company", erp_key=f"K{n}", v_name=f"Company {n}"))
    return import_id


def test_pending_imports_of_the_user_link_to_their_staged_actors(
        app: Starlette, admin_client: TestClient) -> None:
    db = app.state.db
    alice = users.get_user_by_name(db, "alice").id
    victor = users.get_user_by_name(db, "victor").id
    mine = _add_import(db, alice, "staging", staged=3)
    previewed = _add_import(db, alice, "previewed", staged=1)
    theirs = _add_import(db, victor, "staging", staged=2)

    html = admin_client.get("/settings/import").text
    pending = html[html.index("Pending imports"):html.index("Recent imports")]
    assert f'href="/erpsync/imports/{mine}/staged"' in pending
    assert f'href="/erpsync/imports/{previewed}/staged"' in pending
    assert f"/erpsync/imports/{theirs}/staged" not in pending
    rows = re.findall(r'<td class="num">(\d+)</td>', pending)
    assert sorted(rows) == ["1", "3"]


def test_recent_imports_link_to_their_selections(app: Starlette,
                                                 admin_client: TestClient) -> None:
    db = app.state.db
    alice = users.get_user_by_name(db, "alice").id
    assert "No imports have been run yet." in admin_client.get("/settings/import").text
    _add_import(db, alice, "done", new_count=4, updated_count=2, skipped_count=1,
                new_selection_id=11, updated_selection_id=12,
                finished_at=datetime.now(UTC))
    html = admin_client.get("/settings/import").text
    recent = html[html.index("Recent imports"):]
    assert '<a href="/settings/selections/11">4</a>' in recent
    assert '<a href="/settings/selections/12">2</a>' in recent
    assert "Alice Admin" in recent
    assert "You have no pending imports." in html

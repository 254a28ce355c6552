"""A connection's scope: who may pick it in Select ERP connection."""

from __future__ import annotations

from connections_helpers import post, text_of

from erpsync.connections import ConnectionStore
from erpsync.paths import DEMO_DATA_DIR

SELECT = "/erpsync/erp/select-connection"
SEARCH = "/erpsync/erp/search"


def test_the_dialog_lists_only_the_connections_the_user_may_use(app, admin, second):
    store = ConnectionStore(app.state.db)
    store.add("Shared ERP", "workbook", {"path": str(DEMO_DATA_DIR)})
    mine = store.add("Second's ERP", "workbook", {"path": str(DEMO_DATA_DIR)},
                     scope={"users": ["Second"]})
    assert ">Second&#39;s ERP</option>" not in admin.get(SELECT).text
    assert ">Shared ERP</option>" in admin.get(SELECT).text
    page = second.get(SELECT).text
    assert ">Shared ERP</option>" in page and "Second&#39;s ERP</option>" in page

    # Typing the id of a connection outside one's scope does not help.
    refused = admin.get(SEARCH, params={"connection": mine, "type": "customer", "run": "1"})
    assert refused.status_code == 404
    assert "does not exist or is not active" in text_of(refused.text)
    staged = admin.post("/erpsync/erp/add-import", data={
        "connection": mine, "type": "customer", "scope": "all"})
    assert staged.status_code == 404
    allowed = second.get(SEARCH, params={"connection": mine, "type": "customer", "run": "1"})
    assert allowed.status_code == 200


def test_the_form_sets_and_clears_the_scope(app, admin):
    form = {"connector": "workbook", "shown_connector": "workbook", "name": "Scoped",
            "cfg.path": str(DEMO_DATA_DIR), "active": "1", "scope": "users",
            "scope_users": "second, nobody-here", "action": "save"}
    refused = post(admin, "/settings/connections/add", form)
    assert refused.status_code == 400
    assert "Unknown users: nobody-here." in text_of(refused.text)
    empty = post(admin, "/settings/connections/add", {**form, "scope_users": " "})
    assert "Enter at least one username" in text_of(empty.text)

    assert post(admin, "/settings/connections/add",
                {**form, "scope_users": "Second"}).status_code == 303
    saved = ConnectionStore(app.state.db).get_by_name("Scoped")
    assert saved.scope == {"users": ["second"]}
    listing = text_of(admin.get("/settings/connections").text)
    assert "second" in listing.split("Scoped", 1)[1]

    edited = post(admin, f"/settings/connections/{saved.id}/edit", {
        "name": "Scoped", "cfg.path": str(DEMO_DATA_DIR), "active": "1",
        "scope": "everyone", "scope_users": "second", "action": "save"})
    assert edited.status_code == 303
    assert ConnectionStore(app.state.db).get(saved.id).scope is None


def test_roles_set_elsewhere_are_kept_by_the_form(app, admin):
    connection_id = ConnectionStore(app.state.db).add(
        "Roles", "workbook", {"path": str(DEMO_DATA_DIR)}, scope={"roles": ["sales"]})
    page = admin.get(f"/settings/connections/{connection_id}/edit")
    assert "Also the roles: sales" in text_of(page.text)
    assert post(admin, f"/settings/connections/{connection_id}/edit", {
        "name": "Roles", "cfg.path": str(DEMO_DATA_DIR), "active": "1",
        "scope": "users", "scope_users": "admin", "action": "save"}).status_code == 303
    assert ConnectionStore(app.state.db).get(connection_id).scope == {
        "users": ["admin"], "roles": ["sales"]}

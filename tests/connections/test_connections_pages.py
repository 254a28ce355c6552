"""Settings and maintenance › ERP connections: add, edit, test, activate,
deactivate and delete, with secrets never shown and stored encrypted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from connections_helpers import RIGHT_PASSWORD, FormfulConnector, hidden, post, text_of
from sqlalchemy import insert, select

from erpsync import secrets
from erpsync.connections import ConnectionStore
from erpsync.engine.schema import erp_connection, erp_link

LIST = "/settings/connections"
ADD = "/settings/connections/add"


def store(app) -> ConnectionStore:
    return ConnectionStore(app.state.db, connector_classes={"formful": FormfulConnector})


def raw_config(app, name: str) -> str:
    """The stored configuration as the database has it."""
    with app.state.db.connect() as conn:
        return str(conn.execute(select(erp_connection.c.config)
                                .where(erp_connection.c.name == name)).scalar_one())


def new_form(**overrides: str) -> dict[str, str]:
    data = {"connector": "formful", "shown_connector": "formful", "name": "Formful",
            "cfg.host": "erp.example", "cfg.password": RIGHT_PASSWORD, "cfg.port": "8069",
            "cfg.edition": "community", "cfg.verify_tls": "1", "active": "1",
            "scope": "everyone", "action": "save"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_stored(app, name: str = "Stored", active: bool = True, **config: str) -> int:
    values = {"host": "erp.example", "password": RIGHT_PASSWORD, "port": "8069",
              "edition": "community", "verify_tls": "1", "tenant": "main", **config}
    return store(app).add(name, "formful", values, active=active)


# ------------------------------------------------------------------ the form


def test_the_form_is_built_from_the_config_fields(admin):
    page = admin.get(ADD, params={"connector": "formful"})
    assert page.status_code == 200
    html = page.text
    host = re.search(r'<input[^>]+name="cfg\.host"[^>]*>', html, re.S).group(0)
    assert 'type="text"' in host and "required" in host and 'maxlength="50"' in host
    assert re.search(r'<input[^>]+type="password"[^>]+name="cfg\.password"', html, re.S)
    assert re.search(r'<input[^>]+type="password"[^>]+name="cfg\.api_key"', html, re.S)
    port = re.search(r'<input[^>]+name="cfg\.port"[^>]*>', html, re.S).group(0)
    assert 'type="number"' in port and 'value="8069"' in port
    assert re.search(r'<select[^>]+name="cfg\.edition".*?<option value="community" selected>'
                     r'Community</option>\s*<option value="enterprise" >Enterprise', html, re.S)
    assert re.search(r'<input[^>]+type="checkbox" name="cfg\.verify_tls" value="1"\s+checked',
                     html, re.S)
    tenant = re.search(r'<input[^>]+name="cfg\.tenant"[^>]*>', html, re.S).group(0)
    assert "readonly" in tenant and 'value="main"' in tenant
    text = text_of(html)
    assert "The ERP server" in text and "Formful ERP settings" in text
    assert '<option value="formful" selected>Formful ERP</option>' in html
    assert "Test connection" in text


def test_choosing_another_connector_shows_its_fields(admin, app):
    page = post(admin, ADD, {"connector": "tryton", "shown_connector": "formful",
                             "name": "Mine", "action": "save"})
    assert page.status_code == 200
    assert 'name="cfg.database"' in page.text and 'name="cfg.host"' not in page.text
    assert re.search(r'name="name"[^>]*value="Mine"', page.text)
    assert '<option value="tryton" selected>Tryton</option>' in page.text
    assert store(app).list() == []


def test_add_with_a_failing_test_is_not_saved_as_active(admin, app):
    response = post(admin, ADD, new_form(**{"cfg.password": "wrong-password-123"}))
    assert response.status_code == 400
    text = text_of(response.text)
    assert "The connection test failed, so the connection was not saved as active." in text
    assert "Tryton did not accept the user name “admin” with this password." in text
    assert "401 at login" in text  # technical details, in a disclosure
    assert "wrong-password-123" not in response.text
    assert store(app).list() == []


def test_the_reason_is_in_the_admins_language(admin, app):
    admin.get("/settings", params={"lang": "nl"})
    response = post(admin, ADD, new_form(**{"cfg.password": "wrong-password-123"}))
    assert response.status_code == 400
    assert "Tryton heeft de gebruikersnaam “admin” met dit wachtwoord niet" in \
        text_of(response.text)
    assert store(app).list() == []


def test_an_inactive_connection_is_saved_without_a_passing_test(admin, app):
    response = post(admin, ADD, new_form(active=None, **{"cfg.host": "down.example"}))
    assert response.status_code == 303
    saved = store(app).get_by_name("Formful")
    assert saved is not None and not saved.active
    assert FormfulConnector.tested == []
    assert "The ERP connection “Formful” has been saved." in text_of(admin.get(LIST).text)


def test_a_passing_test_saves_it_active_with_secrets_encrypted(admin, app):
    response = post(admin, ADD, new_form(**{"cfg.api_key": "key-0123456789"}))
    assert response.status_code == 303, text_of(response.text)
    saved = store(app).get_by_name("Formful")
    assert saved.active
    assert saved.config == {"host": "erp.example", "password": RIGHT_PASSWORD,
                            "api_key": "key-0123456789", "port": "8069",
                            "edition": "community", "verify_tls": "1", "tenant": "main"}
    raw = raw_config(app, "Formful")
    assert RIGHT_PASSWORD not in raw and "key-0123456789" not in raw
    assert secrets.MARKER in raw and "erp.example" in raw
    assert RIGHT_PASSWORD not in admin.get(LIST).text


def test_a_typed_password_survives_test_connection_without_being_echoed(admin, app):
    tested = post(admin, ADD, new_form(action="test"))
    assert tested.status_code == 200
    text = text_of(tested.text)
    assert "Connection test passed." in text and "Formful says hello" in text
    assert "The value you entered is kept (not shown)." in text
    assert RIGHT_PASSWORD not in tested.text
    assert re.search(r'name="cfg\.password" value=""', tested.text)
    draft = hidden(tested.text, "draft")
    assert draft and RIGHT_PASSWORD not in draft
    assert store(app).list() == []  # testing saves nothing

    # Save with the password box left empty: the draft still has it.
    saved = post(admin, ADD, new_form(**{"cfg.password": ""}, draft=draft))
    assert saved.status_code == 303, text_of(saved.text)
    assert store(app).get_by_name("Formful").config["password"] == RIGHT_PASSWORD


def test_a_draft_is_bound_to_its_user_and_connection(admin, second, app):
    draft = hidden(post(admin, ADD, new_form(action="test")).text, "draft")
    stolen = post(second, ADD, new_form(**{"cfg.password": ""}, draft=draft))
    assert stolen.status_code == 400
    assert "Enter the password." in text_of(stolen.text)
    forged = post(admin, ADD, new_form(**{"cfg.password": ""}, draft="garbage"))
    assert forged.status_code == 400
    assert store(app).list() == []


def test_invalid_values_are_refused_field_by_field(admin, app):
    response = post(admin, ADD, new_form(**{"cfg.host": "", "cfg.port": "eighty",
                                            "cfg.edition": "platinum"}, name="  "))
    assert response.status_code == 400
    text = text_of(response.text)
    for message in ("This field is required.", "Enter a whole number.",
                    "Choose a value from the list.", "Enter a name for the ERP connection."):
        assert message in text
    too_long = post(admin, ADD, new_form(**{"cfg.host": "h" * 51}))
    assert "At most 50 characters." in text_of(too_long.text)
    assert store(app).list() == [] and FormfulConnector.tested == []


def test_duplicate_names_are_refused(admin, app):
    add_stored(app, "Formful")
    response = post(admin, ADD, new_form(name="FORMFUL"))
    assert response.status_code == 400
    assert "There is already an ERP connection named “FORMFUL”." in text_of(response.text)


def test_forms_without_the_csrf_token_are_refused(admin, app):
    response = admin.post(ADD, data=new_form())
    assert response.status_code == 403
    assert store(app).list() == []


# ------------------------------------------------------------------ edit


def test_edit_never_shows_the_secret_and_keeps_it_when_left_empty(admin, app):
    connection_id = add_stored(app, api_key="key-0123456789")
    page = admin.get(f"/settings/connections/{connection_id}/edit")
    assert page.status_code == 200
    assert RIGHT_PASSWORD not in page.text and "key-0123456789" not in page.text
    assert "A value is stored (not shown). Leave the box empty to keep it." in \
        text_of(page.text)
    assert hidden(page.text, "cfg.host") == "erp.example"

    response = post(admin, f"/settings/connections/{connection_id}/edit", {
        "name": "Renamed", "cfg.host": "erp2.example", "cfg.password": "",
        "cfg.api_key": "", "cfg.port": "8070", "cfg.edition": "enterprise",
        "active": "1", "scope": "everyone", "action": "save",
        "cfg.tenant": "someone-else"})  # read-only: ignored
    assert response.status_code == 303, text_of(response.text)
    saved = store(app).get(connection_id)
    assert saved.name == "Renamed"
    assert saved.config == {"host": "erp2.example", "password": RIGHT_PASSWORD,
                            "api_key": "key-0123456789", "port": "8070",
                            "edition": "enterprise", "verify_tls": "0", "tenant": "main"}
    assert FormfulConnector.tested[-1]["password"] == RIGHT_PASSWORD
    assert RIGHT_PASSWORD not in raw_config(app, "Renamed")


def test_edit_replaces_a_secret_that_is_typed(admin, app):
    connection_id = add_stored(app, active=False)
    response = post(admin, f"/settings/connections/{connection_id}/edit", {
        "name": "Stored", "cfg.host": "erp.example", "cfg.password": "a-new-secret-99",
        "cfg.port": "8069", "cfg.edition": "community", "scope": "everyone",
        "action": "save"})
    assert response.status_code == 303
    assert store(app).get(connection_id).config["password"] == "a-new-secret-99"
    assert "a-new-secret-99" not in raw_config(app, "Stored")


def test_edit_of_an_active_connection_must_pass_the_test(admin, app):
    connection_id = add_stored(app)
    response = post(admin, f"/settings/connections/{connection_id}/edit", {
        "name": "Stored", "cfg.host": "down.example", "cfg.password": "",
        "cfg.port": "8069", "cfg.edition": "community", "active": "1",
        "scope": "everyone", "action": "save"})
    assert response.status_code == 400
    assert "not saved as active" in text_of(response.text)
    assert store(app).get(connection_id).config["host"] == "erp.example"


def test_a_secret_the_key_cannot_open_must_be_entered_again(admin, app, tmp_path):
    other_key = secrets.SecretBox(tmp_path / "another-server")
    ConnectionStore(app.state.db, secrets=other_key,
                    connector_classes={"formful": FormfulConnector}).add(
        "Moved", "formful", {"host": "erp.example", "password": RIGHT_PASSWORD})
    listing = text_of(admin.get(LIST).text)
    assert "Password must be entered again" in listing
    connection_id = store(app).get_by_name("Moved").id
    page = admin.get(f"/settings/connections/{connection_id}/edit")
    assert "The stored value of password cannot be decrypted with this server's key." in \
        text_of(page.text)


# ------------------------------------------------------------------ test, activate


def test_testing_a_stored_connection_shows_the_result(admin, app):
    good = add_stored(app, "Good")
    bad = add_stored(app, "Bad", password="nope-nope-nope")
    ok = post(admin, f"/settings/connections/{good}/test", {})
    assert ok.status_code == 200
    assert "Connection test passed. Formful says hello" in text_of(ok.text)
    failed = post(admin, f"/settings/connections/{bad}/test", {})
    assert failed.status_code == 502
    assert "Connection test failed." in text_of(failed.text)
    assert "nope-nope-nope" not in failed.text
    assert admin.get(f"/settings/connections/{good}/test").status_code == 405


def test_activating_needs_a_passing_test_deactivating_does_not(admin, app):
    connection_id = add_stored(app, active=False, host="down.example")
    refused = post(admin, f"/settings/connections/{connection_id}/active", {"active": "1"})
    assert refused.status_code == 400
    text = text_of(refused.text)
    assert "The connection test failed, so the connection stays inactive." in text
    assert "host down" in text
    assert not store(app).get(connection_id).active

    store(app).update(connection_id, config={**store(app).get(connection_id).config,
                                             "host": "erp.example"})
    assert post(admin, f"/settings/connections/{connection_id}/active",
                {"active": "1"}).status_code == 303
    assert store(app).get(connection_id).active
    assert "The ERP connection “Stored” is active." in text_of(admin.get(LIST).text)
    tested = len(FormfulConnector.tested)
    assert post(admin, f"/settings/connections/{connection_id}/active",
                {"active": "0"}).status_code == 303
    assert not store(app).get(connection_id).active
    assert len(FormfulConnector.tested) == tested  # no test to switch off


# ------------------------------------------------------------------ delete


def test_delete_asks_for_confirmation_first(admin, app):
    connection_id = add_stored(app)
    with app.state.db.begin() as conn:
        conn.execute(insert(erp_link).values(crm_type="company", crm_id=1,
                                             connection_id=connection_id,
                                             actor_type="customer", erp_key="K1",
                                             last_modified=datetime.now(UTC)))
    confirm = admin.get(f"/settings/connections/{connection_id}/delete")
    assert confirm.status_code == 200
    text = text_of(confirm.text)
    assert "Delete the ERP connection “Stored”?" in text
    assert "1 CRM actor was imported through this connection." in text
    assert "deactivate it instead" in text

    kept = post(admin, f"/settings/connections/{connection_id}/delete", {})
    assert kept.status_code == 303 and store(app).get(connection_id) is not None
    deleted = post(admin, f"/settings/connections/{connection_id}/delete", {"confirm": "yes"})
    assert deleted.status_code == 303
    assert store(app).get(connection_id) is None
    assert "The ERP connection “Stored” has been deleted." in text_of(admin.get(LIST).text)
    assert admin.get(f"/settings/connections/{connection_id}/delete").status_code == 404
    # A new connection never takes over the deleted one's id (and its links).
    assert add_stored(app, "Next") > connection_id


# ------------------------------------------------------------------ access


@pytest.mark.parametrize(("method", "path"), [
    ("GET", LIST), ("GET", ADD), ("POST", ADD), ("GET", "/settings/connections/{id}/edit"),
    ("POST", "/settings/connections/{id}/edit"), ("POST", "/settings/connections/{id}/test"),
    ("POST", "/settings/connections/{id}/active"),
    ("GET", "/settings/connections/{id}/delete"),
    ("POST", "/settings/connections/{id}/delete"),
])
def test_only_admins_get_in(app, viewer, anonymous_client, method, path):
    connection_id = add_stored(app)
    url = path.format(id=connection_id)
    data = {"confirm": "yes", "active": "0", "name": "Hacked"}
    response = viewer.request(method, url, data=data if method == "POST" else None)
    assert response.status_code == 403
    assert RIGHT_PASSWORD not in response.text
    anonymous = anonymous_client.request(method, url, data=data if method == "POST" else None)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    saved = store(app).get(connection_id)
    assert saved is not None and saved.name == "Stored" and saved.active


@pytest.fixture
def anonymous_client(app):
    from starlette.testclient import TestClient

    with TestClient(app, follow_redirects=False) as client:
        yield client

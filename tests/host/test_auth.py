"""Login, logout and the session."""

from __future__ import annotations

from host_helpers import ADMIN, csrf_from, login
from starlette.testclient import TestClient


def test_login_redirects_to_next_and_shows_the_user(client: TestClient) -> None:
    response = login(client, *ADMIN, next_url="/settings/import")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/import"
    page = client.get("/settings/import")
    assert page.status_code == 200
    assert "Alice Admin" in page.text
    assert 'action="/logout"' in page.text


def test_username_is_case_insensitive(client: TestClient) -> None:
    assert login(client, ADMIN[0].upper(), ADMIN[1]).status_code == 303


def test_wrong_password_is_refused_with_a_message_and_keeps_the_username(
        client: TestClient) -> None:
    response = login(client, ADMIN[0], "not-the-password")
    assert response.status_code == 400
    assert "Wrong username or password." in response.text
    assert f'value="{ADMIN[0]}"' in response.text
    assert client.get("/settings").status_code == 303  # still anonymous


def test_unknown_user_gets_the_same_message(client: TestClient) -> None:
    response = login(client, "nobody", "whatever")
    assert response.status_code == 400
    assert "Wrong username or password." in response.text


def test_login_without_the_form_token_is_refused(client: TestClient) -> None:
    response = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 403
    assert client.get("/settings").status_code == 303


def test_next_must_stay_on_the_site(client: TestClient) -> None:
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = login(client, *ADMIN, next_url=evil)
        assert response.headers["location"] == "/settings", evil
        client.cookies.clear()


def test_login_page_of_a_logged_in_user_goes_on(admin_client: TestClient) -> None:
    response = admin_client.get("/login", params={"next": "/settings/import"})
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/import"


def test_logout_ends_the_session(admin_client: TestClient) -> None:
    page = admin_client.get("/settings")
    response = admin_client.post("/logout", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "You have been logged out." in admin_client.get("/login").text
    assert admin_client.get("/settings").status_code == 303


def test_logout_needs_the_form_token(admin_client: TestClient) -> None:
    assert admin_client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert admin_client.get("/settings").status_code == 200


def test_login_starts_a_fresh_session(client: TestClient) -> None:
    before = csrf_from(client.get("/login").text)
    login(client, *ADMIN)
    # The token of the anonymous session is gone with it.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 403
    after = csrf_from(client.get("/settings").text)
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 303


def test_root_goes_to_settings(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"

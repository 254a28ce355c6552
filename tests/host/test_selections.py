"""Selections: list, members (paged), Delete with a confirmation step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from host_helpers import csrf_from
from sqlalchemy import func, insert, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.engine.schema import company, person, selection, selection_member
from erpsync.host import pages


def make_selection(db, companies: list[str], persons: list[str] = (),
                   name: str = "New actors of import 1") -> int:
    now = datetime.now(UTC)
    with db.begin() as conn:
        sel = conn.execute(insert(selection).values(name=name, kind="import_new",
                                                    created_at=now)).inserted_primary_key[0]
        first_company = None
        for company_name in companies:
            cid = conn.execute(insert(company).values(
                name=company_name, postal_city="Bergen", name_key=company_name.lower(),
                created_at=now)).inserted_primary_key[0]
            first_company = first_company or cid
            conn.execute(insert(selection_member).values(selection_id=sel, crm_type="company",
                                                         crm_id=cid))
        for person_name in persons:
            first, _, last = person_name.partition(" ")
            pid = conn.execute(insert(person).values(
                firstname=first, lastname=last, company_id=first_company,
                name_key=person_name.lower(), created_at=now)).inserted_primary_key[0]
            conn.execute(insert(selection_member).values(selection_id=sel, crm_type="person",
                                                         crm_id=pid))
    return sel


def count(db, table) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_selection_list_links_to_each_selection(app: Starlette,
                                                admin_client: TestClient) -> None:
    assert "There are no selections yet." in admin_client.get("/settings/selections").text
    sel = make_selection(app.state.db, ["Fjord Fisk AS", "Bergen Bygg AS"])
    html = admin_client.get("/settings/selections").text
    assert f'<a href="/settings/selections/{sel}">New actors of import 1</a>' in html
    assert "New actors of an import" in html


def test_selection_page_shows_its_members(app: Starlette, admin_client: TestClient) -> None:
    sel = make_selection(app.state.db, ["Fjord Fisk AS"], ["Kari Nordmann"])
    html = admin_client.get(f"/settings/selections/{sel}").text
    assert "New actors of import 1" in html
    assert "Fjord Fisk AS" in html and "Kari Nordmann" in html
    assert "This selection holds 2 actors." in html
    assert f'href="/settings/selections/{sel}/delete"' in html


def test_members_are_paged(app: Starlette, admin_client: TestClient,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    sel = make_selection(app.state.db, ["A1 AS", "A2 AS", "A3 AS"])
    first = admin_client.get(f"/settings/selections/{sel}").text
    assert f'href="/settings/selections/{sel}?page=2"' in first
    assert first.count("<tr>") == 1 + 2  # header + two members
    second = admin_client.get(f"/settings/selections/{sel}", params={"page": 2}).text
    assert second.count("<tr>") == 1 + 1
    assert f'href="/settings/selections/{sel}?page=1"' in second
    assert "?page=3" not in second


def test_unknown_selection_is_a_localized_404(admin_client: TestClient) -> None:
    response = admin_client.get("/settings/selections/999")
    assert response.status_code == 404
    assert "This selection does not exist" in response.text
    assert admin_client.get("/settings/selections/999/delete").status_code == 404


def test_delete_asks_first_then_deletes(app: Starlette, admin_client: TestClient) -> None:
    db = app.state.db
    sel = make_selection(db, ["Fjord Fisk AS", "Bergen Bygg AS"], ["Kari Nordmann"])
    other = make_selection(db, ["Keep Me AS"], name="Other")

    confirm = admin_client.get(f"/settings/selections/{sel}/delete")
    assert confirm.status_code == 200
    assert "Delete the 3 actors of the selection “New actors of import 1”" in confirm.text
    assert count(db, company) == 3  # asking deletes nothing

    token = csrf_from(confirm.text)
    # Without the confirmation field (or the token) nothing happens.
    admin_client.post(f"/settings/selections/{sel}/delete", data={"csrf_token": token})
    assert admin_client.post(f"/settings/selections/{sel}/delete",
                             data={"confirm": "yes"}).status_code == 403
    assert count(db, company) == 3

    response = admin_client.post(f"/settings/selections/{sel}/delete",
                                 data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/selections/{sel}"
    assert count(db, company) == 1 and count(db, person) == 0
    page = admin_client.get(f"/settings/selections/{sel}").text
    assert "3 actors were deleted." in page
    assert "Keep Me AS" in admin_client.get(f"/settings/selections/{other}").text

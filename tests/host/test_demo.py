"""The demo setup."""

from __future__ import annotations

from pathlib import Path

import pytest
from host_helpers import login
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.engine.schema import company, erp_connection
from erpsync.host import demo, users
from erpsync.host.settings import get_setting, set_setting
from erpsync.paths import DEMO_DATA_DIR


def test_demo_users_can_log_in_and_settings_are_reset(app: Starlette, data_dir: Path) -> None:
    set_setting(app.state.db, "erp_sync_enabled", True)
    printed: list[str] = []
    info = demo.ensure_demo(app, data_dir, echo=printed.append)
    assert (info.url_path, info.username, info.password) == ("/settings/import", "admin",
                                                             "admin")
    assert "admin / admin" in printed[0] and "viewer / viewer" in printed[0]
    assert get_setting(app.state.db, "erp_sync_enabled") is False
    assert (data_dir / "backups").is_dir()
    with TestClient(app, follow_redirects=False) as client:
        assert login(client, "admin", "admin", info.url_path).status_code == 303
        assert client.get(info.url_path).status_code == 200
        client.cookies.clear()
        login(client, "viewer", "viewer")
        assert client.get("/settings").status_code == 403


def test_demo_is_idempotent_and_keeps_a_changed_password(app: Starlette) -> None:
    demo.ensure_demo(app, echo=None)
    admin = users.get_user_by_name(app.state.db, "admin")
    users.set_password(app.state.db, admin.id, "changed")
    info = demo.ensure_demo(app, echo=None)
    assert info.password is None and info.companies_created == 0
    assert not info.connection_created
    assert users.authenticate(app.state.db, "admin", "changed") is not None


def test_demo_companies_overlap_the_demo_erp(app: Starlette, tmp_path: Path) -> None:
    names = demo.demo_company_names(demo.OVERLAPPING_COMPANIES)
    if not (DEMO_DATA_DIR / "customer.csv").exists():
        pytest.skip("the demo ERP data is not there yet")
    assert len(names) == demo.OVERLAPPING_COMPANIES
    info = demo.ensure_demo(app, echo=None)
    assert info.companies_created == len(names)
    with app.state.db.connect() as conn:
        stored = conn.execute(select(company.c.name, company.c.name_key)).all()
    assert sorted(n for n, _ in stored) == sorted(names)
    assert all(key == name.casefold().strip() for name, key in stored)


def test_demo_company_names_read_the_name_column(tmp_path: Path) -> None:
    (tmp_path / "customer.csv").write_text(
        "\ufeffNUMBER1,name,POSTALCITY\n1,  Alfa AS ,Oslo\n2,,Bergen\n3,Beta AS,Moss\n"
        "4,Gamma AS,Hamar\n", encoding="utf-8")
    assert demo.demo_company_names(2, tmp_path) == ["Alfa AS", "Beta AS"]
    assert demo.demo_company_names(2, tmp_path / "missing") == []


def test_demo_connection_points_at_the_demo_data(app: Starlette) -> None:
    pytest.importorskip("erpsync.connections")
    info = demo.ensure_demo(app, echo=None)
    assert info.connection_created
    with app.state.db.connect() as conn:
        row = conn.execute(select(erp_connection)
                           .where(erp_connection.c.name == demo.DEMO_CONNECTION)).one()
    assert row.connector == "workbook" and row.active
    assert Path(row.config["path"]) == DEMO_DATA_DIR

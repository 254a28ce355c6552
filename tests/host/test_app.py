"""The application: hooks it answers, static files, headers, secret key, chrome."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.testclient import TestClient

from erpsync.app import CurrentUser
from erpsync.engine.schema import erp_connection
from erpsync.host import app as host_app
from erpsync.host.hooks import HOST_OVERRIDES_DIR


def test_host_urls_for_the_plugin(app: Starlette) -> None:
    erpsync = app.state.erpsync
    assert erpsync.host_url("sync_settings") == "/settings/quote-sync?tab=sync"
    assert erpsync.host_url("import_sources") == "/settings/import"
    assert erpsync.host_url("settings") == "/settings"
    assert erpsync.host_url("login") == "/login"
    assert erpsync.host_url("login", next="/erpsync/x?a=1") == "/login?next=%2Ferpsync%2Fx%3Fa%3D1"
    assert erpsync.host_url("selection", id=7) == "/settings/selections/7"
    assert erpsync.host_url("selection") is None
    assert erpsync.host_url("no-such-page") is None


def test_host_settings_for_the_plugin(app: Starlette, data_dir: Path) -> None:
    from erpsync.host.settings import set_setting

    erpsync = app.state.erpsync
    assert erpsync.setting("erp_sync_enabled") is False
    set_setting(app.state.db, "erp_sync_enabled", True)
    assert erpsync.setting("erp_sync_enabled") is True
    assert erpsync.setting("backup_dir") == str(data_dir / "backups")
    assert erpsync.setting("default_locale") == "en"


def test_the_import_engine_is_built_once(app: Starlette, data_dir: Path) -> None:
    engine = app.state.erpsync.engine
    assert engine is app.state.erpsync.engine
    assert engine.db is app.state.db
    assert Path(engine.backup_dir) == data_dir / "backups"


def test_the_engines_backup_options_come_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPSYNC_BACKUP_KEEP", "9")
    monkeypatch.setenv("ERPSYNC_PG_DUMP", "/opt/pg/bin/pg_dump")
    app = host_app.create_app(db_url=f"sqlite:///{tmp_path / 'crm.sqlite'}", data_dir=tmp_path,
                              load_entry_points=False)
    engine = app.state.erpsync.engine
    assert (engine.backup_keep, engine.pg_dump) == (9, "/opt/pg/bin/pg_dump")
    app.state.db.dispose()


def test_template_override_dir_is_registered(app: Starlette) -> None:
    assert HOST_OVERRIDES_DIR in app.state.erpsync.renderer.extra_dirs
    assert (HOST_OVERRIDES_DIR / "erpsync" / "layout.html").exists()


def test_current_user_for_the_plugin(app: Starlette, admin_client: TestClient) -> None:
    seen: list[CurrentUser | None] = []

    async def probe(scope, receive, send):
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse

        request = Request(scope, receive)
        seen.append(app.state.erpsync.current_user(request))
        await PlainTextResponse("ok")(scope, receive, send)

    from starlette.routing import Mount

    app.router.routes.insert(0, Mount("/probe", app=probe))
    admin_client.get("/probe/")
    admin_client.cookies.clear()
    admin_client.get("/probe/")
    assert seen[0] is not None and seen[0].username == "alice" and seen[0].may_admin
    assert seen[1] is None


def test_static_files_and_icons(client: TestClient) -> None:
    css = client.get("/static/erpsync.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    for icon in ("import-erp.svg", "import-file.svg"):
        response = client.get(f"/static/icons/{icon}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")


def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(
        admin_client: TestClient) -> None:
    for path in ("/settings", "/settings/import", "/settings/quote-sync?tab=sync"):
        response = admin_client.get(path)
        assert "<script" not in response.text
        assert "http://" not in response.text and "https://" not in response.text
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"


def test_session_cookie_is_signed_and_lax(admin_client: TestClient) -> None:
    response = admin_client.get("/login", params={"lang": "nl"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(host_app.SESSION_COOKIE + "=")
    assert "samesite=lax" in cookie.lower() and "httponly" in cookie.lower()
    assert "secure" not in cookie.lower()


def test_secret_key_is_generated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(host_app.SECRET_KEY_ENV, raising=False)
    first = host_app._secret_key(None, tmp_path)
    assert len(first) >= 40
    assert (tmp_path / host_app.SECRET_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert host_app._secret_key(None, tmp_path) == first
    monkeypatch.setenv(host_app.SECRET_KEY_ENV, "from-env")
    assert host_app._secret_key(None, tmp_path) == "from-env"
    assert host_app._secret_key("explicit", tmp_path) == "explicit"


def test_sessions_survive_a_restart_with_the_generated_key(data_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.delenv(host_app.SECRET_KEY_ENV, raising=False)
    url = f"sqlite:///{data_dir / 'restart.sqlite'}"
    first = host_app.create_app(url, data_dir, load_entry_points=False)
    with TestClient(first, follow_redirects=False) as c1:
        c1.get("/login", params={"lang": "nl"})
        cookies = dict(c1.cookies)
    second = host_app.create_app(url, data_dir, load_entry_points=False)
    with TestClient(second, follow_redirects=False, cookies=cookies) as c2:
        assert '<html lang="nl">' in c2.get("/login").text


def test_connections_page_lists_connections_without_their_config(
        app: Starlette, admin_client: TestClient) -> None:
    assert "There are no ERP connections yet." in admin_client.get(
        "/settings/connections").text
    with app.state.db.begin() as conn:
        conn.execute(insert(erp_connection).values(
            name="Main ERP", connector="workbook", active=True,
            config={"path": "/srv/erp", "password": "hunter2"}, created_at=datetime.now(UTC)))
        conn.execute(insert(erp_connection).values(
            name="Old ERP", connector="gone", active=False, config={}))
    html = admin_client.get("/settings/connections").text
    assert "Main ERP" in html and "Old ERP" in html
    assert "Inactive" in html
    assert "hunter2" not in html and "/srv/erp" not in html


def test_settings_home_links_every_part(admin_client: TestClient) -> None:
    html = admin_client.get("/settings").text
    for href in ("/settings/import", "/settings/quote-sync", "/settings/connections",
                 "/settings/selections"):
        assert f'href="{href}"' in html

"""A second host runs the ERP import through the hook contract alone.

The minimal host (minihost.py) is a bare ASGI callable with its own users,
settings and pages; the Acme connector is a separately installed package found
through its ``erpsync`` entry point. Each hook of erpsync.hookspecs has a
``test_hook_<name>`` here (docs/hooks.md documents them; tests/docs checks both).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from minihost import MOUNT, MiniCrm
from minihost_flow import add_acme_connection, login, run_import
from sqlalchemy import select

from erpsync.app import ErpSync
from erpsync.engine.schema import company, erp_link

HERE = Path(__file__).resolve().parent


def _companies(crm: MiniCrm) -> dict[str, str | None]:
    with crm.db.connect() as conn:
        return dict(conn.execute(select(company.c.name, company.c.postal_city)).all())


def test_the_whole_erp_import_runs_through_the_hooks(minicrm, client):
    login(client)
    add_acme_connection(client)
    seen = run_import(client)
    assert seen["found"] == ["AC-1", "AC-2"]
    assert _companies(minicrm) == {"Acme Nordlys AS": "Tromsø", "Acme Fjordkraft AS": "Bodø"}
    with minicrm.db.connect() as conn:
        links = conn.execute(select(erp_link.c.erp_key)).scalars().all()
    assert sorted(links) == ["AC-1", "AC-2"]
    # The host has no selection page (erpsync_url gives no "selection"): erpsync's own.
    assert seen["result_links"] and all(
        link.startswith(f"{MOUNT}/selections/") for link in seen["result_links"])
    assert "Acme Nordlys AS" in client.get(seen["result_links"][0]).text


def test_nothing_of_the_reference_host_is_needed(acme_site, tmp_path):
    """In a fresh interpreter where ``import erpsync.host`` fails, the import works."""
    script = (
        "import sys, runpy\n"
        "sys.modules['erpsync.host'] = None  # importing the reference host now fails\n"
        f"sys.path[:0] = [{str(HERE)!r}, {str(acme_site)!r}]\n"
        f"sys.argv = ['minihost_flow', {str(tmp_path / 'crm')!r}]\n"
        "runpy.run_path(sys.path[0] + '/minihost_flow.py', run_name='__main__')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPSYNC_")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["found"] == ["AC-1", "AC-2"]
    assert seen["result_links"]
    assert "erpsync_acme" in seen["modules"]  # loaded through its entry point
    assert not [m for m in seen["modules"] if m.startswith("erpsync.host")]


def test_hook_erpsync_connectors_offers_an_entry_point_connector(minicrm, client):
    assert "acme" in minicrm.erpsync.connector_classes()
    login(client)
    page = client.get("/admin/connections").text
    assert '<option value="acme">Acme ERP</option>' in page
    add_acme_connection(client)
    assert "Acme North (acme)" in client.get("/admin/connections").text


def test_hook_erpsync_connectors_needs_the_entry_point(acme_installed, tmp_path):
    """Without entry points the package is importable but not a plugin."""
    crm = MiniCrm(tmp_path / "crm", load_entry_points=False)
    assert "acme" not in crm.erpsync.connector_classes()
    assert "workbook" in crm.erpsync.connector_classes()


def test_hook_erpsync_import_sources_fill_the_hosts_own_screen(client):
    login(client)
    page = client.get("/admin/import").text
    assert f'data-source="erp"><a href="{MOUNT}/erp/select-connection">ERP Sync</a>' in page


def test_hook_erpsync_setting_disables_erp_sync_while_sync_is_on(minicrm, client):
    login(client)
    minicrm.settings["erp_sync_enabled"] = True
    page = client.get("/admin/import").text
    assert 'data-source="erp" class="disabled">ERP Sync' in page
    assert 'class="fix" href="/admin/sync"' in page  # the host's URL, via erpsync_url
    blocked = client.get(f"{MOUNT}/erp/select-connection")
    assert blocked.status_code == 409
    assert 'href="/admin/sync"' in blocked.text


def test_hook_erpsync_current_user_decides_who_gets_in(client):
    anonymous = client.get(f"{MOUNT}/erp/select-connection")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == (
        "/login?next=" + quote(f"{MOUNT}/erp/select-connection", safe=""))
    login(client, "clerk")
    assert client.get(f"{MOUNT}/erp/select-connection").status_code == 403


def test_hook_erpsync_current_user_locale_picks_the_language(client):
    login(client)  # boss has the profile language nb_NO
    page = client.get(f"{MOUNT}/erp/select-connection")
    assert page.headers["content-language"] == "no"
    assert '<html lang="no">' in page.text


def test_hook_erpsync_import_engine_is_the_hosts_database(minicrm, client):
    login(client)
    add_acme_connection(client)
    seen = run_import(client)
    imp = minicrm.engine.get_import(seen["import_id"])
    assert imp["state"] == "done" and imp["new_count"] == 2


def test_hook_erpsync_url_links_back_to_the_hosts_pages(client):
    login(client)
    page = client.get(f"{MOUNT}/erp/select-connection").text
    assert 'href="/admin"' in page  # Settings and maintenance in the breadcrumbs
    assert 'href="/admin/import"' in page  # Import, and Cancel


def test_hook_erpsync_routes_are_served_under_the_hosts_mount(minicrm, client):
    names = {getattr(r, "name", None) for r in minicrm.erpsync.routes()}
    assert {"erpsync_erp_select", "erpsync_erp_search", "erpsync_erp_add"} <= names
    login(client)
    add_acme_connection(client)
    page = client.get(f"{MOUNT}/erp/select-connection").text
    assert f'action="{MOUNT}/erp/select-connection"' in page
    assert f'href="{MOUNT}/ui-static/dialogs.css"' in page


def test_hook_erpsync_template_dirs_override_with_the_default_prefix(minicrm, client):
    login(client)
    add_acme_connection(client)
    page = client.get(f"{MOUNT}/erp/select-connection").text
    # The host's erpsync/layout.html extends "default:erpsync/layout.html".
    assert '<link rel="stylesheet" href="/static/minicrm.css">' in page
    assert 'class="erpsync-standalone"' in page
    assert isinstance(minicrm.erpsync, ErpSync)


def test_the_command_line_accepts_the_entry_point_connector(acme_site, tmp_path):
    """``erpsync connections add --connector acme`` with the package installed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPSYNC_")}
    env.update(PYTHONPATH=str(acme_site), ERPSYNC_DATA_DIR=str(tmp_path), ERPSYNC_LANG="en")

    def erpsync(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "erpsync.cli", *args], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    added = erpsync("connections", "add", "Acme", "--connector", "acme",
                    "--config", "region=north")
    assert added.returncode == 0, added.stderr
    tested = erpsync("connections", "test", "Acme")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    listed = erpsync("connections", "list", "--json")
    assert json.loads(listed.stdout)[0]["connector"] == "acme"
    # Without the package, the connector is unknown and the list says what is installed.
    env.pop("PYTHONPATH")
    missing = erpsync("connections", "add", "Other", "--connector", "acme",
                      "--config", "region=north")
    assert missing.returncode == 2
    installed = missing.stderr.split("Installed connectors:", 1)[1]
    assert "workbook" in installed and "acme" not in installed


def test_the_help_link_opens_erpsyncs_own_help_in_the_users_language(client):
    """The host gives no "help" URL: the dialogs link to erpsync's help pages."""
    login(client)  # boss reads Norwegian
    page = client.get(f"{MOUNT}/erp/select-connection").text
    link = re.search(r'<a class="help-link" href="([^"]+)"', page)
    assert link and link.group(1) == f"{MOUNT}/help/import-from-erp?lang=no"
    help_page = client.get(html.unescape(link.group(1)))
    assert help_page.status_code == 200
    assert '<article class="help-article" lang="no">' in help_page.text
    assert "<h1" in help_page.text and "Importere fra ERP" in help_page.text
    image = re.search(r'<img src="([^"]+)"', help_page.text)
    assert image and client.get(image.group(1)).status_code == 200


def test_hook_erpsync_csrf_token_guards_every_form(minicrm, client):
    login(client)
    add_acme_connection(client)
    page = client.get(f"{MOUNT}/erp/select-connection").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token and token.group(1) in minicrm.csrf_tokens.values()
    form = {"connection": "1", "type": "customer"}
    refused = client.post(f"{MOUNT}/erp/select-connection", data=form)
    assert refused.status_code == 403
    forged = client.post(f"{MOUNT}/erp/select-connection", data={**form, "csrf_token": "x"})
    assert forged.status_code == 403
    accepted = client.post(f"{MOUNT}/erp/select-connection",
                           data={**form, "csrf_token": token.group(1)})
    assert accepted.status_code == 303

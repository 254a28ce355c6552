"""Bad input from an ERP through the remote path, end to end in the reference
host: Unicode and values longer than the CRM column are imported shortened
with a preview warning, and HTML in ERP data is shown as text."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from remote_helpers import TOKEN, Service, login, start_service
from sqlalchemy import select
from starlette.testclient import TestClient

from erpsync.connections import ConnectionStore
from erpsync.engine.schema import COMPANY_COLUMNS, company
from erpsync.host import users
from erpsync.host.app import create_app

SCRIPT = "<script>alert(1)</script>"
#: 260 characters with letters outside ASCII and outside the BMP.
LONG_NAME = ("Ærøskøbing Fiskeri & Søn – Ålesund afdeling 🐟 " * 6)[:260]
NAME_LENGTH = COMPANY_COLUMNS["name"]


@pytest.fixture(scope="module")
def erp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("bad-erp")
    with (folder / "customer.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ERPKEY", "NAME", "POSTALCITY", "EMAIL"])
        writer.writerow(["B-1", LONG_NAME, "Tromsø", "post@aeroskobing.dk"])
        writer.writerow(["B-2", SCRIPT, "<b>Bergen</b>", "x@example.com"])
        writer.writerow(["B-3", 'Ørsted & Søn "Quoted"', "Den Haag", ""])
    service = start_service(["--connector", "workbook", "--config", f"path={folder}"],
                            folder)
    yield service
    service.stop()


@pytest.fixture
def app(erpsync_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(data_dir=erpsync_data_dir, secret_key="remote-wizard-test",
                     load_entry_points=False)
    users.create_user(app.state.db, "admin", "admin-pw", is_admin=True)
    return app


@pytest.fixture
def admin(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as client:
        login(client, "admin", "admin-pw")
        yield client


def text_of(page: str) -> str:
    body = page.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def test_unicode_long_values_and_html_from_a_remote_erp(app, admin, erp):
    connection_id = ConnectionStore(app.state.db).add(
        "Bad data ERP", "remote", {"url": erp.url, "token": TOKEN})
    search = admin.get("/erpsync/erp/search", params={
        "connection": connection_id, "type": "customer", "run": "1"})
    assert search.status_code == 200, text_of(search.text)[:500]
    assert SCRIPT not in search.text and "<b>Bergen</b>" not in search.text
    assert html.escape(SCRIPT) in search.text.replace("&#x27;", "'")
    assert "&lt;b&gt;Bergen&lt;/b&gt;" in search.text
    assert LONG_NAME in text_of(search.text)  # the search shows the ERP's value whole

    added = admin.post("/erpsync/erp/add-import", data={
        "connection": connection_id, "type": "customer", "scope": "all"})
    assert added.status_code == 303, text_of(added.text)[:500]
    staged = admin.get(added.headers["location"])
    assert SCRIPT not in staged.text and "&lt;script&gt;" in staged.text
    import_id = int(re.search(r"/imports/(\d+)/", added.headers["location"]).group(1))

    settings = admin.post(f"/erpsync/imports/{import_id}/settings", data={})
    assert settings.status_code == 303, text_of(settings.text)[:500]
    preview = admin.get(f"/erpsync/imports/{import_id}/preview")
    assert preview.status_code == 200
    assert SCRIPT not in preview.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.text
    text = text_of(preview.text)
    assert "NAME is too long and is shortened" in text
    assert "3 new companies" in text

    rows = re.findall(r'name="row" value="(\d+)"', preview.text)
    applied = admin.post(f"/erpsync/imports/{import_id}/apply",
                         data={"row": rows, "checked": rows})
    assert applied.status_code == 303, text_of(applied.text)[:500]
    erpsync = app.state.erpsync
    erpsync.jobs.wait(import_id, timeout=60)  # the import runs as a background job
    assert erpsync.engine.get_import(import_id)["state"] == "done"
    with app.state.db.connect() as conn:
        names = dict(conn.execute(select(company.c.name, company.c.postal_city)).all())
    assert LONG_NAME[:NAME_LENGTH] in names, "shortened to the column, characters intact"
    assert names[LONG_NAME[:NAME_LENGTH]] == "Tromsø"
    assert names[SCRIPT] == "<b>Bergen</b>"  # stored as data, shown as text
    assert 'Ørsted & Søn "Quoted"' in names
    result = admin.get(f"/erpsync/imports/{import_id}/result")
    assert result.status_code == 200 and "&lt;script&gt;" in result.text
    assert SCRIPT not in result.text

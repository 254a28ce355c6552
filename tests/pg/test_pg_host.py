"""The whole product on PostgreSQL, given a ``postgresql+psycopg://`` URL: the
migrations (``erpsync db upgrade``), the command-line import and the reference
host's HTTP wizard, each on a fresh database of the throwaway server
(tests/pgserver.py; these tests fail under CI when PostgreSQL is missing)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from erpsync import migrate
from erpsync.db import make_engine
from erpsync.engine.schema import STAGED_FILLFACTOR, company, erp_link, selection_member
from erpsync.paths import DEMO_DATA_DIR

CONNECTION = "Demo ERP"


def erpsync(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in its own process, on the database ``url``."""
    env = {**os.environ, "ERPSYNC_LANG": "en", "ERPSYNC_DATA_DIR": str(data_dir)}
    env.pop("ERPSYNC_DB", None)
    return subprocess.run([sys.executable, "-m", "erpsync.cli", "--db", url, *args],
                          capture_output=True, text=True, env=env, timeout=180, check=False)


def count(db: Engine, table, *where) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def demo_rows(actor_type: str) -> list[dict[str, str]]:
    with (DEMO_DATA_DIR / f"{actor_type}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def test_db_upgrade_builds_the_declared_schema_on_postgresql(pg_url, pg_db, erpsync_data_dir):
    done = erpsync(pg_url, erpsync_data_dir, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert migrate.current(pg_db) == migrate.head()
    with pg_db.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, migrate.target_metadata())
        indexes = {row[0] for row in conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    assert diff == []
    declared = {index.name for table in migrate.target_metadata().tables.values()
                for index in table.indexes}
    assert declared <= indexes
    # Table options are not compared by autogenerate: the staging table's room
    # for HOT updates (migration 0003) is checked here.
    with pg_db.connect() as conn:
        options = conn.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = 'staged_actor'").scalar_one()
    assert options == [f"fillfactor={STAGED_FILLFACTOR}"]
    again = erpsync(pg_url, erpsync_data_dir, "db", "upgrade")  # nothing to do, no error
    assert again.returncode == 0, again.stderr


def test_cli_import_on_postgresql(pg_url, pg_db, erpsync_data_dir):
    """``erpsync --db postgresql+psycopg://... import``: new companies, then the
    same search again updates them through their ERP links (no duplicates)."""
    assert erpsync(pg_url, erpsync_data_dir, "db", "upgrade").returncode == 0
    added = erpsync(pg_url, erpsync_data_dir, "connections", "add", CONNECTION,
                    "--connector", "workbook", "--config", f"path={DEMO_DATA_DIR}")
    assert added.returncode == 0, added.stderr
    customers = demo_rows("customer")
    # Duplicate match ID: the demo has branches sharing a name (Name would merge them).
    args = ("import", "--connection", CONNECTION, "--actor-type", "customer", "--match", "id",
            "--action", "replace", "--yes", "--json", "--quiet")

    first = erpsync(pg_url, erpsync_data_dir, *args)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["applied"] and out["staged"] == len(customers)
    assert out["new"] == count(pg_db, company) == len(customers)
    assert count(pg_db, erp_link, erp_link.c.crm_type == "company") == len(customers)
    assert count(pg_db, selection_member,
                 selection_member.c.selection_id == out["new_selection_id"]) == out["new"]
    assert out["backup_path"] is None  # PostgreSQL is backed up by its own tools

    with pg_db.begin() as conn:  # the CRM drifts: only the ERP links find the rows again
        conn.execute(company.update().values(name=company.c.name + " (old)", name_key=None,
                                             postal_city=None))
    second = erpsync(pg_url, erpsync_data_dir, *args)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert (again["new"], again["updated"]) == (0, len(customers))
    assert count(pg_db, company) == len(customers)
    with pg_db.connect() as conn:
        names = set(conn.execute(select(company.c.name)).scalars())
        ids = conn.execute(select(func.max(company.c.id))).scalar_one()
    assert names == {row["NAME"] for row in customers}
    # Apply pre-assigns ids: the sequence moved past them, the host can add companies.
    with pg_db.begin() as conn:
        later = conn.execute(company.insert().values(name="Added by the host")
                             ).inserted_primary_key[0]
    assert later > ids


@pytest.fixture
def pg_app(pg_url, erpsync_data_dir, monkeypatch):
    from erpsync.host import users
    from erpsync.host.app import create_app
    from erpsync.host.demo import ensure_demo

    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(db_url=pg_url, data_dir=erpsync_data_dir, secret_key="pg-test-secret",
                     load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)
    yield app
    app.state.db.dispose()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(client: TestClient) -> None:
    token = _CSRF.search(client.get("/login").text)
    assert token
    response = client.post("/login", data={"username": "admin", "password": "admin",
                                           "next": "/settings", "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = _CSRF.search(client.get("/settings").text).group(1)


def _redirect(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:1000])
    return response.headers["location"]


def test_host_wizard_imports_on_postgresql(pg_app):
    """create_app on PostgreSQL, then the wizard over HTTP: add an import from the
    demo connection, Next (settings), preview, Import, result with selections."""
    from erpsync.connections import ConnectionStore
    from erpsync.host import users
    from erpsync.host.demo import DEMO_CONNECTION

    db = pg_app.state.db
    assert db.dialect.name == "postgresql"
    connection_id = ConnectionStore(db).get_by_name(DEMO_CONNECTION).id
    keys = ["CUST-10025", "CUST-10057", "CUST-10063"]
    with TestClient(pg_app, follow_redirects=False,
                    headers={"Accept-Language": "en"}) as client:
        _login(client)
        _redirect(client.post("/erpsync/erp/add-import", data={
            "connection": [str(connection_id)], "type": ["customer"], "scope": ["selected"],
            "key": keys}))
        engine = pg_app.state.erpsync.engine
        import_id = engine.open_import("erp", users.get_user_by_name(db, "admin").id)
        assert import_id is not None
        assert engine.staged_count(import_id) == len(keys)
        assert _redirect(client.post(f"/erpsync/imports/{import_id}/settings", data={})) == \
            f"/erpsync/imports/{import_id}/preview"
        preview = client.get(f"/erpsync/imports/{import_id}/preview")
        assert preview.status_code == 200
        url = _redirect(client.post(f"/erpsync/imports/{import_id}/apply"))
        for _ in range(600):  # the import runs as a job: follow its progress page
            if "/result" in url:
                break
            response = client.get(url)
            if response.status_code == 303:
                url = response.headers["location"]
                continue
            assert response.status_code == 200 and '/retry"' not in response.text
            time.sleep(0.05)
        assert url == f"/erpsync/imports/{import_id}/result"
        result = client.get(url)
        assert result.status_code == 200
    run = engine.get_import(import_id)
    assert run["state"] == "done" and run["new_count"] + run["updated_count"] == len(keys)
    assert count(db, erp_link, erp_link.c.erp_key.in_(keys)) == len(keys)
    assert f'/settings/selections/{run["new_selection_id"]}' in result.text

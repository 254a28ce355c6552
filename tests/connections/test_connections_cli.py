"""``erpsync connections edit`` and secrets on the command line: stored
encrypted, masked in every listing, kept when not given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from erpsync import secrets
from erpsync.cli import main
from erpsync.connections import ConnectionStore
from erpsync.db import make_engine
from erpsync.engine.schema import erp_connection
from erpsync.paths import DEMO_DATA_DIR

TOKEN = "cli-token-0123456789abcdef"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ERPSYNC_LANG": "en", "ERPSYNC_DATA_DIR": str(tmp_path / "data"),
            "ERPSYNC_DB": f"sqlite:///{tmp_path / 'crm.sqlite'}"}


@pytest.fixture
def cli(env):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, env=env)

    return invoke


@pytest.fixture
def store(env, cli):
    assert cli("connections", "list").exit_code == 0  # makes the schema
    db = make_engine(env["ERPSYNC_DB"])
    secrets.bind(db, Path(env["ERPSYNC_DATA_DIR"]))
    yield ConnectionStore(db)
    db.dispose()


def raw(store: ConnectionStore, name: str) -> dict:
    with store.db.connect() as conn:
        return conn.execute(select(erp_connection.c.config)
                            .where(erp_connection.c.name == name)).scalar_one()


def last_error(result) -> str:
    return [line for line in result.stderr.splitlines() if line.strip()][-1]


def test_a_token_from_stdin_is_stored_encrypted_and_masked(cli, store):
    added = cli("connections", "add", "Bridge", "--connector", "remote", "--config",
                "url=http://127.0.0.1:9", "--config-stdin", "token", "--inactive",
                input=TOKEN + "\n")
    assert added.exit_code == 0, added.output
    assert TOKEN not in added.output
    assert TOKEN not in str(raw(store, "Bridge"))
    assert secrets.is_encrypted(raw(store, "Bridge")["token"])
    assert store.get_by_name("Bridge").config["token"] == TOKEN
    listed = cli("connections", "list", "--json")
    assert TOKEN not in listed.stdout
    assert json.loads(listed.stdout)[0]["config"]["token"] == "••••••••"
    assert TOKEN not in cli("connections", "list").stdout


def test_edit_changes_only_what_is_given(cli, store):
    cli("connections", "add", "Bridge", "--connector", "remote", "--config",
        "url=http://127.0.0.1:9", "--config", f"token={TOKEN}", "--inactive")
    edited = cli("connections", "edit", "bridge", "--config", "timeout=5", "--name", "Brug",
                 "--user", "Kari", "--role", "sales")
    assert edited.exit_code == 0, edited.output
    assert "ERP connection Brug changed." in edited.stdout
    found = store.get_by_name("Brug")
    assert found.config == {"url": "http://127.0.0.1:9", "token": TOKEN, "timeout": "5"}
    assert found.scope == {"users": ["kari"], "roles": ["sales"]} and not found.active
    assert json.loads(cli("connections", "list", "--json").stdout)[0]["scope"] == {
        "users": ["kari"], "roles": ["sales"]}

    assert cli("connections", "edit", "Brug", "--unset", "timeout",
               "--everyone").exit_code == 0
    found = store.get_by_name("Brug")
    assert "timeout" not in found.config and found.scope is None
    assert secrets.is_encrypted(raw(store, "Brug")["token"])


def test_activating_runs_the_test_and_saves_nothing_when_it_fails(cli, store):
    cli("connections", "add", "Bridge", "--connector", "remote", "--config",
        "url=http://127.0.0.1:9", "--config", f"token={TOKEN}", "--config", "retries=0",
        "--inactive")
    refused = cli("connections", "edit", "Bridge", "--activate", "--config", "timeout=3")
    assert refused.exit_code == 1
    message = last_error(refused)
    assert "The connection test of Bridge failed, so nothing was saved:" in message
    assert "Cannot reach the connector service at http://127.0.0.1:9" in message
    assert TOKEN not in refused.output
    found = store.get_by_name("Bridge")
    assert not found.active and "timeout" not in found.config

    cli("connections", "add", "Demo", "--connector", "workbook", "--config",
        f"path={DEMO_DATA_DIR}", "--inactive")
    assert cli("connections", "edit", "Demo", "--activate").exit_code == 0
    assert store.get_by_name("Demo").active
    assert cli("connections", "edit", "Demo", "--deactivate").exit_code == 0
    assert not store.get_by_name("Demo").active


def test_edit_refuses_bad_requests(cli, store):
    cli("connections", "add", "Demo", "--connector", "workbook", "--config",
        f"path={DEMO_DATA_DIR}")
    nothing = cli("connections", "edit", "Demo")
    assert nothing.exit_code == 2 and "Nothing to change" in last_error(nothing)
    unknown = cli("connections", "edit", "Demo", "--config", "colour=blue")
    assert unknown.exit_code == 2 and "Unknown configuration colour" in last_error(unknown)
    both = cli("connections", "edit", "Demo", "--everyone", "--user", "x")
    assert both.exit_code == 2
    missing = cli("connections", "edit", "Nope", "--deactivate")
    assert missing.exit_code == 2 and "There is no ERP connection Nope" in last_error(missing)
    broken = cli("connections", "edit", "Demo", "--config", "path=/nonexistent/erp")
    assert broken.exit_code == 1 and "does not exist" in last_error(broken)
    assert store.get_by_name("Demo").config["path"] == str(DEMO_DATA_DIR)


def test_add_runs_the_test_and_saves_nothing_when_it_fails(cli, store):
    refused = cli("connections", "add", "Bridge", "--connector", "remote", "--config",
                  "url=http://127.0.0.1:9", "--config", f"token={TOKEN}", "--config",
                  "retries=0")
    assert refused.exit_code == 1
    message = last_error(refused)
    assert "The connection test of Bridge failed, so nothing was saved:" in message
    assert "Cannot reach the connector service at http://127.0.0.1:9" in message
    assert store.get_by_name("Bridge") is None

    added = cli("connections", "add", "Demo", "--connector", "workbook", "--config",
                f"path={DEMO_DATA_DIR}")
    assert added.exit_code == 0, added.output
    assert store.get_by_name("Demo").active

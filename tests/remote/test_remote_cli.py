"""``erpsync connector serve``: refusals before anything listens, and serving
a stored connection (its secrets decrypted with the data directory's key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from remote_helpers import TOKEN, start_service
from sqlalchemy import select

from erpsync import secrets
from erpsync.cli import main
from erpsync.connections import ConnectionStore
from erpsync.connectors.base import ActorType
from erpsync.connectors.remote import RemoteConnector
from erpsync.db import make_engine
from erpsync.engine.schema import erp_connection
from erpsync.migrate import upgrade
from erpsync.paths import DEMO_DATA_DIR


def serve(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(main, ["connector", "serve", *args], input=input,
                              env={"ERPSYNC_LANG": "en", "ERPSYNC_CONNECTOR_TOKEN": "",
                                   **(env or {})})


def last_line(result) -> str:
    return [line for line in result.stderr.splitlines() if line.strip()][-1]


def test_a_token_is_required(tmp_path):
    result = serve("--connector", "workbook", "--config", f"path={DEMO_DATA_DIR}")
    assert result.exit_code == 2
    assert "needs an access token" in last_line(result)
    assert "ERPSYNC_CONNECTOR_TOKEN" in last_line(result)
    short = serve("--connector", "workbook", "--config", f"path={DEMO_DATA_DIR}",
                  "--token", "abc")
    assert short.exit_code == 2 and "at least 16 characters" in last_line(short)
    stdin_short = serve("--connector", "workbook", "--token-stdin", input="abc\n")
    assert stdin_short.exit_code == 2 and "at least 16" in last_line(stdin_short)


@pytest.mark.parametrize(("args", "message"), [
    (["--connector", "sap"], "Unknown connector sap. Installed connectors:"),
    ([], "Choose what to serve"),
    (["--connector", "workbook"], "Missing configuration: path"),
    (["--connector", "workbook", "--config", "path=/nonexistent/erp", "--config", "x=1"],
     "Unknown configuration x"),
    (["--connector", "remote", "--config", "url=ftp://x", "--config", "token=t"],
     "must start with http:// or https://"),
])
def test_bad_requests_are_one_line_errors(args, message):
    result = serve(*args, env={"ERPSYNC_CONNECTOR_TOKEN": TOKEN})
    assert result.exit_code in (1, 2), result.output
    assert message in last_line(result), result.output
    assert "Traceback" not in result.output


def test_a_stored_connection_is_served_with_its_secret_decrypted(tmp_path: Path, service):
    """A remote connection (token encrypted in the database) served again:
    client -> second service -> first service -> workbook."""
    data_dir = tmp_path / "data"
    db_url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    db = make_engine(db_url)
    try:
        upgrade(db)
        secrets.bind(db, data_dir)
        ConnectionStore(db).add("Bridge", "remote", {"url": service.url, "token": TOKEN})
        with db.connect() as conn:
            raw = conn.execute(select(erp_connection.c.config)).scalar_one()
        assert TOKEN not in str(raw)
    finally:
        db.dispose()
    second_token = "second-service-token-9876543210"
    chained = start_service(["--connection", "bridge"], tmp_path, token=second_token,
                            env={"ERPSYNC_DB": db_url, "ERPSYNC_DATA_DIR": str(data_dir)})
    try:
        with RemoteConnector({"url": chained.url, "token": second_token}) as client:
            assert client.service_info()["connector"]["name"] == "remote"
            page = client.search(ActorType.CUSTOMER, [], limit=3)
            assert page.total and len(page.actors) == 3
    finally:
        chained.stop()
    assert TOKEN not in chained.output() and second_token not in chained.output()
    assert "Serving the connector remote on http://127.0.0.1:" in chained.output()


def test_a_stored_connection_and_a_connector_are_exclusive():
    result = serve("--connection", "x", "--connector", "workbook",
                   env={"ERPSYNC_CONNECTOR_TOKEN": TOKEN})
    assert result.exit_code == 2 and "not both" in last_line(result)

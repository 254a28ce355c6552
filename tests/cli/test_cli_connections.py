"""``erpsync connections``: add, list (secrets masked), test, remove."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from cli_helpers import assert_clean_error

from erpsync.connections import ConnectionStore
from erpsync.connectors import registry
from erpsync.connectors.base import Connector, FieldAccess, FieldMeta, FieldType
from erpsync.connectors.base import TestResult as ConnectorTestResult
from erpsync.paths import DEMO_DATA_DIR


def _add_demo(cli, name: str = "Demo ERP"):
    return cli("connections", "add", name, "--connector", "workbook",
               "--config", f"path={DEMO_DATA_DIR}")


def test_add_list_test_remove_a_workbook_connection(cli, db):
    added = _add_demo(cli)
    assert added.exit_code == 0, added.output
    stored = ConnectionStore(db).get_by_name("Demo ERP")
    assert (stored.connector, stored.config, stored.active) == (
        "workbook", {"path": str(DEMO_DATA_DIR)}, True)

    listed = cli("connections", "list", "--json")
    assert listed.exit_code == 0
    assert json.loads(listed.stdout) == [{
        "id": stored.id, "name": "Demo ERP", "connector": "workbook", "active": True,
        "config": {"path": str(DEMO_DATA_DIR)}}]
    text = cli("connections", "list").stdout
    assert "Demo ERP" in text and f"path={DEMO_DATA_DIR}" in text

    tested = cli("connections", "test", "demo erp")
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.startswith("Demo ERP: ")

    removed = cli("connections", "remove", "Demo ERP")
    assert removed.exit_code == 0
    assert ConnectionStore(db).list() == []


def test_duplicate_name_is_bad_input(cli, db):
    assert _add_demo(cli).exit_code == 0
    assert_clean_error(_add_demo(cli, "DEMO erp"), 2, "already an ERP connection")
    assert len(ConnectionStore(db).list()) == 1


def test_unknown_connector_lists_the_installed_ones(cli, db_path):
    result = cli("connections", "add", "X", "--connector", "sap", "--config", "a=b")
    assert_clean_error(result, 2, "Unknown connector sap", "workbook")
    assert not db_path.exists()


@pytest.mark.parametrize(("config", "message"), [
    (["--config", "colour=blue", "--config", "path=/x"], "Unknown configuration colour"),
    ([], "Missing configuration: path"),
    (["--config", "path"], "KEY=VALUE"),
])
def test_bad_configuration_is_refused(cli, db_path, config, message):
    result = cli("connections", "add", "X", "--connector", "workbook", *config)
    assert_clean_error(result, 2, message)
    assert not db_path.exists()


def test_failing_connection_test_exits_1_with_the_reason(cli, tmp_path):
    missing = tmp_path / "no-such-folder"
    assert_clean_error(cli("connections", "add", "Gone", "--connector", "workbook",
                           "--config", f"path={missing}"), 1, "does not exist")
    assert cli("connections", "add", "Gone", "--connector", "workbook",
               "--config", f"path={missing}", "--inactive").exit_code == 0
    assert_clean_error(cli("connections", "test", "Gone"), 1, "does not exist")


@pytest.mark.parametrize("command", ["test", "remove"])
def test_unknown_connection_is_bad_input(cli, command):
    assert _add_demo(cli).exit_code == 0
    assert_clean_error(cli("connections", command, "Nope"), 2,
                       "no ERP connection Nope", "Demo ERP")


class _SecretConnector(Connector):
    name: ClassVar[str] = "secretive"

    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        return [FieldMeta("url", "URL", access=FieldAccess.MANDATORY),
                FieldMeta("pin", "PIN", type=FieldType.PASSWORD)]

    def test(self) -> ConnectorTestResult:
        return ConnectorTestResult(ok=self.config.get("pin") == "1234", message="checked")


@pytest.fixture
def secretive(monkeypatch):
    original = registry.connector_classes
    monkeypatch.setattr(registry, "connector_classes",
                        lambda pm, erpsync=None: {**original(pm, erpsync),
                                                  "secretive": _SecretConnector})


def test_password_fields_are_masked_and_can_come_from_stdin(cli, db, secretive):
    result = cli("connections", "add", "S", "--connector", "secretive",
                 "--config", "url=https://erp.example", "--config-stdin", "pin",
                 input="1234\n")
    assert result.exit_code == 0, result.output
    assert ConnectionStore(db).get_by_name("S").config["pin"] == "1234"
    listed = cli("connections", "list", "--json")
    config = json.loads(listed.stdout)[0]["config"]
    assert config["url"] == "https://erp.example"
    assert config["pin"] and config["pin"] != "1234"
    assert "1234" not in cli("connections", "list").stdout
    assert cli("connections", "test", "S").exit_code == 0


def test_secret_looking_keys_are_masked_when_the_connector_is_gone(cli, db):
    assert _add_demo(cli).exit_code == 0  # the CLI makes the schema
    ConnectionStore(db).add("Old", "uninstalled", {"host": "h", "api_token": "t0k3n"})
    listed = json.loads(cli("connections", "list", "--json").stdout)
    old = next(c for c in listed if c["name"] == "Old")
    assert old["config"]["host"] == "h"
    assert old["config"]["api_token"] != "t0k3n"

"""Connectors register as pluggy plugins; the registry collects and builds them."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import pluggy
import pytest

from erpsync import PROJECT_NAME, hookimpl, hookspecs
from erpsync.connectors import workbook
from erpsync.connectors.base import Connector, ConnectorError
from erpsync.connectors.registry import connector_classes, make_connector
from erpsync.connectors.workbook import WorkbookConnector
from erpsync.i18n import use_locale
from erpsync.plugins import DEFAULT_PLUGINS, get_plugin_manager


def bare_manager(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def test_workbook_is_a_default_plugin() -> None:
    assert "erpsync.connectors.workbook" in DEFAULT_PLUGINS
    pm = get_plugin_manager(load_entry_points=False)
    assert pm.is_registered(workbook)
    classes = connector_classes(pm)
    assert classes["workbook"] is WorkbookConnector


def test_with_entry_points_too() -> None:
    assert connector_classes(get_plugin_manager())["workbook"] is WorkbookConnector


def test_the_hook_answers_without_an_erpsync_object() -> None:
    assert workbook.erpsync_connectors(erpsync=None) == [WorkbookConnector]
    pm = bare_manager(workbook)
    assert connector_classes(pm, erpsync=object()) == {"workbook": WorkbookConnector}


class OtherConnector(Connector):
    name: ClassVar[str] = "other"


class BetterWorkbook(WorkbookConnector):
    """A third-party replacement of the built-in connector."""


class ThirdParty:
    @hookimpl
    def erpsync_connectors(self, erpsync: Any) -> list[type]:
        return [OtherConnector, BetterWorkbook]


class Broken:
    @hookimpl
    def erpsync_connectors(self, erpsync: Any) -> list[Any]:
        return ["not a class", dict, type("Nameless", (Connector,), {})]


class Silent:
    @hookimpl
    def erpsync_connectors(self, erpsync: Any) -> None:
        return None


def test_plugins_registered_later_win_a_name() -> None:
    classes = connector_classes(bare_manager(workbook, ThirdParty()))
    assert classes == {"other": OtherConnector, "workbook": BetterWorkbook}


def test_bad_answers_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="erpsync.connectors.registry"):
        classes = connector_classes(bare_manager(workbook, Broken(), Silent()))
    assert classes == {"workbook": WorkbookConnector}
    assert len([r for r in caplog.records if "ignored" in r.getMessage()]) == 3


def test_make_connector() -> None:
    connector = make_connector({"workbook": WorkbookConnector}, "workbook", {"path": "/x"})
    assert isinstance(connector, WorkbookConnector)
    assert connector.config == {"path": "/x"}


def test_make_connector_with_an_unknown_name() -> None:
    classes = {"workbook": WorkbookConnector, "other": OtherConnector}
    with pytest.raises(ConnectorError) as caught:
        make_connector(classes, "visma", {})
    with use_locale("en"):
        message = str(caught.value.user_message)
    assert message == ("The connector “visma” is not installed. Installed connectors: "
                       "other, workbook.")
    assert "visma" in caught.value.technical
    with pytest.raises(ConnectorError) as caught:
        make_connector({}, "visma", {})
    assert str(caught.value.user_message).endswith("Installed connectors: -.")

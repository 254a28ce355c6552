"""Helpers of the connection management tests: logging in, posting host forms
with their CSRF token, page text, and a connector whose form has every kind of
config field."""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from starlette.testclient import TestClient

from demo_host import csrf_of, login, text_of  # noqa: F401 - the tests import them from here
from erpsync import hookimpl
from erpsync.connectors.base import (
    ActorType,
    Connector,
    FieldAccess,
    FieldMeta,
    FieldType,
    ListItem,
    SearchPage,
    TestResult,
)
from erpsync.i18n import lazy_gettext

REPO = Path(__file__).resolve().parents[2]

#: The password the fake connector accepts.
RIGHT_PASSWORD = "Right-Pässword-42"


def csrf(client: TestClient) -> str:
    """The session's CSRF token (from a page that has a form)."""
    return csrf_of(client.get("/settings/connections").text)


def post(client: TestClient, path: str, data: Mapping[str, Any] | Iterable[tuple[str, Any]]
         ) -> Any:
    """POST a host form with the session's CSRF token."""
    items = list(data.items() if isinstance(data, Mapping) else data)
    form: dict[str, list[str]] = {"csrf_token": [csrf(client)]}
    for name, value in items:
        form.setdefault(name, []).append(str(value))
    return client.post(path, data=form)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""


class FormfulConnector(Connector):
    """A connector with every kind of config field; its test passes with
    :data:`RIGHT_PASSWORD` and a reachable ``host``."""

    name: ClassVar[str] = "formful"
    display_name: ClassVar[Any] = lazy_gettext("Formful ERP")
    tested: ClassVar[list[dict[str, Any]]] = []

    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        return [
            FieldMeta("host", "Host", access=FieldAccess.MANDATORY, max_length=50,
                      help_text="The ERP server"),
            FieldMeta("password", "Password", FieldType.PASSWORD,
                      access=FieldAccess.MANDATORY),
            FieldMeta("api_key", "API key", FieldType.PASSWORD),
            FieldMeta("port", "Port", FieldType.INTEGER, default="8069"),
            FieldMeta("edition", "Edition", FieldType.LIST, list_name="edition",
                      default="community"),
            FieldMeta("verify_tls", "Verify TLS", FieldType.CHECKBOX, default="1"),
            FieldMeta("tenant", "Tenant", access=FieldAccess.READ_ONLY, default="main"),
        ]

    @classmethod
    def config_list_items(cls, list_name: str) -> list[ListItem]:
        if list_name != "edition":
            return []
        return [ListItem("community", "Community"), ListItem("enterprise", "Enterprise")]

    def test(self) -> TestResult:
        type(self).tested.append(dict(self.config))
        if self.config.get("host") == "down.example":
            return TestResult(ok=False, message=lazy_gettext(
                "Connection test failed: %(reason)s", reason="host down"),
                technical="connect to down.example:8069 refused")
        if self.config.get("password") != RIGHT_PASSWORD:
            # An existing, translated message of the Tryton connector.
            return TestResult(ok=False, message=lazy_gettext(
                "Tryton did not accept the user name “%(user)s” with this password.",
                user="admin"), technical="401 at login")
        return TestResult(ok=True, message="Formful says hello")

    def actor_types(self) -> list[ActorType]:
        return [ActorType.CUSTOMER]

    def fields(self, actor_type: ActorType) -> list[FieldMeta]:
        return [FieldMeta("NAME", "Name")]

    def search(self, actor_type: ActorType, restrictions: list[Any], offset: int = 0,
               limit: int = 50) -> SearchPage:
        return SearchPage([], 0, offset, limit)


class FormfulPlugin:
    @hookimpl
    def erpsync_connectors(self, erpsync: Any) -> list[type[Connector]]:
        return [FormfulConnector]


def load_trytonctl() -> Any:
    """tools/tryton/trytonctl.py (standard library only), as a module."""
    if "trytonctl" in sys.modules:
        return sys.modules["trytonctl"]
    path = REPO / "tools" / "tryton" / "trytonctl.py"
    spec = importlib.util.spec_from_file_location("trytonctl", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["trytonctl"] = module
    spec.loader.exec_module(module)
    return module

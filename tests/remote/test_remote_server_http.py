"""The connector service at HTTP level (in process): status codes, Error
objects, and every answer valid against the published OpenAPI schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from remote_helpers import TOKEN, check_schema
from starlette.testclient import TestClient

from erpsync.connector_server import app_for, create_connector_app
from erpsync.connectors.base import Connector, ConnectorError
from erpsync.connectors.registry import connector_classes
from erpsync.connectors.remote_protocol import ENDPOINTS, MAX_LIMIT
from erpsync.i18n import lazy_gettext
from erpsync.paths import DEMO_DATA_DIR
from erpsync.plugins import get_plugin_manager

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    classes = connector_classes(get_plugin_manager(load_entry_points=False))
    app = app_for(classes, "workbook", {"path": str(DEMO_DATA_DIR)}, TOKEN)
    with TestClient(app, headers=AUTH) as client:
        yield client


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    check_schema("Error", body)
    assert body["error"]["code"] == code
    assert set(body["error"]["user_message"]) == {"en", "nl", "no"}
    return body["error"]


def test_every_answer_is_valid_for_its_schema(client):
    check_schema("ServiceInfo", client.get("/v1/").json())
    check_schema("FieldList", client.get("/v1/config-fields").json())
    check_schema("TestResult", client.post("/v1/test").json())
    check_schema("ActorTypeList", client.get("/v1/actor-types").json())
    for actor_type in ("customer", "supplier", "person"):
        check_schema("FieldList", client.get(f"/v1/actor-types/{actor_type}/fields").json())
        check_schema("FieldList",
                     client.get(f"/v1/actor-types/{actor_type}/searchable-fields").json())
        page = client.post(f"/v1/actor-types/{actor_type}/search",
                           json={"restrictions": [], "limit": MAX_LIMIT}).json()
        check_schema("SearchPage", page)
        keys = [a["key"] for a in page["actors"][:5]]
        check_schema("ActorList", client.post(f"/v1/actor-types/{actor_type}/by-keys",
                                              json={"keys": keys}).json())
        check_schema("ChangedPage", client.get(
            f"/v1/actor-types/{actor_type}/changed-since",
            params={"since": "2020-01-01T00:00:00Z", "limit": 3}).json())
    check_schema("ListItemList", client.get("/v1/lists/category/items").json())


def test_requests_are_checked_against_the_request_schemas(client):
    body = {"restrictions": [{"field": "NAME", "operator": "begins", "values": ["b"]}],
            "offset": 0, "limit": 5}
    check_schema("SearchRequest", body)
    assert client.post("/v1/actor-types/customer/search", json=body).status_code == 200
    check_schema("KeysRequest", {"keys": ["CUST-10001"]})


def test_without_or_with_a_wrong_token_nothing_is_answered(client):
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"},
                    {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/v1/actor-types", headers=headers)
        error = error_of(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        assert "access token" in error["user_message"]["en"]
        assert "actor_types" not in response.text


def test_malformed_requests_are_400(client):
    cases = [
        client.post("/v1/actor-types/customer/search", content=b"{not json"),
        client.post("/v1/actor-types/customer/search", json=[1, 2]),
        client.post("/v1/actor-types/customer/search", json={"restrictions": "NAME=x"}),
        client.post("/v1/actor-types/customer/search",
                    json={"restrictions": [{"field": "NAME"}]}),
        client.post("/v1/actor-types/customer/search", json={"limit": MAX_LIMIT + 1}),
        client.post("/v1/actor-types/customer/search", json={"offset": -1}),
        client.post("/v1/actor-types/customer/by-keys", json={"keys": "CUST-1"}),
        client.post("/v1/actor-types/customer/by-keys", json={"keys": [1, 2]}),
        client.get("/v1/actor-types/customer/changed-since", params={"since": "yesterday"}),
        client.get("/v1/actor-types/customer/changed-since"),
    ]
    for response in cases:
        error = error_of(response, 400, "bad_request")
        assert error["technical"]


def test_unknown_paths_and_actor_types(client):
    error = error_of(client.get("/v1/nothing-here"), 404, "not_found")
    assert "no such address" in error["user_message"]["en"]
    error_of(client.get("/v2/actor-types"), 404, "not_found")
    error_of(client.delete("/v1/actor-types"), 405, "method_not_allowed")
    unknown = error_of(client.get("/v1/actor-types/spaceship/fields"), 422, "connector_error")
    assert unknown["user_message"]["en"] == "Unknown actor type: spaceship."


def test_connector_errors_are_422_in_every_language(client):
    error = error_of(client.post("/v1/actor-types/customer/search", json={
        "restrictions": [{"field": "CREDITLIMIT", "operator": ">", "values": ["lots"]}]}),
        422, "connector_error")
    assert error["user_message"]["en"] == \
        "“lots” is not a number (search field “Credit limit”)."
    assert error["user_message"]["nl"] != error["user_message"]["en"]
    assert "CREDITLIMIT" in error["technical"]


class _Crashing(Connector):
    name: ClassVar[str] = "crashing"
    display_name: ClassVar[Any] = lazy_gettext("Crashing")
    instances: ClassVar[int] = 0

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        type(self).instances += 1

    def actor_types(self) -> list[Any]:
        raise RuntimeError("database password is hunter2")

    def list_items(self, list_name: str) -> list[Any]:
        raise ConnectorError(lazy_gettext("Connection OK"), "technical only")


def test_a_crash_is_500_without_its_details_and_logged(caplog):
    app = create_connector_app(lambda: _Crashing({}), TOKEN, name="crashing")
    with TestClient(app, headers=AUTH) as client:
        response = client.get("/v1/actor-types")
        error = error_of(response, 500, "internal_error")
        assert error["technical"] == "RuntimeError"
        assert "hunter2" not in response.text
        assert "hunter2" in caplog.text  # the traceback is in the server's log
        assert error_of(client.get("/v1/lists/x/items"), 422, "connector_error")[
            "technical"] == "technical only"
        info = client.get("/v1/").json()
        assert info["connector"] == {"name": "crashing", "display_name": "crashing"}
    # One connector per worker thread, not per request.
    assert _Crashing.instances <= 3


def test_an_empty_token_is_refused():
    with pytest.raises(ValueError):
        create_connector_app(lambda: _Crashing({}), "  ")


def test_every_endpoint_has_a_route(client):
    served = {(route.path, method) for route in client.app.routes
              for method in route.methods or () if method != "HEAD"}
    assert served == {(e.full_path, e.method) for e in ENDPOINTS}

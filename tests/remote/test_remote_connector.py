"""The Remote connector against ``erpsync connector serve`` in a separate
process: every protocol method answers exactly what the served connector
answers locally, and failures arrive as localized ConnectorErrors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from remote_helpers import TOKEN, start_service

from erpsync.connectors.base import ActorType, ConnectorError, Operator, Restriction
from erpsync.connectors.remote import RemoteConnector
from erpsync.i18n import localize, use_locale
from erpsync.paths import DEMO_DATA_DIR


def r(field: str, op: str, *values: str) -> Restriction:
    return Restriction(field, Operator(op), values)


def english(value: object) -> str:
    with use_locale("en"):
        return localize(value)


def dutch(value: object) -> str:
    with use_locale("nl"):
        return localize(value)


# ------------------------------------------------------------------ metadata


def test_service_info_and_test(remote):
    info = remote.service_info()
    assert (info["protocol"], info["version"], info["connector"]["name"]) == (
        "erpsync-connector", 1, "workbook")
    result = remote.test()
    assert result.ok, result.technical
    assert english(result.message).startswith("Connected to the connector service")
    assert "The workbook can be read" in english(result.message)
    assert "workbook" in result.technical


def test_metadata_equals_the_served_connector(remote, local):
    assert remote.actor_types() == local.actor_types()
    for actor_type in local.actor_types():
        for ours, theirs in ((remote.fields(actor_type), local.fields(actor_type)),
                             (remote.searchable_fields(actor_type),
                              local.searchable_fields(actor_type))):
            assert [(f.key, f.type, f.list_name, f.max_length, f.access) for f in ours] == \
                [(f.key, f.type, f.list_name, f.max_length, f.access) for f in theirs]
            # Display names travel in every language and are shown in the admin's.
            for locale in ("en", "nl", "no"):
                with use_locale(locale):
                    assert [localize(f.display_name) for f in ours] == \
                        [localize(f.display_name) for f in theirs]
    assert dutch(remote.fields(ActorType.CUSTOMER)[0].display_name) == "Naam"


def test_list_items_in_every_language(remote, local):
    ours, theirs = remote.list_items("category"), local.list_items("category")
    assert [i.key for i in ours] == [i.key for i in theirs] and ours
    for locale in ("en", "nl", "no"):
        with use_locale(locale):
            assert [localize(i.name) for i in ours] == [localize(i.name) for i in theirs]
    assert remote.list_items("no such list") == []


# ------------------------------------------------------------------ search


@pytest.mark.parametrize("restrictions", [
    [],
    [r("POSTALCITY", "contains", "O")],
    [r("NAME", "begins", "b"), r("POSTALCITY", "notcontains", "oslo")],
    [r("NAME", "between", "c", "h")],
    [r("EMAIL", "ends", ".NL")],
    [r("NAME", "isnot", "Vermeulen ICT B.V.")],
    [r("CREDITLIMIT", ">", "10000")],
    [r("CREDITLIMIT", "between", "25000", "5000")],
    [r("BLOCKED", "=", "1")],
    [r("CATEGORY", "oneof", "A customer", "Key account")],
    [r("CATEGORY", "notoneof", "A-klant")],  # a list item's Dutch name works too
    [r("LASTMODIFIED", "after", "2025-01-01"), r("LASTMODIFIED", "beforeOrEqual",
                                                 "2025-06-30 12:00")],
], ids=lambda rs: " & ".join(f"{x.field} {x.operator.value} {'/'.join(x.values)}"
                             for x in rs) or "everything")
def test_search_with_operators_equals_the_served_connector(remote, local, restrictions):
    ours = remote.search(ActorType.CUSTOMER, restrictions, offset=0, limit=1000)
    theirs = local.search(ActorType.CUSTOMER, restrictions, offset=0, limit=1000)
    assert ours.total == theirs.total
    assert ours.actors == theirs.actors  # keys, every field value, last_modified
    if restrictions:
        everyone = local.search(ActorType.CUSTOMER, [], limit=1000).total
        assert 0 < ours.total < everyone, "the criterion should narrow the result"


def test_paging_walks_every_match_once(remote, local):
    criteria = [r("POSTALCITY", "contains", "o")]
    total = local.search(ActorType.CUSTOMER, criteria, limit=1000).total
    assert total > 25
    keys: list[str] = []
    offset = 0
    while offset < total:
        page = remote.search(ActorType.CUSTOMER, criteria, offset=offset, limit=10)
        assert page.total == total and (page.offset, page.limit) == (offset, 10)
        assert len(page.actors) == min(10, total - offset)
        keys += [a.key for a in page.actors]
        offset += 10
    assert keys == [a.key for a in local.search(ActorType.CUSTOMER, criteria,
                                                limit=1000).actors]
    assert len(set(keys)) == total
    beyond = remote.search(ActorType.CUSTOMER, criteria, offset=total, limit=10)
    assert (beyond.actors, beyond.total) == ([], total)
    # iter_search pages through the service too.
    assert [a.key for a in remote.iter_search(ActorType.CUSTOMER, criteria, page_size=7)] \
        == keys


def test_get_actors_by_keys_keeps_order_and_drops_unknown_keys(remote, local):
    keys = ["PERS-30079", "nope", "PERS-30001", "PERS-30079"]
    found = remote.get_actors(ActorType.PERSON, keys)
    assert [a.key for a in found] == ["PERS-30079", "PERS-30001"]
    assert found == local.get_actors(ActorType.PERSON, keys)
    person = found[0]
    assert (person.parent_type, person.parent_key) == (
        local.get_actors(ActorType.PERSON, ["PERS-30079"])[0].parent_type,
        local.get_actors(ActorType.PERSON, ["PERS-30079"])[0].parent_key)
    assert person.parent_key
    assert remote.get_actors(ActorType.PERSON, []) == []


def test_changed_since_pages_through_everything(remote, local):
    since = datetime(2025, 3, 1, tzinfo=UTC)
    expected = list(local.changed_since(ActorType.CUSTOMER, since))
    assert len(expected) > 0
    assert list(remote.changed_since(ActorType.CUSTOMER, since, page_size=9)) == expected
    assert list(remote.changed_since(ActorType.CUSTOMER, datetime(2100, 1, 1))) == []


# ------------------------------------------------------------------ errors


def test_a_bad_restriction_comes_back_localized(remote):
    with pytest.raises(ConnectorError) as caught:
        remote.search(ActorType.CUSTOMER, [r("POSTALCITY", ">", "x")])
    assert english(caught.value.user_message) == \
        "The operator “greater than” cannot be used with the field “City”."
    assert dutch(caught.value.user_message) == \
        "De operator “groter dan” kan niet worden gebruikt met het veld “Plaats”."
    assert "HTTP 422" in caught.value.technical and "POSTALCITY" in caught.value.technical

    with pytest.raises(ConnectorError) as unknown:
        remote.search(ActorType.CUSTOMER, [Restriction("NAME", "like", ("x",))])
    assert english(unknown.value.user_message) == "Unknown search operator: like."


def test_a_wrong_token_is_a_localized_error(service):
    with RemoteConnector({"url": service.url, "token": "not-the-token-at-all"}) as wrong:
        result = wrong.test()
        assert not result.ok
        assert english(result.message) == ("The connector service did not accept the access "
                                           "token. Check the token of the connection.")
        assert "401" in result.technical
        with pytest.raises(ConnectorError) as caught:
            wrong.search(ActorType.CUSTOMER, [])
        assert "access token" in english(caught.value.user_message)
        assert "not-the-token-at-all" not in caught.value.technical


def test_a_killed_server_is_a_localized_error(tmp_path):
    service = start_service(["--connector", "workbook", "--config", f"path={DEMO_DATA_DIR}"],
                            tmp_path)
    try:
        connector = RemoteConnector({"url": service.url, "token": TOKEN, "retries": "2"})
        assert connector.search(ActorType.CUSTOMER, [], limit=1).total
    finally:
        service.stop()
    with connector, pytest.raises(ConnectorError) as caught:
        connector.search(ActorType.CUSTOMER, [], limit=1)
    assert english(caught.value.user_message) == (
        f"Cannot reach the connector service at {service.url}. Check the address and "
        "that the service is running.")
    assert "after 3 attempts" in caught.value.technical  # two retries
    result = RemoteConnector({"url": service.url, "token": TOKEN, "retries": "0"}).test()
    assert not result.ok and "Cannot reach" in english(result.message)


def test_configuration_errors_are_localized():
    with pytest.raises(ConnectorError) as caught:
        RemoteConnector({"url": "ftp://erp", "token": "x"})
    assert "must start with http:// or https://" in english(caught.value.user_message)
    with pytest.raises(ConnectorError) as caught:
        RemoteConnector({"url": "http://erp", "token": " "})
    assert "access token" in english(caught.value.user_message)
    with pytest.raises(ConnectorError):
        RemoteConnector({"url": "http://erp", "token": "t", "retries": "99"})

"""ConnectionStore: ERP connections in the ``erp_connection`` table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from erpsync.connections import MASK, Connection, ConnectionError_, ConnectionStore, secret_keys
from erpsync.connectors.base import FieldMeta, FieldType
from erpsync.db import make_engine, metadata
from erpsync.engine.schema import erp_connection
from erpsync.i18n import use_locale


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    metadata.create_all(engine)
    return engine


@pytest.fixture
def store(db: Engine) -> ConnectionStore:
    return ConnectionStore(db)


def message(exc: pytest.ExceptionInfo[ConnectionError_]) -> str:
    with use_locale("en"):
        return str(exc.value.user_message)


def test_add_and_read(store: ConnectionStore) -> None:
    config = {"path": "/srv/erp/demo.xlsx", "options": {"nested": [1, 2]}}
    new_id = store.add("Demo ERP", "workbook", config)
    found = store.get(new_id)
    assert found is not None
    assert (found.id, found.name, found.connector, found.config, found.active) == (
        new_id, "Demo ERP", "workbook", config, True)
    assert isinstance(found.created_at, datetime)
    assert store.get_by_name("Demo ERP") == found
    assert store.get_by_name("  demo erp ") == found  # case and spaces do not matter
    assert store.get(new_id + 100) is None
    assert store.get_by_name("Nope") is None


def test_config_is_copied(store: ConnectionStore) -> None:
    config = {"path": "/a"}
    new_id = store.add("A", "workbook", config)
    config["path"] = "/b"
    assert store.get(new_id).config == {"path": "/a"}  # type: ignore[union-attr]


def test_list_is_sorted_and_filters_inactive(store: ConnectionStore) -> None:
    store.add("tryton", "tryton", {"url": "http://localhost"})
    store.add("Bergen ERP", "workbook", {"path": "/b"}, active=False)
    store.add("Amsterdam ERP", "workbook", {"path": "/a"})
    assert [c.name for c in store.list()] == ["Amsterdam ERP", "Bergen ERP", "tryton"]
    assert [c.name for c in store.list(active_only=True)] == ["Amsterdam ERP", "tryton"]


def test_duplicate_names_are_refused(store: ConnectionStore) -> None:
    store.add("Ørsted ERP", "workbook", {"path": "/a"})
    with pytest.raises(ConnectionError_) as caught:
        store.add("ørsted erp", "workbook", {"path": "/b"})
    assert message(caught) == ('There is already an ERP connection named “ørsted erp”. '
                               'Choose another name.')
    assert [c.name for c in store.list()] == ["Ørsted ERP"]


def test_the_unique_constraint_backs_the_check(store: ConnectionStore, db: Engine,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two admins adding the same name at once: the database refuses the second."""
    store.add("Demo", "workbook", {})
    monkeypatch.setattr(store, "get_by_name", lambda name: None)
    with pytest.raises(ConnectionError_, match="Demo"):
        store.add("Demo", "workbook", {})


@pytest.mark.parametrize(("name", "connector", "config", "words"), [
    ("", "workbook", {}, "Enter a name"),
    ("   ", "workbook", {}, "Enter a name"),
    ("x" * 101, "workbook", {}, "at most 100 characters"),
    ("Demo", "", {}, "Choose a connector"),
    ("Demo", "workbook", {"when": datetime(2025, 1, 1)}, "cannot be saved"),
])
def test_bad_input(store: ConnectionStore, name: str, connector: str,
                   config: dict[str, object], words: str) -> None:
    with pytest.raises(ConnectionError_) as caught:
        store.add(name, connector, config)
    assert words in message(caught)
    assert store.list() == []


def test_update(store: ConnectionStore) -> None:
    first = store.add("First", "workbook", {"path": "/a"})
    store.add("Second", "workbook", {"path": "/b"})
    updated = store.update(first, name="Primary", config={"path": "/c"}, active=False)
    assert (updated.name, updated.config, updated.active) == ("Primary", {"path": "/c"}, False)
    assert store.get(first) == updated
    # Renaming to its own name in another case is fine; to another's name is not.
    assert store.update(first, name="PRIMARY").name == "PRIMARY"
    with pytest.raises(ConnectionError_) as caught:
        store.update(first, name="second")
    assert "already an ERP connection" in message(caught)
    assert store.get(first).name == "PRIMARY"  # type: ignore[union-attr]
    with pytest.raises(TypeError, match="created_at"):
        store.update(first, created_at=None)
    with pytest.raises(ConnectionError_, match="999"):
        store.update(999, active=True)
    assert store.update(first) == store.get(first)


def test_set_active(store: ConnectionStore) -> None:
    new_id = store.add("Demo", "workbook", {})
    assert store.set_active("demo", False).active is False
    assert store.list(active_only=True) == []
    assert store.set_active(new_id, True).active is True


def test_remove_by_name_or_id(store: ConnectionStore) -> None:
    a = store.add("Alfa", "workbook", {})
    store.add("Beta", "workbook", {})
    c = store.add("Gamma", "workbook", {})
    assert store.remove("alfa").id == a
    assert store.remove(c).name == "Gamma"
    assert store.remove(str(store.get_by_name("Beta").id)).name == "Beta"  # type: ignore[union-attr]
    assert store.list() == []
    with pytest.raises(ConnectionError_) as caught:
        store.remove("Alfa")
    assert message(caught) == "There is no ERP connection “Alfa”."


def test_find_prefers_a_name_made_of_digits(store: ConnectionStore) -> None:
    store.add("Other", "workbook", {})
    named = store.add("1", "workbook", {})
    assert store.find("1").id == named  # the connection *called* "1", not id 1
    assert store.find(1).name == "Other"


def test_rows_written_by_others_are_read(store: ConnectionStore, db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(insert(erp_connection).values(name="Raw", connector="remote",
                                                   config={"url": "http://x"}, active=True))
    (raw,) = store.list()
    assert raw.config == {"url": "http://x"} and raw.created_at is None


def test_masked_config() -> None:
    connection = Connection(id=1, name="Tryton", connector="tryton",
                            config={"url": "http://erp", "user": "admin", "password": "s3cret",
                                    "api_key": ""})
    assert connection.masked_config({"password", "api_key"}) == {
        "url": "http://erp", "user": "admin", "password": MASK, "api_key": ""}
    assert connection.masked_config(()) == connection.config
    assert connection.config["password"] == "s3cret"


def test_secret_keys_are_the_password_fields() -> None:
    fields = [FieldMeta("url", "URL"), FieldMeta("password", "Password", FieldType.PASSWORD),
              FieldMeta("token", "Token", FieldType.PASSWORD)]
    assert secret_keys(fields) == {"password", "token"}

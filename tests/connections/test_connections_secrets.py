"""Secrets of ERP connections encrypted at rest (erpsync.secrets + ConnectionStore)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from erpsync import secrets
from erpsync.connections import ConnectionError_, ConnectionStore, normalize_scope
from erpsync.db import make_engine, metadata
from erpsync.engine.schema import erp_connection

PASSWORD = "Tryton-Pässword-🔑"


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    metadata.create_all(engine)
    return engine


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> secrets.SecretBox:
    monkeypatch.delenv(secrets.ENV_KEY, raising=False)
    return secrets.SecretBox(tmp_path / "data")


def raw(db: Engine, name: str) -> dict:
    with db.connect() as conn:
        return conn.execute(select(erp_connection.c.config)
                            .where(erp_connection.c.name == name)).scalar_one()


def test_round_trip_and_stored_form(box):
    stored = box.encrypt(PASSWORD)
    assert set(stored) == {secrets.MARKER} and PASSWORD not in str(stored)
    assert secrets.is_encrypted(stored)
    assert box.decrypt(stored) == PASSWORD
    assert box.encrypt(PASSWORD) != stored  # a fresh IV every time
    assert box.decrypt("legacy plain value") == "legacy plain value"
    assert box.decrypt(None) == ""


def test_the_key_file_is_made_on_first_encryption_readable_by_its_owner_only(box):
    assert not box.key_file.exists()
    with pytest.raises(secrets.SecretError):
        box.decrypt({secrets.MARKER: "gAAAA-not-a-token"})
    assert not box.key_file.exists(), "reading never makes a key"
    box.encrypt("x")
    assert stat.S_IMODE(os.stat(box.key_file).st_mode) == 0o600
    again = secrets.SecretBox(box.data_dir)
    assert again.decrypt(box.encrypt("y")) == "y"


def test_a_configured_secret_key_is_used_and_old_values_stay_readable(
        box, monkeypatch: pytest.MonkeyPatch):
    from_file = box.encrypt(PASSWORD)
    monkeypatch.setenv(secrets.ENV_KEY, "the host's configured secret")
    configured = secrets.SecretBox(box.data_dir)
    assert configured.decrypt(from_file) == PASSWORD  # made with the key file
    new = configured.encrypt(PASSWORD)
    # New values use the derived key: readable with the secret alone, no key file.
    box.key_file.unlink()
    assert secrets.SecretBox(box.data_dir / "elsewhere").decrypt(new) == PASSWORD
    assert not (box.data_dir / "elsewhere").exists()
    monkeypatch.setenv(secrets.ENV_KEY, "another secret")
    with pytest.raises(secrets.SecretError, match="another key"):
        secrets.SecretBox(box.data_dir).decrypt(new)


def test_derived_keys_differ_per_secret():
    assert secrets.derive_key("a") != secrets.derive_key("b")
    assert secrets.derive_key("a") == secrets.derive_key("a")


def test_sealed_drafts_expire_and_cannot_be_forged(box, monkeypatch: pytest.MonkeyPatch):
    token = box.seal(b"typed password")
    assert box.unseal(token, ttl=60) == b"typed password"
    assert box.unseal(token[:-4] + "AAAA", ttl=60) is None
    assert box.unseal("", ttl=60) is None
    assert secrets.SecretBox(box.data_dir / "other").unseal(token, ttl=60) is None
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 120)
    assert box.unseal(token, ttl=60) is None


def test_the_store_encrypts_password_fields_and_secret_looking_keys(db, box):
    store = ConnectionStore(db, secrets=box)
    store.add("Tryton", "tryton", {"url": "http://t:8000", "database": "crm",
                                   "user": "admin", "password": PASSWORD})
    store.add("Gone", "uninstalled", {"host": "h", "api_token": "t0k3n-t0k3n"})
    tryton, gone = raw(db, "Tryton"), raw(db, "Gone")
    assert secrets.is_encrypted(tryton["password"]) and PASSWORD not in str(tryton)
    assert tryton["url"] == "http://t:8000" and tryton["user"] == "admin"
    assert secrets.is_encrypted(gone["api_token"]) and gone["host"] == "h"
    assert store.get_by_name("Tryton").config["password"] == PASSWORD
    assert store.get_by_name("Gone").config["api_token"] == "t0k3n-t0k3n"

    updated = store.update(store.get_by_name("Tryton").id,
                           config={**store.get_by_name("Tryton").config, "password": "new"})
    assert updated.config["password"] == "new"
    assert raw(db, "Tryton")["password"] != "new" and secrets.is_encrypted(
        raw(db, "Tryton")["password"])
    empty = store.add("Empty", "tryton", {"url": "http://t", "password": ""})
    assert raw(db, "Empty")["password"] == "" and store.get(empty).config["password"] == ""


def test_the_store_uses_the_key_bound_to_its_database(db, tmp_path: Path, monkeypatch):
    monkeypatch.delenv(secrets.ENV_KEY, raising=False)
    secrets.bind(db, tmp_path / "host-data")
    ConnectionStore(db).add("Remote", "remote", {"url": "http://r", "token": "tok-123456"})
    assert (tmp_path / "host-data" / secrets.KEY_FILE).exists()
    assert ConnectionStore(db).get_by_name("Remote").config["token"] == "tok-123456"


def test_a_secret_from_another_key_reads_as_empty_and_is_flagged(db, box, tmp_path, caplog):
    ConnectionStore(db, secrets=box).add("T", "tryton", {"url": "http://t",
                                                         "password": PASSWORD})
    other = ConnectionStore(db, secrets=secrets.SecretBox(tmp_path / "other-host"))
    found = other.get_by_name("T")
    assert found.config["password"] == "" and found.unreadable_secrets == ("password",)
    assert "cannot be decrypted" in caplog.text and PASSWORD not in caplog.text


def test_plain_secrets_saved_before_encryption_are_still_read(db, box):
    with db.begin() as conn:
        conn.execute(erp_connection.insert().values(
            name="Old", connector="tryton", active=True,
            config={"url": "http://t", "password": "plain-old"}))
    store = ConnectionStore(db, secrets=box)
    old = store.get_by_name("Old")
    assert old.config["password"] == "plain-old"
    store.update(old.id, config=old.config)  # the next save encrypts it
    assert secrets.is_encrypted(raw(db, "Old")["password"])


# ------------------------------------------------------------------ scope


def test_scope_is_normalized():
    assert normalize_scope(None) is None and normalize_scope({}) is None
    assert normalize_scope({"users": [" ", ""], "roles": []}) is None
    assert normalize_scope({"users": ["Kari", "kari", " Ola "], "roles": "sales"}) == {
        "users": ["kari", "ola"], "roles": ["sales"]}
    with pytest.raises(ConnectionError_):
        normalize_scope(["kari"])


def test_visible_to_users_and_roles(db, box):
    from types import SimpleNamespace as User

    store = ConnectionStore(db, secrets=box)
    store.add("All", "workbook", {"path": "/a"})
    store.add("Kari's", "workbook", {"path": "/k"}, scope={"users": ["Kari"]})
    store.add("Sales", "workbook", {"path": "/s"}, scope={"roles": ["Sales"]})
    store.add("Off", "workbook", {"path": "/o"}, active=False)
    kari = User(username="KARI", roles=())
    ola = User(username="ola", roles=("sales",))
    nobody = User(username="per")
    assert [c.name for c in store.list(True, kari)] == ["All", "Kari's"]
    assert [c.name for c in store.list(True, ola)] == ["All", "Sales"]
    assert [c.name for c in store.list(True, nobody)] == ["All"]
    assert [c.name for c in store.list()] == ["All", "Kari's", "Off", "Sales"]
    assert store.get_by_name("Kari's").scope == {"users": ["kari"]}
    changed = store.update(store.get_by_name("Kari's").id, scope=None)
    assert changed.scope is None and changed.visible_to(nobody)

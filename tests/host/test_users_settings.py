"""Users (argon2) and host settings."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from erpsync.db import make_engine
from erpsync.host import settings, users
from erpsync.host.database import ensure_schema


@pytest.fixture
def db(tmp_path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'u.sqlite'}")
    ensure_schema(engine)
    return engine


def test_create_and_authenticate(db: Engine) -> None:
    user_id = users.create_user(db, " Bob ", "pw-1", display_name="Bob B.", locale="nb_NO")
    row = users.get_user(db, user_id)
    assert (row.username, row.display_name, row.is_admin, row.locale) == (
        "bob", "Bob B.", False, "no")
    assert row.password_hash != "pw-1" and row.password_hash.startswith("$argon2")
    assert users.authenticate(db, "BOB", "pw-1").id == user_id
    assert users.authenticate(db, "bob", "pw-2") is None
    assert users.authenticate(db, "nobody", "pw-1") is None


def test_bad_users_are_refused_with_a_message(db: Engine) -> None:
    users.create_user(db, "carol", "pw")
    with pytest.raises(users.UserError, match="already taken"):
        users.create_user(db, "Carol", "other")
    with pytest.raises(users.UserError, match="cannot be empty"):
        users.create_user(db, "  ", "pw")
    with pytest.raises(users.UserError, match="password cannot be empty"):
        users.create_user(db, "dave", "")
    with pytest.raises(users.UserError, match="Unsupported language"):
        users.create_user(db, "erin", "pw", locale="de")
    assert users.user_count(db) == 1


def test_hash_is_upgraded_when_parameters_change(db: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    user_id = users.create_user(db, "frank", "pw")
    old_hash = users.get_user(db, user_id).password_hash
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert users.authenticate(db, "frank", "pw") is not None
    new_hash = users.get_user(db, user_id).password_hash
    assert new_hash != old_hash and "m=2048,t=2" in new_hash
    assert users.authenticate(db, "frank", "pw") is not None


def test_set_locale(db: Engine) -> None:
    user_id = users.create_user(db, "gina", "pw")
    users.set_locale(db, user_id, "nl_BE")
    assert users.get_user(db, user_id).locale == "nl"
    users.set_locale(db, user_id, None)
    assert users.get_user(db, user_id).locale is None
    with pytest.raises(users.UserError):
        users.set_locale(db, user_id, "fr")


def test_settings_defaults_and_updates(db: Engine) -> None:
    assert settings.get_setting(db, "erp_sync_enabled") is False
    assert settings.get_setting(db, "default_locale") == "en"
    assert settings.get_setting(db, "unknown") is None
    settings.set_setting(db, "erp_sync_enabled", True)
    settings.set_setting(db, "erp_sync_enabled", True)
    settings.set_setting(db, "mapping", {"a": [1, 2]})
    assert settings.get_setting(db, "erp_sync_enabled") is True
    assert settings.get_setting(db, "mapping") == {"a": [1, 2]}
    assert settings.all_settings(db)["default_locale"] == "en"


def test_ensure_schema_is_idempotent(db: Engine) -> None:
    users.create_user(db, "hank", "pw")
    ensure_schema(db)
    assert users.user_count(db) == 1

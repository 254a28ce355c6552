"""ERP connections: a name, a connector and its configuration, stored in the
``erp_connection`` table.

Secrets (the connector's password-type config fields, and keys named like
``password`` or ``token``) are encrypted at rest by :mod:`erpsync.secrets`:
:class:`ConnectionStore` encrypts them on write and decrypts them on read, so
:attr:`Connection.config` holds plain values. Show a configuration with
:meth:`Connection.masked_config`, which hides password fields.

Each connection has a **scope**: ``None`` (everyone) or ``{"users": [...],
"roles": [...]}``; :meth:`Connection.visible_to` says whether a user may pick
it in the **Select ERP connection** dialog.
"""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import secrets as secrets_mod
from .connectors.base import FieldMeta, FieldType
from .engine.schema import erp_connection
from .i18n import lazy_gettext

log = logging.getLogger(__name__)

#: Shown instead of a secret value.
MASK = "••••••••"
NAME_MAX_LENGTH = erp_connection.c.name.type.length or 100
_UPDATABLE = frozenset({"name", "connector", "config", "active", "scope"})
#: Keys of a scope: usernames and role names.
SCOPE_KEYS = ("users", "roles")


class ConnectionError_(Exception):
    """A connection cannot be stored or found; ``user_message`` is for the admin.
    (The trailing underscore: Python's builtin ``ConnectionError`` is another thing.)"""

    def __init__(self, user_message: Any, technical: str = "") -> None:
        super().__init__(technical or str(user_message))
        self.user_message = user_message
        self.technical = technical


@dataclass(frozen=True)
class Connection:
    """One stored ERP connection."""

    id: int
    name: str
    connector: str
    config: dict[str, Any] = field(default_factory=dict)
    active: bool = True
    created_at: datetime | None = None
    #: None: everyone; else {"users": [usernames], "roles": [role names]}.
    scope: dict[str, list[str]] | None = None
    #: Secret config keys whose stored value cannot be decrypted with this
    #: host's key (they read as ""): the admin has to enter them again.
    unreadable_secrets: tuple[str, ...] = ()

    def visible_to(self, user: Any) -> bool:
        """Whether ``user`` (with ``username`` and, if the host has roles,
        ``roles``) may use this connection; everyone may when it has no scope."""
        if not self.scope:
            return True
        if user is None:
            return False
        username = str(getattr(user, "username", "") or "").strip().casefold()
        if username and username in {u.casefold() for u in self.scope.get("users", ())}:
            return True
        roles = {str(r).strip().casefold() for r in getattr(user, "roles", None) or ()}
        return bool(roles & {r.casefold() for r in self.scope.get("roles", ())})

    def masked_config(self, secret_keys: Iterable[str]) -> dict[str, Any]:
        """The configuration for display: non-empty values of ``secret_keys``
        replaced by :data:`MASK` (an empty secret stays empty, so the admin can
        see it is missing)."""
        secrets = set(secret_keys)
        return {key: (MASK if key in secrets and value not in (None, "") else value)
                for key, value in self.config.items()}


def secret_keys(config_fields: Iterable[FieldMeta]) -> set[str]:
    """Keys of a connector's password-type config fields, for
    :meth:`Connection.masked_config`."""
    return {f.key for f in config_fields if f.type is FieldType.PASSWORD}


def _duplicate(name: str) -> ConnectionError_:
    # Translators: %(name)s is the name of an ERP connection.
    msg = lazy_gettext("There is already an ERP connection named “%(name)s”. Choose another "
                       "name.", name=name)
    return ConnectionError_(msg, f"duplicate connection name {name!r}")


def _not_found(name_or_id: int | str) -> ConnectionError_:
    # Translators: %(name)s is the name or number of an ERP connection.
    msg = lazy_gettext("There is no ERP connection “%(name)s”.", name=name_or_id)
    return ConnectionError_(msg, f"connection {name_or_id!r} not found")


class ConnectionStore:
    """Create, read, update and remove ERP connections.

    Names are unique regardless of letter case ("Visma" and "visma" would be
    confusing in the **ERP connection** list), and looked up the same way.
    """

    def __init__(self, db: Engine, *, secrets: secrets_mod.SecretBox | None = None,
                 connector_classes: Mapping[str, Any] | None = None) -> None:
        """``secrets`` encrypts and decrypts (default: the box
        :func:`erpsync.secrets.bind` set for ``db``); ``connector_classes``
        tells which config fields are passwords (default: the installed
        connectors)."""
        self.db = db
        self.secrets = secrets or secrets_mod.box_for(db)
        self.connector_classes = connector_classes

    # -- reading ---------------------------------------------------------------
    def list(self, active_only: bool = False, user: Any = None) -> builtins.list[Connection]:
        """All connections by name (only active ones if ``active_only``; only
        those :meth:`Connection.visible_to` ``user`` if one is given)."""
        query = select(erp_connection)
        if active_only:
            query = query.where(erp_connection.c.active.is_(True))
        with self.db.connect() as conn:
            rows = conn.execute(query).mappings().all()
        found = (self._connection(r) for r in rows)
        if user is not None:
            found = (c for c in found if c.visible_to(user))
        return sorted(found, key=lambda c: (c.name.casefold(), c.id))

    def get(self, connection_id: int) -> Connection | None:
        with self.db.connect() as conn:
            row = conn.execute(select(erp_connection).where(
                erp_connection.c.id == connection_id)).mappings().first()
        return self._connection(row) if row else None

    def get_by_name(self, name: str) -> Connection | None:
        """The connection called ``name`` (letter case does not matter)."""
        wanted = name.strip().casefold()
        # Compared in Python: SQLite's lower() only folds ASCII ("Ørsted").
        with self.db.connect() as conn:
            rows = conn.execute(select(erp_connection.c.id, erp_connection.c.name)).all()
        for row in rows:
            if row.name.casefold() == wanted:
                return self.get(row.id)
        return None

    def find(self, name_or_id: int | str) -> Connection:
        """A connection by id, or by name (a name made of digits is tried as an
        id when no connection has that name). Raises :class:`ConnectionError_`."""
        found: Connection | None = None
        if isinstance(name_or_id, int):
            found = self.get(name_or_id)
        else:
            found = self.get_by_name(name_or_id)
            if found is None and name_or_id.strip().isdigit():
                found = self.get(int(name_or_id))
        if found is None:
            raise _not_found(name_or_id)
        return found

    # -- writing ---------------------------------------------------------------
    def add(self, name: str, connector: str, config: Mapping[str, Any],
            active: bool = True, scope: Mapping[str, Any] | None = None) -> int:
        """Store a new connection and return its id. Raises
        :class:`ConnectionError_` for an empty, too long or duplicate name."""
        values = self._validated({"name": name, "connector": connector,
                                  "config": config, "active": active, "scope": scope})
        if self.get_by_name(values["name"]) is not None:
            raise _duplicate(values["name"])
        values["config"] = self._encrypted(values["connector"], values["config"])
        values["created_at"] = datetime.now(UTC)
        try:
            with self.db.begin() as conn:
                result = conn.execute(insert(erp_connection).values(**values))
        except IntegrityError as exc:  # a concurrent add with the same name
            raise _duplicate(values["name"]) from exc
        return int(result.inserted_primary_key[0])

    def update(self, connection_id: int, **changes: Any) -> Connection:
        """Change ``name``, ``connector``, ``config`` (replaced whole),
        ``active`` and/or ``scope``; returns the updated connection."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise TypeError(f"cannot update {sorted(unknown)}; allowed: {sorted(_UPDATABLE)}")
        current = self.get(connection_id)
        if current is None:
            raise _not_found(connection_id)
        values = self._validated(changes)
        if "name" in values:
            other = self.get_by_name(values["name"])
            if other is not None and other.id != connection_id:
                raise _duplicate(values["name"])
        if "config" in values:
            values["config"] = self._encrypted(values.get("connector", current.connector),
                                               values["config"])
        if values:
            try:
                with self.db.begin() as conn:
                    conn.execute(update(erp_connection)
                                 .where(erp_connection.c.id == connection_id).values(**values))
            except IntegrityError as exc:
                raise _duplicate(values.get("name", current.name)) from exc
        updated = self.get(connection_id)
        if updated is None:  # removed meanwhile
            raise _not_found(connection_id)
        return updated

    def set_active(self, name_or_id: int | str, active: bool) -> Connection:
        """Activate or deactivate a connection (inactive ones are not offered
        in the **Select ERP connection** dialog)."""
        return self.update(self.find(name_or_id).id, active=active)

    def remove(self, name_or_id: int | str) -> Connection:
        """Delete a connection; returns what was deleted."""
        found = self.find(name_or_id)
        with self.db.begin() as conn:
            conn.execute(delete(erp_connection).where(erp_connection.c.id == found.id))
        return found

    # -- validation ------------------------------------------------------------
    @staticmethod
    def _validated(values: Mapping[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        if "name" in values:
            name = str(values["name"] or "").strip()
            if not name:
                raise ConnectionError_(lazy_gettext("Enter a name for the ERP connection."),
                                       "empty connection name")
            if len(name) > NAME_MAX_LENGTH:
                # Translators: %(max)s is a number of characters.
                msg = lazy_gettext("The name of an ERP connection can be at most %(max)s "
                                   "characters long.", max=NAME_MAX_LENGTH)
                raise ConnectionError_(msg, f"name of {len(name)} characters")
            clean["name"] = name
        if "connector" in values:
            connector = str(values["connector"] or "").strip()
            if not connector:
                raise ConnectionError_(lazy_gettext("Choose a connector for the ERP "
                                                    "connection."), "empty connector name")
            clean["connector"] = connector
        if "config" in values:
            config = dict(values["config"] or {})
            try:
                json.dumps(config)
            except (TypeError, ValueError) as exc:
                raise ConnectionError_(lazy_gettext("The connection settings cannot be "
                                                    "saved."), f"config not JSON: {exc}") from exc
            clean["config"] = config
        if "active" in values:
            clean["active"] = bool(values["active"])
        if "scope" in values:
            clean["scope"] = normalize_scope(values["scope"])
        return clean

    # -- secrets ---------------------------------------------------------------
    def secret_keys(self, connector: str, config: Iterable[str] = ()) -> set[str]:
        """Config keys of ``connector`` stored encrypted (see
        :func:`erpsync.secrets.secret_config_keys`)."""
        return secrets_mod.secret_config_keys(connector, config, self.connector_classes)

    def _encrypted(self, connector: str, config: Mapping[str, Any]) -> dict[str, Any]:
        keys = self.secret_keys(connector, config)
        stored = dict(config)
        for key in keys & set(stored):
            value = stored[key]
            if value not in (None, "") and not secrets_mod.is_encrypted(value):
                try:
                    stored[key] = self.secrets.encrypt(str(value))
                except secrets_mod.SecretError as exc:
                    raise ConnectionError_(lazy_gettext(
                        "The password cannot be stored encrypted: the server's key is not "
                        "available. Ask the server administrator to check the data "
                        "directory."), str(exc)) from exc
        return stored

    def _connection(self, row: Mapping[str, Any]) -> Connection:
        config = dict(row["config"] or {})
        unreadable = []
        for key, value in config.items():
            if secrets_mod.is_encrypted(value):
                try:
                    config[key] = self.secrets.decrypt(value)
                except secrets_mod.SecretError as exc:
                    # Logged without the value: it is only a token, but useless to anyone.
                    log.warning("ERP connection %r: secret %r cannot be decrypted (%s)",
                                row["name"], key, exc)
                    config[key] = ""
                    unreadable.append(key)
        return Connection(id=row["id"], name=row["name"], connector=row["connector"],
                          config=config, active=bool(row["active"]),
                          created_at=row["created_at"], scope=normalize_scope(row.get("scope")),
                          unreadable_secrets=tuple(unreadable))


def normalize_scope(scope: Any) -> dict[str, list[str]] | None:
    """A scope as stored: None (everyone) or {"users": [...], "roles": [...]}
    with blanks dropped, duplicates removed and usernames in lower case (the
    host compares them so). An empty scope means everyone."""
    if not scope:
        return None
    if not isinstance(scope, Mapping):
        raise ConnectionError_(lazy_gettext("The connection's users and roles cannot be "
                                            "saved."), f"scope is not an object: {scope!r}")
    clean: dict[str, list[str]] = {}
    for key in SCOPE_KEYS:
        raw = scope.get(key) or []
        if isinstance(raw, str):
            raw = [raw]
        names = [str(n).strip() for n in raw if str(n).strip()]
        if key == "users":
            names = [n.lower() for n in names]
        if names:
            clean[key] = list(dict.fromkeys(names))
    return clean or None

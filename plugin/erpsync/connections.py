"""ERP connections: a name, a connector and its configuration, stored in the
``erp_connection`` table.

Configurations are kept as given: encrypting secrets is a separate concern.
Show them with :meth:`Connection.masked_config`, which hides password fields.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .connectors.base import FieldMeta, FieldType
from .engine.schema import erp_connection
from .i18n import lazy_gettext

#: Shown instead of a secret value.
MASK = "••••••••"
NAME_MAX_LENGTH = erp_connection.c.name.type.length or 100
_UPDATABLE = frozenset({"name", "connector", "config", "active"})


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

    def __init__(self, db: Engine) -> None:
        self.db = db

    # -- reading ---------------------------------------------------------------
    def list(self, active_only: bool = False) -> builtins.list[Connection]:
        """All connections by name (only active ones if ``active_only``)."""
        query = select(erp_connection)
        if active_only:
            query = query.where(erp_connection.c.active.is_(True))
        with self.db.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return sorted((_connection(r) for r in rows), key=lambda c: (c.name.casefold(), c.id))

    def get(self, connection_id: int) -> Connection | None:
        with self.db.connect() as conn:
            row = conn.execute(select(erp_connection).where(
                erp_connection.c.id == connection_id)).mappings().first()
        return _connection(row) if row else None

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
            active: bool = True) -> int:
        """Store a new connection and return its id. Raises
        :class:`ConnectionError_` for an empty, too long or duplicate name."""
        values = self._validated({"name": name, "connector": connector,
                                  "config": config, "active": active})
        if self.get_by_name(values["name"]) is not None:
            raise _duplicate(values["name"])
        values["created_at"] = datetime.now(UTC)
        try:
            with self.db.begin() as conn:
                result = conn.execute(insert(erp_connection).values(**values))
        except IntegrityError as exc:  # a concurrent add with the same name
            raise _duplicate(values["name"]) from exc
        return int(result.inserted_primary_key[0])

    def update(self, connection_id: int, **changes: Any) -> Connection:
        """Change ``name``, ``connector``, ``config`` and/or ``active``; returns
        the updated connection."""
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
        return clean


def _connection(row: Mapping[str, Any]) -> Connection:
    return Connection(id=row["id"], name=row["name"], connector=row["connector"],
                      config=dict(row["config"] or {}), active=bool(row["active"]),
                      created_at=row["created_at"])

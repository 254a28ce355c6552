"""Tables of the reference CRM host itself: its users and its settings.

They live on :data:`erpsync.db.metadata` with the engine's tables, so one
migration history covers the whole database.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Table, Text

from ..db import metadata

app_user = Table(
    "app_user", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("display_name", String(200), nullable=False),
    #: The *Settings and maintenance* right: Import, Quote/Sync, ERP connections.
    Column("is_admin", Boolean, nullable=False, default=False),
    #: Profile language (any code; normalised when used), None = negotiate.
    Column("locale", String(20)),
    Column("created_at", DateTime(timezone=True)),
)

#: Host-wide settings (``erp_sync_enabled``, ``default_locale``), one JSON value per key.
host_setting = Table(
    "host_setting", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON),
)

#: Failed logins of the last minutes (erpsync.security.LoginThrottle): per
#: username and per client address, kept in the database so that every process
#: of the host counts them. Old rows are deleted as new failures come in.
login_failure = Table(
    "login_failure", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, index=True),
    Column("client_ip", String(64), nullable=False, index=True),
    Column("failed_at", DateTime(timezone=True), nullable=False, index=True),
)

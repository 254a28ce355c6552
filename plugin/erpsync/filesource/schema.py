"""The File source's table: saved column mappings.

Declared on :data:`erpsync.db.metadata`, so it is part of the one migration
history (:func:`erpsync.migrate.target_metadata` imports this module).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table

from ..db import metadata

#: A column mapping saved under a name, found again by the hash of its column names.
file_mapping = Table(
    "file_mapping", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("actor_type", String(20), nullable=False),
    Column("headers_hash", String(64), nullable=False, index=True),
    # [[column name, field key or null], ...] in column order
    Column("mapping", JSON, nullable=False),
    Column("created_by", Integer),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

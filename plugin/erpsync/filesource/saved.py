"""Saved column mappings: store one under a name, find the one for a file
with the same column names, apply one by name (dialog and ``--mapping``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from ..connectors.base import ActorType
from ..i18n import lazy_gettext
from .errors import FileSourceError
from .mapping import ColumnMapping, headers_hash
from .schema import file_mapping as fm

#: Longest name of a saved mapping.
NAME_LENGTH = 100


@dataclass(frozen=True)
class SavedMapping:
    id: int
    name: str
    actor_type: ActorType
    headers_hash: str
    pairs: list[list[Any]]


def _row(row: Any) -> SavedMapping:
    return SavedMapping(id=row.id, name=row.name, actor_type=ActorType(row.actor_type),
                        headers_hash=row.headers_hash, pairs=list(row.mapping or []))


def clean_name(name: str) -> str:
    """The name as stored (spaces collapsed); a localized error when unusable."""
    cleaned = " ".join((name or "").split())
    if len(cleaned) > NAME_LENGTH:
        # Translators: %(num)s is the longest allowed length of a saved mapping's name.
        raise FileSourceError(lazy_gettext("The name of a mapping can be at most %(num)s "
                                           "characters long.", num=NAME_LENGTH))
    return cleaned


def save(db: Engine, name: str, actor_type: ActorType, mapping: ColumnMapping,
         user_id: int | None) -> int:
    """Save ``mapping`` as ``name`` (replacing a mapping of that name)."""
    name = clean_name(name)
    now = datetime.now(UTC)
    values = {"actor_type": actor_type.value, "headers_hash": headers_hash(mapping.header),
              "mapping": mapping.pairs(), "updated_at": now}
    with db.begin() as conn:
        found = conn.execute(select(fm.c.id).where(fm.c.name == name)).scalar()
        if found is not None:
            conn.execute(fm.update().where(fm.c.id == found).values(**values))
            return int(found)
        return int(conn.execute(fm.insert().values(
            name=name, created_by=user_id, created_at=now, **values)).inserted_primary_key[0])


def get(db: Engine, name: str) -> SavedMapping | None:
    """The mapping saved as ``name`` (spaces collapsed, case ignored)."""
    wanted = " ".join((name or "").split()).casefold()
    with db.connect() as conn:
        for row in conn.execute(select(fm)):
            if row.name.casefold() == wanted:
                return _row(row)
    return None


def find_for(db: Engine, header: list[str], actor_type: ActorType) -> SavedMapping | None:
    """The most recently saved mapping of ``actor_type`` for these column names."""
    with db.connect() as conn:
        row = conn.execute(
            select(fm).where(fm.c.headers_hash == headers_hash(header),
                             fm.c.actor_type == actor_type.value)
            .order_by(fm.c.updated_at.desc(), fm.c.id.desc()).limit(1)).first()
    return _row(row) if row else None


def list_saved(db: Engine, actor_type: ActorType | None = None) -> list[SavedMapping]:
    """Every saved mapping (of ``actor_type``), by name."""
    query = select(fm).order_by(fm.c.name)
    if actor_type is not None:
        query = query.where(fm.c.actor_type == actor_type.value)
    with db.connect() as conn:
        return [_row(row) for row in conn.execute(query)]

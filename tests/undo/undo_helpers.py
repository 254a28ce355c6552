"""Building ERP actors, running imports and reading the CRM back, for the undo tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.engine import normalize as nz
from erpsync.engine.api import ImportEngine, ImportResult
from erpsync.engine.schema import communication, company, erp_link, person, selection_member
from erpsync.engine.settings import ImportSettings

CONNECTION = 1
STAMP = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def customer(key: str, **fields: Any) -> ErpActor:
    return ErpActor(ActorType.CUSTOMER, key, dict(fields), STAMP)


def contact(key: str, parent: str | None = None, **fields: Any) -> ErpActor:
    return ErpActor(ActorType.PERSON, key, dict(fields), STAMP,
                    parent_type=ActorType.CUSTOMER if parent else None, parent_key=parent)


def run_import(engine: ImportEngine, actors: list[ErpActor],
               settings: ImportSettings | None = None) -> ImportResult:
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, CONNECTION, actors)
    engine.save_settings(import_id, settings or ImportSettings())
    engine.preview(import_id)
    return engine.apply(import_id, 1)


def add_company(db: Engine, name: str, *, comms: dict[str, list[str]] | None = None,
                **columns: Any) -> int:
    keys = nz.company_keys(name, columns.get("department"), columns.get("vatno"))
    with db.begin() as conn:
        cid = int(conn.execute(company.insert().values(name=name, **keys, **columns))
                  .inserted_primary_key[0])
        for kind, values in (comms or {}).items():
            for rank, value in enumerate(values, 1):
                key = value.lower() if kind in ("email", "url") else nz.phone_key(value)
                conn.execute(communication.insert().values(
                    owner_type="company", owner_id=cid, kind=kind, value=value,
                    value_key=key, rank=rank))
    return cid


def edit_in_crm(db: Engine, table: Any, crm_id: int, **values: Any) -> None:
    """What a user of the CRM does: change fields, and updated_at with them."""
    later = datetime.now(UTC) + timedelta(seconds=5)
    with db.begin() as conn:
        conn.execute(update(table).where(table.c.id == crm_id).values(updated_at=later, **values))


def companies(db: Engine) -> dict[str, dict[str, Any]]:
    with db.connect() as conn:
        return {r["name"]: dict(r) for r in conn.execute(select(company)).mappings()}


def persons(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(person).order_by(person.c.id)).mappings()]


def comms_of(db: Engine, owner_type: str, owner_id: int) -> list[tuple[str, str, int]]:
    c = communication.c
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(c.kind, c.value, c.rank)
            .where(c.owner_type == owner_type, c.owner_id == owner_id)
            .order_by(c.kind, c.rank))]


def links(db: Engine) -> list[tuple[str, str, int]]:
    link = erp_link.c
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(link.erp_key, link.crm_type, link.crm_id).order_by(link.erp_key))]


def memberships(db: Engine) -> list[tuple[int, str, int]]:
    m = selection_member.c
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(m.selection_id, m.crm_type, m.crm_id).order_by(m.selection_id, m.crm_id))]

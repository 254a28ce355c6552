"""Building ERP actors and CRM rows, and reading the CRM back, for engine tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from erpsync.connectors.base import ActorType, ErpActor
from erpsync.engine import normalize as nz
from erpsync.engine.api import ImportEngine, ImportResult
from erpsync.engine.schema import communication, company, list_item, person
from erpsync.engine.settings import ImportSettings

CONNECTION = 1
STAMP = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def customer(key: str, **fields: Any) -> ErpActor:
    return ErpActor(ActorType.CUSTOMER, key, dict(fields), STAMP)


def supplier(key: str, **fields: Any) -> ErpActor:
    return ErpActor(ActorType.SUPPLIER, key, dict(fields), STAMP)


def contact(key: str, parent: str | None = None, parent_type: ActorType = ActorType.CUSTOMER,
            **fields: Any) -> ErpActor:
    """A person, belonging to the ERP customer ``parent`` if given."""
    return ErpActor(ActorType.PERSON, key, dict(fields), STAMP,
                    parent_type=parent_type if parent else None, parent_key=parent)


def run_import(engine: ImportEngine, actors: list[ErpActor],
               settings: ImportSettings | None = None,
               connection_id: int | None = CONNECTION) -> ImportResult:
    """Stage, preview and apply in one go (the checkboxes as the preview set them)."""
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, connection_id, actors)
    engine.save_settings(import_id, settings or ImportSettings())
    engine.preview(import_id)
    return engine.apply(import_id, 1)


def previewed(engine: ImportEngine, actors: list[ErpActor],
              settings: ImportSettings | None = None,
              connection_id: int | None = CONNECTION) -> tuple[int, dict[str, Any]]:
    """Stage and preview; returns the import id and its preview rows by ERP key."""
    import_id = engine.create_import("erp", 1)
    engine.stage(import_id, connection_id, actors)
    engine.save_settings(import_id, settings or ImportSettings())
    engine.preview(import_id)
    rows = engine.preview_rows(import_id, limit=10_000)
    return import_id, {(r.actor_type, r.erp_key): r for r in rows}


# -- the CRM, written as a host would -------------------------------------------------
def add_company(db: Engine, name: str, *, comms: dict[str, list[str]] | None = None,
                **columns: Any) -> int:
    """A CRM company (keys computed as the engine expects)."""
    keys = nz.company_keys(name, columns.get("department"), columns.get("vatno"))
    with db.begin() as conn:
        cid = conn.execute(company.insert().values(name=name, **keys, **columns)
                           ).inserted_primary_key[0]
        _add_comms(conn, "company", cid, comms or {})
    return int(cid)


def add_person(db: Engine, firstname: str | None, lastname: str | None, *,
               company_id: int | None = None, comms: dict[str, list[str]] | None = None,
               **columns: Any) -> int:
    key = nz.person_name_key(firstname, columns.get("middlename"), lastname)
    with db.begin() as conn:
        pid = conn.execute(person.insert().values(
            firstname=firstname, lastname=lastname, company_id=company_id, name_key=key,
            **columns)).inserted_primary_key[0]
        _add_comms(conn, "person", pid, comms or {})
    return int(pid)


def _add_comms(conn: Any, owner_type: str, owner_id: int, comms: dict[str, list[str]]) -> None:
    for kind, values in comms.items():
        for rank, value in enumerate(values, start=1):
            conn.execute(communication.insert().values(
                owner_type=owner_type, owner_id=owner_id, kind=kind, value=value,
                value_key=nz.communication_key(kind, value), rank=rank))


def add_list_item(db: Engine, list_name: str, name: str, is_default: bool = False) -> int:
    with db.begin() as conn:
        return int(conn.execute(list_item.insert().values(
            list_name=list_name, name=name, name_key=nz.name_key(name),
            is_default=is_default)).inserted_primary_key[0])


# -- reading the CRM back ----------------------------------------------------------------
def companies(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(company).order_by(company.c.id)).mappings()]


def persons(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(person).order_by(person.c.id)).mappings()]


def comms_of(db: Engine, owner_type: str, owner_id: int, kind: str | None = None) -> list[str]:
    """Values of an actor's communications (of ``kind``), in rank order."""
    m = communication.c
    query = select(m.value).where(m.owner_type == owner_type, m.owner_id == owner_id)
    if kind:
        query = query.where(m.kind == kind)
    with db.connect() as conn:
        return list(conn.scalars(query.order_by(m.kind, m.rank, m.id)))


def list_name_of(db: Engine, item_id: int | None) -> str | None:
    if item_id is None:
        return None
    with db.connect() as conn:
        return conn.scalar(select(list_item.c.name).where(list_item.c.id == item_id))


def by_name(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [r for r in rows if r.get("name") == name]
    assert len(found) == 1, f"{len(found)} rows named {name!r}"
    return found[0]

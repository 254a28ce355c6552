"""Helpers of the Tryton connector tests: the trytonctl module and oracles that
compute expected results from raw party data, independently of the connector."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from typing import Any

from erpsync.connectors.tryton_rpc import TrytonRpc

REPO = Path(__file__).resolve().parents[2]


def _load_trytonctl() -> Any:
    path = REPO / "tools" / "tryton" / "trytonctl.py"
    spec = importlib.util.spec_from_file_location("trytonctl", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["trytonctl"] = module
    spec.loader.exec_module(module)
    return module


trytonctl = _load_trytonctl()

RAW_FIELDS = [
    "name", "code", "active", "create_date", "last_modified_at", "categories",
    "categories.name", "addresses.city", "addresses.postal_code", "addresses.street",
    "addresses.active", "addresses.country.code", "addresses.country.name",
    "contact_mechanisms.type", "contact_mechanisms.value", "contact_mechanisms.active",
    "identifiers.type", "identifiers.code", "identifiers.code_compact",
    "relations.to", "relations.type.name",
]


def all_parties(raw: TrytonRpc) -> list[dict[str, Any]]:
    """Every party, archived ones included, with the nested data the oracles need."""
    return raw.model("party.party", "search_read", [], 0, None, [["id", "ASC"]], RAW_FIELDS,
                     context={"active_test": False})


def category_ids(raw: TrytonRpc) -> dict[str, int]:
    rows = raw.model("party.category", "search_read", [], 0, None, None, ["name", "parent"])
    return {row["name"]: row["id"] for row in rows}


def is_type(party: dict[str, Any], actor_type: str, cats: dict[str, int]) -> bool:
    """Oracle of the actor-type rule (categories, Key account is below Customer)."""
    ids = set(party.get("categories") or [])
    person = cats["Person"] in ids
    if actor_type == "person":
        return person
    wanted = {cats["Customer"], cats["Key account"]} if actor_type == "customer" \
        else {cats["Supplier"]}
    return bool(ids & wanted) and not person


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


# ------------------------------------------------------------------ oracles

NEGATIVE = {"isnot": "=", "notbegins": "begins", "notcontains": "contains", "notends": "ends"}
MECHANISM_TYPES = {"EMAIL": "email", "PHONE": "phone", "PHONE_DIRECT": "phone",
                   "URL": "website", "PHONE_MOBILE": "mobile"}
ADDRESS_COLUMNS = {"POSTALCITY": "city", "POSTALZIP": "postal_code", "POSTALAD1": "street"}


def candidate_values(party: dict[str, Any], key: str,
                     names: dict[int, str]) -> list[str]:
    """All values a party offers for a searchable text field ("any" semantics
    for addresses, contact mechanisms and relations)."""
    if key == "NAME":
        return [party.get("name") or ""]
    if key in ("NUMBER1", "NUMBER"):
        return [party.get("code") or ""]
    addresses = [a for a in party.get("addresses.") or [] if a.get("active")]
    if key in ADDRESS_COLUMNS:
        return [a.get(ADDRESS_COLUMNS[key]) or "" for a in addresses]
    if key == "COUNTRY":
        return [str((a.get("country.") or {}).get(column) or "")
                for a in addresses for column in ("code", "name")]
    if key in MECHANISM_TYPES:
        return [m.get("value") or "" for m in party.get("contact_mechanisms.") or []
                if m.get("active") and m.get("type") == MECHANISM_TYPES[key]]
    if key == "COMPANY":
        return [names.get(r.get("to"), "") for r in party.get("relations.") or []
                if (r.get("type.") or {}).get("name") == "Works for"]
    raise KeyError(key)


def text_matches(op: str, stored: str, value: str) -> bool:
    stored, value = stored.casefold(), value.casefold()
    return {"=": stored == value, "begins": stored.startswith(value),
            "contains": value in stored, "ends": stored.endswith(value)}[op]


def expected_text(parties: list[dict[str, Any]], actor_type: str, cats: dict[str, int],
                  key: str, op: str, value: str) -> set[int]:
    """Ids of active parties of ``actor_type`` matching a text criterion, computed
    in Python with ``str.casefold`` (the truth the SQL translation must meet)."""
    names = {p["id"]: p.get("name") or "" for p in parties}
    result = set()
    for party in parties:
        if not party.get("active") or not is_type(party, actor_type, cats):
            continue
        values = candidate_values(party, key, names)
        positive = NEGATIVE.get(op, op)
        hit = any(text_matches(positive, stored, value) for stored in values)
        if hit is (positive == op):
            result.add(party["id"])
    return result


def ids_of(actors: Any) -> set[int]:
    return {int(actor.key) for actor in actors}

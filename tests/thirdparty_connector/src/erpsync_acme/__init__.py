"""The Acme ERP connector: an erpsync plugin registered through the ``erpsync``
entry-point group (see this package's pyproject.toml).

Acme holds a handful of customers and persons in memory; ``region`` (a
mandatory configuration field) picks which ones a connection sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erpsync import hookimpl
from erpsync.connectors.base import (
    ActorType,
    Connector,
    ConnectorError,
    ErpActor,
    FieldAccess,
    FieldMeta,
    FieldType,
    Restriction,
    SearchPage,
    TestResult,
)
from erpsync.connectors.restrictions import compile_restrictions

#: The ERP's data: (actor type, key, parent key, region, fields).
ACTORS: tuple[tuple[ActorType, str, str | None, str, dict[str, Any]], ...] = (
    (ActorType.CUSTOMER, "AC-1", None, "north",
     {"NAME": "Acme Nordlys AS", "NUMBER2": "9001", "POSTALCITY": "Tromsø",
      "EMAIL": "post@nordlys.example"}),
    (ActorType.CUSTOMER, "AC-2", None, "north",
     {"NAME": "Acme Fjordkraft AS", "NUMBER2": "9002", "POSTALCITY": "Bodø"}),
    (ActorType.CUSTOMER, "AC-3", None, "south",
     {"NAME": "Acme Zuid BV", "NUMBER2": "9003", "POSTALCITY": "Maastricht"}),
    (ActorType.PERSON, "AP-1", "AC-1", "north",
     {"FIRSTNAME": "Sigrid", "LASTNAME": "Acmesen", "EMAIL": "sigrid@nordlys.example"}),
)

_COMPANY_FIELDS = (("NAME", "Name"), ("NUMBER2", "Number"), ("POSTALCITY", "City"),
                   ("EMAIL", "Email address"))
_PERSON_FIELDS = (("FIRSTNAME", "First name"), ("LASTNAME", "Last name"),
                  ("EMAIL", "Email address"))


class AcmeConnector(Connector):
    """Customers and persons of the Acme ERP, for one region."""

    name = "acme"
    display_name = "Acme ERP"

    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        return [FieldMeta(key="region", display_name={"en": "Region", "nl": "Regio",
                                                      "no": "Region"},
                          access=FieldAccess.MANDATORY)]

    def _region(self) -> str:
        region = str(self.config.get("region") or "").strip()
        if not region:
            raise ConnectorError("No region is set for this Acme connection.",
                                 "config 'region' is empty")
        return region

    def test(self) -> TestResult:
        region = self._region()
        found = any(r == region for _, _, _, r, _ in ACTORS)
        return TestResult(ok=found, message=f"Acme region {region}: "
                          + ("found" if found else "unknown"))

    def actor_types(self) -> list[ActorType]:
        return [ActorType.CUSTOMER, ActorType.PERSON]

    def fields(self, actor_type: ActorType) -> list[FieldMeta]:
        names = _PERSON_FIELDS if actor_type is ActorType.PERSON else _COMPANY_FIELDS
        return [FieldMeta(key=key, display_name=label, type=FieldType.TEXT)
                for key, label in names]

    def _actors(self, actor_type: ActorType) -> list[ErpActor]:
        region = self._region()
        parent_type = ActorType.CUSTOMER if actor_type is ActorType.PERSON else None
        return [ErpActor(actor_type=kind, key=key, fields=dict(values),
                         parent_type=parent_type if parent else None, parent_key=parent)
                for kind, key, parent, where, values in ACTORS
                if kind is actor_type and where == region]

    def search(self, actor_type: ActorType, restrictions: list[Restriction],
               offset: int = 0, limit: int = 50) -> SearchPage:
        matches = compile_restrictions(self.searchable_fields(actor_type), restrictions)
        found = [a for a in self._actors(actor_type) if matches(a.fields)]
        return SearchPage(actors=found[offset:offset + limit], total=len(found),
                          offset=offset, limit=limit)

    def get_actors(self, actor_type: ActorType, keys: Iterable[str]) -> list[ErpActor]:
        wanted = set(keys)
        return [a for a in self._actors(actor_type) if a.key in wanted]


@hookimpl
def erpsync_connectors(erpsync: Any) -> list[type[Connector]]:
    """Offer the Acme connector to erpsync."""
    return [AcmeConnector]

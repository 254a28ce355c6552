"""Tryton connector: parties of a real Tryton ERP (8.x) over JSON-RPC with httpx.

Tryton has one model for every actor, ``party.party``, and no native
customer/supplier/person flag (docs/connectors/tryton.md explains the choice).
This connector reads the three actor types from **party categories**, whose
names are part of the connection's configuration:

* **customers**: parties in the customer category (default "Customer") or one
  of its sub-categories, that are not persons;
* **suppliers**: the same with the supplier category (default "Supplier");
* **persons**: parties in the person category (default "Person") or below.

An actor type whose category does not exist in Tryton is not offered.

**A person's company** is a party relation of the ``trytond-party-relationship``
module (the official Tryton module for links between parties, 8.2 on PyPI,
pure Python): the person's first active relation of the configured type
(default "Works for") points to the company. That company becomes the
person's parent: ``parent_type`` is *customer* when the company is in the
customer category, else *supplier* when it is in the supplier category, else
*customer*; ``parent_key`` is the company's id. Without the module, persons
have no company. :meth:`TrytonConnector.get_actors` of a company type returns
any non-person party by key, so a person's company can always be fetched.

The ERP key is the party id (a stable integer, as text). Person names are split
into first, middle and last name by
:func:`erpsync.connectors.tryton_fields.split_person_name`.

Timestamps: Tryton stores naive server-local times; configure ``timezone`` when
the server does not run in UTC. :meth:`TrytonConnector.changed_since` follows
the notes' verified query (``last_modified_at`` of the party, its addresses,
contact mechanisms and identifiers, archived parties included) and
returns actors whose ``last_modified`` is the newest of those stamps, to be
used as the next watermark. Callers should re-query with an overlap (e.g. the
watermark minus a minute) because a slow transaction can commit with an older
timestamp; staging de-duplicates by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import hookimpl
from ..i18n import lazy_gettext
from .base import (
    ActorType,
    Connector,
    ConnectorError,
    ErpActor,
    FieldAccess,
    FieldMeta,
    FieldType,
    ListItem,
    Restriction,
    SearchPage,
    TestResult,
)
from .http_retry import transport_fields
from .tryton_domain import Domain, translate
from .tryton_fields import (
    CHILD_RELATIONS,
    COMMON_READ,
    RELATION_READ,
    TrytonField,
    company_fields,
    company_values,
    employer,
    last_modified,
    person_fields,
    person_values,
)
from .tryton_rpc import TrytonRpc

PARTY = "party.party"
#: Parties per ``get_actors`` request.
KEY_CHUNK = 200
MAX_PAGE = 1000

_CATEGORY_DEFAULTS = {
    ActorType.CUSTOMER: ("customer_category", "Customer"),
    ActorType.SUPPLIER: ("supplier_category", "Supplier"),
    ActorType.PERSON: ("person_category", "Person"),
}


@dataclass
class _Meta:
    """What the connector learns from the server once per instance."""

    version: str
    context: dict[str, Any]
    #: category ids of each actor type, sub-categories included
    type_categories: dict[ActorType, frozenset[int]]
    #: configured category names that do not exist in Tryton, by actor type
    missing: dict[ActorType, str]
    category_names: list[str]
    has_relations: bool
    relation_type: str | None
    warnings: list[Any] = field(default_factory=list)


def _config_error(message: Any, technical: str) -> ConnectorError:
    return ConnectorError(message, f"configuration: {technical}")


class TrytonConnector(Connector):
    """Customers, suppliers and persons from Tryton's ``party.party``."""

    name: ClassVar[str] = "tryton"
    display_name: ClassVar[Any] = "Tryton"

    def __init__(self, config: Mapping[str, str], *, transport: Any = None) -> None:
        super().__init__(config)
        get = self._setting
        url = get("url")
        if not url.startswith(("http://", "https://")):
            raise _config_error(
                lazy_gettext("The Tryton address must start with http:// or https://."),
                f"url={url!r}")
        for key, label in (("database", lazy_gettext("Database")),
                           ("user", lazy_gettext("User name"))):
            if not get(key):
                # Translators: %(field)s names a setting of the ERP connection.
                raise _config_error(lazy_gettext("Fill in “%(field)s” for the Tryton "
                                                 "connection.", field=label), f"{key} empty")
        try:
            timeout = float(get("timeout", "30"))
            retries = int(get("retries", "2"))
            if timeout <= 0 or not 0 <= retries <= 10:
                raise ValueError
        except ValueError:
            raise _config_error(lazy_gettext("The timeout must be a positive number of "
                                             "seconds and retries a number from 0 to 10."),
                                f"timeout={get('timeout')!r} retries={get('retries')!r}"
                                ) from None
        try:
            self.tz: dt.tzinfo = ZoneInfo(get("timezone", "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            # Translators: %(zone)s is a time zone name such as Europe/Oslo.
            raise _config_error(lazy_gettext("Unknown time zone “%(zone)s”.",
                                             zone=get("timezone")),
                                f"timezone={get('timezone')!r}") from None
        self.relation_type = get("company_relation", "Works for") or None
        self.categories = {t: get(key, default) for t, (key, default)
                           in _CATEGORY_DEFAULTS.items()}
        self.organisation_category = get("organisation_category", "Organisation")
        self.rpc = TrytonRpc(url, get("database"), get("user"), self.config.get("password", ""),
                             timeout=timeout, retries=retries, transport=transport)
        self._meta_cache: _Meta | None = None

    def _setting(self, key: str, default: str = "") -> str:
        value = self.config.get(key)
        return str(value).strip() if value not in (None, "") else default

    # -- configuration -----------------------------------------------------
    @classmethod
    def config_fields(cls) -> list[FieldMeta]:
        mandatory = FieldAccess.MANDATORY
        return [
            FieldMeta("url", lazy_gettext("Server address"), access=mandatory,
                      help_text=lazy_gettext("For example http://tryton.example.com:8000")),
            FieldMeta("database", lazy_gettext("Database"), access=mandatory),
            FieldMeta("user", lazy_gettext("User name"), access=mandatory),
            FieldMeta("password", lazy_gettext("Password"), FieldType.PASSWORD,
                      access=mandatory),
            FieldMeta("customer_category", lazy_gettext("Customer category"),
                      default="Customer",
                      help_text=lazy_gettext("Parties in this party category (or below it) "
                                             "are customers.")),
            FieldMeta("supplier_category", lazy_gettext("Supplier category"),
                      default="Supplier",
                      help_text=lazy_gettext("Parties in this party category (or below it) "
                                             "are suppliers.")),
            FieldMeta("person_category", lazy_gettext("Person category"), default="Person",
                      help_text=lazy_gettext("Parties in this party category (or below it) "
                                             "are persons, all others organisations.")),
            FieldMeta("organisation_category", lazy_gettext("Organisation category"),
                      default="Organisation",
                      help_text=lazy_gettext("A marker category that is not imported as the "
                                             "company's category.")),
            FieldMeta("company_relation", lazy_gettext("Company relation type"),
                      default="Works for",
                      help_text=lazy_gettext("The party relation type linking a person to "
                                             "their company (module party_relationship).")),
            FieldMeta("timezone", lazy_gettext("Server time zone"), default="UTC"),
            *transport_fields(),
        ]

    def close(self) -> None:
        """Close the HTTP connections (the session stays valid on the server)."""
        self.rpc.close()

    def __enter__(self) -> TrytonConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- server metadata ---------------------------------------------------
    def _meta(self, reload: bool = False) -> _Meta:
        if self._meta_cache is not None and not reload:
            return self._meta_cache
        version = self.rpc.server_version()
        prefs = self.rpc.model("res.user", "get_preferences", True)
        context = {"language": prefs["language"]} if prefs.get("language") else {}
        rows = self.rpc.model("party.category", "search_read", [], 0, None, None,
                              ["name", "parent"], context={**context, "active_test": False})
        children: dict[int | None, list[int]] = {}
        for row in rows:
            children.setdefault(row.get("parent"), []).append(row["id"])
        type_categories: dict[ActorType, frozenset[int]] = {}
        missing: dict[ActorType, str] = {}
        for actor_type, wanted in self.categories.items():
            roots = ([r["id"] for r in rows if r["name"] == wanted]
                     or [r["id"] for r in rows if str(r["name"]).casefold() == wanted.casefold()])
            if not roots:
                missing[actor_type] = wanted
                continue
            found: set[int] = set()
            stack = list(roots)
            while stack:
                category = stack.pop()
                if category not in found:
                    found.add(category)
                    stack.extend(children.get(category, []))
            type_categories[actor_type] = frozenset(found)
        party_fields = self.rpc.model(PARTY, "fields_get", ["relations"], context=context)
        has_relations = "relations" in (party_fields or {})
        relation_type = self.relation_type if has_relations else None
        warnings: list[Any] = []
        if relation_type:
            known = self.rpc.model("party.relation.type", "search_count",
                                   [["name", "=", relation_type]], 0, None, context=context)
            if not known:
                # Translators: %(name)s is a Tryton party relation type such as "Works for".
                warnings.append(lazy_gettext("The relation type “%(name)s” does not exist in "
                                             "Tryton: persons are imported without company.",
                                             name=relation_type))
        elif self.relation_type:
            warnings.append(lazy_gettext("The Tryton module party_relationship is not "
                                         "activated: persons are imported without company."))
        self._meta_cache = _Meta(
            version=str(version), context=context, type_categories=type_categories,
            missing=missing, category_names=sorted({str(r["name"]) for r in rows}),
            has_relations=has_relations, relation_type=relation_type, warnings=warnings)
        return self._meta_cache

    def _marker_names(self) -> frozenset[str]:
        return frozenset([*self.categories.values(), self.organisation_category])

    # -- protocol: metadata ------------------------------------------------
    def test(self) -> TestResult:
        try:
            meta = self._meta(reload=True)
        except ConnectorError as exc:
            return TestResult(ok=False, message=exc.user_message, technical=exc.technical)
        technical = (f"Tryton {meta.version}, database {self.rpc.database}, "
                     f"categories {sorted(meta.category_names)}, "
                     f"party_relationship={'yes' if meta.has_relations else 'no'}")
        if len(meta.missing) == len(ActorType):
            # Translators: %(names)s lists party category names such as "Customer, Supplier".
            msg = lazy_gettext("Connected to Tryton, but none of the party categories "
                               "%(names)s exists, so there is nothing to import.",
                               names=", ".join(meta.missing.values()))
            return TestResult(ok=False, message=msg, technical=technical)
        if meta.missing:
            # Translators: %(version)s is the Tryton version, %(names)s party category names.
            msg = lazy_gettext("Connected to Tryton %(version)s. The party categories "
                               "%(names)s do not exist, so those actor types are not "
                               "offered.", version=meta.version,
                               names=", ".join(meta.missing.values()))
            return TestResult(ok=True, message=msg, technical=technical)
        if meta.warnings:
            # Translators: %(version)s is the Tryton version, %(database)s a database name,
            # %(warning)s a sentence about what will not be imported.
            msg = lazy_gettext("Connected to Tryton %(version)s, database %(database)s. "
                               "Note: %(warning)s", version=meta.version,
                               database=self.rpc.database, warning=meta.warnings[0])
        else:
            # Translators: %(version)s is the Tryton version, %(database)s a database name.
            msg = lazy_gettext("Connected to Tryton %(version)s, database %(database)s.",
                               version=meta.version, database=self.rpc.database)
        return TestResult(ok=True, message=msg, technical=technical)

    def actor_types(self) -> list[ActorType]:
        meta = self._meta()
        return [t for t in ActorType if t not in meta.missing]

    def _field_specs(self, actor_type: ActorType) -> list[TrytonField]:
        if actor_type is ActorType.PERSON:
            return person_fields(self._meta().relation_type)
        return company_fields()

    def fields(self, actor_type: ActorType) -> list[FieldMeta]:
        return [spec.meta for spec in self._field_specs(ActorType(actor_type))]

    def searchable_fields(self, actor_type: ActorType) -> list[FieldMeta]:
        return [spec.meta for spec in self._field_specs(ActorType(actor_type))
                if spec.target is not None]

    def list_items(self, list_name: str) -> list[ListItem]:
        if list_name != "category":
            return []
        markers = self._marker_names()
        return [ListItem(key=name, name=name) for name in self._meta(reload=True).category_names
                if name not in markers]

    # -- domains -------------------------------------------------------------
    def _type_domain(self, actor_type: ActorType, by_key: bool = False) -> Domain:
        """Parties of ``actor_type``; ``by_key`` relaxes companies to "not a person"."""
        meta = self._meta()
        actor_type = ActorType(actor_type)
        persons = sorted(meta.type_categories.get(ActorType.PERSON, ()))
        if (actor_type is ActorType.PERSON or not by_key) and actor_type in meta.missing:
            # Translators: %(name)s is a party category name, %(type)s an actor type.
            msg = lazy_gettext("Tryton has no party category “%(name)s”, so it has no "
                               "%(type)s.", name=meta.missing[actor_type],
                               type=actor_type.label)
            raise ConnectorError(msg, f"category {meta.missing[actor_type]!r} missing")
        if actor_type is ActorType.PERSON:
            return [["categories", "in", persons]]
        domain: Domain = []
        if not by_key:
            domain.append(["categories", "in", sorted(meta.type_categories[actor_type])])
        if persons:
            domain.append(["categories", "not where", [["id", "in", persons]]])
        return domain

    def _search_domain(self, actor_type: ActorType,
                       restrictions: list[Restriction]) -> tuple[Domain, dict[str, Any]]:
        specs = [(s.meta, s.target) for s in self._field_specs(actor_type) if s.target]
        translation = translate(specs, restrictions, self.tz)
        context = dict(self._meta().context)
        if translation.include_inactive:
            context["active_test"] = False
        return [*self._type_domain(actor_type), *translation.domain], context

    def _read_fields(self, actor_type: ActorType) -> list[str]:
        if actor_type is ActorType.PERSON and self._meta().has_relations:
            return [*COMMON_READ, *RELATION_READ]
        return list(COMMON_READ)

    def _read(self, actor_type: ActorType, domain: Domain, context: dict[str, Any],
              offset: int, limit: int | None) -> list[dict[str, Any]]:
        return self.rpc.model(PARTY, "search_read", domain, offset, limit, [["id", "ASC"]],
                              self._read_fields(actor_type), context=context)

    # -- rows -> actors ----------------------------------------------------------
    def _actor(self, actor_type: ActorType, row: dict[str, Any]) -> ErpActor:
        meta = self._meta()
        markers = self._marker_names()
        actor = ErpActor(actor_type=actor_type, key=str(row["id"]),
                         last_modified=last_modified(row, self.tz))
        if actor_type is ActorType.PERSON:
            actor.fields = person_values(row, self.tz, markers, meta.relation_type)
            relation = employer(row, meta.relation_type)
            if relation and relation.get("to"):
                categories = set((relation.get("to.") or {}).get("categories") or [])
                actor.parent_key = str(relation["to"])
                actor.parent_type = (
                    ActorType.CUSTOMER
                    if categories & meta.type_categories.get(ActorType.CUSTOMER, frozenset())
                    else ActorType.SUPPLIER
                    if categories & meta.type_categories.get(ActorType.SUPPLIER, frozenset())
                    else ActorType.CUSTOMER)
        else:
            actor.fields = company_values(row, self.tz, markers)
        return actor

    # -- protocol: reading ---------------------------------------------------------
    def search(self, actor_type: ActorType, restrictions: list[Restriction],
               offset: int = 0, limit: int = 50) -> SearchPage:
        actor_type = ActorType(actor_type)
        offset, limit = max(0, int(offset)), max(1, min(int(limit), MAX_PAGE))
        domain, context = self._search_domain(actor_type, restrictions)
        total = self.rpc.model(PARTY, "search_count", domain, 0, None, context=context)
        rows = self._read(actor_type, domain, context, offset, limit)
        return SearchPage(actors=[self._actor(actor_type, row) for row in rows],
                          total=int(total), offset=offset, limit=limit)

    def iter_search(self, actor_type: ActorType, restrictions: list[Restriction],
                    page_size: int = 500) -> Iterator[ErpActor]:
        """Every match, by keyset paging on the id (safe while records change)."""
        actor_type = ActorType(actor_type)
        domain, context = self._search_domain(actor_type, restrictions)
        yield from self._iter_domain(actor_type, domain, context, page_size)

    def _iter_domain(self, actor_type: ActorType, domain: Domain, context: dict[str, Any],
                     page_size: int) -> Iterator[ErpActor]:
        page_size = max(1, min(int(page_size), MAX_PAGE))
        last_id = 0
        while True:
            rows = self._read(actor_type, [*domain, ["id", ">", last_id]], context, 0,
                              page_size)
            for row in rows:
                yield self._actor(actor_type, row)
            if len(rows) < page_size:
                return
            last_id = rows[-1]["id"]

    def get_actors(self, actor_type: ActorType, keys: Iterable[str]) -> list[ErpActor]:
        """Actors by key (archived ones included); keys that are not party ids of
        this type are left out. Results follow the order of ``keys``."""
        actor_type = ActorType(actor_type)
        ids: list[int] = []
        for key in keys:
            text = str(key).strip()
            if text.isdigit() and int(text) not in ids:
                ids.append(int(text))
        if not ids:
            return []
        base = self._type_domain(actor_type, by_key=True)
        context = {**self._meta().context, "active_test": False}
        found: dict[int, ErpActor] = {}
        for start in range(0, len(ids), KEY_CHUNK):
            chunk = ids[start:start + KEY_CHUNK]
            for row in self._read(actor_type, [*base, ["id", "in", chunk]], context, 0, None):
                found[row["id"]] = self._actor(actor_type, row)
        return [found[i] for i in ids if i in found]

    def changed_since(self, actor_type: ActorType, since: dt.datetime) -> Iterator[ErpActor]:
        """Actors whose party, address, contact mechanism or identifier changed
        after ``since`` (naive means UTC), archived ones included, in id order.

        A change of a person's company relation alone is not seen: Tryton
        exposes no timestamp for party relations (see ``CHILD_RELATIONS``)."""
        actor_type = ActorType(actor_type)
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        stamp = since.astimezone(self.tz).replace(tzinfo=None)
        paths = ["last_modified_at", *(f"{name}.last_modified_at" for name in CHILD_RELATIONS)]
        changed = ["OR", *([path, ">", stamp] for path in paths)]
        # active_test in the context, not an "active" leaf: Tryton would add
        # active = true to every OR branch without one (notes, section 6).
        context = {**self._meta().context, "active_test": False}
        yield from self._iter_domain(actor_type, [*self._type_domain(actor_type), changed],
                                     context, 500)


@hookimpl
def erpsync_connectors(erpsync: Any) -> list[type[Connector]]:
    """Register the Tryton connector like any third-party connector plugin."""
    return [TrytonConnector]

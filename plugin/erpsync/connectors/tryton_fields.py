"""The Tryton connector's fields: metadata, search targets and row mapping.

One ``party.party`` row (read with nested fields, see :data:`COMMON_READ`)
becomes the well-known field keys of DESIGN.md:

========================  ==============================================================
key                       Tryton source
========================  ==============================================================
NAME                      ``name`` (companies; persons: the full name)
NUMBER1 / NUMBER          ``code`` (the party code, e.g. "42")
NUMBER2                   first organisation-number identifier (:data:`ORGNR_TYPES`)
VATNO                     first identifier whose type ends in ``_vat``
PHONE, EMAIL, URL         first active contact mechanism of type phone, email, website
PHONE_DIRECT, PHONE_MOBILE  persons: first phone, first mobile
POSTALAD1..3              lines of ``street`` of the first active address
POSTALZIP, POSTALCITY     ``postal_code``, ``city`` of that address
COUNTRY                   ISO 3166 code of that address's country ("NO")
CATEGORY                  first category (by name) that is not a marker category
FIRSTNAME, MIDDLENAME,    persons: split from ``name`` by :func:`split_person_name`
LASTNAME
COMPANY                   persons: name of the company of the "works for" relation
ACTIVE, CREATED, UPDATED  ``active``, ``create_date``, ``last_modified_at`` (UTC, ISO 8601)
ID                        the Tryton id (the ERP key)
========================  ==============================================================

"First" means lowest ``sequence``, then lowest id, among active records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..i18n import lazy_gettext, lazy_pgettext
from .base import FieldAccess, FieldMeta, FieldType
from .tryton_domain import Target

#: Identifier types read as the organisation number (NUMBER2), first match wins.
ORGNR_TYPES: tuple[str, ...] = (
    "no_orgnr", "se_orgnr", "fi_ytunnus", "is_kennitala", "ee_registrikood", "be_businessid",
    "at_businessid", "ch_uid", "de_handelsregisternummer", "fr_siren", "pl_regon",
    "si_maticna", "ro_onrc", "ru_ogrn", "ua_edrpou", "au_acn", "md_idno",
)
#: Lower-case name particles that belong between first and last name
#: (Dutch "tussenvoegsels", German, French, Scandinavian, Iberian ones).
NAME_PARTICLES = frozenset({
    "van", "de", "der", "den", "het", "'t", "te", "ter", "ten", "op", "in", "aan", "bij",
    "von", "vom", "zu", "zum", "zur", "la", "le", "du", "des", "da", "di", "del", "della",
    "dos", "das", "do", "af", "av",
})

#: Fields read for every actor; dotted names come back nested under "<field>.".
COMMON_READ: tuple[str, ...] = (
    "name", "code", "active", "create_date", "last_modified_at", "categories.name",
    "addresses.street", "addresses.postal_code", "addresses.city", "addresses.country.code",
    "addresses.active", "addresses.sequence", "addresses.last_modified_at",
    "contact_mechanisms.type", "contact_mechanisms.value", "contact_mechanisms.active",
    "contact_mechanisms.sequence", "contact_mechanisms.last_modified_at",
    "identifiers.type", "identifiers.code", "identifiers.active", "identifiers.sequence",
    "identifiers.last_modified_at",
)
#: Extra fields for persons when trytond-party-relationship is installed.
RELATION_READ: tuple[str, ...] = (
    "relations.type.name", "relations.to", "relations.to.name", "relations.to.categories",
    "relations.active",
)
#: x2many fields of ``party.party`` whose edits count as a change of the party.
#: Not ``relations``: it is the SQL view ``party.relation.all``, whose
#: ``last_modified_at`` is always "now" (trytond uses CURRENT_TIMESTAMP for
#: table queries), and ``party.relation`` itself is not readable over RPC.
CHILD_RELATIONS: tuple[str, ...] = ("addresses", "contact_mechanisms", "identifiers")


@dataclass(frozen=True)
class TrytonField:
    """A connector field and where it is searched (None: not searchable)."""

    meta: FieldMeta
    target: Target | None = None


def _mechanism(kind: str) -> Target:
    return Target(("value",), relation="contact_mechanisms", where=(("type", "=", kind),))


def _address(*columns: str) -> Target:
    return Target(columns, relation="addresses")


RO = FieldAccess.READ_ONLY
_VAT = Target(("code",), relation="identifiers", where=(("type", "ilike", "%\\_vat"),),
              compact_columns=("code_compact",))
_ORGNR = Target(("code",), relation="identifiers", where=(("type", "in", ORGNR_TYPES),),
                compact_columns=("code_compact",))


def _address_fields() -> list[TrytonField]:
    return [
        TrytonField(FieldMeta("POSTALAD1", lazy_gettext("Street address")),
                    _address("street")),
        TrytonField(FieldMeta("POSTALAD2", lazy_gettext("Address line 2"))),
        TrytonField(FieldMeta("POSTALAD3", lazy_gettext("Address line 3"))),
        TrytonField(FieldMeta("POSTALZIP", lazy_gettext("Postal code")),
                    _address("postal_code")),
        TrytonField(FieldMeta("POSTALCITY", lazy_gettext("City")), _address("city")),
        TrytonField(FieldMeta("COUNTRY", lazy_gettext("Country"),
                              help_text=lazy_gettext("ISO country code, e.g. NO or NL")),
                    _address("country.code", "country.name")),
    ]


def _record_fields() -> list[TrytonField]:
    return [
        TrytonField(FieldMeta("ACTIVE", lazy_pgettext("party", "Active"), FieldType.CHECKBOX,
                              access=RO), Target(("active",))),
        TrytonField(FieldMeta("CREATED", lazy_gettext("Created"), FieldType.DATETIME,
                              access=RO), Target(("create_date",))),
        TrytonField(FieldMeta("UPDATED", lazy_gettext("Last modified"), FieldType.DATETIME,
                              access=RO), Target(("last_modified_at",))),
        TrytonField(FieldMeta("ID", lazy_gettext("Tryton ID"), FieldType.INTEGER, access=RO),
                    Target(("id",))),
    ]


def company_fields() -> list[TrytonField]:
    """Fields of customers and suppliers."""
    return [
        TrytonField(FieldMeta("NAME", lazy_pgettext("company", "Name"),
                              access=FieldAccess.MANDATORY), Target(("name",))),
        TrytonField(FieldMeta("NUMBER1", lazy_pgettext("party", "Code")), Target(("code",))),
        TrytonField(FieldMeta("NUMBER2", lazy_gettext("Organisation number")), _ORGNR),
        TrytonField(FieldMeta("VATNO", lazy_gettext("VAT number")), _VAT),
        TrytonField(FieldMeta("PHONE", lazy_gettext("Phone")), _mechanism("phone")),
        TrytonField(FieldMeta("EMAIL", lazy_gettext("Email")), _mechanism("email")),
        TrytonField(FieldMeta("URL", lazy_gettext("Website")), _mechanism("website")),
        *_address_fields(),
        TrytonField(FieldMeta("CATEGORY", lazy_gettext("Category"), FieldType.LIST,
                              list_name="category"), Target(("name",), relation="categories")),
        *_record_fields(),
    ]


def person_fields(relation_type: str | None) -> list[TrytonField]:
    """Fields of persons; COMPANY is searchable only with a relation type."""
    company_target = (Target(("to.name",), relation="relations",
                             where=(("type.name", "=", relation_type),))
                      if relation_type else None)
    return [
        TrytonField(FieldMeta("FIRSTNAME", lazy_gettext("First name"))),
        TrytonField(FieldMeta("MIDDLENAME", lazy_gettext("Middle name"))),
        TrytonField(FieldMeta("LASTNAME", lazy_gettext("Last name"),
                              access=FieldAccess.MANDATORY)),
        TrytonField(FieldMeta("NAME", lazy_pgettext("person", "Full name")), Target(("name",))),
        TrytonField(FieldMeta("NUMBER", lazy_pgettext("party", "Code")), Target(("code",))),
        TrytonField(FieldMeta("EMAIL", lazy_gettext("Email")), _mechanism("email")),
        TrytonField(FieldMeta("PHONE_DIRECT", lazy_gettext("Phone")), _mechanism("phone")),
        TrytonField(FieldMeta("PHONE_MOBILE", lazy_gettext("Mobile phone")),
                    _mechanism("mobile")),
        TrytonField(FieldMeta("COMPANY", lazy_pgettext("person", "Company")), company_target),
        *_address_fields(),
        *_record_fields(),
    ]


# ------------------------------------------------------------------ names


def split_person_name(name: str | None) -> tuple[str, str, str]:
    """(first, middle, last) of a person's single Tryton ``name``.

    * "Last, First" (with a comma): the part before the comma is the last name.
    * Otherwise the last word is the last name and the words before it the
      first name(s): "Åse Marit Ødegård" -> ("Åse Marit", "", "Ødegård").
    * Lower-case particles just before the last name go to the middle name, as
      Dutch tussenvoegsels do: "Jan van der Berg" -> ("Jan", "van der", "Berg");
      with a comma they may trail the first name: "Berg, Jan van der".
    * A single word is a last name.
    """
    text = " ".join((name or "").split())
    if not text:
        return "", "", ""
    if "," in text:
        last, _, rest = (part.strip() for part in text.partition(","))
        words = rest.split()
        cut = len(words)
        while cut > 1 and words[cut - 1] in NAME_PARTICLES:
            cut -= 1
        return " ".join(words[:cut]), " ".join(words[cut:]), last
    words = text.split()
    if len(words) == 1:
        return "", "", words[0]
    cut = len(words) - 1
    while cut > 1 and words[cut - 1] in NAME_PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:-1]), words[-1]


# ------------------------------------------------------------------ rows


def _children(row: Mapping[str, Any], name: str, active_only: bool = True) -> list[dict]:
    items = [item for item in row.get(f"{name}.") or [] if isinstance(item, dict)]
    if active_only:
        items = [item for item in items if item.get("active", True)]
    return sorted(items, key=lambda item: (item.get("sequence") is None,
                                           item.get("sequence") or 0, item.get("id") or 0))


def to_utc(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """A server-local naive Tryton timestamp as an aware UTC datetime."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC)


def _iso(value: Any, tz: dt.tzinfo) -> str | None:
    moment = to_utc(value, tz)
    return moment.isoformat() if moment else None


def last_modified(row: Mapping[str, Any], tz: dt.tzinfo) -> dt.datetime | None:
    """The latest ``last_modified_at`` of the party and its children (an edited
    address does not touch the party's own timestamp)."""
    stamps = [row.get("last_modified_at")]
    for name in CHILD_RELATIONS:
        stamps += [child.get("last_modified_at")
                   for child in _children(row, name, active_only=False)]
    moments = [m for m in (to_utc(s, tz) for s in stamps) if m is not None]
    return max(moments) if moments else None


def _first(items: Iterable[Mapping[str, Any]], key: str = "value") -> str | None:
    for item in items:
        value = item.get(key)
        if value:
            return str(value)
    return None


def common_values(row: Mapping[str, Any], tz: dt.tzinfo,
                  marker_categories: frozenset[str]) -> dict[str, Any]:
    """Values shared by companies and persons."""
    addresses = _children(row, "addresses")
    address = addresses[0] if addresses else {}
    lines = [line.strip() for line in (address.get("street") or "").splitlines() if line.strip()]
    country = address.get("country.") or {}
    categories = sorted(str(c.get("name")) for c in row.get("categories.") or []
                        if c.get("name") and c.get("name") not in marker_categories)
    return {
        "POSTALAD1": lines[0] if lines else None,
        "POSTALAD2": lines[1] if len(lines) > 1 else None,
        "POSTALAD3": ", ".join(lines[2:]) if len(lines) > 2 else None,
        "POSTALZIP": address.get("postal_code") or None,
        "POSTALCITY": address.get("city") or None,
        "COUNTRY": country.get("code") if isinstance(country, dict) else None,
        "CATEGORY": categories[0] if categories else None,
        "ACTIVE": bool(row.get("active", True)),
        "CREATED": _iso(row.get("create_date"), tz),
        "UPDATED": _iso(row.get("last_modified_at"), tz),
        "ID": row.get("id"),
    }


def mechanisms_by_type(row: Mapping[str, Any]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for item in _children(row, "contact_mechanisms"):
        grouped.setdefault(str(item.get("type")), []).append(item)
    return grouped


def company_values(row: Mapping[str, Any], tz: dt.tzinfo,
                   marker_categories: frozenset[str]) -> dict[str, Any]:
    identifiers = _children(row, "identifiers")
    mechanisms = mechanisms_by_type(row)
    return {
        "NAME": row.get("name"),
        "NUMBER1": row.get("code"),
        "NUMBER2": _first((i for i in identifiers if i.get("type") in ORGNR_TYPES), "code"),
        "VATNO": _first((i for i in identifiers if str(i.get("type") or "").endswith("_vat")),
                        "code"),
        "PHONE": _first(mechanisms.get("phone", [])),
        "EMAIL": _first(mechanisms.get("email", [])),
        "URL": _first(mechanisms.get("website", [])),
        **common_values(row, tz, marker_categories),
    }


def employer(row: Mapping[str, Any], relation_type: str | None) -> dict | None:
    """The relation (with its nested ``to.``) of the person's company, if any:
    the first active relation of ``relation_type`` by id."""
    if not relation_type:
        return None
    for relation in sorted(row.get("relations.") or [], key=lambda r: r.get("id") or 0):
        kind = relation.get("type.") or {}
        if relation.get("active", True) and kind.get("name") == relation_type:
            return relation
    return None


def person_values(row: Mapping[str, Any], tz: dt.tzinfo, marker_categories: frozenset[str],
                  relation_type: str | None) -> dict[str, Any]:
    first, middle, last = split_person_name(row.get("name"))
    mechanisms = mechanisms_by_type(row)
    relation = employer(row, relation_type)
    company = (relation or {}).get("to.") or {}
    values = {
        "FIRSTNAME": first or None,
        "MIDDLENAME": middle or None,
        "LASTNAME": last or None,
        "NAME": row.get("name"),
        "NUMBER": row.get("code"),
        "EMAIL": _first(mechanisms.get("email", [])),
        "PHONE_DIRECT": _first(mechanisms.get("phone", [])),
        "PHONE_MOBILE": _first(mechanisms.get("mobile", [])),
        "COMPANY": company.get("name") if isinstance(company, dict) else None,
        **common_values(row, tz, marker_categories),
    }
    values.pop("CATEGORY")
    return values

"""The CRM fields a file's columns can be mapped to, and the fields the
import settings need.

Targets are the engine's well-known field keys (:mod:`erpsync.engine.fieldmap`),
plus two of the File source's own:

* ``ERPKEY`` - the row's key (optional). Without it a row's key is made from
  the file's hash and the row number (see :mod:`.mapping`).
* ``COMPANY`` (persons only) - the name of the person's company. The company
  is staged as a customer of its own, keyed by its name, so the engine finds
  it by the duplicate match (or creates it) and puts the person in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..connectors.base import ActorType
from ..engine.settings import CompanyMatch, ImportSettings, PersonMatch
from ..i18n import LazyString, gettext, lazy_gettext, lazy_pgettext
from ..ui.labels import field_label

#: The row's key; optional.
KEY_FIELD = "ERPKEY"
#: A person's company name.
COMPANY_FIELD = "COMPANY"

#: What a company column may become, in the order the mapping list shows them.
COMPANY_TARGETS: tuple[str, ...] = (
    "NAME", "DEPARTMENT", "NUMBER2", "NUMBER1", "VATNO", "PHONE", "EMAIL", "URL",
    "POSTALAD1", "POSTALAD2", "POSTALAD3", "POSTALZIP", "POSTALCITY", "COUNTRY",
    "CATEGORY", "BUSINESS",
)
#: What a person column may become.
PERSON_TARGETS: tuple[str, ...] = (
    "FIRSTNAME", "MIDDLENAME", "LASTNAME", "TITLE", COMPANY_FIELD, "POSITION", "NUMBER",
    "EMAIL", "PHONE_DIRECT", "PHONE_MOBILE", "POSTALAD1", "POSTALAD2", "POSTALAD3",
    "POSTALZIP", "POSTALCITY", "COUNTRY",
)

KEY_LABEL = lazy_gettext("Key (identifies the row)")


def targets(actor_type: ActorType) -> tuple[str, ...]:
    """Field keys a column may be mapped to for ``actor_type`` (key field included)."""
    fields = COMPANY_TARGETS if actor_type.is_company else PERSON_TARGETS
    return (*fields, KEY_FIELD)


def target_label(key: str) -> Any:
    """The name of a target in the admin's language."""
    return KEY_LABEL if key == KEY_FIELD else field_label(key)


def target_choices(actor_type: ActorType) -> list[tuple[str, Any]]:
    """(field key, label) of every target of ``actor_type``."""
    return [(key, target_label(key)) for key in targets(actor_type)]


# ------------------------------------------------------------------ required fields


@dataclass(frozen=True)
class Requirement:
    """At least one of ``keys`` must be mapped; ``why`` says which rule needs it."""

    keys: tuple[str, ...]
    why: LazyString

    def met_by(self, mapped: Iterable[str | None]) -> bool:
        return any(key in self.keys for key in mapped if key)

    def label(self) -> str:
        """"Name", or "First name or Last name"."""
        names = [str(target_label(k)) for k in self.keys]
        if len(names) == 1:
            return names[0]
        # Translators: two or more field names of which one is needed, e.g. "First name
        # or Last name"; %(first)s is a list of field names, %(last)s the last one.
        return gettext("%(first)s or %(last)s", first=", ".join(names[:-1]), last=names[-1])


_COMPANY_NAME = Requirement(("NAME",), lazy_gettext("a company without a name is not imported"))
_PERSON_NAME = Requirement(("FIRSTNAME", "LASTNAME"),
                           lazy_gettext("a person without a name is not imported"))


def _why_match(option: LazyString) -> LazyString:
    # Translators: why a field must be mapped; %(option)s is the chosen duplicate match,
    # e.g. "Number".
    return lazy_gettext("the duplicate match is %(option)s", option=option)


_COMPANY_MATCH_FIELDS: dict[CompanyMatch, tuple[str, ...]] = {
    CompanyMatch.NAME_DEPARTMENT: ("DEPARTMENT",),
    CompanyMatch.NUMBER: ("NUMBER2",),
    CompanyMatch.CODE: ("NUMBER1",),
    CompanyMatch.VATNO: ("VATNO",),
}
_PERSON_MATCH_FIELDS: dict[PersonMatch, tuple[str, ...]] = {
    PersonMatch.EMAIL: ("EMAIL",),
    PersonMatch.MOBILE: ("PHONE_MOBILE",),
    PersonMatch.NUMBER: ("NUMBER",),
}


def duplicate_match_field(actor_type: ActorType) -> str:
    """The import setting that is the duplicate match of ``actor_type``."""
    return "company_match" if actor_type.is_company else "person_match"


def requirements(actor_type: ActorType, settings: ImportSettings) -> list[Requirement]:
    """Fields that must be mapped for ``actor_type`` under ``settings``: the
    name (rows without one are never imported) and the field of the duplicate
    match (without it duplicates, also inside the file, go unnoticed)."""
    from ..engine.settings import option_label

    if actor_type.is_company:
        needed = [_COMPANY_NAME]
        match_keys = _COMPANY_MATCH_FIELDS.get(settings.company_match)
        option = option_label(settings.company_match)
    else:
        needed = [_PERSON_NAME]
        match_keys = _PERSON_MATCH_FIELDS.get(settings.person_match)
        option = option_label(settings.person_match)
    if match_keys:
        needed.append(Requirement(match_keys, _why_match(option)))
    return needed


def missing(actor_type: ActorType, settings: ImportSettings,
            mapped: Iterable[str | None]) -> list[Requirement]:
    """The requirements that ``mapped`` (field key per column) does not meet."""
    chosen = [m for m in mapped if m]
    return [r for r in requirements(actor_type, settings) if not r.met_by(chosen)]


#: Heading of the required fields above the mapping table.
REQUIRED_HEADING = lazy_pgettext("file mapping", "Required fields")

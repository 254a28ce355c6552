"""Import settings, shared by every import source (DESIGN.md "Import settings")."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..i18n import LazyString, lazy_pgettext


class CompanyMatch(enum.StrEnum):
    NAME = "name"
    NAME_DEPARTMENT = "name_department"
    NUMBER = "number"
    CODE = "code"
    VATNO = "vatno"
    ID = "id"


class PersonMatch(enum.StrEnum):
    NAME = "name"
    EMAIL = "email"
    MOBILE = "mobile"
    NUMBER = "number"
    NONE = "none"  # None – do not import person
    ID = "id"


class Action(enum.StrEnum):
    ADD = "add"  # Add always
    MERGE = "merge"  # Merge – update empty fields
    REPLACE = "replace"  # Replace – overwrite existing
    SKIP = "skip"  # Skip – do not import


class NoCompany(enum.StrEnum):
    CREATE_FROM_PERSON = "create_from_person"
    SKIP = "skip"
    WITHOUT_COMPANY = "without_company"


class ListValues(enum.StrEnum):
    ADD = "add"  # Add new item
    DEFAULT = "default"  # Ignore – use default
    BLANK = "blank"  # Ignore – set to blank


class CommunicationRule(enum.StrEnum):
    ADD = "add"  # Add new – keep existing
    REPLACE = "replace"  # Replace – overwrite existing
    IGNORE = "ignore"  # Ignore – keep existing


@dataclass(frozen=True)
class ImportSettings:
    """The admin's choices for one import. Defaults never overwrite CRM data."""

    company_match: CompanyMatch = CompanyMatch.NAME
    company_action: Action = Action.MERGE
    person_match: PersonMatch = PersonMatch.NAME
    person_action: Action = Action.MERGE
    no_company: NoCompany = NoCompany.CREATE_FROM_PERSON
    list_values: ListValues = ListValues.ADD
    phone: CommunicationRule = CommunicationRule.ADD
    url_email: CommunicationRule = CommunicationRule.ADD

    def to_json(self) -> dict[str, str]:
        return {k: v.value for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ImportSettings:
        """Settings from stored or submitted values; raises ValueError on an unknown value."""
        data = data or {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            if data.get(f.name) not in (None, ""):
                # The default's enum class parses the value (ValueError if unknown).
                values[f.name] = type(f.default)(data[f.name])
        return cls(**values)


def _option_key(member: enum.Enum) -> tuple[type, str]:
    # The options are str enums: Action.ADD == ListValues.ADD == "add", so the
    # members themselves would collide as dict keys. Key by (class, value).
    return type(member), member.value


L, K = lazy_pgettext, _option_key
#: Labels of every option, in the help pages' words, keyed by
#: ``(enum class, value)``; use :func:`option_label` to look one up.
OPTION_LABELS: dict[tuple[type, str], LazyString] = {
    K(CompanyMatch.NAME): L("duplicate match", "Name"),
    K(CompanyMatch.NAME_DEPARTMENT): L("duplicate match", "Name + Department"),
    K(CompanyMatch.NUMBER): L("duplicate match", "Number"),
    K(CompanyMatch.CODE): L("duplicate match", "Code"),
    K(CompanyMatch.VATNO): L("duplicate match", "VAT number"),
    K(CompanyMatch.ID): L("duplicate match", "ID"),
    K(PersonMatch.NAME): L("duplicate match", "Name"),
    K(PersonMatch.EMAIL): L("duplicate match", "Email address"),
    K(PersonMatch.MOBILE): L("duplicate match", "Mobile phone"),
    K(PersonMatch.NUMBER): L("duplicate match", "Number"),
    K(PersonMatch.NONE): L("duplicate match", "None – do not import person"),
    K(PersonMatch.ID): L("duplicate match", "ID"),
    K(Action.ADD): L("import action", "Add always"),
    K(Action.MERGE): L("import action", "Merge – update empty fields"),
    K(Action.REPLACE): L("import action", "Replace – overwrite existing"),
    K(Action.SKIP): L("import action", "Skip – do not import"),
    K(NoCompany.CREATE_FROM_PERSON): L("no company", "Create company using person name"),
    K(NoCompany.SKIP): L("no company", "Skip"),
    K(NoCompany.WITHOUT_COMPANY): L("no company", "Import persons without company"),
    K(ListValues.ADD): L("list values", "Add new item"),
    K(ListValues.DEFAULT): L("list values", "Ignore – use default"),
    K(ListValues.BLANK): L("list values", "Ignore – set to blank"),
    K(CommunicationRule.ADD): L("communication", "Add new – keep existing"),
    K(CommunicationRule.REPLACE): L("communication", "Replace – overwrite existing"),
    K(CommunicationRule.IGNORE): L("communication", "Ignore – keep existing"),
}
del L, K


def option_label(member: enum.Enum) -> LazyString:
    """The label of an import setting option, e.g. ``option_label(Action.MERGE)``."""
    return OPTION_LABELS[_option_key(member)]

"""Import settings, shared by every import source (DESIGN.md "Import settings")."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..i18n import LazyString, lazy_pgettext


class CompanyMatch(str, enum.Enum):
    NAME = "name"
    NAME_DEPARTMENT = "name_department"
    NUMBER = "number"
    CODE = "code"
    VATNO = "vatno"
    ID = "id"


class PersonMatch(str, enum.Enum):
    NAME = "name"
    EMAIL = "email"
    MOBILE = "mobile"
    NUMBER = "number"
    NONE = "none"  # None – do not import person
    ID = "id"


class Action(str, enum.Enum):
    ADD = "add"  # Add always
    MERGE = "merge"  # Merge – update empty fields
    REPLACE = "replace"  # Replace – overwrite existing
    SKIP = "skip"  # Skip – do not import


class NoCompany(str, enum.Enum):
    CREATE_FROM_PERSON = "create_from_person"
    SKIP = "skip"
    WITHOUT_COMPANY = "without_company"


class ListValues(str, enum.Enum):
    ADD = "add"  # Add new item
    DEFAULT = "default"  # Ignore – use default
    BLANK = "blank"  # Ignore – set to blank


class CommunicationRule(str, enum.Enum):
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


L = lazy_pgettext
#: Labels of every option, in the help pages' words.
OPTION_LABELS: dict[enum.Enum, LazyString] = {
    CompanyMatch.NAME: L("duplicate match", "Name"),
    CompanyMatch.NAME_DEPARTMENT: L("duplicate match", "Name + Department"),
    CompanyMatch.NUMBER: L("duplicate match", "Number"),
    CompanyMatch.CODE: L("duplicate match", "Code"),
    CompanyMatch.VATNO: L("duplicate match", "VAT number"),
    CompanyMatch.ID: L("duplicate match", "ID"),
    PersonMatch.NAME: L("duplicate match", "Name"),
    PersonMatch.EMAIL: L("duplicate match", "Email address"),
    PersonMatch.MOBILE: L("duplicate match", "Mobile phone"),
    PersonMatch.NUMBER: L("duplicate match", "Number"),
    PersonMatch.NONE: L("duplicate match", "None – do not import person"),
    PersonMatch.ID: L("duplicate match", "ID"),
    Action.ADD: L("import action", "Add always"),
    Action.MERGE: L("import action", "Merge – update empty fields"),
    Action.REPLACE: L("import action", "Replace – overwrite existing"),
    Action.SKIP: L("import action", "Skip – do not import"),
    NoCompany.CREATE_FROM_PERSON: L("no company", "Create company using person name"),
    NoCompany.SKIP: L("no company", "Skip"),
    NoCompany.WITHOUT_COMPANY: L("no company", "Import persons without company"),
    ListValues.ADD: L("list values", "Add new item"),
    ListValues.DEFAULT: L("list values", "Ignore – use default"),
    ListValues.BLANK: L("list values", "Ignore – set to blank"),
    CommunicationRule.ADD: L("communication", "Add new – keep existing"),
    CommunicationRule.REPLACE: L("communication", "Replace – overwrite existing"),
    CommunicationRule.IGNORE: L("communication", "Ignore – keep existing"),
}
del L

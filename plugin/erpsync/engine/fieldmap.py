"""Which ERP field key goes to which CRM column, communication kind or list.

Field keys are the well-known names of DESIGN.md (NAME, NUMBER1, ...). Staging
keeps the value of every mapped key in a column of its own (``v_name``, ...,
see :data:`VALUE_COLUMNS`), cut to the CRM column's length; keys that are not
mapped stay in ``staged_actor.extra`` and are not imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import CommunicationRule, ImportSettings

#: Column lengths of the CRM; longer ERP values are truncated with a warning.
COMPANY_COLUMNS: dict[str, int] = {
    "name": 200, "department": 200, "code": 50, "number": 50, "vatno": 50,
    "postal_ad1": 200, "postal_ad2": 200, "postal_ad3": 200, "postal_zip": 20,
    "postal_city": 100, "country": 100,
}
PERSON_COLUMNS: dict[str, int] = {
    "firstname": 100, "middlename": 100, "lastname": 100, "title": 100, "number": 50,
    "position": 100, "postal_ad1": 200, "postal_ad2": 200, "postal_ad3": 200,
    "postal_zip": 20, "postal_city": 100, "country": 100,
}

COMPANY = "company"
PERSON = "person"

#: Company field key -> ``company`` column.
COMPANY_FIELDS: dict[str, str] = {
    "NAME": "name",
    "NUMBER1": "code",
    "NUMBER2": "number",
    "DEPARTMENT": "department",
    "VATNO": "vatno",
    "POSTALAD1": "postal_ad1",
    "POSTALAD2": "postal_ad2",
    "POSTALAD3": "postal_ad3",
    "POSTALZIP": "postal_zip",
    "POSTALCITY": "postal_city",
    "COUNTRY": "country",
}

#: Person field key -> ``person`` column.
PERSON_FIELDS: dict[str, str] = {
    "FIRSTNAME": "firstname",
    "MIDDLENAME": "middlename",
    "LASTNAME": "lastname",
    "TITLE": "title",
    "NUMBER": "number",
    "POSITION": "position",
    "POSTALAD1": "postal_ad1",
    "POSTALAD2": "postal_ad2",
    "POSTALAD3": "postal_ad3",
    "POSTALZIP": "postal_zip",
    "POSTALCITY": "postal_city",
    "COUNTRY": "country",
}

#: Communication kind -> its staged value and key columns.
COMM_COLUMNS: dict[str, tuple[str, str]] = {
    "phone": ("comm_phone", "phone_key"),
    "mobile": ("comm_mobile", "mobile_key"),
    "email": ("comm_email", "email_key"),
    "url": ("comm_url", "url_key"),
}
#: Length of ``communication.value``.
COMM_LENGTH = 250

#: Field key -> communication kind, per kind of actor.
COMPANY_COMMS: dict[str, str] = {"PHONE": "phone", "EMAIL": "email", "URL": "url"}
PERSON_COMMS: dict[str, str] = {"EMAIL": "email", "PHONE_DIRECT": "phone",
                                "PHONE_MOBILE": "mobile"}


@dataclass(frozen=True)
class ListField:
    """A company field whose value is an item of a CRM list."""

    key: str  # field key
    list_name: str  # list_item.list_name
    column: str  # company column holding the list_item id
    key_column: str  # staged_actor column holding the value's name_key


LIST_FIELDS: tuple[ListField, ...] = (
    ListField("CATEGORY", "category", "category_id", "category_key"),
    ListField("BUSINESS", "business", "business_id", "business_key"),
)
#: Length of ``list_item.name``.
LIST_NAME_LENGTH = 100

#: Field key -> (``staged_actor`` value column, length) of every imported
#: field and list value. Companies and persons share the address keys, whose
#: CRM columns have the same lengths.
VALUE_COLUMNS: dict[str, tuple[str, int]] = {
    **{key: (f"v_{key.lower()}", COMPANY_COLUMNS[column])
       for key, column in COMPANY_FIELDS.items()},
    **{key: (f"v_{key.lower()}", PERSON_COLUMNS[column])
       for key, column in PERSON_FIELDS.items()},
    **{lf.key: (f"v_{lf.key.lower()}", LIST_NAME_LENGTH) for lf in LIST_FIELDS},
}
assert all(COMPANY_COLUMNS[COMPANY_FIELDS[key]] == PERSON_COLUMNS[column]
           for key, column in PERSON_FIELDS.items() if key in COMPANY_FIELDS)


def value_column(field_key: str) -> str:
    """The ``staged_actor`` column holding the value of ``field_key``."""
    return VALUE_COLUMNS[field_key][0]


#: Pseudo field key of a person's company in diffs.
COMPANY_FIELD = "COMPANY"


def fields_of(kind: str) -> dict[str, str]:
    """Field key -> column of ``kind`` ("company" or "person")."""
    return COMPANY_FIELDS if kind == COMPANY else PERSON_FIELDS


def lengths_of(kind: str) -> dict[str, int]:
    """Column -> maximum length of ``kind``."""
    return COMPANY_COLUMNS if kind == COMPANY else PERSON_COLUMNS


def comms_of(kind: str) -> dict[str, str]:
    """Field key -> communication kind of ``kind``."""
    return COMPANY_COMMS if kind == COMPANY else PERSON_COMMS


def comm_field_key(kind: str, comm_kind: str) -> str:
    """The field key an actor of ``kind`` uses for ``comm_kind`` (for diffs)."""
    for key, value in comms_of(kind).items():
        if value == comm_kind:
            return key
    return comm_kind.upper()


def comm_rule(settings: ImportSettings, comm_kind: str) -> CommunicationRule:
    """The rule for existing actors: Phone number (phone, mobile) or URLs + email."""
    return settings.phone if comm_kind in ("phone", "mobile") else settings.url_email


def crm_kind(actor_type: str) -> str:
    """``company`` for customers and suppliers, ``person`` for persons."""
    return PERSON if actor_type == PERSON else COMPANY

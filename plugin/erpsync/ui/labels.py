"""Words the shared import pages show for engine codes: preview marks, the
well-known field keys; reasons and warnings come from :mod:`erpsync.engine.reasons`."""

from __future__ import annotations

from typing import Any

from ..engine import reasons
from ..i18n import LazyString, lazy_pgettext

#: Preview statuses in the order the counts and filters are shown.
STATUSES: tuple[str, ...] = (
    "company_new", "company_updated", "person_new", "person_updated", "not_imported",
)

#: The mark of a preview row (next to its icon).
STATUS_LABELS: dict[str, LazyString] = {
    "company_new": lazy_pgettext("preview mark", "New company"),
    "company_updated": lazy_pgettext("preview mark", "Updated company"),
    "person_new": lazy_pgettext("preview mark", "New person"),
    "person_updated": lazy_pgettext("preview mark", "Updated person"),
    "not_imported": lazy_pgettext("preview mark", "Not imported"),
}

#: One actor's type (the lists of the Select ERP connection dialog use the plural).
ACTOR_TYPE_SINGULAR: dict[str, LazyString] = {
    "customer": lazy_pgettext("actor type", "Customer"),
    "supplier": lazy_pgettext("actor type", "Supplier"),
    "person": lazy_pgettext("actor type", "Person"),
}

#: Names of the well-known field keys (DESIGN.md "Field keys"), for the
#: field-by-field changes of updated rows.
FIELD_LABELS: dict[str, LazyString] = {
    "NAME": lazy_pgettext("field", "Name"),
    "DEPARTMENT": lazy_pgettext("field", "Department"),
    "NUMBER1": lazy_pgettext("field", "Code"),
    "NUMBER2": lazy_pgettext("field", "Number"),
    "NUMBER": lazy_pgettext("field", "Number"),
    "VATNO": lazy_pgettext("field", "VAT number"),
    "PHONE": lazy_pgettext("field", "Phone"),
    "PHONE_DIRECT": lazy_pgettext("field", "Direct phone"),
    "PHONE_MOBILE": lazy_pgettext("field", "Mobile phone"),
    "EMAIL": lazy_pgettext("field", "Email address"),
    "URL": lazy_pgettext("field", "Website"),
    "POSTALAD1": lazy_pgettext("field", "Postal address 1"),
    "POSTALAD2": lazy_pgettext("field", "Postal address 2"),
    "POSTALAD3": lazy_pgettext("field", "Postal address 3"),
    "POSTALZIP": lazy_pgettext("field", "Postcode"),
    "POSTALCITY": lazy_pgettext("field", "City"),
    "COUNTRY": lazy_pgettext("field", "Country"),
    "CATEGORY": lazy_pgettext("field", "Category"),
    "BUSINESS": lazy_pgettext("field", "Business"),
    "FIRSTNAME": lazy_pgettext("field", "First name"),
    "MIDDLENAME": lazy_pgettext("field", "Middle name"),
    "LASTNAME": lazy_pgettext("field", "Last name"),
    "TITLE": lazy_pgettext("field", "Title"),
    "POSITION": lazy_pgettext("field", "Position"),
    "COMPANY": lazy_pgettext("field", "Company"),
}


def field_label(key: str) -> Any:
    """The display name of a well-known field key (the key itself if unknown)."""
    return FIELD_LABELS.get(key.upper(), key)


#: Text of a "not imported" reason code, and of a warning code (``truncated:NAME``).
reason_label = reasons.reason_label
warning_label = reasons.warning_label

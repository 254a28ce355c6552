"""Codes the preview uses for "not imported" reasons and for warnings, with labels.

A reason explains why a row is not imported (``staged_actor.reason``). A
warning is a note on a row that is imported anyway. Warning codes can carry a
field key after a colon: ``truncated:NAME`` (see :func:`warning_code`).
"""

from __future__ import annotations

from ..i18n import LazyString, gettext, lazy_pgettext

# -- reasons (not imported) ----------------------------------------------------
NAME_MISSING = "name_missing"
DUPLICATE_IN_IMPORT = "duplicate_in_import"
SKIP_ACTION = "skip_action"
UNCHANGED = "unchanged"
NO_COMPANY = "no_company"
PERSONS_DISABLED = "persons_disabled"

REASON_LABELS: dict[str, LazyString] = {
    NAME_MISSING: lazy_pgettext("not imported", "The name is missing"),
    DUPLICATE_IN_IMPORT: lazy_pgettext("not imported", "Duplicate of another row in this import"),
    SKIP_ACTION: lazy_pgettext("not imported", "Already in the CRM (action: Skip)"),
    UNCHANGED: lazy_pgettext("not imported", "Already in the CRM, nothing to update"),
    NO_COMPANY: lazy_pgettext("not imported", "No company (If no company name: Skip)"),
    PERSONS_DISABLED: lazy_pgettext("not imported",
                                    "Persons are not imported (duplicate match: None)"),
}

# -- warnings (imported anyway) ------------------------------------------------
SEVERAL_MATCHES = "several_matches"
COMPANY_FROM_PERSON = "company_from_person"
INVALID_EMAIL = "invalid_email"
TRUNCATED = "truncated"

WARNING_LABELS: dict[str, LazyString] = {
    SEVERAL_MATCHES: lazy_pgettext(
        "import warning", "Several CRM actors match; the oldest one is updated"),
    COMPANY_FROM_PERSON: lazy_pgettext(
        "import warning", "A company is created using the person's name"),
    INVALID_EMAIL: lazy_pgettext(
        "import warning", "The e-mail address is not valid and is not imported"),
}


def warning_code(code: str, field: str | None = None) -> str:
    """A warning code, with the field key it is about (``truncated:NAME``)."""
    return f"{code}:{field}" if field else code


def reason_label(code: str | None) -> str:
    """The admin's text for a reason code ("" for none, the code if unknown)."""
    if not code:
        return ""
    label = REASON_LABELS.get(code)
    return str(label) if label is not None else code


def warning_label(code: str) -> str:
    """The admin's text for a warning code such as ``invalid_email`` or ``truncated:NAME``."""
    base, _, field = code.partition(":")
    if base == TRUNCATED:
        # Translators: %(field)s is an ERP field key such as NAME or POSTALCITY.
        return gettext("%(field)s is too long and is shortened", field=field)
    label = WARNING_LABELS.get(base)
    return str(label) if label is not None else code

"""A column mapping: which CRM field each column of a file goes to, its
checks, and turning rows into actors for the engine.

Row keys (``staged_actor.erp_key``). The engine stages a key once per import
and actor type. With a key column (mapped to ``ERPKEY``) that is the row's
key. Without one the key is ``<source id>:<row number>``, the source id being
the first 12 hex digits of the SHA-256 of the file's bytes (and the sheet's
name): stable for the same file, so adding the same file again adds nothing
twice, while two equal rows of one file stay two rows - and the engine's
duplicate detection on the duplicate match reports the second one as a
duplicate inside the import.

A person's company (``COMPANY``) becomes the person's parent: a customer
with the key ``~<company name>`` and only a NAME, staged after the persons
(see :mod:`.importing`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..connectors.base import ActorType, ErpActor
from ..connectors.restrictions import to_text
from ..engine.settings import ImportSettings
from ..engine.staging import KEY_LENGTH
from ..i18n import gettext
from . import errors
from .fields import COMPANY_FIELD, KEY_FIELD, missing, target_label, targets
from .reading import column_name

#: Prefix of the keys of companies made from a person's company name.
COMPANY_KEY_PREFIX = "~"
#: Parent actor type of those companies.
COMPANY_PARENT_TYPE = ActorType.CUSTOMER


def headers_hash(header: Sequence[str]) -> str:
    """Identifies a set of column names (case and surrounding spaces ignored)."""
    text = "\x1f".join((h or "").strip().casefold() for h in header)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_id(file_sha256: str, sheet: str | None = None) -> str:
    """The prefix of row keys of one file (and sheet)."""
    text = file_sha256 if not sheet else f"{file_sha256}/{sheet}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def company_key(name: str) -> str:
    """The key of the company made from a person's company name."""
    return (COMPANY_KEY_PREFIX + " ".join(name.split()))[:KEY_LENGTH]


def company_name_of(key: str) -> str:
    return key[len(COMPANY_KEY_PREFIX):]


@dataclass
class ColumnMapping:
    """``fields[i]`` is the field key column ``i`` goes to (None: not imported)."""

    header: list[str]
    fields: list[str | None]

    @property
    def key_index(self) -> int | None:
        return next((i for i, f in enumerate(self.fields) if f == KEY_FIELD), None)

    def pairs(self) -> list[list[Any]]:
        """``[[column name, field key or None], ...]`` as saved mappings store it."""
        return [[h, f] for h, f in zip(self.header, self.fields, strict=True)]

    def mapped(self) -> dict[str, str]:
        """Column name -> field key of the mapped columns."""
        return {column_name(self.header, i): f for i, f in enumerate(self.fields) if f}


def from_pairs(header: Sequence[str], pairs: Iterable[Sequence[Any]],
               actor_type: ActorType) -> list[str | None]:
    """A saved mapping applied to ``header``: columns with the same name
    (case ignored) get the saved field; names that occur twice are matched in
    order. Fields the actor type does not have are left out."""
    allowed = set(targets(actor_type))
    saved: dict[str, list[str | None]] = {}
    for pair in pairs:
        name, field = str(pair[0] or "").strip().casefold(), pair[1]
        saved.setdefault(name, []).append(field if field in allowed else None)
    result: list[str | None] = []
    for column in header:
        queue = saved.get((column or "").strip().casefold())
        result.append(queue.pop(0) if queue else None)
    return result


def check(mapping: ColumnMapping, actor_type: ActorType,
          settings: ImportSettings) -> list[str]:
    """Localized problems of a mapping (empty when it can be imported)."""
    problems: list[str] = []
    allowed = set(targets(actor_type))
    columns_of: dict[str, list[str]] = {}
    for index, field in enumerate(mapping.fields):
        if not field:
            continue
        if field not in allowed:
            # Translators: %(field)s is a field key, %(actor_type)s "Customers" or similar.
            problems.append(gettext("%(field)s cannot be imported into %(actor_type)s.",
                                    field=field, actor_type=actor_type.label))
            continue
        columns_of.setdefault(field, []).append(column_name(mapping.header, index))
    for field, columns in columns_of.items():
        if len(columns) > 1:
            # Translators: %(field)s is a CRM field, %(columns)s the file's columns.
            problems.append(gettext("%(field)s is chosen for more than one column (%(columns)s). "
                                    "Choose it for one column only.",
                                    field=target_label(field), columns=", ".join(columns)))
    if not any(f for f in columns_of if f != KEY_FIELD):
        problems.append(gettext("Choose a CRM field for at least one column."))
        return problems
    for requirement in missing(actor_type, settings, columns_of):
        # Translators: %(field)s is a CRM field (or two: "First name or Last name");
        # %(why)s is the reason, e.g. "the duplicate match is Number".
        problems.append(gettext("Choose a column for %(field)s: %(why)s.",
                                field=requirement.label(), why=requirement.why))
    return problems


class RowConverter:
    """Turns rows of a mapped file into :class:`ErpActor`\\ s for the engine."""

    def __init__(self, mapping: ColumnMapping, actor_type: ActorType, source: str,
                 label: str) -> None:
        self.actor_type = actor_type
        self.source = source
        self.label = label
        self.key_index = mapping.key_index
        self.key_column = (column_name(mapping.header, self.key_index)
                           if self.key_index is not None else None)
        self.company_index = next((i for i, f in enumerate(mapping.fields)
                                   if f == COMPANY_FIELD), None)
        if actor_type.is_company:
            self.company_index = None
        self.columns = [(i, f) for i, f in enumerate(mapping.fields)
                        if f and f not in (KEY_FIELD, COMPANY_FIELD)]

    def check(self, row: int, cells: Sequence[Any]) -> None:
        """Raise :class:`~.errors.FileSourceError` when the row's key is
        empty or too long (checked for the whole file before staging)."""
        if self.key_index is None:
            return
        key = to_text(cells[self.key_index])
        if key is None:
            raise errors.missing_key(self.label, row, str(self.key_column))
        if len(key) > KEY_LENGTH:
            raise errors.long_key(self.label, row, str(self.key_column), KEY_LENGTH)

    def key(self, row: int, cells: Sequence[Any]) -> str:
        if self.key_index is None:
            return f"{self.source}:{row}"
        return str(to_text(cells[self.key_index]))

    def actor(self, row: int, cells: Sequence[Any]) -> ErpActor:
        values = {}
        for index, field in self.columns:
            text = to_text(cells[index])
            if text is not None:
                values[field] = text
        actor = ErpActor(actor_type=self.actor_type, key=self.key(row, cells), fields=values)
        if self.company_index is not None:
            company = to_text(cells[self.company_index])
            if company is not None:
                values[COMPANY_FIELD] = company
                actor.parent_type = COMPANY_PARENT_TYPE
                actor.parent_key = company_key(company)
        return actor

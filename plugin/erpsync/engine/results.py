"""Values the engine returns, and its exceptions (re-exported by :mod:`.api`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ImportError_(Exception):
    """An import cannot go on; ``user_message`` is a LazyString for the admin."""

    def __init__(self, user_message: Any, technical: str = "") -> None:
        super().__init__(technical or str(user_message))
        self.user_message = user_message
        self.technical = technical


class StaleImportError(ImportError_):
    """The pending import was already imported (or is being imported)."""


@dataclass
class StageResult:
    added: int  # new staged rows (not counting parents_added)
    already: int  # rows that were staged before (staged once)
    parents_added: int = 0  # companies staged because a staged person belongs to them


@dataclass
class PreviewCounts:
    company_new: int = 0
    company_updated: int = 0
    person_new: int = 0
    person_updated: int = 0
    not_imported: int = 0
    checked: int = 0
    total: int = 0


@dataclass
class FieldChange:
    field: str  # field key (NAME, POSTALCITY, EMAIL, ...)
    old: str | None
    new: str | None


@dataclass
class PreviewRow:
    staged_id: int
    kind: str  # "company" | "person"
    actor_type: str
    erp_key: str
    display_name: str
    company_name: str | None  # a person's company, as it will be after import
    status: str  # company_new | company_updated | person_new | person_updated | not_imported
    reason: str | None  # code, see engine.reasons
    checked: bool
    changes: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # codes, see engine.reasons


@dataclass
class ImportResult:
    import_id: int
    new: int
    updated: int
    skipped: int
    new_selection_id: int | None
    updated_selection_id: int | None
    backup_path: Path | None = None


@dataclass
class ActorSummary:
    crm_type: str  # "company" | "person"
    crm_id: int
    name: str
    company_name: str | None
    city: str | None

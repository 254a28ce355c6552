"""The import engine's public API: what every import source delegates to.

Life of an import (one ``import_run`` row):

1. :meth:`ImportEngine.create_import` - a pending import in state ``staging``.
2. :meth:`ImportEngine.stage` (any number of times, several searches, several
   actor types): rows go to ``staged_actor``; nothing touches CRM tables.
3. :meth:`ImportEngine.save_settings` then :meth:`ImportEngine.preview`:
   classifies every staged row (set-based SQL) -> state ``previewed``.
4. :meth:`ImportEngine.set_checked` - the admin's checkboxes.
5. :meth:`ImportEngine.apply` - one transaction after a backup; a
   compare-and-set on the state makes a double submit import once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..connectors.base import ErpActor
from .settings import ImportSettings


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
    added: int  # new staged rows
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
class FieldChange:
    field: str  # field key (NAME, POSTALCITY, EMAIL, ...)
    old: str | None
    new: str | None


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


class ImportEngine:
    """The shared, set-based import engine bound to one database."""

    def __init__(self, db: Engine, backup_dir: Path | None = None) -> None:
        self.db = db
        self.backup_dir = backup_dir

    # -- pending imports ---------------------------------------------------
    def create_import(self, source: str, user_id: int | None) -> int: ...
    def open_import(self, source: str, user_id: int | None) -> int | None:
        """The user's pending import of ``source`` still in staging/previewed, if any."""
    def get_import(self, import_id: int) -> dict[str, Any]: ...
    def discard_import(self, import_id: int) -> None: ...

    # -- staging -------------------------------------------------------------
    def stage(self, import_id: int, connection_id: int | None,
              actors: Iterable[ErpActor], via_parent: bool = False) -> StageResult:
        """Stream actors into staging in batches (memory stays flat); the same
        (connection, actor type, ERP key) is staged once per import."""
    def staged_count(self, import_id: int) -> int: ...
    def list_staged(self, import_id: int, offset: int = 0, limit: int = 50) -> list[dict]: ...
    def missing_parents(self, import_id: int) -> dict[tuple[int | None, str], list[str]]:
        """Parent (connection id, actor type) -> ERP keys of companies that staged
        persons belong to but that are neither staged nor linked in the CRM."""
    def unstage(self, import_id: int, staged_ids: Iterable[int]) -> int: ...

    # -- settings and preview -------------------------------------------------
    def save_settings(self, import_id: int, settings: ImportSettings) -> None: ...
    def get_settings(self, import_id: int) -> ImportSettings: ...
    def preview(self, import_id: int) -> PreviewCounts:
        """Classify every staged row with a handful of set statements."""
    def preview_counts(self, import_id: int) -> PreviewCounts: ...
    def preview_rows(self, import_id: int, offset: int = 0, limit: int = 50,
                     status: str | None = None) -> list[PreviewRow]: ...
    def set_checked(self, import_id: int, staged_ids: Iterable[int] | None,
                    checked: bool) -> None:
        """Check/uncheck rows (None = all rows that can be imported)."""

    # -- apply -----------------------------------------------------------------
    def apply(self, import_id: int, user_id: int | None) -> ImportResult:
        """Import the checked rows in one transaction after a backup. Raises
        :class:`StaleImportError` when the import is not pending any more."""

    # -- results and selections --------------------------------------------
    def selection_members(self, selection_id: int, offset: int = 0,
                          limit: int = 50) -> list[ActorSummary]: ...
    def get_selection(self, selection_id: int) -> dict[str, Any] | None: ...
    def delete_selection_members(self, selection_id: int) -> int:
        """Delete the CRM actors of a selection (and their links, communications)."""

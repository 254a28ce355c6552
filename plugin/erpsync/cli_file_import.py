"""``erpsync import --file``: the File source without a browser.

The same steps as the dialogs: read the file (CSV or XLSX), map its columns,
stage its rows, then the shared import run of ``erpsync import``
(:func:`erpsync.cli_import.run_import`: settings, preview, import, the same
JSON result). Columns named by a field key (``NAME``, ``POSTALZIP``...) or
by a known name of one ("Bedrijfsnaam", "Postnummer"...) map themselves;
``--mapping`` applies a mapping saved in the dialog. Close spellings are not
guessed here, as nobody reviews them: unmapped columns are listed on stderr.

Everything is checked before anything is staged: a file that is not CSV or
XLSX, an empty or header-only file, a row wider than the header, a mapping
without the duplicate match's field exit with code 2 and change nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .cli_common import BadInput, Progress
from .connectors.base import ActorType
from .engine.settings import ImportSettings
from .filesource import reading, saved
from .filesource.errors import FileSourceError
from .filesource.fields import missing
from .filesource.importing import SOURCE_KEY, FilePlan, stage_file
from .filesource.mapping import ColumnMapping, check, from_pairs, source_id
from .filesource.synonyms import suggest
from .i18n import gettext, ngettext

__all__ = ["SOURCE_KEY", "file_sha256", "plan_file_import", "stage_file_plan"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(reading.CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def plan_file_import(db: Any, path: Path, sheet: str | None, actor_type: str | None,
                     mapping_name: str | None, settings: ImportSettings,
                     progress: Progress | None = None) -> FilePlan:
    """Read and check the file and its mapping; :class:`BadInput` on the first problem."""
    name = path.name
    if not path.is_file():
        # Translators: %(path)s is a file name given on the command line.
        raise BadInput(gettext("%(path)s does not exist or is not a file.", path=str(path)))
    try:
        fmt = reading.detect(path, name)
        if sheet and fmt.kind != reading.XLSX:
            raise BadInput(gettext("--sheet can only be used with an Excel workbook (.xlsx)."))
        chosen_sheet = (sheet or fmt.sheets[0]) if fmt.kind == reading.XLSX else None
        scan = reading.scan(path, name, fmt, chosen_sheet)
        sha = file_sha256(path)
    except FileSourceError as exc:
        raise BadInput(exc.user_message) from exc
    except OSError as exc:
        # Translators: %(path)s is a file name; %(reason)s the system's message.
        raise BadInput(gettext("%(path)s cannot be read: %(reason)s", path=str(path),
                               reason=exc.strerror or exc)) from exc

    stored = None
    if mapping_name:
        stored = saved.get(db, mapping_name)
        if stored is None:
            known = ", ".join(m.name for m in saved.list_saved(db)) or "-"
            # Translators: %(name)s is a mapping name typed by the user; %(known)s the saved ones.
            raise BadInput(gettext("There is no saved mapping %(name)s. Saved mappings: "
                                   "%(known)s", name=mapping_name, known=known))
    kind = ActorType(actor_type) if actor_type else (
        stored.actor_type if stored else ActorType.CUSTOMER)
    if stored is not None and stored.actor_type is not kind:
        # Translators: %(name)s is a saved mapping; %(type)s an actor type such as "Persons".
        raise BadInput(gettext("The saved mapping %(name)s is for %(type)s.",
                               name=stored.name, type=stored.actor_type.label))
    fields = (from_pairs(scan.header, stored.pairs, kind) if stored
              else suggest(scan.header, kind, fuzzy=False))
    mapping = ColumnMapping(list(scan.header), fields)
    problems = check(mapping, kind, settings)
    if problems:
        lacking = [key for r in missing(kind, settings, fields) for key in r.keys]
        if lacking:
            # Translators: %(keys)s lists field keys such as "NAME, VATNO"; keep --mapping.
            problems.append(gettext("A column named by its field key (%(keys)s) maps itself; "
                                    "or use --mapping with a mapping saved in the dialog.",
                                    keys=", ".join(lacking)))
        raise BadInput(" ".join(problems))
    if progress is not None:
        _describe(progress, mapping, scan.rows)
    return FilePlan(path=path, name=name, fmt=fmt, sheet=chosen_sheet, actor_type=kind,
                    mapping=mapping, settings=settings,
                    source=source_id(sha, chosen_sheet))


def _describe(progress: Progress, mapping: ColumnMapping, rows: int) -> None:
    pairs = ", ".join(f"{column} → {field}" for column, field in mapping.mapped().items())
    # Translators: %(pairs)s lists "column → FIELD" pairs of a file.
    progress.note(gettext("Columns: %(pairs)s", pairs=pairs))
    skipped = [reading.column_name(mapping.header, i)
               for i, f in enumerate(mapping.fields) if not f]
    if skipped:
        # Translators: %(columns)s lists column names of a file.
        progress.note(gettext("Not imported (no CRM field): %(columns)s",
                              columns=", ".join(skipped)))
    # Translators: %(num)s is the number of rows of a file.
    progress.note(ngettext("%(num)s row", "%(num)s rows", rows, num=rows))


def stage_file_plan(engine: Any, import_id: int, plan: FilePlan, progress: Progress) -> int:
    """The staging step of :func:`erpsync.cli_import.run_import` for a file:
    returns how many rows were staged (companies of persons included)."""

    def watch(actors: Any) -> Any:
        # Translators: %(file)s is a file name.
        return progress.count(actors, gettext("Reading %(file)s…", file=plan.name),
                              # Translators: %(num)s is a number of rows read so far.
                              done=lambda n: gettext("%(num)s rows read", num=n))

    try:
        result = stage_file(engine, import_id, plan, watch=watch)
    except FileSourceError as exc:
        raise BadInput(exc.user_message) from exc
    if result.already:
        # Translators: %(num)s is a number of rows of a file.
        progress.note(ngettext("%(num)s row has a key that was staged already",
                               "%(num)s rows have a key that was staged already",
                               result.already, num=result.already))
    if result.parents:
        # Translators: %(num)s is a number of companies.
        progress.note(gettext("%(num)s companies staged because staged persons belong to them",
                              num=result.parents))
    return result.added + result.parents

"""Past imports: the history list, one import's record, the time of the last
import of a connection and actor type (for "re-import what changed"), and
localized names of the selections imports create."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import Connection, and_, exists, func, select

from ..i18n import SUPPORTED_LOCALES, babel_locale, gettext, use_locale
from .schema import erp_connection, import_run, selection, staged_actor
from .selections import KIND_NEW, KIND_UPDATED
from .states import DONE

sa = staged_actor
run = import_run.c

#: States shown in the history (pending imports are listed on the Import screen).
HISTORY_STATES = ("importing", "done", "failed", "undone")
#: "Re-import changed since the last import" looks this far before the last
#: import too: clocks of the ERP and the CRM may differ a little, and an actor
#: changed while the last import was being staged must not be missed.
CHANGED_SINCE_OVERLAP = timedelta(minutes=5)


@dataclass
class SourcePart:
    """Staged rows of one import from one connection and actor type."""

    connection_id: int | None
    connection_name: str | None
    actor_type: str
    count: int


def list_imports(conn: Connection, offset: int = 0, limit: int = 50,
                 states: Iterable[str] = HISTORY_STATES) -> list[dict[str, Any]]:
    """One page of past imports, newest first: the ``import_run`` columns plus
    ``duration`` (a timedelta or None) and ``parts`` (:class:`SourcePart` list)."""
    rows = [dict(r) for r in conn.execute(
        select(import_run).where(run.state.in_(list(states)))
        .order_by(run.id.desc()).offset(offset).limit(limit)).mappings()]
    _add_details(conn, rows)
    return rows


def count_imports(conn: Connection, states: Iterable[str] = HISTORY_STATES) -> int:
    return int(conn.scalar(select(func.count()).select_from(import_run)
                           .where(run.state.in_(list(states)))) or 0)


def get_import(conn: Connection, import_id: int) -> dict[str, Any] | None:
    """One import with ``duration``, ``parts`` and its ``selections`` (id, kind,
    name, created_at of those still there), or None."""
    row = conn.execute(select(import_run).where(run.id == import_id)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    _add_details(conn, [out])
    out["selections"] = [dict(s) for s in conn.execute(
        select(selection.c.id, selection.c.kind, selection.c.name, selection.c.created_at)
        .where(selection.c.import_id == import_id).order_by(selection.c.id)).mappings()]
    return out


def _add_details(conn: Connection, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        started, finished = row.get("started_at"), row.get("finished_at")
        row["duration"] = (_aware(finished) - _aware(started)
                           if started is not None and finished is not None else None)
        row["parts"] = []
    by_id = {row["id"]: row for row in rows}
    if not by_id:
        return
    query = (select(sa.c.import_id, sa.c.connection_id, erp_connection.c.name, sa.c.actor_type,
                    func.count())
             .select_from(sa.outerjoin(erp_connection, erp_connection.c.id == sa.c.connection_id))
             .where(sa.c.import_id.in_(list(by_id)))
             .group_by(sa.c.import_id, sa.c.connection_id, erp_connection.c.name,
                       sa.c.actor_type)
             .order_by(sa.c.import_id, sa.c.connection_id, sa.c.actor_type))
    for import_id, connection_id, name, actor_type, count in conn.execute(query):
        by_id[import_id]["parts"].append(SourcePart(connection_id, name, actor_type, int(count)))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def last_import_time(conn: Connection, connection_id: int, actor_type: str) -> datetime | None:
    """When the newest done import of ``actor_type`` from the connection began
    (its ERP rows were read after that), or None. Imports that were undone,
    and companies staged only because persons belong to them, do not count."""
    query = (select(func.max(run.created_at)).where(
        run.state == DONE,
        exists().where(and_(sa.c.import_id == run.id, sa.c.connection_id == connection_id,
                            sa.c.actor_type == actor_type, sa.c.via_parent.is_(False)))))
    found = conn.scalar(query)
    return _aware(found) if found is not None else None


def changed_since_start(conn: Connection, connection_id: int, actor_type: str,
                        overlap: timedelta = CHANGED_SINCE_OVERLAP) -> datetime | None:
    """Where "re-import changed since the last import" starts: the last import's
    time minus ``overlap``; None when there was no such import."""
    last = last_import_time(conn, connection_id, actor_type)
    return last - overlap if last is not None else None


# -- selection names ------------------------------------------------------------------
def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    local = _aware(value).astimezone()
    return format_datetime(local, format="short", locale=babel_locale())


def _generated_title(kind: str, created_at: datetime | None) -> str:
    when = _when(created_at)
    if kind == KIND_NEW:
        # Translators: name of the selection holding the actors an import created;
        # %(date)s is the date and time of the import.
        return gettext("Imported %(date)s: new actors", date=when)
    # Translators: name of the selection holding the actors an import updated;
    # %(date)s is the date and time of the import.
    return gettext("Imported %(date)s: updated actors", date=when)


def selection_title(selection_row: Mapping[str, Any]) -> str:
    """The name of a selection in the current language. An import's selections
    are stored with a name in the language of whoever ran the import: that name
    is made again from the kind and date in this language. A name someone gave
    a selection (not one the engine made) and other selections stay as they are."""
    kind = selection_row.get("kind")
    name = str(selection_row.get("name") or "")
    if kind not in (KIND_NEW, KIND_UPDATED):
        return name
    created_at = selection_row.get("created_at")
    if name:
        made = set()
        for locale in SUPPORTED_LOCALES:
            with use_locale(locale):
                made.add(_generated_title(kind, created_at))
        if name not in made:
            return name
    return _generated_title(kind, created_at)

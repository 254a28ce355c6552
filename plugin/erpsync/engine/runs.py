"""The ``import_run`` row: creating, finding and moving an import between states."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from ..i18n import lazy_gettext
from .results import ImportError_, StaleImportError
from .schema import import_run, staged_actor
from .settings import ImportSettings
from .sqlutil import utcnow
from .states import FAILED, PENDING, STAGING

MSG_NOT_FOUND = lazy_gettext("This import does not exist (any more).")
MSG_NOT_PENDING = lazy_gettext(
    "This import was already imported or is being imported. Start a new import to "
    "import these actors again.")


def create(conn: Connection, source: str, user_id: int | None,
           settings: ImportSettings | None = None) -> int:
    result = conn.execute(import_run.insert().values(
        source=source, user_id=user_id, state=STAGING,
        settings=(settings or ImportSettings()).to_json(), created_at=utcnow()))
    return int(result.inserted_primary_key[0])


def find_open(conn: Connection, source: str, user_id: int | None) -> int | None:
    run = import_run.c
    user = run.user_id.is_(None) if user_id is None else run.user_id == user_id
    return conn.scalar(select(run.id).where(run.source == source, user, run.state.in_(PENDING))
                       .order_by(run.id.desc()).limit(1))


def get(conn: Connection, import_id: int) -> dict[str, Any]:
    row = conn.execute(select(import_run).where(import_run.c.id == import_id)).mappings().first()
    if row is None:
        raise ImportError_(MSG_NOT_FOUND, f"import {import_id} not found")
    return dict(row)


def state_of(conn: Connection, import_id: int) -> str:
    state = conn.scalar(select(import_run.c.state).where(import_run.c.id == import_id))
    if state is None:
        raise ImportError_(MSG_NOT_FOUND, f"import {import_id} not found")
    return str(state)


def require_pending(conn: Connection, import_id: int) -> str:
    """The state of a pending import; raises :class:`StaleImportError` otherwise."""
    state = state_of(conn, import_id)
    if state not in PENDING:
        raise StaleImportError(MSG_NOT_PENDING, f"import {import_id} is {state}")
    return state


def set_state(conn: Connection, import_id: int, state: str, *,
              expected: tuple[str, ...] | None = None, **values: Any) -> bool:
    """Move the import to ``state`` (compare-and-set when ``expected`` is given);
    False when the import was not in an expected state."""
    stmt = import_run.update().where(import_run.c.id == import_id)
    if expected is not None:
        stmt = stmt.where(import_run.c.state.in_(expected))
    return conn.execute(stmt.values(state=state, **values)).rowcount == 1


def mark_outdated(conn: Connection, import_id: int) -> None:
    """Staged rows or settings changed: the preview must run again."""
    if not set_state(conn, import_id, STAGING, expected=PENDING):
        require_pending(conn, import_id)


def settings_of(conn: Connection, import_id: int) -> ImportSettings:
    data = conn.scalar(select(import_run.c.settings).where(import_run.c.id == import_id))
    return ImportSettings.from_json(data)


def save_settings(conn: Connection, import_id: int, settings: ImportSettings) -> None:
    require_pending(conn, import_id)
    conn.execute(import_run.update().where(import_run.c.id == import_id)
                 .values(settings=settings.to_json()))
    mark_outdated(conn, import_id)


def discard(conn: Connection, import_id: int) -> None:
    """Delete a pending (or failed) import with its staged rows."""
    state = state_of(conn, import_id)
    if state not in (*PENDING, FAILED):
        raise StaleImportError(MSG_NOT_PENDING, f"import {import_id} is {state}")
    conn.execute(delete(staged_actor).where(staged_actor.c.import_id == import_id))
    conn.execute(delete(import_run).where(import_run.c.id == import_id))


def reopen(conn: Connection, import_id: int) -> None:
    """A failed import (nothing was written) becomes pending again."""
    if not set_state(conn, import_id, STAGING, expected=(FAILED,)):
        raise StaleImportError(MSG_NOT_PENDING, f"import {import_id} is not failed")

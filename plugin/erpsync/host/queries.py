"""Read-only queries behind the host's Settings and maintenance pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from ..engine.schema import import_run, selection, selection_member, staged_actor
from .models import app_user

PENDING_STATES = ("staging", "previewed")
FINISHED_STATES = ("done", "failed", "undone")


def pending_imports(db: Engine, user_id: int) -> list[dict[str, Any]]:
    """The user's imports not yet applied, newest first, with their staged row counts."""
    counts = (select(staged_actor.c.import_id, func.count().label("staged"))
              .group_by(staged_actor.c.import_id).subquery())
    query = (
        select(import_run.c.id, import_run.c.source, import_run.c.state,
               import_run.c.created_at, func.coalesce(counts.c.staged, 0).label("staged"))
        .select_from(import_run.outerjoin(counts, counts.c.import_id == import_run.c.id))
        .where(import_run.c.user_id == user_id, import_run.c.state.in_(PENDING_STATES))
        .order_by(import_run.c.id.desc())
    )
    with db.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def recent_imports(db: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """Finished imports of every user, newest first."""
    query = (
        select(import_run.c.id, import_run.c.source, import_run.c.state,
               import_run.c.finished_at, import_run.c.new_count, import_run.c.updated_count,
               import_run.c.skipped_count, import_run.c.new_selection_id,
               import_run.c.updated_selection_id, app_user.c.display_name.label("user_name"))
        .select_from(import_run.outerjoin(app_user, app_user.c.id == import_run.c.user_id))
        .where(import_run.c.state.in_(FINISHED_STATES))
        .order_by(import_run.c.id.desc())
        .limit(limit)
    )
    with db.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def selections(db: Engine, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
    """Selections, newest first, with their member counts."""
    counts = (select(selection_member.c.selection_id, func.count().label("members"))
              .group_by(selection_member.c.selection_id).subquery())
    query = (
        select(selection.c.id, selection.c.name, selection.c.kind, selection.c.import_id,
               selection.c.created_at, func.coalesce(counts.c.members, 0).label("members"))
        .select_from(selection.outerjoin(counts, counts.c.selection_id == selection.c.id))
        .order_by(selection.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    with db.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]

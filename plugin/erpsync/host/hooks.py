"""The reference host's answers to erpsync's host hooks (see :mod:`erpsync.hookspecs`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from .. import hookimpl
from ..app import CurrentUser
from ..engine.backup import BackupOptions
from ..paths import TEMPLATES_DIR
from ..security import session_csrf_token
from . import settings as host_settings
from . import users
from .urls import url_for

#: Templates that override erpsync's own so the plugin's pages wear the host's chrome.
HOST_OVERRIDES_DIR = TEMPLATES_DIR / "host_overrides"

#: Where the current user is cached on ``request.state`` for the rest of the request.
_USER_CACHE = "host_current_user"
_NOBODY = object()


class HostHooks:
    """Host hook implementations bound to one database and data directory.

    Register an instance with :class:`erpsync.app.ErpSync` (``host_plugins=[...]``).
    """

    def __init__(self, db: Engine, data_dir: Path, backup: BackupOptions | None = None) -> None:
        self.db = db
        self.data_dir = Path(data_dir)
        self.backup = backup
        self._engine: Any = None
        self._engine_lock = threading.Lock()

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @hookimpl
    def erpsync_setting(self, erpsync: Any, name: str) -> Any:
        if name == "backup_dir":
            return str(self.backup_dir)
        if name == "upload_dir":  # the File source's uploads wait here
            return str(self.data_dir / "uploads")
        return host_settings.get_setting(self.db, name)

    @hookimpl
    def erpsync_current_user(self, erpsync: Any, request: Any) -> CurrentUser | None:
        return current_user(self.db, request)

    @hookimpl
    def erpsync_import_engine(self, erpsync: Any) -> Any:
        # Built once, on first use, so that importing the host does not need the engine.
        with self._engine_lock:
            if self._engine is None:
                from ..engine.api import ImportEngine

                self._engine = ImportEngine.from_environment(self.db, self.backup_dir,
                                                             self.backup)
            return self._engine

    @hookimpl
    def erpsync_url(self, erpsync: Any, name: str, params: dict[str, Any]) -> str | None:
        return url_for(name, **(params or {}))

    @hookimpl
    def erpsync_csrf_token(self, erpsync: Any, request: Any) -> str | None:
        # One token per session for the host's forms and erpsync's dialogs alike.
        return session_csrf_token(request)

    @hookimpl
    def erpsync_template_dirs(self, erpsync: Any) -> list[Path]:
        return [HOST_OVERRIDES_DIR]


def current_user(db: Engine, request: Any) -> CurrentUser | None:
    """The user logged in on ``request`` (``session["user_id"]``), cached per request."""
    state = getattr(request, "state", None)
    cached = getattr(state, _USER_CACHE, None) if state is not None else None
    if cached is not None:
        return None if cached is _NOBODY else cached
    user: CurrentUser | None = None
    session = request.session if "session" in request.scope else {}
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        row = users.get_user(db, user_id)
        if row is not None:
            user = CurrentUser(id=row.id, username=row.username, display_name=row.display_name,
                               may_admin=bool(row.is_admin), locale=row.locale)
    if state is not None:
        setattr(state, _USER_CACHE, user if user is not None else _NOBODY)
    return user


def forget_current_user(request: Any) -> None:
    """Drop the per-request cache (after login, logout or a profile change)."""
    state = getattr(request, "state", None)
    if state is not None and hasattr(state, _USER_CACHE):
        delattr(state, _USER_CACHE)

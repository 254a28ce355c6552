"""The hook contract between erpsync, its plugins and the CRM host.

Two directions:

* **Plugins answer the host** (every implementation is called, results are
  collected into a list): :func:`erpsync_connectors`, :func:`erpsync_import_sources`,
  :func:`erpsync_routes`, :func:`erpsync_template_dirs`.
* **The host answers plugins** (``firstresult``: the first non-None answer wins,
  built-in defaults are ``trylast``): :func:`erpsync_setting`,
  :func:`erpsync_current_user`, :func:`erpsync_import_engine`, :func:`erpsync_url`,
  :func:`erpsync_csrf_token`.

Every hook receives ``erpsync``, the :class:`erpsync.app.ErpSync` object that
owns the plugin manager, so implementations can call other hooks through it.
"""

from __future__ import annotations

from typing import Any

from . import hookspec

# ------------------------------------------------------------ plugins -> host


@hookspec
def erpsync_connectors(erpsync: Any) -> list[type] | None:
    """Connector classes this plugin provides (subclasses of
    :class:`erpsync.connectors.base.Connector`), keyed by their ``name``."""


@hookspec
def erpsync_import_sources(erpsync: Any) -> list[Any] | None:
    """Import sources (:class:`erpsync.sources.base.ImportSource`) to show on
    the **Select an import source** screen."""


@hookspec
def erpsync_routes(erpsync: Any) -> list[Any] | None:
    """Starlette routes to serve inside the erpsync ASGI app that the host mounts
    (see :meth:`erpsync.app.ErpSync.asgi_app`). Paths are relative to the mount."""


@hookspec
def erpsync_template_dirs(erpsync: Any) -> list[Any] | None:
    """Template directories searched before erpsync's own, so a host or plugin can
    override any template (``default:`` prefix reaches the original)."""


# ------------------------------------------------------------ host -> plugins


@hookspec(firstresult=True)
def erpsync_setting(erpsync: Any, name: str) -> Any:
    """A host setting by name. Known names:

    * ``"erp_sync_enabled"`` (bool): ERP synchronization is on (Quote/Sync › Sync
      tab); while it is on the ERP Sync import source is disabled.
    * ``"default_locale"`` (str): the host's default language.
    * ``"backup_dir"`` (str): where SQLite backups before an import go.
    * ``"upload_dir"`` (str): where the File source keeps uploaded files until
      they are staged (default: ``uploads`` next to ``backup_dir``).
    """


@hookspec(firstresult=True)
def erpsync_current_user(erpsync: Any, request: Any) -> Any:
    """The logged-in user of ``request`` as :class:`erpsync.app.CurrentUser`,
    or None when nobody is logged in."""


@hookspec(firstresult=True)
def erpsync_import_engine(erpsync: Any) -> Any:
    """The :class:`erpsync.engine.api.ImportEngine` bound to the host's database."""


@hookspec(firstresult=True)
def erpsync_url(erpsync: Any, name: str, params: dict[str, Any]) -> str | None:
    """A URL of the host's own pages, for links from erpsync's dialogs. Names:
    ``"sync_settings"`` (Quote/Sync › Sync tab), ``"import_sources"`` (the
    Import screen), ``"settings"`` (Settings and maintenance), ``"login"``,
    ``"import_history"`` (past imports; the result page links to it)."""


@hookspec(firstresult=True)
def erpsync_csrf_token(erpsync: Any, request: Any) -> str | None:
    """The anti-forgery token of the session behind ``request``: the same value
    for every request of one session, random and secret. Every form of the
    dialogs posts it as ``csrf_token`` and every POST to them must carry it.
    Default (``trylast``): a token kept in ``request.session`` when the host uses
    Starlette's ``SessionMiddleware``; None when there is no session (then the
    dialogs rely on their ``Origin``/``Sec-Fetch-Site`` check alone)."""

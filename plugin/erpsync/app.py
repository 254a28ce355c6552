"""The object a host creates to run erpsync: plugin manager, renderer, helpers.

A host does::

    from erpsync.app import ErpSync
    erpsync = ErpSync(host_plugins=[my_host_hooks])
    app.mount("/settings/import", erpsync.asgi_app())

and implements the host hooks of :mod:`erpsync.hookspecs` in ``my_host_hooks``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pluggy
from jinja2 import pass_context

from . import i18n
from .plugins import get_plugin_manager
from .rendering import Renderer


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user as erpsync needs to know them."""

    id: int
    username: str
    display_name: str
    #: Has the *Settings and maintenance* right (may import, manage connections).
    may_admin: bool
    #: The user's profile language, if set (any host code: nb_NO, nl, ...).
    locale: str | None = None


class ErpSync:
    """Owns the plugin manager; every hook gets this object as ``erpsync``."""

    def __init__(self, pm: pluggy.PluginManager | None = None, *,
                 host_plugins: Iterable[object] = (), load_entry_points: bool = True) -> None:
        self.pm = pm or get_plugin_manager(load_entry_points=load_entry_points)
        for plugin in host_plugins:
            if not self.pm.is_registered(plugin):
                self.pm.register(plugin)
        dirs: list[Path] = []
        for result in self.pm.hook.erpsync_template_dirs(erpsync=self):
            dirs.extend(Path(d) for d in (result or []))
        self.renderer = Renderer(dirs)
        # {{ csrf_field() }}: the hidden anti-forgery field of every POST form
        # (the template's ``request`` says whose session).
        self.renderer.add_globals(csrf_field=self._csrf_field)
        self._asgi_app: Any = None
        self._jobs: Any = None
        self._jobs_lock = threading.Lock()

    # -- host answers ------------------------------------------------------
    def setting(self, name: str, default: Any = None) -> Any:
        value = self.pm.hook.erpsync_setting(erpsync=self, name=name)
        return default if value is None else value

    @property
    def engine(self) -> Any:
        """The host's :class:`erpsync.engine.api.ImportEngine`."""
        engine = self.pm.hook.erpsync_import_engine(erpsync=self)
        if engine is None:
            raise RuntimeError("the host implements no erpsync_import_engine hook")
        return engine

    @property
    def jobs(self) -> Any:
        """The :class:`erpsync.engine.jobs.JobRunner` that applies imports in
        worker threads of this process (created on first use). A host calls
        ``erpsync.jobs.start()`` when it starts (imports left ``importing`` by a
        dead process are marked failed) and ``erpsync.jobs.shutdown()`` when it stops."""
        with self._jobs_lock:
            if self._jobs is None:
                from .engine.jobs import JobRunner

                self._jobs = JobRunner(lambda: self.engine)
            return self._jobs

    def host_url(self, name: str, **params: Any) -> str | None:
        return self.pm.hook.erpsync_url(erpsync=self, name=name, params=params)

    def current_user(self, request: Any) -> CurrentUser | None:
        return self.pm.hook.erpsync_current_user(erpsync=self, request=request)

    def csrf_token(self, request: Any) -> str | None:
        """The session's anti-forgery token (:func:`erpsync.hookspecs.erpsync_csrf_token`),
        or None when the host has no sessions."""
        return self.pm.hook.erpsync_csrf_token(erpsync=self, request=request)

    async def csrf_ok(self, request: Any) -> bool:
        """Whether a state-changing ``request`` carries the session's token
        (form field ``csrf_token``, header ``X-CSRF-Token``, or for a multipart
        upload the ``csrf_token`` query parameter). True when the host has no
        sessions: then only the ``Origin`` check protects the forms."""
        from . import security

        expected = self.csrf_token(request)
        if expected is None:
            return True
        return security.csrf_matches(expected, await security.posted_csrf_token(request))

    @pass_context
    def _csrf_field(self, context: Any) -> Any:
        from .security import csrf_input

        request = context.get("request")
        return csrf_input(self.csrf_token(request) if request is not None else None)

    def locale_for(self, request: Any) -> str:
        """``?lang=``, then the user's profile, then ``Accept-Language``, then the
        host default; always one of :data:`erpsync.i18n.SUPPORTED_LOCALES`."""
        state_locale = getattr(getattr(request, "state", None), "erpsync_locale", None)
        user = self.current_user(request)
        return i18n.negotiate_locale(
            request.query_params.get("lang"),
            state_locale,
            user.locale if user else None,
            accept_language=request.headers.get("accept-language"),
            default=self.setting("default_locale", i18n.DEFAULT_LOCALE),
        )

    # -- plugin answers ----------------------------------------------------
    def connector_classes(self) -> dict[str, type]:
        classes: dict[str, type] = {}
        for result in self.pm.hook.erpsync_connectors(erpsync=self):
            for cls in result or []:
                classes.setdefault(cls.name, cls)
        return classes

    def import_sources(self) -> list[Any]:
        sources = [s for result in self.pm.hook.erpsync_import_sources(erpsync=self)
                   for s in (result or [])]
        return sorted(sources, key=lambda s: (s.order, s.key))

    def routes(self) -> list[Any]:
        return [r for result in self.pm.hook.erpsync_routes(erpsync=self) for r in (result or [])]

    # -- the web UI ----------------------------------------------------------
    def asgi_app(self) -> Any:
        """The ASGI app with every dialog: the shared import pages, the routes of
        all plugins (:func:`erpsync.hookspecs.erpsync_routes`) and the dialogs'
        CSS/JS under ``/ui-static``. The host mounts it, e.g. at ``/erpsync``.
        Built once and cached."""
        if self._asgi_app is None:
            from .ui.asgi import build_app

            self._asgi_app = build_app(self)
        return self._asgi_app

    def url_for(self, request: Any, name: str, /,
                query: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
                **path_params: Any) -> str:
        """Absolute path of the erpsync route ``name`` for a request served inside
        the erpsync app (the mount point comes from the request's ``root_path``);
        ``query`` (a mapping or pairs, None values left out) becomes the query string."""
        path = self.asgi_app().router.url_path_for(name, **path_params)
        url = request.scope.get("root_path", "").rstrip("/") + str(path)
        if query:
            pairs = query.items() if isinstance(query, Mapping) else query
            encoded = urlencode([(k, v) for k, v in pairs if v is not None], doseq=False)
            if encoded:
                url += "?" + encoded
        return url

    def render(self, request: Any, template: str, status_code: int = 200,
               **ctx: Any) -> Any:
        """Render ``template`` in the request's locale (:meth:`locale_for`) as an
        :class:`~starlette.responses.HTMLResponse`.

        Every template gets ``request``, ``erpsync``, ``user`` (or None),
        ``url(name, query=None, **path_params)`` for erpsync routes,
        ``host_url(name, **params)`` for the host's pages, ``static(path)``
        for the dialogs' assets, ``csrf_field()`` (the hidden anti-forgery field
        every POST form carries) and ``csrf_token()``, besides ``ctx``.
        """
        from starlette.responses import HTMLResponse

        locale = self.locale_for(request)
        context: dict[str, Any] = {
            "request": request,
            "erpsync": self,
            "user": self.current_user(request),
            "url": lambda name, /, query=None, **params: self.url_for(
                request, name, query=query, **params),
            "host_url": self.host_url,
            "static": lambda path: self.url_for(request, "erpsync_static", path=path),
            # The bare token, for a multipart form's action (see csrf_ok).
            "csrf_token": lambda: self.csrf_token(request) or "",
        }
        context.update(ctx)
        html = self.renderer.render(template, locale=locale, **context)
        return HTMLResponse(html, status_code=status_code,
                            headers={"Content-Language": locale})

"""The reference CRM host: a Starlette application that runs the erpsync plugin.

    from erpsync.host.app import create_app
    app = create_app()            # SQLite in the data directory
    # uvicorn "erpsync.host.app:create_app" --factory

Routes: the host's pages (see :mod:`erpsync.host.pages`), ``/healthz``
(:mod:`erpsync.host.health`), ``/static`` and the plugin's ASGI app mounted at
:data:`erpsync.host.urls.PLUGIN_MOUNT` (``/erpsync``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from .. import secrets as connection_secrets
from ..app import ErpSync
from ..db import default_data_dir, make_engine
from ..engine.backup import BackupOptions
from ..logging_setup import RequestLogMiddleware
from ..paths import STATIC_DIR
from ..security import LoginThrottle, SecureCookiesMiddleware
from . import health
from .chrome import HostChrome
from .database import ensure_schema
from .hooks import HostHooks
from .middleware import LocaleMiddleware, SecurityHeadersMiddleware
from .models import login_failure
from .pages import routes as page_routes
from .urls import PLUGIN_MOUNT, STATIC_MOUNT

log = logging.getLogger(__name__)

SECRET_KEY_ENV = "ERPSYNC_SECRET_KEY"
SECRET_KEY_FILE = "secret_key"
SESSION_COOKIE = "erpsync_session"
#: Sessions last two weeks (the cookie is signed; its content is visible to its owner).
SESSION_MAX_AGE = 14 * 24 * 3600


def create_app(db_url: str | None = None, data_dir: Path | None = None,
               secret_key: str | None = None, *, plugins: Iterable[object] = (),
               load_entry_points: bool = True, https_only: bool = False,
               backup: BackupOptions | None = None) -> Starlette:
    """Build the reference host.

    ``db_url`` defaults to ``ERPSYNC_DB`` or a SQLite file in ``data_dir``
    (default :func:`erpsync.db.default_data_dir`). The session secret is
    ``secret_key``, else ``ERPSYNC_SECRET_KEY``, else a key generated once into
    ``data_dir/secret_key``. ``plugins`` are extra erpsync plugins to register
    (tests use it for fake import sources). ``backup``: how imports back up the
    database (default: from the environment, read here so that a bad value
    stops the start, not the first import; ValueError).
    """
    backup = backup or BackupOptions.from_environment()
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    if db_url is None:
        db_url = os.environ.get("ERPSYNC_DB") or f"sqlite:///{data_dir / 'erpsync.sqlite'}"
    db = make_engine(db_url)
    ensure_schema(db)
    # ERP connection passwords: ERPSYNC_SECRET_KEY-derived key, else a key file here.
    connection_secrets.bind(db, data_dir)

    hooks = HostHooks(db, data_dir, backup)
    erpsync = ErpSync(host_plugins=[hooks, *plugins], load_entry_points=load_entry_points)
    erpsync.renderer.add_globals(host=HostChrome(erpsync))

    routes: list[BaseRoute] = [
        *health.routes(),  # /healthz: no login, no session
        *page_routes(),
        Mount(STATIC_MOUNT, app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if hasattr(erpsync, "asgi_app"):
        routes.append(Mount(PLUGIN_MOUNT, app=erpsync.asgi_app(), name="erpsync"))
    else:  # pragma: no cover - only while the plugin app is being written
        log.warning("ErpSync.asgi_app() is missing: the plugin's pages are not served")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Background imports: marks imports a dead process left "importing" as failed.
        await run_in_threadpool(erpsync.jobs.start)
        try:
            yield
        finally:
            await run_in_threadpool(erpsync.jobs.shutdown)
            db.dispose()

    middleware = [
        Middleware(RequestLogMiddleware),  # one JSON line per request
        Middleware(SecureCookiesMiddleware),  # Secure cookies when served over HTTPS
        Middleware(SecurityHeadersMiddleware),
        Middleware(SessionMiddleware, secret_key=_secret_key(secret_key, data_dir),
                   session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                   same_site="lax", https_only=https_only),
        Middleware(LocaleMiddleware, erpsync=erpsync, db=db),
    ]
    # 500 pages are sent outside the middleware: health.server_error adds the headers.
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={500: health.server_error})
    app.state.db = db
    # Failed logins per username and address, in the database (every process sees them).
    app.state.login_throttle = LoginThrottle(db, login_failure)
    app.state.erpsync = erpsync
    app.state.data_dir = data_dir
    app.state.hooks = hooks
    return app


def _secret_key(explicit: str | None, data_dir: Path) -> str:
    """The session signing key: argument, environment, or a file made once."""
    if explicit:
        return explicit
    from_env = os.environ.get(SECRET_KEY_ENV)
    if from_env:
        return from_env
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    # Readable by the owner only. O_EXCL: when two processes start at once, the
    # second reads the first one's key instead of writing its own.
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if path.exists() else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip() or key
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key

"""A second CRM host for erpsync, as small as a host can be: a bare ASGI callable
(no web framework), its own users and login, its own settings, its own Import and
ERP connections pages. It talks to erpsync only through the documented contract
(docs/hooks.md): the ``ErpSync`` object, entry-point plugins, the eight hooks and
the mounted ASGI app. It never imports ``erpsync.host`` (the reference host).

    app = MiniCrm(Path("data"))       # an ASGI application
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import create_engine

from erpsync import hookimpl
from erpsync.app import CurrentUser, ErpSync
from erpsync.connections import ConnectionStore
from erpsync.db import metadata
from erpsync.engine import schema  # noqa: F401 - puts the CRM and engine tables on metadata
from erpsync.engine.api import ImportEngine

#: Where the host mounts erpsync's dialogs.
MOUNT = "/erp-import"
COOKIE = "minicrm"
TEMPLATES = Path(__file__).resolve().parent / "templates"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class MiniHostHooks:
    """The host's answers to erpsync (host -> plugin hooks), plus a template dir."""

    def __init__(self, crm: MiniCrm) -> None:
        self.crm = crm

    @hookimpl
    def erpsync_setting(self, erpsync: Any, name: str) -> Any:
        return self.crm.settings.get(name)

    @hookimpl
    def erpsync_current_user(self, erpsync: Any, request: Any) -> CurrentUser | None:
        return self.crm.user_of(request.cookies.get(COOKIE))

    @hookimpl
    def erpsync_csrf_token(self, erpsync: Any, request: Any) -> str | None:
        return self.crm.csrf_tokens.get(request.cookies.get(COOKIE) or "")

    @hookimpl
    def erpsync_import_engine(self, erpsync: Any) -> ImportEngine:
        return self.crm.engine

    @hookimpl
    def erpsync_url(self, erpsync: Any, name: str, params: dict[str, Any]) -> str | None:
        paths = {"settings": "/admin", "import_sources": "/admin/import",
                 "sync_settings": "/admin/sync", "connections": "/admin/connections",
                 "login": "/login"}
        path = paths.get(name)
        if path and name == "login" and params.get("next"):
            path += "?" + urlencode({"next": params["next"]})
        return path

    @hookimpl
    def erpsync_template_dirs(self, erpsync: Any) -> list[Path]:
        # erpsync/layout.html here extends "default:erpsync/layout.html".
        return [TEMPLATES]


class MiniCrm:
    """The ASGI application of the minimal host."""

    #: username -> (password, may_admin, locale)
    USERS = {"boss": ("secret", True, "nb_NO"), "clerk": ("secret", False, None)}

    def __init__(self, data_dir: Path, *, load_entry_points: bool = True) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.db = create_engine(f"sqlite:///{data_dir / 'minicrm.sqlite'}")
        metadata.create_all(self.db)
        self.engine = ImportEngine(self.db, data_dir / "backups")
        self.settings: dict[str, Any] = {"erp_sync_enabled": False, "default_locale": "en"}
        self.sessions: dict[str, str] = {}
        #: session token -> its anti-forgery token (for erpsync's forms).
        self.csrf_tokens: dict[str, str] = {}
        self.erpsync = ErpSync(host_plugins=[MiniHostHooks(self)],
                               load_entry_points=load_entry_points)
        self.plugin_app = self.erpsync.asgi_app()

    # -- users -----------------------------------------------------------------
    def user_of(self, token: str | None) -> CurrentUser | None:
        name = self.sessions.get(token or "")
        if name is None:
            return None
        _, may_admin, locale = self.USERS[name]
        return CurrentUser(id=list(self.USERS).index(name) + 1, username=name,
                           display_name=name.title(), may_admin=may_admin, locale=locale)

    # -- ASGI ------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                # Imports left "importing" by a dead process are marked failed.
                self.erpsync.jobs.start()
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            self.erpsync.jobs.shutdown()  # let running imports finish
            self.db.dispose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        path = scope["path"]
        if path == MOUNT or path.startswith(MOUNT + "/"):
            # As ASGI mounts do: the path stays whole, root_path says where we mount.
            inner = dict(scope, root_path=scope.get("root_path", "") + MOUNT)
            await self.plugin_app(inner, receive, send)
            return
        page = await self.page(scope, receive)
        await send({"type": "http.response.start", "status": page.status,
                    "headers": page.headers})
        await send({"type": "http.response.body", "body": page.body})

    async def page(self, scope: Scope, receive: Receive) -> Page:
        method, path = scope["method"], scope["path"]
        form = _form(await _body(receive)) if method == "POST" else {}
        token = _cookies(scope).get(COOKIE)
        user = self.user_of(token)
        if path == "/login" and method == "POST":
            name = form.get("username", "")
            if self.USERS.get(name, ("",))[0] != form.get("password") or not name:
                return Page(401, "<p>Wrong login.</p>")
            token = secrets.token_urlsafe(16)
            self.sessions[token] = name
            self.csrf_tokens[token] = secrets.token_urlsafe(16)
            return Page.redirect(form.get("next") or "/admin",
                                 cookie=f"{COOKIE}={token}; Path=/; HttpOnly")
        if path == "/login":
            return Page(200, '<form method="post"><input name="username">'
                             '<input name="password" type="password"></form>')
        if user is None:
            return Page.redirect("/login")
        if not user.may_admin:
            return Page(403, "<p>Only administrators.</p>")
        if path == "/admin":
            return Page(200, '<a href="/admin/import">Import</a> '
                             '<a href="/admin/connections">Connections</a>')
        if path == "/admin/import":
            return Page(200, self.import_screen())
        if path == "/admin/sync" and method == "POST":
            self.settings["erp_sync_enabled"] = form.get("on") == "1"
            return Page.redirect("/admin/sync")
        if path == "/admin/sync":
            state = "on" if self.settings["erp_sync_enabled"] else "off"
            return Page(200, f"<p>ERP synchronization is {state}.</p>")
        if path == "/admin/connections" and method == "POST":
            return self.add_connection(form)
        if path == "/admin/connections":
            return Page(200, self.connections_page())
        return Page(404, "<p>Not found.</p>")

    def import_screen(self) -> str:
        """The host's Select an import source screen, from erpsync_import_sources."""
        items = []
        for source in self.erpsync.import_sources():
            label = html.escape(str(source.label))
            if source.enabled:
                href = MOUNT + source.url
                items.append(f'<li data-source="{source.key}"><a href="{href}">{label}</a></li>')
            else:
                reason = html.escape(str(source.disabled_reason or ""))
                link = source.disabled_link or ""
                items.append(f'<li data-source="{source.key}" class="disabled">{label} '
                             f'<span class="reason">{reason}</span> '
                             f'<a class="fix" href="{html.escape(link)}">fix</a></li>')
        return "<h1>Import</h1><ul>" + "".join(items) + "</ul>"

    def connections_page(self) -> str:
        """Connections, and the connector list of the host's "add a connection" form."""
        options = "".join(
            f'<option value="{html.escape(name)}">{html.escape(str(cls.display_name))}</option>'
            for name, cls in sorted(self.erpsync.connector_classes().items()))
        rows = "".join(f"<li>{html.escape(c.name)} ({html.escape(c.connector)})</li>"
                       for c in ConnectionStore(self.db).list())
        return (f"<ul>{rows}</ul><form method=\"post\"><input name=\"name\">"
                f"<select name=\"connector\">{options}</select>"
                "<input name=\"config\"></form>")

    def add_connection(self, form: dict[str, str]) -> Page:
        classes = self.erpsync.connector_classes()
        cls = classes.get(form.get("connector", ""))
        if cls is None or not form.get("name"):
            return Page(400, "<p>Unknown connector.</p>")
        config = dict(parse_qsl(form.get("config", "")))
        if not cls(config).test().ok:
            return Page(400, "<p>The connection test failed.</p>")
        ConnectionStore(self.db).add(form["name"], cls.name, config)
        return Page.redirect("/admin/connections")


class Page:
    """A response of the host's own pages."""

    def __init__(self, status: int, body: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
        self.status = status
        self.body = f"<!doctype html><html><body>{body}</body></html>".encode()
        self.headers = [(b"content-type", b"text/html; charset=utf-8"), *headers]

    @classmethod
    def redirect(cls, location: str, cookie: str | None = None) -> Page:
        headers = [(b"location", location.encode())]
        if cookie:
            headers.append((b"set-cookie", cookie.encode()))
        return cls(303, "", headers)


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8")))


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar.load(value.decode("latin-1"))
    return {k: m.value for k, m in jar.items()}

"""Settings and maintenance › ERP connections: list, add, edit, test,
activate/deactivate and delete the connections the ERP Sync source imports from.

The form is built from the connector's ``config_fields``. Rules:

* **Test connection** must pass before a connection is saved as active (an
  inactive one can be saved as it is, to finish later);
* passwords and tokens are never written back into a page: an empty password
  box keeps the stored value. One typed before a *Test connection* or a refused
  save travels on in a hidden field, encrypted with the host's key
  (:meth:`erpsync.secrets.SecretBox.seal`, valid for an hour);
* :class:`~erpsync.connections.ConnectionStore` encrypts them at rest.

Every page needs the *Settings and maintenance* right. Server-rendered, no
JavaScript (the connector list has a "Show its settings" button).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..connections import Connection, ConnectionError_, ConnectionStore
from ..connectors.base import (
    Connector,
    ConnectorError,
    FieldAccess,
    FieldMeta,
    FieldType,
    TestResult,
)
from ..engine.schema import erp_link, import_run, staged_actor
from ..i18n import gettext, localize
from ..i18n import lazy_gettext as _l
from . import users
from .urls import url_for
from .web import (
    FLASH_MESSAGES,
    admin_required,
    csrf_failed,
    csrf_ok,
    erpsync_of,
    flash,
    redirect,
    render,
    user_of,
)

log = logging.getLogger(__name__)

#: How long a password typed into the form is carried along (seconds).
DRAFT_TTL = 3600
#: Form field name prefix of configuration values.
CONFIG_PREFIX = "cfg."

NOT_FOUND = _l("This ERP connection does not exist (any more).")
UNEXPECTED = _l("The connector failed unexpectedly. The server log has the details.")
NOT_SAVED_ACTIVE = _l("The connection test failed, so the connection was not saved as "
                      "active. Correct the settings, or clear “Active” to save it switched "
                      "off.")
NOT_ACTIVATED = _l("The connection test failed, so the connection stays inactive.")
SCOPE_LABELS = {
    "everyone": _l("Everyone with the Settings and maintenance right"),
    "users": _l("Only these users"),
}


def _saved(name: str = "", **_: Any) -> str:
    # Translators: %(name)s is the name of an ERP connection.
    return gettext("The ERP connection “%(name)s” has been saved.", name=name)


def _removed(name: str = "", **_: Any) -> str:
    # Translators: %(name)s is the name of an ERP connection.
    return gettext("The ERP connection “%(name)s” has been deleted.", name=name)


def _activated(name: str = "", active: bool = True, **_: Any) -> str:
    if active:
        # Translators: %(name)s is the name of an ERP connection.
        return gettext("The ERP connection “%(name)s” is active.", name=name)
    # Translators: %(name)s is the name of an ERP connection.
    return gettext("The ERP connection “%(name)s” is inactive.", name=name)


FLASH_MESSAGES.update({"connection_saved": _saved, "connection_removed": _removed,
                       "connection_active": _activated})


# ------------------------------------------------------------------ helpers


def _store(request: Request) -> ConnectionStore:
    return ConnectionStore(request.app.state.db,
                           connector_classes=erpsync_of(request).connector_classes())


def _classes(request: Request) -> dict[str, type[Connector]]:
    return dict(erpsync_of(request).connector_classes())


def _connector_label(cls: type[Connector] | None, name: str) -> str:
    return localize(getattr(cls, "display_name", None)) or name


def _connection_or_404(request: Request) -> Connection | Response:
    try:
        connection_id = int(request.path_params["id"])
    except (KeyError, ValueError):
        connection_id = 0
    found = _store(request).get(connection_id) if connection_id > 0 else None
    if found is None:
        return render(request, "host/error.html", status_code=404,
                      heading=_l("ERP connection not found"), message=NOT_FOUND,
                      back_url=url_for("connections"))
    return found


def run_test(classes: dict[str, type[Connector]], connector: str,
             config: dict[str, Any]) -> TestResult:
    """The connector's own test for ``config``; construction errors and
    crashes become a failed result (runs in a worker thread)."""
    from ..connectors.registry import make_connector

    instance: Connector | None = None
    try:
        instance = make_connector(classes, connector, config)
        return instance.test()
    except ConnectorError as exc:
        return TestResult(ok=False, message=exc.user_message, technical=exc.technical)
    except Exception as exc:  # noqa: BLE001 - a connector bug must not crash the page
        log.exception("testing a %s connection failed", connector)
        return TestResult(ok=False, message=UNEXPECTED, technical=type(exc).__name__)
    finally:
        close = getattr(instance, "close", None)
        if callable(close):
            close()


def _linked_counts(db: Any, connection_id: int) -> tuple[int, int]:
    """CRM actors linked through the connection, and pending imports staging from it."""
    with db.connect() as conn:
        links = conn.execute(select(func.count()).select_from(erp_link)
                             .where(erp_link.c.connection_id == connection_id)).scalar_one()
        pending = conn.execute(
            select(func.count(func.distinct(staged_actor.c.import_id)))
            .select_from(staged_actor.join(import_run,
                                           import_run.c.id == staged_actor.c.import_id))
            .where(staged_actor.c.connection_id == connection_id,
                   import_run.c.state.in_(("staging", "previewed")))).scalar_one()
    return int(links), int(pending)


# ------------------------------------------------------------------ list


@admin_required
async def connection_list(request: Request) -> Response:
    """The ERP connections with their connector, status and who may use them
    (never their configuration)."""
    classes = _classes(request)
    rows = []
    for conn in await run_in_threadpool(_store(request).list):
        cls = classes.get(conn.connector)
        rows.append({
            "id": conn.id, "name": conn.name, "active": conn.active,
            "created_at": conn.created_at, "installed": cls is not None,
            "connector_label": _connector_label(cls, conn.connector),
            "scope_users": (conn.scope or {}).get("users", []),
            "scope_roles": (conn.scope or {}).get("roles", []),
            "unreadable": bool(conn.unreadable_secrets),
        })
    return render(request, "host/connections.html", connections=rows)


# ------------------------------------------------------------------ the form


@dataclass
class ConfigInput:
    """One configuration field as the form shows it."""

    meta: FieldMeta
    value: str = ""
    error: Any = None
    #: A password is stored or was typed (the box itself stays empty).
    has_secret: bool = False
    #: The password was typed into this form (not yet saved).
    secret_typed: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return CONFIG_PREFIX + self.meta.key

    @property
    def widget(self) -> str:
        if self.meta.type is FieldType.PASSWORD:
            return "password"
        if self.meta.type is FieldType.CHECKBOX:
            return "checkbox"
        if self.meta.type is FieldType.LIST and self.choices:
            return "select"
        if self.meta.type in (FieldType.INTEGER, FieldType.DOUBLE):
            return "number"
        return "text"

    @property
    def label(self) -> str:
        return localize(self.meta.display_name) or self.meta.key

    @property
    def help(self) -> str:
        return localize(self.meta.help_text)

    @property
    def mandatory(self) -> bool:
        return self.meta.access is FieldAccess.MANDATORY

    @property
    def read_only(self) -> bool:
        return self.meta.access is FieldAccess.READ_ONLY

    @property
    def checked(self) -> bool:
        return self.value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class ConnectionForm:
    """What the add/edit form shows, and what was submitted."""

    connector: str
    name: str = ""
    active: bool = True
    scope: str = "everyone"
    scope_users: str = ""
    inputs: list[ConfigInput] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    draft: str = ""
    #: Roles of the scope, kept as they are (the reference host has no roles).
    roles: list[str] = field(default_factory=list)

    def config(self) -> dict[str, str]:
        return {i.meta.key: i.value for i in self.inputs}

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(i.error for i in self.inputs)

    def scope_value(self) -> dict[str, list[str]] | None:
        if self.scope != "users" and not self.roles:
            return None
        names = _split_names(self.scope_users) if self.scope == "users" else []
        return {"users": names, "roles": self.roles}


def _split_names(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,;]+", text or "") if n]


def _choices(cls: type[Connector], meta: FieldMeta) -> list[tuple[str, str]]:
    if meta.type is not FieldType.LIST or not meta.list_name:
        return []
    try:
        items = cls.config_list_items(meta.list_name)
    except Exception:  # noqa: BLE001 - a text box instead
        log.warning("config_list_items(%r) of %s failed", meta.list_name, cls.name,
                    exc_info=True)
        return []
    return [(item.key, localize(item.name) or item.key) for item in items]


def _blank_form(cls: type[Connector], connection: Connection | None = None) -> ConnectionForm:
    """The form for a new connection (defaults) or an existing one (stored values;
    passwords left out)."""
    stored = dict(connection.config) if connection else {}
    form = ConnectionForm(connector=cls.name)
    if connection is not None:
        form.name, form.active = connection.name, connection.active
        scope = connection.scope or {}
        form.scope = "users" if scope.get("users") else "everyone"
        form.scope_users = ", ".join(scope.get("users", []))
        form.roles = list(scope.get("roles", []))
    for meta in cls.config_fields():
        item = ConfigInput(meta, choices=_choices(cls, meta))
        value = stored.get(meta.key)
        if meta.type is FieldType.PASSWORD:
            item.has_secret = value not in (None, "")
        elif connection is not None and meta.key in stored:
            item.value = "" if value is None else str(value)
        else:
            item.value = meta.default or ""
        form.inputs.append(item)
    return form


def _read_draft(request: Request, token: str, connection_id: int | None) -> dict[str, str]:
    """Passwords typed earlier into this form (see :data:`DRAFT_TTL`)."""
    if not token:
        return {}
    from .. import secrets

    raw = secrets.box_for(request.app.state.db).unseal(token, ttl=DRAFT_TTL)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    user = user_of(request)
    if (not isinstance(data, dict) or data.get("user") != (user.id if user else None)
            or data.get("connection") != connection_id):
        return {}
    values = data.get("secrets")
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}


def _write_draft(request: Request, secrets_typed: dict[str, str],
                 connection_id: int | None) -> str:
    if not secrets_typed:
        return ""
    from .. import secrets

    user = user_of(request)
    payload = json.dumps({"user": user.id if user else None, "connection": connection_id,
                          "secrets": secrets_typed})
    return secrets.box_for(request.app.state.db).seal(payload.encode("utf-8"))


def _parse_form(request: Request, data: Any, cls: type[Connector],
                connection: Connection | None) -> ConnectionForm:
    """The submitted form, validated field by field (nothing is saved here)."""
    form = _blank_form(cls, connection)
    stored = dict(connection.config) if connection else {}
    form.name = str(data.get("name") or "").strip()
    form.active = data.get("active") in ("1", "on", "true")
    form.scope = "users" if data.get("scope") == "users" else "everyone"
    form.scope_users = str(data.get("scope_users") or "").strip()
    draft = _read_draft(request, str(data.get("draft") or ""),
                        connection.id if connection else None)
    typed: dict[str, str] = {}
    for item in form.inputs:
        meta = item.meta
        raw = data.get(item.name)
        text = "" if raw is None or not isinstance(raw, str) else raw
        if item.read_only:
            item.value = str(stored.get(meta.key, meta.default or "") or "")
            continue
        if meta.type is FieldType.PASSWORD:
            # An empty box keeps what was typed before, else what is stored.
            if text or meta.key in draft:
                typed[meta.key] = item.value = text or draft[meta.key]
                item.secret_typed = True
            else:
                item.value = str(stored.get(meta.key) or "")
            item.has_secret = bool(item.value)
        elif meta.type is FieldType.CHECKBOX:
            item.value = "1" if text in ("1", "on", "true") else "0"
        else:
            item.value = text.strip()
        item.error = _field_error(item)
    form.draft = _write_draft(request, typed, connection.id if connection else None)
    if form.scope == "users":
        names = _split_names(form.scope_users)
        if not names:
            form.errors.append(_l("Enter at least one username, or let everyone use the "
                                  "connection."))
        unknown = [n for n in names
                   if users.get_user_by_name(request.app.state.db, n) is None]
        if unknown:
            # Translators: %(names)s lists usernames, comma-separated.
            form.errors.append(_l("Unknown users: %(names)s.", names=", ".join(unknown)))
    if not form.name:
        form.errors.append(_l("Enter a name for the ERP connection."))
    return form


def _field_error(item: ConfigInput) -> Any:
    value, meta = item.value, item.meta
    if item.mandatory and not value:
        if meta.type is FieldType.PASSWORD:
            return _l("Enter the password.")
        return _l("This field is required.")
    if value and meta.type is FieldType.INTEGER:
        try:
            int(value)
        except ValueError:
            return _l("Enter a whole number.")
    if value and meta.type is FieldType.DOUBLE:
        try:
            float(value.replace(",", "."))
        except ValueError:
            return _l("Enter a number.")
    if value and meta.max_length and len(value) > meta.max_length:
        # Translators: %(max)s is a number of characters.
        return _l("At most %(max)s characters.", max=meta.max_length)
    if value and item.choices and value not in {key for key, _label in item.choices}:
        return _l("Choose a value from the list.")
    return None


def _render_form(request: Request, form: ConnectionForm, classes: dict[str, Any],
                 connection: Connection | None, *, status: int = 200,
                 test: TestResult | None = None, notice: Any = None) -> Response:
    connectors = sorted(((name, _connector_label(cls, name)) for name, cls in classes.items()),
                        key=lambda pair: pair[1].casefold())
    return render(request, "host/connection_form.html", status_code=status, form=form,
                  connection=connection, connectors=connectors,
                  connector_label=_connector_label(classes.get(form.connector), form.connector),
                  test=test, notice=notice, scope_labels=SCOPE_LABELS,
                  unreadable=connection.unreadable_secrets if connection else (),
                  action=(url_for("connection_edit", id=connection.id) if connection
                          else url_for("connection_add")))


async def _handle_form(request: Request, connection: Connection | None) -> Response:
    classes = _classes(request)
    if request.method == "GET":
        name = connection.connector if connection else str(
            request.query_params.get("connector") or "")
        cls = classes.get(name) or (None if connection else _default_connector(classes))
        if cls is None:
            return _uninstalled(request, connection)
        return _render_form(request, _blank_form(cls, connection), classes, connection)

    data = await request.form()
    if not csrf_ok(request, data):
        return csrf_failed(request)
    name = connection.connector if connection else str(data.get("connector") or "")
    cls = classes.get(name)
    if cls is None:
        if connection is not None:
            return _uninstalled(request, connection)
        fallback = _default_connector(classes)
        form = _blank_form(fallback) if fallback else ConnectionForm(connector=name)
        form.errors.append(_l("Choose a connector from the list."))
        return _render_form(request, form, classes, None, status=400)
    action = str(data.get("action") or "save")
    if connection is None and data.get("shown_connector") not in (None, cls.name):
        action = "choose"  # the connector was changed without showing its settings
    if action == "choose" and connection is None:
        # The no-JavaScript way to show another connector's settings.
        form = _blank_form(cls)
        form.name = str(data.get("name") or "").strip()
        return _render_form(request, form, classes, None)

    form = await run_in_threadpool(_parse_form, request, data, cls, connection)
    if action == "test":
        if any(i.error for i in form.inputs):
            return _render_form(request, form, classes, connection, status=400)
        result = await run_in_threadpool(run_test, classes, cls.name, form.config())
        return _render_form(request, form, classes, connection, test=result)

    if form.has_errors:
        return _render_form(request, form, classes, connection, status=400)
    result = None
    if form.active:
        result = await run_in_threadpool(run_test, classes, cls.name, form.config())
        if not result.ok:
            return _render_form(request, form, classes, connection, status=400, test=result,
                                notice=NOT_SAVED_ACTIVE)
    store = _store(request)
    try:
        if connection is None:
            await run_in_threadpool(store.add, form.name, cls.name, form.config(),
                                    form.active, form.scope_value())
        else:
            await run_in_threadpool(lambda: store.update(
                connection.id, name=form.name, config=form.config(), active=form.active,
                scope=form.scope_value()))
    except ConnectionError_ as exc:
        form.errors.append(exc.user_message)
        return _render_form(request, form, classes, connection, status=400, test=result)
    log.info("ERP connection %r saved (connector %s, active=%s)", form.name, cls.name,
             form.active)
    flash(request, "connection_saved", name=form.name)
    return redirect(url_for("connections") or "/settings/connections")


def _default_connector(classes: dict[str, Any]) -> Any:
    if not classes:
        return None
    return classes.get("workbook") or classes[sorted(classes)[0]]


def _uninstalled(request: Request, connection: Connection | None) -> Response:
    name = connection.connector if connection else "?"
    # Translators: %(name)s is a connector name.
    message = _l("The connector “%(name)s” is not installed, so this connection cannot be "
                 "edited or tested. You can delete it.", name=name)
    return render(request, "host/error.html", status_code=409, message=message,
                  back_url=url_for("connections"))


@admin_required
async def connection_add(request: Request) -> Response:
    return await _handle_form(request, None)


@admin_required
async def connection_edit(request: Request) -> Response:
    found = _connection_or_404(request)
    if isinstance(found, Response):
        return found
    return await _handle_form(request, found)


# ------------------------------------------------------------------ actions


@admin_required
async def connection_test(request: Request) -> Response:
    """Test a stored connection and show the result (changes nothing)."""
    found = _connection_or_404(request)
    if isinstance(found, Response):
        return found
    data = await request.form()
    if not csrf_ok(request, data):
        return csrf_failed(request)
    classes = _classes(request)
    result = await run_in_threadpool(run_test, classes, found.connector, dict(found.config))
    return render(request, "host/connection_test.html", status_code=200 if result.ok else 502,
                  connection=found, test=result,
                  connector_label=_connector_label(classes.get(found.connector),
                                                   found.connector))


@admin_required
async def connection_active(request: Request) -> Response:
    """Activate (only after a passing test) or deactivate a connection."""
    found = _connection_or_404(request)
    if isinstance(found, Response):
        return found
    data = await request.form()
    if not csrf_ok(request, data):
        return csrf_failed(request)
    active = data.get("active") == "1"
    classes = _classes(request)
    if active:
        result = await run_in_threadpool(run_test, classes, found.connector,
                                         dict(found.config))
        if not result.ok:
            return render(request, "host/connection_test.html", status_code=400,
                          connection=found, test=result, notice=NOT_ACTIVATED,
                          connector_label=_connector_label(classes.get(found.connector),
                                                           found.connector))
    await run_in_threadpool(_store(request).set_active, found.id, active)
    flash(request, "connection_active", name=found.name, active=active)
    return redirect(url_for("connections") or "/settings/connections")


@admin_required
async def connection_delete(request: Request) -> Response:
    """GET asks for confirmation; POST with ``confirm=yes`` deletes."""
    found = _connection_or_404(request)
    if isinstance(found, Response):
        return found
    if request.method == "POST":
        data = await request.form()
        if not csrf_ok(request, data):
            return csrf_failed(request)
        if data.get("confirm") == "yes":
            # Deleted meanwhile? The list shows it is gone.
            with contextlib.suppress(ConnectionError_):
                await run_in_threadpool(_store(request).remove, found.id)
            log.info("ERP connection %r deleted", found.name)
            flash(request, "connection_removed", name=found.name)
        return redirect(url_for("connections") or "/settings/connections")
    links, pending = await run_in_threadpool(_linked_counts, request.app.state.db, found.id)
    return render(request, "host/connection_delete.html", connection=found, links=links,
                  pending=pending)


def routes() -> list[Route]:
    """The ERP connection pages (names as in :mod:`erpsync.host.urls`)."""
    base = "/settings/connections"
    return [
        Route(base, connection_list, methods=["GET"], name="connections"),
        Route(base + "/add", connection_add, methods=["GET", "POST"], name="connection_add"),
        Route(base + "/{id:int}/edit", connection_edit, methods=["GET", "POST"],
              name="connection_edit"),
        Route(base + "/{id:int}/test", connection_test, methods=["POST"],
              name="connection_test"),
        Route(base + "/{id:int}/active", connection_active, methods=["POST"],
              name="connection_active"),
        Route(base + "/{id:int}/delete", connection_delete, methods=["GET", "POST"],
              name="connection_delete"),
    ]

"""``erpsync connections``: add, edit, list, test and remove ERP connections.

Secrets (password-type config fields) are stored encrypted (:mod:`erpsync.secrets`)
and masked in every listing."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from .cli_common import (
    BadInput,
    CliState,
    Failure,
    LazyHelpGroup,
    one_line,
    option,
    pass_state,
)
from .connectors.base import ConnectorError, FieldAccess, FieldMeta
from .i18n import gettext, localize, pgettext
from .i18n import lazy_gettext as _l


def _classes() -> dict[str, type]:
    from .connectors.registry import connector_classes
    from .plugins import get_plugin_manager

    return connector_classes(get_plugin_manager())


def _store(state: CliState) -> Any:
    from .connections import ConnectionStore

    return ConnectionStore(state.engine(), connector_classes=_classes())


def connection_or_fail(store: Any, name: str) -> Any:
    """The connection called ``name`` (or with that id); :class:`BadInput` listing
    the existing ones if there is none."""
    from .connections import ConnectionError_

    try:
        return store.find(name)
    except ConnectionError_ as exc:
        known = ", ".join(c.name for c in store.list()) or "-"
        # Translators: %(name)s is a connection name; %(known)s the existing ones, comma-separated.
        raise BadInput(gettext("There is no ERP connection %(name)s. Connections: %(known)s",
                               name=name, known=known)) from exc


@click.group("connections", cls=LazyHelpGroup, help=_l("ERP connections."))
def connections_group() -> None:
    pass


@connections_group.command("add", help=_l(
    "Add an ERP connection. Its connection test runs first: nothing is saved when it "
    "fails (with --inactive it is saved switched off, untested). Example: erpsync "
    "connections add Demo --connector workbook --config path=/srv/erp/demo.xlsx"))
@click.argument("name")
@option("--connector", "connector_name", required=True, metavar="CONNECTOR",
        help=_l("Connector to use (an unknown name lists the installed ones)."))
@option("--config", "config_items", multiple=True, metavar="KEY=VALUE",
        help=_l("A configuration value of the connector; repeat for more."))
@option("--config-stdin", "stdin_keys", multiple=True, metavar="KEY",
        help=_l("Read this configuration value (a password, say) from a line of standard "
                "input instead of the command line; repeat for more, one line each."))
@option("--inactive", is_flag=True, help=_l("Add the connection switched off."))
@option("--user", "scope_users", multiple=True, metavar="USERNAME",
        help=_l("Only this user may use the connection; repeat for more (default: everyone)."))
@option("--role", "scope_roles", multiple=True, metavar="ROLE",
        help=_l("Users with this role (in hosts that have roles) may use the connection; "
                "repeat for more."))
@pass_state
def connections_add(state: CliState, name: str, connector_name: str,
                    config_items: Sequence[str], stdin_keys: Sequence[str],
                    inactive: bool, scope_users: Sequence[str],
                    scope_roles: Sequence[str]) -> None:
    from .connections import ConnectionError_

    classes = _classes()
    cls = classes.get(connector_name)
    if cls is None:
        # Translators: %(name)s is a connector name typed by the user; %(known)s the installed ones.
        raise BadInput(gettext("Unknown connector %(name)s. Installed connectors: %(known)s",
                               name=connector_name, known=", ".join(sorted(classes)) or "-"))
    config = _parse_config(config_items)
    for key in stdin_keys:
        config[key] = sys.stdin.readline().rstrip("\r\n")
    _check_config(cls, config)
    store = _store(state)
    if not inactive:  # as the connection pages: active only after a passing test
        _test_or_fail(name, connector_name, config)
    try:
        store.add(name, connector_name, config, active=not inactive,
                  scope=_scope(scope_users, scope_roles))
    except ConnectionError_ as exc:
        raise BadInput(exc.user_message) from exc
    # Translators: %(name)s is a connection name, %(connector)s a connector name.
    click.echo(gettext("ERP connection %(name)s added (connector %(connector)s).",
                       name=name, connector=connector_name))


def _parse_config(items: Sequence[str]) -> dict[str, str]:
    config: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            # Translators: %(item)s is what the user typed after --config.
            raise BadInput(gettext("--config needs KEY=VALUE, not %(item)s", item=item))
        config[key.strip()] = value
    return config


def _check_config(cls: Any, config: Mapping[str, str]) -> None:
    """Unknown keys and missing mandatory values are refused before anything is saved."""
    fields: list[FieldMeta] = list(cls.config_fields())
    if not fields:
        return
    known = {f.key for f in fields}
    unknown = sorted(set(config) - known)
    if unknown:
        # Translators: %(keys)s are configuration keys typed by the user; %(known)s valid ones.
        raise BadInput(gettext("Unknown configuration %(keys)s. This connector takes: %(known)s",
                               keys=", ".join(unknown), known=", ".join(sorted(known))))
    missing = [f.key for f in fields
               if f.access is FieldAccess.MANDATORY and not config.get(f.key) and not f.default]
    if missing:
        # Translators: %(keys)s are configuration keys.
        raise BadInput(gettext("Missing configuration: %(keys)s (give them with --config "
                               "KEY=VALUE).", keys=", ".join(missing)))


def masked_config(record: Any, cls: Any | None) -> dict[str, Any]:
    """The connection's configuration with its password-type values masked. When
    its connector is not installed (field types unknown), keys that look like
    secrets are masked."""
    from .connections import secret_keys
    from .secrets import looks_secret

    keys = {k for k in record.config if looks_secret(k)}
    if cls is not None:
        keys |= secret_keys(cls.config_fields())
    return record.masked_config(keys)


def _scope(users: Sequence[str], roles: Sequence[str]) -> dict[str, list[str]] | None:
    if not users and not roles:
        return None
    return {"users": list(users), "roles": list(roles)}


@connections_group.command("edit", help=_l(
    "Change an ERP connection: its name, configuration values, status or who may use it. "
    "Values not given stay as they are. Activating, or changing an active connection, "
    "runs its connection test first: nothing is saved when it fails. Example: erpsync "
    "connections edit Tryton --config-stdin password --activate"))
@click.argument("name")
@option("--name", "new_name", metavar="NEW_NAME", help=_l("Rename the connection."))
@option("--config", "config_items", multiple=True, metavar="KEY=VALUE",
        help=_l("Set a configuration value; repeat for more."))
@option("--config-stdin", "stdin_keys", multiple=True, metavar="KEY",
        help=_l("Read this configuration value from a line of standard input; repeat for "
                "more, one line each."))
@option("--unset", "unset_keys", multiple=True, metavar="KEY",
        help=_l("Remove a configuration value (the connector's default applies)."))
@option("--activate/--deactivate", "active", default=None,
        help=_l("Switch the connection on (after a passing test) or off."))
@option("--user", "scope_users", multiple=True, metavar="USERNAME",
        help=_l("Only these users may use the connection (replaces the list); repeat for "
                "more."))
@option("--role", "scope_roles", multiple=True, metavar="ROLE",
        help=_l("Users with these roles may use the connection (replaces the list)."))
@option("--everyone", is_flag=True, help=_l("Let everyone use the connection."))
@pass_state
def connections_edit(state: CliState, name: str, new_name: str | None,
                     config_items: Sequence[str], stdin_keys: Sequence[str],
                     unset_keys: Sequence[str], active: bool | None,
                     scope_users: Sequence[str], scope_roles: Sequence[str],
                     everyone: bool) -> None:
    from .connections import ConnectionError_

    store = _store(state)
    record = connection_or_fail(store, name)
    if everyone and (scope_users or scope_roles):
        raise BadInput(gettext("Give either --everyone or --user/--role, not both."))
    changes: dict[str, Any] = {}
    config = dict(record.config)
    updates = _parse_config(config_items)
    for key in stdin_keys:
        updates[key] = sys.stdin.readline().rstrip("\r\n")
    if updates or unset_keys:
        config.update(updates)
        for key in unset_keys:
            config.pop(key, None)
        cls = _classes().get(record.connector)
        if cls is not None:
            _check_config(cls, config)
        changes["config"] = config
    if new_name is not None:
        changes["name"] = new_name
    if active is not None:
        changes["active"] = active
    if everyone:
        changes["scope"] = None
    elif scope_users or scope_roles:
        changes["scope"] = _scope(scope_users, scope_roles)
    if not changes:
        raise BadInput(gettext("Nothing to change: give --config, --name, --activate, "
                               "--deactivate, --user, --role or --everyone."))
    will_be_active = changes.get("active", record.active)
    if will_be_active and ("config" in changes or not record.active):
        _test_or_fail(record.name, record.connector, config)
    try:
        updated = store.update(record.id, **changes)
    except ConnectionError_ as exc:
        raise BadInput(exc.user_message) from exc
    # Translators: %(name)s is an ERP connection.
    click.echo(gettext("ERP connection %(name)s changed.", name=updated.name))


def _test_or_fail(name: str, connector_name: str, config: Mapping[str, Any]) -> None:
    """Run the connection test; a :class:`Failure` (nothing saved) when it fails."""
    from .connectors.registry import make_connector

    try:
        connector = make_connector(_classes(), connector_name, config)
        result = connector.test()
    except ConnectorError as exc:
        result_message, technical = exc.user_message, exc.technical
    else:
        if result.ok:
            return
        result_message, technical = result.message, result.technical
    # Translators: %(name)s is an ERP connection; %(reason)s why its test failed.
    raise Failure(gettext("The connection test of %(name)s failed, so nothing was saved: "
                          "%(reason)s", name=name,
                          reason=_with_technical(result_message, technical)))


@connections_group.command("list", help=_l("List the ERP connections (secrets masked)."))
@option("--json", "as_json", is_flag=True, help=_l("Print a JSON array on standard output."))
@pass_state
def connections_list(state: CliState, as_json: bool) -> None:
    classes = _classes()
    rows = [{
        "id": record.id,
        "name": record.name,
        "connector": record.connector,
        "active": bool(record.active),
        "config": masked_config(record, classes.get(record.connector)),
        # Only connections limited to some users or roles have a scope.
        **({"scope": record.scope} if record.scope else {}),
    } for record in _store(state).list()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo(gettext("No ERP connections yet. Add one with 'erpsync connections add'."))
        return
    headers = [pgettext("connection column", "Name"), pgettext("connection column", "Connector"),
               pgettext("connection column", "Active"),
               pgettext("connection column", "Configuration")]
    yes, no = pgettext("active", "yes"), pgettext("active", "no")
    table = [[r["name"], r["connector"], yes if r["active"] else no,
              " ".join(f"{k}={v}" for k, v in r["config"].items())] for r in rows]
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(3)]
    for line in [headers, *table]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(line[:3], widths, strict=True))
                   + "  " + str(line[3]))


@connections_group.command("test", help=_l("Check that an ERP connection works "
                                           "(exit code 1 when it does not)."))
@click.argument("name")
@pass_state
def connections_test(state: CliState, name: str) -> None:
    from .connectors.registry import make_connector

    record = connection_or_fail(_store(state), name)
    try:
        connector = make_connector(_classes(), record.connector, record.config or {})
        result = connector.test()
    except ConnectorError as exc:
        raise Failure(_with_technical(exc.user_message, exc.technical)) from exc
    if not result.ok:
        raise Failure(_with_technical(result.message, result.technical))
    # Translators: %(name)s is an ERP connection; %(message)s what the connector reported.
    click.echo(gettext("%(name)s: %(message)s", name=record.name,
                       message=localize(result.message)))


def _with_technical(message: Any, technical: str) -> str:
    text = one_line(localize(message))
    return f"{text} ({one_line(technical)})" if technical and technical != text else text


@connections_group.command("remove", help=_l("Remove an ERP connection."))
@click.argument("name")
@pass_state
def connections_remove(state: CliState, name: str) -> None:
    from .connections import ConnectionError_

    store = _store(state)
    record = connection_or_fail(store, name)
    try:
        store.remove(record.name)
    except ConnectionError_ as exc:
        raise BadInput(exc.user_message) from exc
    # Translators: %(name)s is an ERP connection.
    click.echo(gettext("ERP connection %(name)s removed.", name=record.name))

"""``erpsync connector``: serve a Python connector over HTTP with the remote
connector protocol, and print that protocol as an OpenAPI document."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .cli_common import BadInput, CliState, Failure, LazyHelpGroup, one_line, option, pass_state
from .i18n import gettext, localize
from .i18n import lazy_gettext as _l

#: Tokens shorter than this are refused: the service may hold a whole ERP.
MIN_TOKEN_LENGTH = 16


@click.group("connector", cls=LazyHelpGroup, help=_l(
    "Connector services: serve a connector over HTTP for remote connections."))
def connector_group() -> None:
    pass


def _token(token: str | None, token_stdin: bool) -> str:
    from .connector_server import TOKEN_ENV

    if token_stdin:
        token = sys.stdin.readline().strip()
    token = (token or os.environ.get(TOKEN_ENV) or "").strip()
    if not token:
        # Translators: %(env)s is an environment variable name.
        raise BadInput(gettext("The service needs an access token: give it with "
                               "--token-stdin, the environment variable %(env)s or --token.",
                               env=TOKEN_ENV))
    if len(token) < MIN_TOKEN_LENGTH:
        # Translators: %(num)s is a number of characters.
        raise BadInput(gettext("The access token must be at least %(num)s characters long.",
                               num=MIN_TOKEN_LENGTH))
    return token


@connector_group.command("serve", help=_l(
    "Serve a connector over HTTP (the remote connector protocol, /v1), for a "
    "\"remote\" connection elsewhere. Example: ERPSYNC_CONNECTOR_TOKEN=... erpsync "
    "connector serve --connector workbook --config path=demo.xlsx --port 8765"))
@option("--connector", "connector_name", metavar="CONNECTOR",
        help=_l("Connector to serve (an unknown name lists the installed ones)."))
@option("--config", "config_items", multiple=True, metavar="KEY=VALUE",
        help=_l("A configuration value of the connector; repeat for more."))
@option("--config-stdin", "stdin_keys", multiple=True, metavar="KEY",
        help=_l("Read this configuration value from a line of standard input (after the "
                "token line with --token-stdin); repeat for more."))
@option("--connection", "connection_name", metavar="NAME",
        help=_l("Serve a stored ERP connection (its connector and configuration) instead "
                "of --connector/--config."))
@option("--host", default="127.0.0.1", show_default=True, help=_l("Address to listen on."))
@option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535),
        help=_l("Port to listen on."))
@option("--token", metavar="TOKEN", help=_l(
    "Access token clients must send (visible to other users of this machine in the "
    "process list: prefer --token-stdin or ERPSYNC_CONNECTOR_TOKEN)."))
@option("--token-stdin", is_flag=True, help=_l("Read the access token from the first line "
                                               "of standard input."))
@pass_state
def connector_serve(state: CliState, connector_name: str | None, config_items: Sequence[str],
                    stdin_keys: Sequence[str], connection_name: str | None, host: str,
                    port: int, token: str | None, token_stdin: bool) -> None:
    from .cli import _check_port_free, _url
    from .cli_connections import _check_config, _classes, _parse_config, connection_or_fail
    from .connector_server import app_for
    from .connectors.base import ConnectorError

    secret = _token(token, token_stdin)
    classes = _classes()
    if connection_name:
        if connector_name or config_items or stdin_keys:
            raise BadInput(gettext("Give either --connection or --connector with --config, "
                                   "not both."))
        from .connections import ConnectionStore

        record = connection_or_fail(ConnectionStore(state.engine(), connector_classes=classes),
                                    connection_name)
        connector_name, config = record.connector, dict(record.config)
    else:
        if not connector_name:
            raise BadInput(gettext("Choose what to serve: --connector NAME (with --config) "
                                   "or --connection NAME."))
        if connector_name not in classes:
            # Translators: %(name)s is a connector name typed by the user; %(known)s the
            # installed ones.
            raise BadInput(gettext("Unknown connector %(name)s. Installed connectors: "
                                   "%(known)s", name=connector_name,
                                   known=", ".join(sorted(classes)) or "-"))
        config = _parse_config(config_items)
        for key in stdin_keys:
            config[key] = sys.stdin.readline().rstrip("\r\n")
        _check_config(classes[connector_name], config)
    try:
        app = app_for(classes, connector_name, config, secret)
    except ConnectorError as exc:
        raise Failure(one_line(localize(exc.user_message))) from exc
    _check_port_free(host, port)
    # Translators: %(connector)s is a connector name, %(url)s the service's address.
    click.echo(gettext("Serving the connector %(connector)s on %(url)s (protocol v1).",
                       connector=connector_name, url=_url(host, port).rstrip("/")))
    sys.stdout.flush()
    _run(app, host, port)


def _run(app: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


@connector_group.command("openapi", help=_l(
    "Print the remote connector protocol as an OpenAPI 3.1 document (JSON). "
    "docs/connectors/remote-openapi.json is made with it."))
@option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
        help=_l("Write to FILE instead of standard output."))
def connector_openapi(output: Path | None) -> None:
    from .connectors.remote_protocol import openapi_document

    text = openapi_json(openapi_document())
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def openapi_json(document: dict[str, Any]) -> str:
    """The document as committed: indented, keys in code order, final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

"""The ``erpsync`` command line.

::

    erpsync [--db URL] [--data-dir DIR] COMMAND ...

    db upgrade | db current | db revision -m MESSAGE
    serve [--host H] [--port P]        demo [--port P]
    connections add | edit | list | test | remove
    connector serve --connector NAME --config K=V --port P | connector openapi
    users add NAME [--admin] --password-stdin
    import --connection NAME --actor-type TYPE [--where FIELD OP VALUE ...] --yes [--json]
    import --file PATH [--actor-type TYPE] [--mapping NAME] [--sheet NAME] --yes [--json]
    import --connection NAME --actor-type TYPE --changed-since-last --yes
    imports list | show ID | undo ID [--force] --yes | retry ID --yes
    i18n ...

Exit codes: 0 success, 2 bad usage or bad input, 1 any other failure; errors
are one localized line on stderr. The language is ``ERPSYNC_LANG``, else the
POSIX locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from sqlalchemy.exc import OperationalError

from . import __version__, i18n, migrate
from .cli_common import (
    BadInput,
    CliState,
    Failure,
    LazyHelpGroup,
    cli_locale,
    one_line,
    option,
    pass_state,
    raw_engine,
)
from .cli_connections import connections_group
from .cli_connector import connector_group
from .cli_import import import_command
from .cli_imports import imports_group
from .i18n import gettext, pgettext
from .i18n import lazy_gettext as _l
from .i18n_cli import i18n_group


class RootGroup(LazyHelpGroup):
    """The ``erpsync`` group: picks the language before anything is printed
    (help included) and turns database outages into one-line errors."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with i18n.use_locale(cli_locale()):
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            state = ctx.find_object(CliState) or CliState()
            # Translators: %(url)s is a database URL; %(reason)s is the database's message.
            raise Failure(gettext("Database error on %(url)s: %(reason)s",
                                  url=state.display_db_url(),
                                  reason=one_line(getattr(exc, "orig", None) or exc))) from exc


#: Addresses of TLS proxies whose X-Forwarded-* headers the web server trusts.
FORWARDED_ALLOW_IPS_ENV = "ERPSYNC_FORWARDED_ALLOW_IPS"

DB_HELP = _l("Database URL (SQLAlchemy form, e.g. sqlite:///path/erpsync.sqlite or "
             "postgresql+psycopg://user@host/db). Default: ERPSYNC_DB, else erpsync.sqlite "
             "in the data directory.")
DATA_DIR_HELP = _l("Data directory (SQLite database, backups). Default: ERPSYNC_DATA_DIR, "
                   "else the per-user data directory.")


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help=_l("Import from ERP for CRM hosts: the reference host, ERP connections "
                     "and headless imports."))
@option("--db", "db_url", envvar="ERPSYNC_DB", metavar="URL", help=DB_HELP)
@option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
        envvar="ERPSYNC_DATA_DIR", help=DATA_DIR_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="erpsync")
@click.pass_context
def main(ctx: click.Context, db_url: str | None, data_dir: Path | None) -> None:
    state = ctx.ensure_object(CliState)
    state.db_url = db_url or None
    state.data_dir = data_dir
    ctx.call_on_close(state.close)


# ------------------------------------------------------------------ db


@main.group("db", help=_l("Database schema (Alembic migrations)."))
def db_group() -> None:
    pass


@db_group.command("upgrade", help=_l("Bring the database to the newest schema "
                                     "(creates the tables of a new database)."))
@pass_state
def db_upgrade(state: CliState) -> None:
    engine = raw_engine(state)
    try:
        before = migrate.current(engine)
        after = migrate.upgrade(engine)
    except migrate.MigrationError as exc:
        raise Failure(str(exc)) from exc
    finally:
        engine.dispose()
    if before == after:
        # Translators: %(url)s is a database URL; %(revision)s a schema version like "0001".
        click.echo(gettext("%(url)s is up to date (schema version %(revision)s).",
                           url=state.display_db_url(), revision=after))
    else:
        # Translators: %(url)s is a database URL; %(revision)s a schema version like "0001".
        click.echo(gettext("%(url)s upgraded to schema version %(revision)s.",
                           url=state.display_db_url(), revision=after))


@db_group.command("current", help=_l("Show the schema version of the database and the "
                                     "newest one (exit code 1 when they differ)."))
@pass_state
def db_current(state: CliState) -> None:
    engine = raw_engine(state)
    try:
        at = migrate.current(engine)
    finally:
        engine.dispose()
    newest = migrate.head()
    # Translators: %(revision)s is a schema version like "0001", or "none".
    click.echo(gettext("Database: %(revision)s",
                       revision=at or pgettext("schema version", "none")))
    # Translators: %(revision)s is a schema version like "0001".
    click.echo(gettext("Newest:   %(revision)s", revision=newest))
    if at != newest:
        raise Failure(gettext("The database is not at the newest schema; "
                              "run 'erpsync db upgrade'."))


@db_group.command("revision", help=_l(
    "For developers: write the next migration script into erpsync/migrations/versions, "
    "autogenerated from the difference between the declared tables and the schema the "
    "existing scripts build (on a scratch SQLite database)."))
@option("-m", "--message", required=True, help=_l("Short description, used in the file name."))
def db_revision(message: str) -> None:
    try:
        path = migrate.revision(message)
    except migrate.MigrationError as exc:
        raise Failure(str(exc)) from exc
    # Translators: %(path)s is the file name of a new migration script.
    click.echo(gettext("Wrote %(path)s; review it before committing.", path=path))


# ------------------------------------------------------------------ serve / demo


def _server_options(func: Any) -> Any:
    func = option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                  help=DATA_DIR_HELP)(func)
    func = option("--db", "db_url", metavar="URL", help=DB_HELP)(func)
    return func


def _check_port_free(host: str, port: int) -> None:
    """Fail with a clear message instead of uvicorn's traceback-ish log."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # Translators: %(host)s is a host name or IP address given with --host.
        raise BadInput(gettext("Unknown host %(host)s.", host=host)) from exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            # Translators: %(host)s:%(port)s is where the web server should listen.
            raise Failure(gettext("Cannot listen on %(host)s:%(port)s (%(reason)s); "
                                  "choose another port with --port.",
                                  host=host, port=port, reason=exc.strerror or exc)) from exc


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def _run_server(state: CliState, host: str, port: int) -> None:
    import uvicorn

    from .engine.backup import BackupOptions
    from .host.app import create_app
    from .logging_setup import uvicorn_log_config

    try:  # a bad backup option stops the start, not the first import
        backup = BackupOptions.from_environment()
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    app = create_app(db_url=state.resolved_db_url(), data_dir=state.resolved_data_dir(),
                     backup=backup)
    # Behind a TLS proxy: trust its X-Forwarded-Proto/-For (Secure cookies, client
    # addresses of the login throttle) only from the addresses named here.
    trusted = os.environ.get(FORWARDED_ALLOW_IPS_ENV, "").strip()
    # Logs: one JSON line per request and per import step (ERPSYNC_LOG_FORMAT=text
    # for plain text); uvicorn's own access log is replaced by ours.
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=uvicorn_log_config(),
                access_log=False, proxy_headers=bool(trusted),
                forwarded_allow_ips=trusted or None)


@main.command("serve", help=_l("Run the reference CRM host (web server)."))
@_server_options
@option("--host", default="127.0.0.1", show_default=True, help=_l("Address to listen on."))
@option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
        help=_l("Port to listen on."))
@pass_state
def serve(state: CliState, db_url: str | None, data_dir: Path | None, host: str,
          port: int) -> None:
    state.db_url = db_url or state.db_url
    state.data_dir = data_dir or state.data_dir
    raw_engine(state).dispose()  # a bad --db fails here, in one line
    _check_port_free(host, port)
    # Translators: %(url)s is the address of the web server.
    click.echo(gettext("Serving erpsync on %(url)s", url=_url(host, port)))
    # Translators: %(url)s is a database URL.
    click.echo(gettext("Database: %(url)s", url=state.display_db_url()))
    sys.stdout.flush()
    _run_server(state, host, port)


@main.command("demo", help=_l(
    "Start the reference CRM host with demo ERP data and a demo admin. Uses its own "
    "database in the 'demo' folder of the data directory unless --db is given, so "
    "your own data is never touched."))
@_server_options
@option("--host", default="127.0.0.1", show_default=True, help=_l("Address to listen on."))
@option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
        help=_l("Port to listen on."))
@click.pass_context
def demo(ctx: click.Context, db_url: str | None, data_dir: Path | None, host: str,
         port: int) -> None:
    from .host.demo import ensure_demo

    state = ctx.ensure_object(CliState)
    # The demo never lands in the database ERPSYNC_DB names (a real CRM, maybe):
    # only a --db typed on this command line counts.
    typed_db = ctx.parent is not None and (
        ctx.parent.get_parameter_source("db_url") is ParameterSource.COMMANDLINE)
    state.data_dir = data_dir or (state.resolved_data_dir() / "demo")
    state.db_url = db_url or (state.db_url if typed_db else None)
    _check_port_free(host, port)
    engine = raw_engine(state)
    try:
        migrate.upgrade(engine)
        info = ensure_demo(engine, state.data_dir, echo=None)
    except migrate.MigrationError as exc:
        raise Failure(str(exc)) from exc
    finally:
        engine.dispose()
    # First lines: where to go and how to log in.
    click.echo(info.describe(_url(host, port).rstrip("/")))
    # Translators: %(path)s is a folder on disk.
    click.echo(gettext("Demo data: %(path)s", path=state.data_dir))
    sys.stdout.flush()
    _run_server(state, host, port)


# ------------------------------------------------------------------ users


@main.group("users", help=_l("Users of the reference CRM host."))
def users_group() -> None:
    pass


@users_group.command("add", help=_l("Create a user. The password is read from standard "
                                    "input with --password-stdin, else asked for."))
@click.argument("username")
@option("--admin", is_flag=True, help=_l("Give the Settings and maintenance right "
                                         "(import, ERP connections)."))
@option("--password-stdin", is_flag=True, help=_l("Read the password from the first line "
                                                  "of standard input."))
@option("--display-name", metavar="TEXT", help=_l("Name shown in the host (default: the "
                                                  "username)."))
@option("--locale", metavar="CODE", help=_l("Profile language: en, nl or no."))
@pass_state
def users_add(state: CliState, username: str, admin: bool, password_stdin: bool,
              display_name: str | None, locale: str | None) -> None:
    from .host.users import UserError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt(gettext("Password"), hide_input=True,
                                confirmation_prompt=True)
    else:
        raise BadInput(gettext("No terminal to ask for the password: use --password-stdin."))
    engine = state.engine()
    try:
        user_id = create_user(engine, username, password, is_admin=admin,
                              display_name=display_name, locale=locale)
    except UserError as exc:
        raise BadInput(exc.user_message) from exc
    if admin:
        # Translators: %(name)s is a username, %(id)s its number.
        click.echo(gettext("Admin user %(name)s created (id %(id)s).", name=username,
                           id=user_id))
    else:
        # Translators: %(name)s is a username, %(id)s its number.
        click.echo(gettext("User %(name)s created (id %(id)s).", name=username, id=user_id))


main.add_command(connections_group)
main.add_command(connector_group)
main.add_command(import_command)
main.add_command(imports_group)
main.add_command(i18n_group)


if __name__ == "__main__":
    main()

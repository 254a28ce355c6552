"""Shared plumbing of the ``erpsync`` command line: localized help, errors with
the right exit code, the database chosen by ``--db``, progress output.

Exit codes: 0 success, 2 bad usage or bad input (:class:`BadInput`, and click's
own usage errors), 1 any other failure (:class:`Failure`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from . import db as dbmod
from . import i18n
from .i18n import gettext

T = TypeVar("T")

# ------------------------------------------------------------------ localized help
#
# click wants ``help`` to be a str when it formats it, but our help texts are
# LazyStrings (translated in the locale chosen when the command runs). These
# classes keep the lazy value and hand click its text on every read.


class _LazyHelp:
    _help: Any = None
    _short_help: Any = None
    _epilog: Any = None

    @property
    def help(self) -> str | None:
        return None if self._help is None else str(self._help)

    @help.setter
    def help(self, value: Any) -> None:
        self._help = value

    @property
    def short_help(self) -> str | None:
        return None if self._short_help is None else str(self._short_help)

    @short_help.setter
    def short_help(self, value: Any) -> None:
        self._short_help = value

    @property
    def epilog(self) -> str | None:
        return None if self._epilog is None else str(self._epilog)

    @epilog.setter
    def epilog(self, value: Any) -> None:
        self._epilog = value


class LazyHelpOption(_LazyHelp, click.Option):
    """A click option whose ``help`` may be a LazyString."""

    def __init__(self, *args: Any, help: Any = None, **kwargs: Any) -> None:  # noqa: A002
        # click cleans the help text up in its constructor: hand it over afterwards.
        super().__init__(*args, **kwargs)
        self.help = help


class LazyHelpCommand(_LazyHelp, click.Command):
    """A click command whose ``help``/``short_help``/``epilog`` may be LazyStrings."""


class LazyHelpGroup(_LazyHelp, click.Group):
    """A click group of :class:`LazyHelpCommand`s and groups like itself."""

    command_class = LazyHelpCommand
    group_class = type  # subgroups are of the same class as their parent


#: ``@option(...)``: :func:`click.option` accepting a LazyString ``help``.
option = functools.partial(click.option, cls=LazyHelpOption)


def cli_locale(environ: dict[str, str] | None = None) -> str:
    """The command line's language: ``ERPSYNC_LANG``, else the POSIX locale
    variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), normalised; English when
    none names a supported language (``C.UTF-8``, ``de_DE``...)."""
    env = os.environ if environ is None else environ
    return i18n.negotiate_locale(
        env.get("ERPSYNC_LANG"), env.get("LC_ALL"), env.get("LC_MESSAGES"), env.get("LANG"),
    )


# ------------------------------------------------------------------ errors


class CliError(click.ClickException):
    """An expected failure: one localized line on stderr, no traceback."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))

    def show(self, file: IO[Any] | None = None) -> None:
        # Translators: the line printed before a command-line error message.
        click.echo(gettext("Error: %(message)s", message=self.format_message()),
                   file=file or sys.stderr)


class BadInput(CliError):
    """The user asked for something that cannot be done as given (exit code 2)."""

    exit_code = 2


class Failure(CliError):
    """Something went wrong while doing what was asked (exit code 1)."""

    exit_code = 1


def one_line(text: Any) -> str:
    """``text`` on one line (stderr messages are one line each)."""
    return " ".join(str(text).split())


# ------------------------------------------------------------------ state


@dataclass
class CliState:
    """What the root command's options decided, shared by every subcommand."""

    db_url: str | None = None
    data_dir: Path | None = None
    _engine: Engine | None = field(default=None, repr=False)

    def resolved_data_dir(self) -> Path:
        return self.data_dir or dbmod.default_data_dir()

    def resolved_db_url(self) -> str:
        """``--db``/``ERPSYNC_DB``, else the SQLite file of the data directory."""
        if self.db_url:
            return self.db_url
        if self.data_dir is not None:
            return f"sqlite:///{self.data_dir / 'erpsync.sqlite'}"
        return dbmod.default_db_url()

    def display_db_url(self) -> str:
        """The database URL with any password hidden."""
        url = self.resolved_db_url()
        try:
            return make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            return url

    def engine(self) -> Engine:
        """The database engine, schema-checked (see :func:`ready_engine`)."""
        if self._engine is None:
            self._engine = ready_engine(self)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


pass_state = click.make_pass_decorator(CliState, ensure=True)


def raw_engine(state: CliState) -> Engine:
    """An engine for ``--db`` with connection problems turned into :class:`CliError`."""
    url = state.resolved_db_url()
    try:
        engine = dbmod.make_engine(url)
        with engine.connect():
            pass
    except (ArgumentError, NoSuchModuleError) as exc:
        # Translators: %(url)s is a database URL as given with --db; %(reason)s is technical.
        raise BadInput(gettext("Invalid database URL %(url)s: %(reason)s",
                               url=state.display_db_url(), reason=one_line(exc))) from exc
    except OperationalError as exc:
        raise Failure(_cannot_open(state, exc)) from exc
    return engine


def _cannot_open(state: CliState, exc: BaseException) -> str:
    reason = getattr(exc, "orig", None) or exc
    # Translators: %(url)s is a database URL; %(reason)s is the database's own message.
    return gettext("Cannot open the database %(url)s: %(reason)s",
                   url=state.display_db_url(), reason=one_line(reason))


def ready_engine(state: CliState) -> Engine:
    """An engine on a database with the current schema.

    A new, empty database gets the schema right away (nothing can be lost);
    one at an older revision is left alone with a hint to run ``erpsync db
    upgrade``, so that a schema change always is an explicit step.
    """
    from . import migrate, secrets

    engine = raw_engine(state)
    # The key of ERP connection secrets lives in the data directory (or ERPSYNC_SECRET_KEY).
    secrets.bind(engine, state.resolved_data_dir())
    try:
        at = migrate.current(engine)
        if at is None:
            migrate.upgrade(engine)
        elif at != migrate.head():
            # Translators: %(revision)s is a database schema version such as "0003".
            raise Failure(gettext(
                "The database schema is at version %(revision)s, not the newest; "
                "run 'erpsync db upgrade' first.", revision=at))
    except migrate.MigrationError as exc:
        raise Failure(str(exc)) from exc
    except OperationalError as exc:
        raise Failure(_cannot_open(state, exc)) from exc
    return engine


# ------------------------------------------------------------------ progress


class Progress:
    """Progress on stderr: a rich progress bar on a terminal, plain lines otherwise
    (logs, CI, pipes). Never touches stdout, which may carry ``--json``."""

    def __init__(self, stream: IO[str] | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.fancy = not quiet and _is_tty(self.stream)
        self._rich: Any = None
        self._tasks: dict[str, Any] = {}
        self._shown: dict[str, str] = {}

    def __enter__(self) -> Progress:
        if self.fancy:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._rich.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(*exc)
            self._rich = None

    def note(self, message: Any) -> None:
        """One line of information."""
        if self.quiet:
            return
        if self._rich is not None:
            self._rich.console.print(str(message), markup=False, highlight=False)
        else:
            click.echo(str(message), file=self.stream)

    def show(self, key: str, description: Any, done: int, total: int | None) -> None:
        """The state of a long step known by ``key`` (such as an import's phases):
        one bar per key on a terminal, else a line whenever ``description`` changes."""
        if self.quiet:
            return
        text = str(description)
        if self._rich is not None:
            task = self._tasks.get(key)
            if task is None:
                self._tasks[key] = self._rich.add_task(text, total=total, completed=done)
            else:
                self._rich.update(task, description=text, completed=done, total=total)
        elif self._shown.get(key) != text:
            self._shown[key] = text
            click.echo(text, file=self.stream)

    def count(self, items: Iterable[T], description: Any, done: Callable[[int], Any],
              total: int | None = None, every: int = 1000) -> Iterator[T]:
        """Yield ``items`` unchanged while counting them; ``done(n)`` gives the
        line printed at the end (and every ``every`` items without a terminal)."""
        n = 0
        task = None
        if self._rich is not None:
            task = self._rich.add_task(str(description), total=total)
        elif not self.quiet:
            click.echo(str(description), file=self.stream)
        for item in items:
            n += 1
            if task is not None:
                self._rich.advance(task)
            elif not self.quiet and n % every == 0:
                click.echo(str(done(n)), file=self.stream)
            yield item
        if task is not None:
            self._rich.update(task, total=n, completed=n)
        self.note(done(n))


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

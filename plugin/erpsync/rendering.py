"""One autoescaped Jinja environment per locale, with our gettext domain.

Template lookup order: the host's template dirs (so a host can override any
of our templates), then the package's ``templates/``. A template can extend
the original it overrides with the ``default:`` prefix, as in datasette::

    {% extends "default:erpsync/base.html" %}
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from . import i18n
from .paths import TEMPLATES_DIR


class Renderer:
    """Renders templates in a locale. ``extra_dirs`` come before ours."""

    def __init__(self, extra_dirs: Sequence[str | Path] = ()) -> None:
        self.extra_dirs = [Path(d) for d in extra_dirs]
        self._globals: dict[str, Any] = {}

    def add_globals(self, **values: Any) -> None:
        self._globals.update(values)
        self._env.cache_clear()

    @functools.cache  # noqa: B019 - one environment per locale for the renderer's life
    def _env(self, locale: str) -> Environment:
        ours = FileSystemLoader(str(TEMPLATES_DIR))
        loader = ChoiceLoader([
            *(FileSystemLoader(str(d)) for d in self.extra_dirs),
            ours,
            PrefixLoader({"default": ours}, delimiter=":"),
        ])
        env = Environment(
            loader=loader,
            autoescape=select_autoescape(["html", "xml"], default_for_string=True),
            extensions=["jinja2.ext.i18n"],
        )
        # Extraction runs with trimmed=True (babel.cfg); runtime must agree.
        env.policies["ext.i18n.trimmed"] = True
        translations = i18n.get_translations(locale)
        # Newstyle gettext that falls back to English on a broken translation.
        i18n.install_jinja_gettext(env, translations, locale)
        babel_loc = i18n.babel_locale(locale)
        env.filters["number"] = lambda n: format_decimal(n, locale=babel_loc)
        env.filters["datetime"] = lambda d: _fmt_datetime(d, babel_loc)
        env.filters["localize"] = lambda v: i18n.localize(v, locale)
        env.globals.update(self._globals)
        env.globals["locale"] = locale
        env.globals["language_names"] = i18n.LANGUAGE_NAMES
        return env

    def environment(self, locale: str | None = None) -> Environment:
        return self._env(locale or i18n.get_locale())

    def render(self, template: str, locale: str | None = None, **context: Any) -> str:
        loc = locale or i18n.get_locale()
        with i18n.use_locale(loc):
            return self._env(loc).get_template(template).render(**context)


def _fmt_datetime(value: Any, locale: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, format="short", locale=locale)
    if isinstance(value, date):
        return format_date(value, format="short", locale=locale)
    return str(value)

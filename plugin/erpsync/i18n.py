"""Catalogs, locale negotiation and lazy strings under the ``erpsync`` domain.

The current locale is a context variable: the host (or our middleware) sets it
per request with :func:`use_locale`, and :class:`LazyString` values defined at
import time render in that locale when they are turned into text.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .paths import LOCALES_DIR

log = logging.getLogger(__name__)

DOMAIN = "erpsync"
#: The languages we ship, as catalog directory names under ``locales/``.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "nl", "no")
DEFAULT_LOCALE = "en"
#: Babel locale used for number/date formatting of each catalog language.
BABEL_LOCALE = {"en": "en", "nl": "nl", "no": "nb"}
#: Name of each language in itself, for the language switcher.
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "no": "Norsk"}

_NORWEGIAN = {"no", "nb", "nn"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "erpsync_locale", default=DEFAULT_LOCALE
)


def normalize_locale(code: str | None) -> str | None:
    """Map a host locale code to one of :data:`SUPPORTED_LOCALES`, or None.

    ``nb``, ``nn``, ``nb_NO``, ``nb-NO``, ``no_NO`` and ``no`` all become ``no``
    (Babel knows no nb/no fallback, and ``Locale.parse("no_NO")`` raises);
    ``nl_BE`` becomes ``nl``. Only the language part counts.
    """
    if not code:
        return None
    lang = re.split(r"[-_.@]", code.strip().lower(), maxsplit=1)[0]
    if lang in _NORWEGIAN:
        return "no"
    return lang if lang in SUPPORTED_LOCALES else None


def negotiate_locale(*candidates: str | None, accept_language: str | None = None,
                     default: str = DEFAULT_LOCALE) -> str:
    """Pick the first supported locale among explicit candidates (e.g. a
    ``?lang=`` value, then the user's profile setting), then the browser's
    ``Accept-Language`` by quality, then ``default``."""
    for cand in candidates:
        found = normalize_locale(cand)
        if found:
            return found
    for lang in parse_accept_language(accept_language or ""):
        found = normalize_locale(lang)
        if found:
            return found
    return normalize_locale(default) or DEFAULT_LOCALE


def parse_accept_language(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


@functools.cache
def get_translations(locale: str) -> NullTranslations:
    """The catalog of ``locale`` (a supported code), compiled from the .po file
    when no up-to-date .mo exists (the wheel ships compiled .mo files)."""
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_path.exists() and (not po_path.exists()
                             or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        with mo_path.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if po_path.exists():
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=BABEL_LOCALE.get(locale, locale))
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        buf.seek(0)
        return Translations(buf, domain=DOMAIN)
    return NullTranslations()


def babel_locale(locale: str | None = None) -> Locale:
    """The Babel :class:`Locale` used to format numbers and dates."""
    code = locale or get_locale()
    return Locale.parse(BABEL_LOCALE.get(code, code))


def get_locale() -> str:
    return _current.get()


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[str]:
    """Render lazy strings in ``locale`` inside the block."""
    token = _current.set(normalize_locale(locale) or DEFAULT_LOCALE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str, /, **variables: Any) -> str:
    text = get_translations(get_locale()).ugettext(message)
    return _format(text, message, variables)


def ngettext(singular: str, plural: str, n: int, /, **variables: Any) -> str:
    text = get_translations(get_locale()).ungettext(singular, plural, n)
    variables.setdefault("num", n)
    return _format(text, singular if n == 1 else plural, variables)


def pgettext(context: str, message: str, /, **variables: Any) -> str:
    text = get_translations(get_locale()).upgettext(context, message)
    return _format(text, message, variables)


def npgettext(context: str, singular: str, plural: str, n: int, /,
              **variables: Any) -> str:
    text = get_translations(get_locale()).unpgettext(context, singular, plural, n)
    variables.setdefault("num", n)
    return _format(text, singular if n == 1 else plural, variables)


def _format(text: str, original: str, variables: dict[str, Any]) -> str:
    if not variables:
        return text
    try:
        return text % variables
    except (KeyError, ValueError, TypeError):
        # A broken translation must not break the page: fall back to English.
        log.warning("broken placeholder in %s translation of %r", get_locale(), original)
        return original % variables


class LazyString:
    """A message translated when it is turned into text, in the current locale."""

    __slots__ = ("_func", "_args", "_kwargs")

    def __init__(self, func: Any, /, *args: Any, **kwargs: Any) -> None:
        self._func, self._args, self._kwargs = func, args, kwargs

    def __str__(self) -> str:
        return self._func(*self._args, **self._kwargs)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"LazyString({self._args!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self._args)

    @property
    def msgid(self) -> str:
        """The untranslated message (last positional argument)."""
        return self._args[-1] if self._func is not ngettext else self._args[0]


def lazy_gettext(message: str, /, **variables: Any) -> LazyString:
    return LazyString(gettext, message, **variables)


def lazy_pgettext(context: str, message: str, /, **variables: Any) -> LazyString:
    return LazyString(pgettext, context, message, **variables)


def localize(value: Any, locale: str | None = None) -> str:
    """Text of a connector-provided name in the admin's language.

    Accepts a plain string, a :class:`LazyString`, a dict keyed by language
    code, or the ``US:"Name";NO:"Navn"`` style of multi-language strings.
    """
    if value is None:
        return ""
    loc = normalize_locale(locale) or get_locale()
    if isinstance(value, dict):
        by_lang = {normalize_locale(k) or k.lower(): v for k, v in value.items()}
        return str(by_lang.get(loc) or by_lang.get("en") or next(iter(value.values()), ""))
    if isinstance(value, str) and _MULTI_LANG.match(value):
        parts = {_lang_of_prefix(p): t for p, t in _MULTI_LANG_PART.findall(value)}
        return parts.get(loc) or parts.get("en") or next(iter(parts.values()), value)
    return str(value)


_MULTI_LANG = re.compile(r'^\s*[A-Za-z]{2,3}:".*"\s*;?\s*$', re.S)
_MULTI_LANG_PART = re.compile(r'([A-Za-z]{2,3}):"((?:[^"\\]|\\.)*)"')


def _lang_of_prefix(prefix: str) -> str:
    # SuperOffice-style prefixes are country-ish: US/GB mean English.
    p = prefix.lower()
    return {"us": "en", "gb": "en", "uk": "en"}.get(p, normalize_locale(p) or p)


def available_locales() -> Iterable[str]:
    return SUPPORTED_LOCALES


def install_jinja_gettext(env: Environment, translations: NullTranslations,
                          locale: str | None = None) -> None:
    """Install ``translations`` in ``env`` as newstyle gettext (``_``, ``gettext``,
    ``ngettext``, ``pgettext``, ``npgettext`` and ``{% trans %}``).

    Jinja's own newstyle callables do ``translation % variables`` unguarded, so one
    translation with a broken placeholder would make the whole page fail. Ours log a
    warning and format the English msgid instead, as :func:`gettext` does.
    """
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    lang = locale or "?"

    def render(ctx: Context, text: str, original: str, variables: dict[str, Any]) -> str:
        autoescape = ctx.eval_ctx.autoescape
        try:
            return (Markup(text) if autoescape else text) % variables
        except (KeyError, ValueError, TypeError):
            log.warning("broken placeholder in %s translation of %r", lang, original)
            return (Markup(original) if autoescape else original) % variables

    @pass_context
    def j_gettext(ctx: Context, message: str, /, **variables: Any) -> str:
        return render(ctx, translations.gettext(message), message, variables)

    @pass_context
    def j_ngettext(ctx: Context, singular: str, plural: str, num: int, /,
                   **variables: Any) -> str:
        variables.setdefault("num", num)
        text = translations.ngettext(singular, plural, num)
        return render(ctx, text, singular if num == 1 else plural, variables)

    @pass_context
    def j_pgettext(ctx: Context, context: str, message: str, /, **variables: Any) -> str:
        variables.setdefault("context", context)
        return render(ctx, translations.pgettext(context, message), message, variables)

    @pass_context
    def j_npgettext(ctx: Context, context: str, singular: str, plural: str, num: int, /,
                    **variables: Any) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        text = translations.npgettext(context, singular, plural, num)
        return render(ctx, text, singular if num == 1 else plural, variables)

    env.globals.update(gettext=j_gettext, ngettext=j_ngettext, pgettext=j_pgettext,
                       npgettext=j_npgettext)

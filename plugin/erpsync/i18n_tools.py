"""Translator tooling for the ``erpsync`` gettext domain: extract, update,
compile and check the catalogs of a source checkout.

The command line is :mod:`erpsync.i18n_cli` (``erpsync i18n ...``); everything
here is plain functions on a :class:`Project`, so tests can point them at a
temporary tree. The workflow is described in ``docs/translating.md``.

Why our own ``check``: ``pybabel update --check`` always fails once a catalog
has ``msgctxt`` entries (Babel #1307), and ``pybabel compile --statistics``
counts a plural entry with an empty form as translated.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, write_po

from . import __version__
from .i18n import BABEL_LOCALE, DOMAIN, LANGUAGE_NAMES, SUPPORTED_LOCALES, normalize_locale

#: The language the msgids are written in. `update` fills its catalog with
#: msgstr = msgid, so it is complete and checked like every other language.
SOURCE_LOCALE = "en"
#: Comment tag of translator comments (``# Translators: ...`` in Python,
#: ``{# Translators: ... #}`` in Jinja); the comments land in the .pot as ``#.``
#: lines, without the tag.
COMMENT_TAG = "Translators:"
#: Keywords on top of Babel's defaults; babel.cfg repeats them for plain pybabel.
KEYWORDS: dict[str, Any] = {
    "_l": None,
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
    "L": ((1, "c"), 2),  # local alias of lazy_pgettext in engine/settings.py
}
PO_WIDTH = 76
HEADER_COMMENT = (
    "# Translations for the erpsync project (gettext domain erpsync).\n"
    "# This file is distributed under the same license as the erpsync project.\n"
    "# Workflow and glossary: docs/translating.md\n"
    "#"
)

ERROR, WARNING = "error", "warning"


class I18nToolError(Exception):
    """A problem the developer must fix before the command can do its work
    (missing babel.cfg, unreadable catalog, template that does not parse)."""


# --------------------------------------------------------------------- project


@dataclass(frozen=True)
class Project:
    """Where a source checkout keeps its extraction config and catalogs."""

    root: Path
    domain: str = DOMAIN
    locales: tuple[str, ...] = SUPPORTED_LOCALES

    @classmethod
    def from_checkout(cls, root: str | Path | None = None) -> Project:
        """The checkout at ``root``, by default the one erpsync is imported from."""
        base = Path(root) if root else Path(__file__).resolve().parents[2]
        return cls(base.resolve())

    @property
    def mapping_file(self) -> Path:
        return self.root / "babel.cfg"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    @property
    def pot_path(self) -> Path:
        return self.locales_dir / f"{self.domain}.pot"

    def po_path(self, locale: str) -> Path:
        return self.locales_dir / locale / "LC_MESSAGES" / f"{self.domain}.po"

    def mo_path(self, locale: str) -> Path:
        return self.po_path(locale).with_suffix(".mo")

    def rel(self, path: Path) -> str:
        """``path`` relative to the checkout, for messages."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def babel_locale_code(locale: str) -> str:
    """The Babel locale of a catalog directory (``no`` is Bokmål, ``nb``)."""
    return BABEL_LOCALE.get(locale, locale)


def expected_plural_count(locale: str) -> int:
    return get_plural(babel_locale_code(locale)).num_plurals


def message_key(message: Message) -> tuple[str, str, str]:
    """(msgctxt, msgid, msgid_plural): what makes two entries the same message."""
    ids = message.id if isinstance(message.id, (tuple, list)) else (message.id, "")
    return (message.context or "", ids[0], ids[1] if len(ids) > 1 else "")


def describe(key: tuple[str, str, str]) -> str:
    """A message key as translators see it: ``[context] "msgid"``."""
    ctx, msgid, _plural = key
    text = msgid if len(msgid) <= 70 else msgid[:67] + "..."
    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return (f"[{ctx}] " if ctx else "") + f'"{quoted}"'


# --------------------------------------------------------------------- reading and writing


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    """Parse a .po/.pot file; a syntax error raises :class:`I18nToolError`."""
    try:
        with path.open("rb") as fh:
            return read_po(fh, locale=locale, domain=path.stem, abort_invalid=True)
    except PoFileError as exc:
        raise I18nToolError(f"{path}: cannot parse: {exc}") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise I18nToolError(f"{path}: cannot read: {exc}") from exc


def catalog_bytes(catalog: Catalog, *, drop_obsolete: bool = False) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=PO_WIDTH, ignore_obsolete=drop_obsolete,
             include_previous=True)
    return buf.getvalue()


def _write_if_changed(path: Path, data: bytes, *, ignore: re.Pattern[bytes] | None = None) -> bool:
    """Write ``data`` atomically unless the file already holds it (modulo the
    lines ``ignore`` matches). Returns whether the file was written."""
    if path.exists():
        old = path.read_bytes()
        if old == data or (ignore is not None and ignore.sub(b"", old) == ignore.sub(b"", data)):
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


_CREATION_DATE = re.compile(rb'^"POT-Creation-Date: [^"]*"\n', re.M)


# --------------------------------------------------------------------- extract


@dataclass
class ExtractResult:
    path: Path
    messages: int
    written: bool


def _top_dirs(method_map: Sequence[tuple[str, str]]) -> set[str] | None:
    """First path segments of the mapping patterns, or None if a pattern
    starts with a wildcard (then the whole tree must be walked)."""
    tops: set[str] = set()
    for pattern, method in method_map:
        if method == "ignore":
            continue
        first = pattern.split("/", 1)[0]
        if "/" not in pattern or any(ch in first for ch in "*?["):
            return None
        tops.add(first)
    return tops


def extract_catalog(project: Project) -> Catalog:
    """Extract the messages of the sources babel.cfg names into a new template
    catalog (in memory)."""
    if not project.mapping_file.is_file():
        raise I18nToolError(
            f"{project.mapping_file} not found: the i18n commands work in a source checkout "
            "(use --root to point at one)")
    with project.mapping_file.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(project.mapping_file))
    tops = _top_dirs(method_map)
    root = str(project.root)

    def directory_filter(dirpath: str) -> bool:
        name = os.path.basename(dirpath)
        if name.startswith((".", "_")):
            return False
        parent = os.path.dirname(os.path.abspath(dirpath))
        return tops is None or parent != root or name in tops

    catalog = Catalog(
        project="erpsync", version=__version__, domain=project.domain,
        msgid_bugs_address="", copyright_holder="", charset="utf-8",
        header_comment=HEADER_COMMENT, fuzzy=False,
    )
    current: list[str] = [""]
    extracted = extract_from_dir(
        root, method_map, options_map,
        keywords={**DEFAULT_KEYWORDS, **KEYWORDS},
        comment_tags=(COMMENT_TAG,),
        strip_comment_tags=True,  # Jinja's extractor strips the tag; be uniform
        callback=lambda filename, _method, _options: current.__setitem__(0, filename),
        directory_filter=directory_filter,
    )
    try:
        for filename, lineno, message, comments, context in extracted:
            catalog.add(message, None, [(filename.replace(os.sep, "/"), lineno)],
                        auto_comments=comments, context=context)
    except Exception as exc:  # a template Jinja cannot parse, a .py that does not tokenize
        line = getattr(exc, "lineno", None)
        where = f"{current[0]}:{line}" if line else current[0]
        raise I18nToolError(
            f"extraction failed in {where}: {type(exc).__name__}: {exc}") from exc
    return catalog


def extract(project: Project) -> ExtractResult:
    """Write the template ``locales/<domain>.pot``. An unchanged template is not
    rewritten, so its POT-Creation-Date only moves when the messages do."""
    catalog = extract_catalog(project)
    written = _write_if_changed(project.pot_path, catalog_bytes(catalog), ignore=_CREATION_DATE)
    return ExtractResult(project.pot_path, len(catalog), written)


# --------------------------------------------------------------------- update


@dataclass
class UpdateResult:
    locale: str
    path: Path
    created: bool
    written: bool
    added: int
    obsolete: int
    filled: int = 0


def _new_catalog(project: Project, locale: str, template: Catalog) -> Catalog:
    catalog = Catalog(
        locale=Locale.parse(babel_locale_code(locale)), domain=project.domain,
        project="erpsync", version=__version__, msgid_bugs_address="",
        copyright_holder="", charset="utf-8", header_comment=HEADER_COMMENT,
        creation_date=template.creation_date, fuzzy=False,
    )
    catalog.language_team = LANGUAGE_NAMES.get(locale, locale)
    return catalog


def fill_source_catalog(catalog: Catalog) -> int:
    """Give every untranslated entry of the source-language catalog its own
    msgid as translation (all plural forms: singular, then plural). Returns how
    many entries were filled; edited English wording is kept."""
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            forms = list(message.string) if isinstance(message.string, (tuple, list)) else []
            wanted = [message.id[0]] + [message.id[1]] * (catalog.num_plurals - 1)
            new = [forms[i] if i < len(forms) and forms[i] else text
                   for i, text in enumerate(wanted)]
            if new != forms:
                message.string = tuple(new)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
    return filled


def update(project: Project, locales: Iterable[str] | None = None, *,
           fuzzy_matching: bool = True, drop_obsolete: bool = False) -> list[UpdateResult]:
    """Merge the template into each catalog, creating missing ones.

    Translations are kept; messages gone from the template become obsolete
    (``#~`` entries), and obsolete entries with no translation are dropped as
    they carry nothing. New messages may get a fuzzy guess from a similar old
    one (unless ``fuzzy_matching`` is off); the source language never does,
    it is filled with msgid = msgstr instead.
    """
    if not project.pot_path.is_file():
        raise I18nToolError(f"{project.pot_path} not found: run `erpsync i18n extract` first")
    results = []
    for locale in locales or project.locales:
        # Catalog.update adopts the template's Message objects: a fresh copy each time.
        template = read_catalog(project.pot_path)
        path = project.po_path(locale)
        created = not path.exists()
        if created:
            catalog = _new_catalog(project, locale, template)
            before: set[tuple[str, str, str]] = set()
        else:
            catalog = read_catalog(path)
            if catalog.locale is None:
                catalog.locale = Locale.parse(babel_locale_code(locale))
            before = {message_key(m) for m in catalog if m.id}
        is_source = locale == SOURCE_LOCALE
        catalog.update(template, no_fuzzy_matching=is_source or not fuzzy_matching,
                       update_header_comment=False, keep_user_comments=True,
                       update_creation_date=True)
        for key, message in list(catalog.obsolete.items()):
            # Nothing to keep: no translation, or an English copy of the msgid.
            if not _has_translation(message) or (is_source and _is_msgid_copy(message)):
                del catalog.obsolete[key]
        for message in catalog:
            # A fuzzy flag on an empty entry says nothing (Babel offers untranslated
            # plural entries as fuzzy candidates, as ("", "") is truthy), and neither
            # does one on an English copy of the msgid.
            if message.id and message.fuzzy and (
                    not _has_translation(message) or (is_source and _is_msgid_copy(message))):
                message.flags.discard("fuzzy")
                message.previous_id = []
        filled = fill_source_catalog(catalog) if is_source else 0
        added = sum(1 for m in catalog if m.id and message_key(m) not in before)
        written = _write_if_changed(path, catalog_bytes(catalog, drop_obsolete=drop_obsolete))
        results.append(UpdateResult(locale, path, created, written, added,
                                    0 if drop_obsolete else len(catalog.obsolete), filled))
    return results


def _is_msgid_copy(message: Message) -> bool:
    if message.pluralizable and isinstance(message.string, (tuple, list)):
        ids = list(message.id)
        return all(form in ids for form in message.string)
    return message.string == message.id


def _has_translation(message: Message) -> bool:
    if isinstance(message.string, (tuple, list)):
        return any(message.string)
    return bool(message.string)


# --------------------------------------------------------------------- compile


@dataclass
class CompileResult:
    locale: str
    path: Path
    translated: int
    total: int


def compile_catalogs(project: Project, locales: Iterable[str] | None = None, *,
                     use_fuzzy: bool = False) -> list[CompileResult]:
    """Compile each ``.po`` to the ``.mo`` next to it. Untranslated (and, unless
    ``use_fuzzy``, fuzzy) entries are left out, so gettext falls back to English."""
    results = []
    for locale in locales or project.locales:
        po = project.po_path(locale)
        if not po.is_file():
            raise I18nToolError(f"{po} not found: run `erpsync i18n update` first")
        catalog = read_catalog(po)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=use_fuzzy)
        mo = project.mo_path(locale)
        tmp = mo.with_name(mo.name + ".tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, mo)
        stats = catalog_stats(catalog, expected_plural_count(locale))
        results.append(CompileResult(locale, mo, stats.translated, stats.total))
    return results


# --------------------------------------------------------------------- placeholders

_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])")
_BRACE_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Placeholders:
    """The formatting placeholders of one string."""

    named: frozenset[str]       # "%(num)d" style, normalised to name + conversion
    positional: tuple[str, ...]  # "%s", "%d" in order
    braces: frozenset[str]       # "{name}" fields (str.format), by field name
    stray_percent: int           # "%" that starts no valid conversion
    any_percent: bool            # any "%" at all, "%%" included

    @property
    def tokens(self) -> set[str]:
        return set(self.named) | set(self.positional) | {"{" + b + "}" for b in self.braces}


def placeholders(text: str) -> Placeholders:
    """Parse python-format (``%(name)s``, ``%s``) and brace (``{name}``) fields."""
    named, positional, stray = set(), [], 0
    pos = 0
    while (i := text.find("%", pos)) >= 0:
        m = _PERCENT.match(text, i)
        if m is None:
            stray += 1
            pos = i + 1
            continue
        pos = m.end()
        if m["conv"] == "%" and m["name"] is None:
            continue  # "%%", a literal percent sign
        if m["name"] is not None:
            named.add(f"%({m['name']}){m['conv']}")
        else:
            positional.append("%" + m["conv"])
    unescaped = text.replace("{{", "").replace("}}", "")
    braces = set()
    for f in _BRACE_FIELD.findall(unescaped):
        name = re.split(r"[!:.\[]", f, maxsplit=1)[0].strip()
        if not f or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|\d+", name):
            braces.add(name)
    return Placeholders(frozenset(named), tuple(positional), frozenset(braces), stray,
                        "%" in text)


def placeholder_problem(sources: Sequence[str], translation: str, *,
                        always_formatted: bool = False) -> str | None:
    """Why ``translation`` cannot stand in for the source text(s), or None.

    ``sources`` is ``[msgid]``, or ``[msgid, msgid_plural]`` for a plural form,
    which may match either (a singular form may leave out ``%(num)s`` when the
    msgid does). ``always_formatted`` is true for template strings: Jinja's
    newstyle gettext always applies ``%``, so a lone percent sign breaks them.
    """
    if not translation:
        return None
    got = placeholders(translation)
    parsed = [placeholders(s) for s in sources]
    is_format = always_formatted or any(p.any_percent for p in parsed)
    if is_format and got.stray_percent:
        return "a lone '%' (write '%%' for a percent sign)"

    def same(want: Placeholders) -> bool:
        if want.braces != got.braces:
            return False
        if is_format:
            return want.named == got.named and want.positional == got.positional
        # Never %-formatted: only a named placeholder is surely a mistake ("100% free"
        # parses as "% f", so positional look-alikes are left alone).
        return not got.named

    if any(same(p) for p in parsed):
        return None
    # Describe the difference against the text this form most likely renders.
    want = parsed[-1]
    want_tokens = want.tokens if is_format else {"{" + b + "}" for b in want.braces}
    got_tokens = got.tokens if is_format else got.tokens - set(got.positional)
    missing = sorted(want_tokens - got_tokens)
    unexpected = sorted(got_tokens - want_tokens)
    parts = []
    if missing:
        parts.append("lacks " + ", ".join(missing))
    if unexpected:
        parts.append("has " + ", ".join(unexpected) + " which the source does not")
    if not parts and want.positional != got.positional:
        parts.append(f"positional placeholders {' '.join(got.positional)} "
                     f"do not match {' '.join(want.positional)} in order")
    return "translation " + "; ".join(parts or ["placeholders differ from the source"])


# --------------------------------------------------------------------- check


@dataclass
class Finding:
    """One problem found by :func:`check`."""

    kind: str
    message: str
    severity: str = ERROR
    locale: str | None = None  # None: about the template
    path: str | None = None
    line: int | None = None
    msgctxt: str | None = None
    msgid: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CatalogStats:
    total: int = 0
    translated: int = 0
    untranslated: int = 0
    fuzzy: int = 0
    obsolete: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


@dataclass
class LocaleReport:
    locale: str
    path: str
    exists: bool
    stats: CatalogStats = field(default_factory=CatalogStats)
    findings: list[Finding] = field(default_factory=list)

    def stats_dict(self) -> dict[str, Any]:
        return {**asdict(self.stats), "percent": round(self.stats.percent, 1)}


@dataclass
class TemplateReport:
    path: str
    exists: bool
    messages: int = 0
    checked_sources: bool = False
    added: list[str] = field(default_factory=list)    # in the sources, not in the .pot
    removed: list[str] = field(default_factory=list)  # in the .pot, gone from the sources
    findings: list[Finding] = field(default_factory=list)


@dataclass
class CheckReport:
    """Result of :func:`check`: the template's state and one report per language."""

    template: TemplateReport
    locales: dict[str, LocaleReport]
    other_findings: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        out = list(self.template.findings)
        for rep in self.locales.values():
            out.extend(rep.findings)
        return out + self.other_findings

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def ok(self, strict: bool = False) -> bool:
        """No errors (and, if ``strict``, no warnings either)."""
        return not self.errors and not (strict and self.warnings)

    def to_dict(self, strict: bool = False) -> dict[str, Any]:
        return {
            "ok": self.ok(strict),
            "errors": self.errors,
            "warnings": self.warnings,
            "template": {
                "path": self.template.path, "exists": self.template.exists,
                "messages": self.template.messages,
                "checked_sources": self.template.checked_sources,
                "stale": bool(self.template.added or self.template.removed),
                "added": self.template.added, "removed": self.template.removed,
                "findings": [f.to_dict() for f in self.template.findings],
            },
            "locales": {
                loc: {
                    "path": rep.path, "exists": rep.exists,
                    "stats": rep.stats_dict(),
                    "findings": [f.to_dict() for f in rep.findings],
                }
                for loc, rep in self.locales.items()
            },
            "other": [f.to_dict() for f in self.other_findings],
        }


def catalog_stats(catalog: Catalog, nplurals: int) -> CatalogStats:
    stats = CatalogStats(obsolete=len(catalog.obsolete))
    for message in catalog:
        if not message.id:
            continue
        stats.total += 1
        if message.fuzzy:
            stats.fuzzy += 1
        if _empty_forms(message, nplurals):
            stats.untranslated += 1
        elif not message.fuzzy:
            stats.translated += 1
    return stats


def _empty_forms(message: Message, nplurals: int) -> list[int]:
    """Indexes of the empty translation forms (0 for a singular message)."""
    if message.pluralizable:
        forms = list(message.string) if isinstance(message.string, (tuple, list)) else []
        forms += [""] * (nplurals - len(forms))
        return [i for i, form in enumerate(forms) if not form]
    return [] if message.string else [0]


def _is_template_string(message: Message) -> bool:
    return any(not str(fn).endswith(".py") for fn, _ in message.locations)


def check_catalog(catalog: Catalog, locale: str, *, path: str = "",
                  template_keys: set[tuple[str, str, str]] | None = None) -> LocaleReport:
    """Completeness and placeholder findings for one parsed catalog."""
    nplurals = expected_plural_count(locale)
    report = LocaleReport(locale, path, True, catalog_stats(catalog, nplurals))

    def add(kind: str, text: str, message: Message | None = None,
            severity: str = ERROR) -> None:
        key = message_key(message) if message is not None else None
        report.findings.append(Finding(
            kind, text, severity, locale, path,
            getattr(message, "lineno", None) if message is not None else None,
            (key[0] or None) if key else None, key[1] if key else None))

    header_locale = str(catalog.locale) if catalog.locale else None
    if header_locale and normalize_locale(header_locale) != locale:
        add("header", f"the header says Language: {header_locale}, but the catalog "
                      f"is the one for {locale!r}")
    if catalog.num_plurals != nplurals:
        code = babel_locale_code(locale)
        add("header", f"Plural-Forms has nplurals={catalog.num_plurals}, {code} needs "
                      f"{nplurals} ({get_plural(code).plural_forms})")

    for message in catalog:
        if not message.id:
            continue
        key = message_key(message)
        if message.fuzzy:
            add("fuzzy", "marked fuzzy: check the translation, then remove the fuzzy flag",
                message)
        empty = _empty_forms(message, nplurals)
        if empty:
            if message.pluralizable and len(empty) < nplurals:
                add("untranslated", "plural form" + ("s " if len(empty) > 1 else " ")
                    + ", ".join(f"msgstr[{i}]" for i in empty) + " empty", message)
            else:
                add("untranslated", "no translation", message)
        if template_keys is not None and key not in template_keys:
            add("not-in-template", "not in the template any more: run `erpsync i18n update`",
                message)
        always = _is_template_string(message)
        if message.pluralizable:
            sources = [key[1], key[2]]
            for i, form in enumerate(message.string if isinstance(message.string,
                                                                  (tuple, list)) else ()):
                # Form 0 is the singular in our languages; compare the closest text last.
                order = sources if i else sources[::-1]
                problem = placeholder_problem(order, form, always_formatted=always)
                if problem:
                    add("placeholder", f"msgstr[{i}]: {problem}", message)
        else:
            problem = placeholder_problem([key[1]], str(message.string or ""),
                                          always_formatted=always)
            if problem:
                add("placeholder", problem, message)

    if template_keys is not None:
        have = {message_key(m) for m in catalog if m.id}
        missing = sorted(template_keys - have)
        if missing:
            sample = ", ".join(describe(k) for k in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            add("not-merged", f"{len(missing)} message(s) of the template are missing "
                              f"({sample}{more}): run `erpsync i18n update`")
    for message in catalog.obsolete.values():
        add("obsolete", "obsolete entry (#~): delete it once nobody needs it, "
                        "or run `erpsync i18n update --drop-obsolete`", message, WARNING)
    return report


def check_template_messages(pot: Catalog, path: str = "") -> list[Finding]:
    """Findings about the msgids themselves: a template string with a lone ``%``
    or a positional ``%s`` (Jinja formats every string with a dict, so even the
    English text would fail), and a placeholder without a translator comment."""
    findings = []
    for message in pot:
        if not message.id:
            continue
        key = message_key(message)
        parsed = [placeholders(t) for t in key[1:] if t]
        where = dict(path=path, line=getattr(message, "lineno", None),
                     msgctxt=key[0] or None, msgid=key[1])
        if _is_template_string(message) and any(p.stray_percent or p.positional
                                                for p in parsed):
            findings.append(Finding(
                "source-placeholder", "a template string needs named placeholders and "
                "'%%' for a percent sign: Jinja formats it with a dict", **where))
        if any(p.named or p.positional or p.braces for p in parsed) and not any(
                c.strip() for c in message.auto_comments):
            findings.append(Finding(
                "no-comment", "has a placeholder but no translator comment "
                f"({COMMENT_TAG} ...) saying what it stands for", WARNING, **where))
    return findings


def check(project: Project, locales: Iterable[str] | None = None, *,
          check_sources: bool = True) -> CheckReport:
    """Check the template against the sources and each catalog for completeness,
    fuzzy and obsolete entries and placeholder mismatches."""
    pot_rel = project.rel(project.pot_path)
    template = TemplateReport(pot_rel, project.pot_path.is_file())
    template_keys: set[tuple[str, str, str]] | None = None
    if template.exists:
        try:
            pot = read_catalog(project.pot_path)
        except I18nToolError as exc:
            template.findings.append(Finding("syntax", str(exc), path=pot_rel))
        else:
            template_keys = {message_key(m) for m in pot if m.id}
            template.messages = len(template_keys)
            template.findings.extend(check_template_messages(pot, pot_rel))
    else:
        template.findings.append(Finding(
            "missing-template", "the template does not exist: run `erpsync i18n extract`",
            path=pot_rel))

    if check_sources:
        try:
            fresh = extract_catalog(project)
        except I18nToolError as exc:
            template.findings.append(Finding("extract-failed", str(exc), path=pot_rel))
        else:
            template.checked_sources = True
            if template_keys is not None:
                fresh_keys = {message_key(m) for m in fresh if m.id}
                template.added = [describe(k) for k in sorted(fresh_keys - template_keys)]
                template.removed = [describe(k) for k in sorted(template_keys - fresh_keys)]
                if template.added or template.removed:
                    template.findings.append(Finding(
                        "stale-template",
                        f"the template is stale: {len(template.added)} message(s) new in the "
                        f"sources, {len(template.removed)} no longer used: run "
                        "`erpsync i18n extract`, then `erpsync i18n update`", path=pot_rel))

    reports: dict[str, LocaleReport] = {}
    for locale in locales or project.locales:
        po = project.po_path(locale)
        rel = project.rel(po)
        if not po.is_file():
            rep = LocaleReport(locale, rel, False)
            rep.findings.append(Finding("missing-catalog",
                                        "the catalog does not exist: run `erpsync i18n update`",
                                        locale=locale, path=rel))
            reports[locale] = rep
            continue
        try:
            catalog = read_catalog(po)
        except I18nToolError as exc:
            rep = LocaleReport(locale, rel, True)
            rep.findings.append(Finding("syntax", str(exc), locale=locale, path=rel))
            reports[locale] = rep
            continue
        reports[locale] = check_catalog(catalog, locale, path=rel, template_keys=template_keys)

    other = [
        Finding("unknown-language",
                f"{project.rel(p)} exists, but {p.parent.parent.name!r} is not in "
                "erpsync.i18n.SUPPORTED_LOCALES (see docs/translating.md)",
                WARNING, path=project.rel(p))
        for p in _catalogs_on_disk(project) if p.parent.parent.name not in project.locales
    ]
    return CheckReport(template, reports, other)


def _catalogs_on_disk(project: Project) -> Iterator[Path]:
    if project.locales_dir.is_dir():
        yield from sorted(project.locales_dir.glob(f"*/LC_MESSAGES/{project.domain}.po"))

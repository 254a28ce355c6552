"""The admins' help pages: Markdown files in ``docs/help/<language>/`` (shipped in
the wheel as ``erpsync/help``), rendered for the in-app help.

The pages follow the structure of the help pages admins know: front matter
(``uid``, ``title``, ``language``, ``audience``...), steps, callouts and shared
fragments::

    [!include[Open Import](includes/open-import.md)]     a fragment, inlined
    > [!NOTE]                                            a callout (NOTE, TIP,
    > Nothing is written yet.                             CAUTION, WARNING, IMPORTANT)
    [Search criteria](search-criteria.md)                another help page
    ![Import icon](../media/import-erp.svg)              an image of docs/help/media

:class:`HelpDocs` finds, resolves and renders them with markdown-it-py (raw HTML
disabled, although our own docs are trusted). A page missing in the admin's
language falls back to English, and the result says so (``fallback``). The same
include resolution serves the documentation site (``tools/docs/mkdocs_hooks.py``)
and the docs tests, so all three read the pages alike.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin

from .i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, lazy_pgettext, use_locale
from .paths import HELP_DIR

log = logging.getLogger(__name__)

#: The page a dialog without a page of its own links to.
DEFAULT_PAGE = "import-from-erp"
#: Pages in the order the help index lists them (others follow, by title).
PAGE_ORDER: tuple[str, ...] = (
    "import-from-erp", "search-criteria", "import-settings", "preview-import",
    "undo-import", "import-from-file", "add-erp-connection", "sync-tab",
)
#: Folder of the shared fragments inside a language folder (not pages themselves).
INCLUDES_DIR = "includes"
#: Folder of the images, next to the language folders.
MEDIA_DIR = "media"

#: ``[!include[title](path)]``: the file's text replaces the directive.
INCLUDE_RE = re.compile(r"\[!include\[(?P<title>[^\]]*)\]\((?P<path>[^)\s]+)\)\]")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(?P<body>.*?)^---[ \t]*(?:\r?\n|\Z)",
                              re.S | re.M)
_FRONT_MATTER_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*(?P<value>.*)$")
_PAGE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)

#: Titles of the callouts, in the page's language.
CALLOUT_TITLES = {
    "NOTE": lazy_pgettext("help callout", "Note"),
    "TIP": lazy_pgettext("help callout", "Tip"),
    "IMPORTANT": lazy_pgettext("help callout", "Important"),
    "WARNING": lazy_pgettext("help callout", "Warning"),
    "CAUTION": lazy_pgettext("help callout", "Caution"),
}

#: Builds the URL of a help page: ``page_url(name, language, fragment)``.
PageUrl = Callable[[str, str, str], str]
#: Builds the URL of an image: ``media_url(path inside docs/help/media)``.
MediaUrl = Callable[[str], str]


class HelpError(Exception):
    """A help page or fragment is missing or malformed."""


def is_page_name(name: str) -> bool:
    """A page name is a file name without ``.md``: lowercase words and dashes."""
    return bool(_PAGE_NAME_RE.match(name))


def slugify(text: str, separator: str = "-") -> str:
    """Heading anchor ids: the same as Python-Markdown's ``slugify_unicode``
    (used by the docs site), so ``page.md#some-heading`` works in both."""
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(rf"[{separator}\s]+", separator, text)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """The front matter (``key: value`` lines between ``---`` lines) and the rest.

    Values may be quoted; anything else than ``key: value`` lines raises
    :class:`HelpError` (our pages use flat front matter only).
    """
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for number, line in enumerate(match.group("body").splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _FRONT_MATTER_LINE.match(line)
        if not item:
            raise HelpError(f"front matter line {number} is not 'key: value': {line!r}")
        value = item.group("value").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        meta[item.group("key")] = value
    return meta, text[match.end():]


def resolve_includes(text: str, base_dir: Path, root: Path, *, strict: bool = True,
                     _stack: tuple[Path, ...] = ()) -> str:
    """``text`` with every ``[!include[...](path)]`` replaced by that file's text.

    ``path`` is relative to ``base_dir`` (the including file's folder) and must
    stay inside ``root``. Fragments may include fragments; a cycle or a missing
    file raises :class:`HelpError` when ``strict``, else leaves a visible marker
    (and a log line). A directive after a list marker (``1. [!include...]``)
    gets the fragment's further lines indented to the item's content.
    """

    def replace(match: re.Match[str]) -> str:
        target = (base_dir / match.group("path")).resolve()
        try:
            target.relative_to(root.resolve())
        except ValueError:
            return _include_problem(f"include outside the help folder: {match.group('path')}",
                                    strict)
        if target in _stack:
            return _include_problem(f"include cycle: {match.group('path')}", strict)
        if not target.is_file():
            return _include_problem(f"missing include: {match.group('path')} "
                                    f"(from {base_dir})", strict)
        _, body = split_front_matter(target.read_text(encoding="utf-8"))
        body = resolve_includes(body, target.parent, root, strict=strict,
                                _stack=(*_stack, target)).strip("\n")
        line_start = match.string.rfind("\n", 0, match.start()) + 1
        prefix = match.string[line_start:match.start()]
        indent = " " * len(prefix) if _is_block_prefix(prefix) else ""
        return body.replace("\n", "\n" + indent) if indent else body

    return INCLUDE_RE.sub(replace, text)


def _is_block_prefix(prefix: str) -> bool:
    """Spaces and list markers only: the directive starts a (list item's) block."""
    return re.fullmatch(r"(?:\s*(?:[-*+]|\d{1,9}[.)])\s+)*\s*", prefix) is not None


def _include_problem(message: str, strict: bool) -> str:
    if strict:
        raise HelpError(message)
    log.warning("help page: %s", message)
    return f"**[{message}]**"


@dataclass(frozen=True)
class HelpSource:
    """A page's text with its includes resolved, before rendering."""

    name: str
    language: str
    path: Path
    meta: dict[str, str]
    markdown: str

    @property
    def title(self) -> str:
        return self.meta.get("title") or self.name


@dataclass(frozen=True)
class HelpPage:
    """A rendered help page. ``fallback`` is True when the page does not exist in
    ``requested_language`` and is shown in ``language`` (English) instead."""

    name: str
    language: str
    requested_language: str
    meta: dict[str, str]
    html: Markup
    problems: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return self.meta.get("title") or self.name

    @property
    def fallback(self) -> bool:
        return self.language != self.requested_language


@dataclass(frozen=True)
class HelpEntry:
    """One line of the help index."""

    name: str
    title: str
    description: str
    language: str


@dataclass
class _RenderState:
    page: HelpSource
    page_url: PageUrl
    media_url: MediaUrl
    problems: list[str] = field(default_factory=list)


class HelpDocs:
    """The help pages under ``root`` (default :data:`erpsync.paths.HELP_DIR`)."""

    def __init__(self, root: Path | str | None = None,
                 languages: Sequence[str] = SUPPORTED_LOCALES,
                 fallback_language: str = DEFAULT_LOCALE) -> None:
        self.root = Path(root) if root is not None else HELP_DIR
        self.languages = tuple(languages)
        self.fallback_language = fallback_language
        self._md = _markdown()

    # -- finding pages -------------------------------------------------------
    def page_path(self, name: str, language: str) -> Path | None:
        """The file of page ``name`` in ``language``, or None."""
        if not is_page_name(name) or language not in self.languages:
            return None
        path = self.root / language / f"{name}.md"
        return path if path.is_file() else None

    def page_names(self, language: str) -> list[str]:
        """Names of the pages written in ``language`` (fragments excluded)."""
        folder = self.root / language
        if language not in self.languages or not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.md") if is_page_name(p.stem))

    def all_page_names(self) -> list[str]:
        """Every page name in any language, in index order."""
        names = {n for lang in self.languages for n in self.page_names(lang)}
        return sorted(names, key=_index_key)

    def exists(self, name: str) -> bool:
        return any(self.page_path(name, lang) for lang in self.languages)

    def load(self, name: str, language: str, *, strict: bool = True) -> HelpSource:
        """Page ``name`` in ``language`` exactly (no fallback), includes resolved."""
        path = self.page_path(name, language)
        if path is None:
            raise HelpError(f"no help page {name!r} in {language!r}")
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        markdown = resolve_includes(body, path.parent, self.root, strict=strict)
        # Comments (<!-- Referenced links -->) are for authors; with raw HTML
        # disabled they would show as text.
        markdown = _COMMENT_RE.sub("", markdown)
        return HelpSource(name=name, language=language, path=path, meta=meta,
                          markdown=markdown)

    def sources(self, *, strict: bool = True) -> Iterator[HelpSource]:
        """Every page in every language."""
        for language in self.languages:
            for name in self.page_names(language):
                yield self.load(name, language, strict=strict)

    def index(self, language: str) -> list[HelpEntry]:
        """The pages for the help index in ``language``, English where missing."""
        entries = []
        for name in self.all_page_names():
            lang = language if self.page_path(name, language) else self.fallback_language
            path = self.page_path(name, lang)
            if path is None:
                continue
            try:
                meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
            except HelpError as exc:  # one broken page must not hide the others
                log.warning("help page %s: %s", path, exc)
                meta = {}
            entries.append(HelpEntry(name=name, title=meta.get("title") or name,
                                     description=meta.get("description", ""), language=lang))
        return entries

    # -- rendering -----------------------------------------------------------
    def render(self, name: str, language: str, *, page_url: PageUrl, media_url: MediaUrl,
               strict: bool = False) -> HelpPage:
        """Page ``name`` in ``language`` (else in English) as HTML.

        Links to other pages (``other.md``, ``../nl/other.md#anchor``) become
        ``page_url(name, language, fragment)``; images under ``media/`` become
        ``media_url(path)``. Any other relative link cannot work in the app: it
        is shown as plain text and reported in ``problems`` (raised when
        ``strict``). Raises :class:`HelpError` when no such page exists.
        """
        lang = language if self.page_path(name, language) else self.fallback_language
        source = self.load(name, lang, strict=strict)
        state = _RenderState(page=source, page_url=page_url, media_url=media_url)
        env: dict[str, Any] = {}
        tokens = self._md.parse(source.markdown, env)
        with use_locale(lang):
            self._rewrite(tokens, state)
        if strict and state.problems:
            raise HelpError("; ".join(state.problems))
        html = self._md.renderer.render(tokens, self._md.options, env)
        return HelpPage(name=name, language=lang, requested_language=language,
                        meta=source.meta, html=Markup(html),  # noqa: S704 - html disabled
                        problems=tuple(state.problems))

    def _rewrite(self, tokens: list[Token], state: _RenderState) -> None:
        for index, token in enumerate(tokens):
            if token.type == "alert_open" and index + 2 < len(tokens):
                # alert_open, alert_title_open, inline "Note": the title in the
                # page's language instead of markdown-it's English kind.
                title = CALLOUT_TITLES.get(str(token.info or "").upper())
                if title is not None and tokens[index + 2].type == "inline":
                    tokens[index + 2].children = [_text_token(str(title))]
            elif token.type == "link_open":
                href = str(token.attrGet("href") or "")
                new = self._link_target(href, state, image=False)
                if new is None:
                    _unlink(token, tokens, index)
                else:
                    token.attrSet("href", new)
            elif token.type == "image":
                src = str(token.attrGet("src") or "")
                new = self._link_target(src, state, image=True)
                token.attrSet("src", new or "")
            if token.children:
                self._rewrite(token.children, state)

    def _link_target(self, href: str, state: _RenderState, *, image: bool) -> str | None:
        """The in-app URL of a link (None: it cannot work here)."""
        if not href or href.startswith("#") or _SCHEME_RE.match(href) or href.startswith("//"):
            return href
        parts = urlsplit(href)
        page_dir = posixpath.dirname(
            state.page.path.relative_to(self.root).as_posix())
        target = posixpath.normpath(posixpath.join(page_dir, parts.path))
        pieces = target.split("/")
        if pieces[0] == MEDIA_DIR and len(pieces) > 1 and (self.root / target).is_file():
            return state.media_url("/".join(pieces[1:]))
        if (not image and len(pieces) == 2 and pieces[0] in self.languages
                and pieces[1].endswith(".md")):
            name = pieces[1][:-3]
            if self.page_path(name, pieces[0]) or self.exists(name):
                return state.page_url(name, pieces[0], parts.fragment)
        state.problems.append(f"{state.page.path.name}: link to {href!r} does not resolve "
                              "to a help page or an image in media/")
        return None


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "alerts": True, "linkify": False,
                                   "typographer": False})
    md.enable("table")
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=slugify)
    return md


def _text_token(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _unlink(token: Token, tokens: list[Token], index: int) -> None:
    """Drop a link's tags, keeping its text."""
    depth = 0
    for later in tokens[index:]:
        if later.type == "link_open":
            depth += 1
        elif later.type == "link_close":
            depth -= 1
            if depth == 0:
                later.type, later.tag, later.nesting = "text", "", 0
                later.content = ""
                break
    token.type, token.tag, token.nesting, token.attrs = "text", "", 0, {}
    token.content = ""


def _index_key(name: str) -> tuple[int, str]:
    return (PAGE_ORDER.index(name) if name in PAGE_ORDER else len(PAGE_ORDER), name)

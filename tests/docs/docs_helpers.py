"""Reading the help pages the way the docs tests need them: sections, bold UI
terms, links and images (after includes are resolved, as the app shows them)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from erpsync.helpdocs import HelpDocs, HelpSource, slugify, split_front_matter

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = REPO_ROOT / "docs"
HELP_DIR = DOCS_DIR / "help"
LANGUAGES = ("en", "nl", "no")

_MD = MarkdownIt("commonmark", {"html": False, "alerts": True}).enable("table")
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_HEAD = re.compile(r"<head\b.*?</head>", re.S | re.I)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S | re.I)


@dataclass
class Section:
    """Part of a page: before the first ``##`` heading (index 0), then one per ``##``."""

    index: int
    heading: str
    terms: list[str] = field(default_factory=list)


def help_docs() -> HelpDocs:
    return HelpDocs(HELP_DIR)


def sections(source: HelpSource) -> list[Section]:
    """The page's sections with the bold terms of each, in document order."""
    tokens = _MD.parse(source.markdown)
    result = [Section(0, source.title)]
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            result.append(Section(len(result), tokens[index + 1].content))
        elif token.type == "inline" and token.children:
            result[-1].terms.extend(bold_terms(token.children))
    return result


def bold_terms(children: list[Token]) -> list[str]:
    """Texts inside ``**...**`` of one inline token (whitespace collapsed)."""
    terms: list[str] = []
    depth, parts = 0, []
    for child in children:
        if child.type == "strong_open":
            depth += 1
            parts = [] if depth == 1 else parts
        elif child.type == "strong_close":
            depth -= 1
            if depth == 0:
                term = _SPACE.sub(" ", "".join(parts)).strip()
                if term:
                    terms.append(term)
        elif depth and child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif depth and child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return terms


def page_terms(source: HelpSource) -> list[str]:
    """Every bold term of a page, in document order, repeats included."""
    return [t for s in sections(source) for t in s.terms]


def links(markdown: str) -> list[tuple[str, str]]:
    """(kind, target) of every link and image: kind is "link" or "image"."""
    found: list[tuple[str, str]] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type == "link_open":
                found.append(("link", str(token.attrGet("href") or "")))
            elif token.type == "image":
                found.append(("image", str(token.attrGet("src") or "")))
            if token.children:
                walk(token.children)

    walk(_MD.parse(markdown))
    return found


def heading_ids(markdown: str) -> set[str]:
    """Anchor ids of every heading, as both renderers make them."""
    tokens = _MD.parse(markdown)
    return {slugify(tokens[i + 1].content) for i, t in enumerate(tokens)
            if t.type == "heading_open"}


def markdown_of(path: Path) -> str:
    """A Markdown file's text without front matter, includes resolved when it
    is a help page (strictly: a missing include raises)."""
    from erpsync.helpdocs import resolve_includes

    _, body = split_front_matter(path.read_text(encoding="utf-8"))
    if HELP_DIR in path.parents:
        body = resolve_includes(body, path.parent, HELP_DIR, strict=True)
    return body


def visible_text(page: str) -> str:
    """What a person sees of an HTML page: no head, scripts or tags, entities
    decoded, whitespace collapsed (option texts of lists included)."""
    body = _SCRIPT.sub(" ", _HEAD.sub(" ", page))
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body))).strip()


def h1_of(page: str) -> str:
    match = _H1.search(page)
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", match.group(1)))).strip() if match else ""


def primary_buttons(page: str) -> list[str]:
    """Labels of the primary buttons (``button-primary``) of a page."""
    found = re.findall(r'<(?:button|a)\b[^>]*class="[^"]*\bbutton-primary\b[^"]*"[^>]*>(.*?)</',
                       page, re.S)
    return [_SPACE.sub(" ", html.unescape(_TAGS.sub(" ", f))).strip() for f in found]

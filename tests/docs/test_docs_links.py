"""Everything under docs/ holds together: includes exist, relative links and
images point at files that exist (and at headings that exist), help pages have
their front matter, and every help page renders in the app without a problem."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from docs_helpers import (
    DOCS_DIR,
    HELP_DIR,
    LANGUAGES,
    heading_ids,
    help_docs,
    links,
    markdown_of,
)

from erpsync.helpdocs import INCLUDE_RE, HelpError, resolve_includes, split_front_matter

MARKDOWN_FILES = sorted(DOCS_DIR.rglob("*.md"))
HELP_PAGES = sorted(p for lang in LANGUAGES for p in (HELP_DIR / lang).glob("*.md"))
REQUIRED_FRONT_MATTER = ("uid", "title", "language", "audience")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _rel(path: Path) -> str:
    return path.relative_to(DOCS_DIR).as_posix()


def _is_include(path: Path) -> bool:
    return "includes" in path.relative_to(DOCS_DIR).parts


def test_there_are_docs():
    assert HELP_PAGES and (DOCS_DIR / "hooks.md").is_file()


@pytest.mark.parametrize("path", [p for p in MARKDOWN_FILES if HELP_DIR in p.parents],
                         ids=_rel)
def test_includes_exist(path):
    """Every ``[!include[...](...)]`` of the help names an existing fragment."""
    _, body = split_front_matter(path.read_text(encoding="utf-8"))
    for match in INCLUDE_RE.finditer(body):
        assert (path.parent / match.group("path")).is_file(), (
            f"{_rel(path)}: missing include {match.group('path')}")
    resolve_includes(body, path.parent, HELP_DIR, strict=True)


def test_a_missing_include_is_an_error(tmp_path):
    (tmp_path / "en").mkdir()
    with pytest.raises(HelpError, match="missing include"):
        resolve_includes("[!include[x](includes/gone.md)]", tmp_path / "en", tmp_path)


@pytest.mark.parametrize("path", [p for p in MARKDOWN_FILES if not _is_include(p)], ids=_rel)
def test_relative_links_and_images_resolve(path):
    markdown = markdown_of(path)
    problems = []
    for kind, target in links(markdown):
        if not target or _SCHEME.match(target) or target.startswith("//"):
            continue  # external: not checked (no network in tests)
        parts = urlsplit(target)
        if not parts.path:  # same-page anchor
            if parts.fragment not in heading_ids(markdown):
                problems.append(f"{target}: no such heading here")
            continue
        resolved = (path.parent / unquote(parts.path)).resolve()
        if not resolved.is_file():
            problems.append(f"{target}: {resolved} does not exist")
            continue
        if HELP_DIR in path.parents and HELP_DIR.resolve() not in resolved.parents:
            problems.append(f"{target}: a help page may only link to help pages and "
                            "media/ (the in-app help cannot show anything else)")
        if (parts.fragment and resolved.suffix == ".md"
                and parts.fragment not in heading_ids(markdown_of(resolved))):
            problems.append(f"{target}: no heading #{parts.fragment} in {resolved.name}")
        if kind == "image" and resolved.suffix == ".md":
            problems.append(f"{target}: an image cannot be a page")
    assert not problems, f"{_rel(path)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", HELP_PAGES, ids=_rel)
def test_help_pages_have_their_front_matter(path):
    meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
    language = path.parent.name
    missing = [key for key in REQUIRED_FRONT_MATTER if not meta.get(key)]
    assert not missing, f"{_rel(path)} lacks {missing} in its front matter"
    assert meta["language"] == language
    assert meta["uid"] == f"help-{language}-{path.stem}"
    assert meta["audience"] == "settings"


def test_help_page_uids_are_unique():
    uids = [split_front_matter(p.read_text(encoding="utf-8"))[0].get("uid") for p in HELP_PAGES]
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_help_page_renders_in_the_app_without_problems(language):
    docs = help_docs()
    for name in docs.page_names(language):
        page = docs.render(name, language, strict=True,
                           page_url=lambda n, lang, frag: f"/help/{n}?lang={lang}#{frag}",
                           media_url=lambda p: f"/help/media/{p}")
        assert page.language == language and not page.fallback
        assert page.html.startswith("<h1"), f"{language}/{name}.md must start with its title"
        assert "[!include" not in page.html and "[!NOTE]" not in page.html

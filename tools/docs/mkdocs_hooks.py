"""MkDocs hooks of the documentation site (mkdocs.yml ``hooks:``).

The admins' help pages (docs/help) use the syntax of the help system they
come from, which Python-Markdown does not know; these hooks turn it into
what MkDocs renders, with the same code the in-app help uses
(:mod:`erpsync.helpdocs`), so the site and the app cannot disagree:

* ``[!include[title](includes/x.md)]`` is replaced by the fragment (a missing
  fragment stops the build);
* ``> [!NOTE]`` / ``[!TIP]`` / ``[!CAUTION]`` ... callouts become admonitions,
  titled in the page's language;
* the navigation is built from the files present: the help in three
  languages (in the help index's order), then the developers' and
  translators' guides, so a page added by anyone shows up without editing
  mkdocs.yml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from erpsync.helpdocs import CALLOUT_TITLES, HelpDocs, resolve_includes, split_front_matter
from erpsync.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, use_locale

#: Admonition class of each callout kind (styles of the MkDocs theme).
ADMONITION = {"NOTE": "note", "TIP": "tip", "IMPORTANT": "important",
              "WARNING": "warning", "CAUTION": "danger"}
#: Section titles of the help in each language, in that language.
HELP_SECTION = {"en": "Admin help (English)", "nl": "Hulp voor beheerders (Nederlands)",
                "no": "Hjelp for administratorer (norsk)"}
_ALERT = re.compile(r"^(?P<indent>[ \t]*)>[ \t]?\[!(?P<kind>[A-Z]+)\][ \t]*$")


def callouts_to_admonitions(markdown: str, language: str) -> str:
    """``> [!KIND]`` blockquotes as ``!!! kind "Title"`` admonitions (any indent)."""
    lines = markdown.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _ALERT.match(lines[i])
        kind = match.group("kind") if match else None
        if kind not in ADMONITION:
            out.append(lines[i])
            i += 1
            continue
        indent = match.group("indent")
        with use_locale(language):
            title = str(CALLOUT_TITLES[kind])
        out.append(f'{indent}!!! {ADMONITION[kind]} "{title}"')
        i += 1
        quoted = re.compile(rf"^{re.escape(indent)}>[ \t]?(?P<text>.*)$")
        while i < len(lines) and (inner := quoted.match(lines[i])):
            text = inner.group("text")
            out.append(f"{indent}    {text}" if text.strip() else "")
            i += 1
        out.append("")
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Includes and callouts of the help pages."""
    src = Path(page.file.abs_src_path)
    help_root = Path(config["docs_dir"]) / "help"
    if help_root not in src.parents:
        return markdown
    language = src.relative_to(help_root).parts[0]
    markdown = resolve_includes(markdown, src.parent, help_root, strict=True)
    return callouts_to_admonitions(markdown, language)


def on_config(config: Any) -> Any:
    """The navigation, from the files in docs/."""
    docs = Path(config["docs_dir"])
    help_docs = HelpDocs(docs / "help")
    nav: list[Any] = [{"Home": "index.md"}]
    for language in SUPPORTED_LOCALES:
        entries = [{e.title: f"help/{e.language}/{e.name}.md"}
                   for e in help_docs.index(language) if e.language == language]
        if entries:
            nav.append({HELP_SECTION.get(language, LANGUAGE_NAMES[language]): entries})
    developers: list[Any] = []
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        if rel.startswith("help/") or rel in ("index.md", "translating.md"):
            continue
        developers.append({_title(path): rel})
    nav.append({"Developers": developers})
    if (docs / "translating.md").is_file():
        nav.append({"Translators": [{_title(docs / "translating.md"): "translating.md"}]})
    config["nav"] = nav
    return config


def _title(path: Path) -> str:
    """A page's title: front matter ``title``, else its first heading."""
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    if meta.get("title"):
        return meta["title"]
    heading = re.search(r"^#\s+(.+?)\s*#*\s*$", body, re.M)
    return heading.group(1) if heading else path.stem

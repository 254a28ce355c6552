"""The MkDocs hooks of the documentation site (tools/docs/mkdocs_hooks.py):
help pages get their includes and callouts there as in the app, and the
navigation follows the files present. (`make docs` builds the site itself.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from docs_helpers import DOCS_DIR, REPO_ROOT

from erpsync.helpdocs import HelpError


@pytest.fixture(scope="module")
def hooks():
    path = REPO_ROOT / "tools" / "docs" / "mkdocs_hooks.py"
    spec = importlib.util.spec_from_file_location("erpsync_mkdocs_hooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_callouts_become_admonitions_at_any_depth(hooks):
    markdown = ("Intro.\n\n> [!TIP]\n> First line.\n>\n> Second paragraph.\n\nAfter.\n\n"
                "1. Step.\n\n    > [!CAUTION]\n    > Careful.\n\n> A plain quote.\n")
    out = hooks.callouts_to_admonitions(markdown, "en")
    assert '!!! tip "Tip"\n    First line.\n\n    Second paragraph.\n' in out
    assert '    !!! danger "Caution"\n        Careful.\n' in out
    assert "> A plain quote." in out and "[!" not in out


def test_help_pages_get_includes_and_callouts(hooks, tmp_path):
    help_dir = tmp_path / "help" / "en"
    (help_dir / "includes").mkdir(parents=True)
    (help_dir / "includes" / "x.md").write_text("> [!NOTE]\n> Included.\n", encoding="utf-8")
    page_path = help_dir / "page.md"
    page = SimpleNamespace(file=SimpleNamespace(abs_src_path=str(page_path)))
    config = {"docs_dir": str(tmp_path)}
    out = hooks.on_page_markdown("# P\n\n[!include[x](includes/x.md)]\n", page, config, None)
    assert '!!! note "Note"\n    Included.' in out
    with pytest.raises(HelpError, match="missing include"):
        hooks.on_page_markdown("[!include[y](includes/y.md)]", page, config, None)
    other = SimpleNamespace(file=SimpleNamespace(abs_src_path=str(tmp_path / "hooks.md")))
    assert hooks.on_page_markdown("> [!NOTE]\n> x", other, config, None) == "> [!NOTE]\n> x"


def test_the_navigation_lists_every_page(hooks):
    config = hooks.on_config({"docs_dir": str(DOCS_DIR)})
    listed = set()

    def walk(items):
        for item in items:
            for value in item.values():
                walk(value) if isinstance(value, list) else listed.add(value)

    walk(config["nav"])
    pages = {p.relative_to(DOCS_DIR).as_posix() for p in DOCS_DIR.rglob("*.md")
             if "includes" not in p.relative_to(DOCS_DIR).parts}
    assert listed == pages
    assert config["nav"][0] == {"Home": "index.md"}
    assert Path(DOCS_DIR / "index.md").is_file()

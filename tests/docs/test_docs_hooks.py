"""Meta-tests of the hook contract, as datasette has them: every hook of
erpsync.hookspecs is documented in docs/hooks.md with its current signature and
kind, and is exercised by a test named ``test_hook_<hook name>...``."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
from docs_helpers import DOCS_DIR, REPO_ROOT

from erpsync import PROJECT_NAME, hookspecs

HOOKS = sorted(name for name, value in vars(hookspecs).items()
               if name.startswith("erpsync_") and callable(value))
HOOKS_DOC = DOCS_DIR / "hooks.md"
_HEADING = re.compile(r"^### (erpsync_\w+)\(([^)]*)\)\s*$", re.M)


def _documented() -> dict[str, tuple[list[str], str]]:
    """Hook name -> (parameter names of its heading, text of its section)."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    found: dict[str, tuple[list[str], str]] = {}
    matches = list(_HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        section_end = text.find("\n## ", match.end())
        end = min(end, section_end) if section_end != -1 else end
        params = [p.strip() for p in match.group(2).split(",") if p.strip()]
        found[match.group(1)] = (params, text[match.end():end])
    return found


def _signature(name: str) -> str:
    """``def name(a: T, ...) -> R`` as hookspecs declares it (annotations as written)."""
    sig = inspect.signature(getattr(hookspecs, name))

    def annotation(value: object) -> str:
        return value if isinstance(value, str) else inspect.formatannotation(value)

    params = ", ".join(f"{p.name}: {annotation(p.annotation)}" for p in sig.parameters.values())
    return f"def {name}({params}) -> {annotation(sig.return_annotation)}"


def _is_firstresult(name: str) -> bool:
    opts = getattr(getattr(hookspecs, name), f"{PROJECT_NAME}_spec", None) or {}
    return bool(opts.get("firstresult"))


def test_there_are_hooks():
    assert len(HOOKS) >= 8, HOOKS


def test_no_documented_hook_is_missing_from_the_specs():
    stale = sorted(set(_documented()) - set(HOOKS))
    assert not stale, f"docs/hooks.md documents hooks that do not exist: {stale}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_current_signature(hook):
    documented = _documented()
    assert hook in documented, f"docs/hooks.md has no '### {hook}(...)' section"
    params, section = documented[hook]
    expected = list(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert params == expected, f"heading of {hook} names {params}, the spec has {expected}"
    assert _signature(hook) in section, (
        f"the section of {hook} lacks its exact signature: {_signature(hook)}")


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_documentation_states_its_kind(hook):
    _, section = _documented()[hook]
    kind = re.search(r"\*Kind:\*\s*([^.]+)\.", section)
    assert kind, f"the section of {hook} does not say its *Kind:*"
    assert ("firstresult" in kind.group(1)) == _is_firstresult(hook), (
        f"{hook}: the docs say {kind.group(1)!r}, the spec "
        f"{'is' if _is_firstresult(hook) else 'is not'} firstresult")
    flat = " ".join(section.split())
    assert "*Called by:*" in flat and "*Implemented by:*" in flat
    assert "```python\n" in section.split(_signature(hook), 1)[-1], f"{hook} has no example"


def _test_function_names() -> set[str]:
    names = set()
    for path in (REPO_ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {node.name for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.name.startswith("test_")}
    return names


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    tests = _test_function_names()
    assert any(name.startswith(f"test_hook_{hook}") for name in tests), (
        f"no test is named test_hook_{hook}...")

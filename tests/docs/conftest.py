"""Fixtures of the docs tests: the screens of the reference host, rendered once
per language for the whole session (walking the wizard takes a few seconds)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from docs_screens import Capture, capture_screens

from erpsync.host import users


@pytest.fixture(scope="session")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Capture]:
    """``screens(language)``: the captured screens of that language (cached)."""
    cache: dict[str, Capture] = {}

    def get(language: str) -> Capture:
        if language not in cache:
            patch = pytest.MonkeyPatch()
            # Cheap argon2: logging in is not what these tests are about.
            patch.setattr(users, "_hasher",
                          PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
            try:
                cache[language] = capture_screens(
                    tmp_path_factory.mktemp(f"docs-screens-{language}"), language)
            finally:
                patch.undo()
        return cache[language]

    return get

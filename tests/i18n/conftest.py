"""Fixtures for the translator tooling tests (tests use temp checkouts, never
the real catalogs, which other work is still filling)."""

from __future__ import annotations

from pathlib import Path

import pytest
from i18n_helpers import make_project

from erpsync import i18n_tools


@pytest.fixture
def project(tmp_path: Path) -> i18n_tools.Project:
    """A temp checkout with a template and complete catalogs: see make_project."""
    return make_project(tmp_path)

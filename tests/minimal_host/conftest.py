"""Fixtures of the minimal host tests: the third-party Acme connector installed
for real from tests/thirdparty_connector (``pip install --target`` into a
temporary folder, never into the project's environment) and found through its
``erpsync`` entry point, and the minimal host with an Acme connection."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

CONNECTOR_SOURCE = Path(__file__).resolve().parents[1] / "thirdparty_connector"


@pytest.fixture(scope="session")
def acme_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the installed Acme connector (its package and dist-info)."""
    work = tmp_path_factory.mktemp("acme")
    source = work / "source"
    # Built from a copy: the build must not leave build/ or egg-info in the tree.
    shutil.copytree(CONNECTOR_SOURCE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    site = work / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-input",
         "--disable-pip-version-check", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pip could not install the Acme connector:\n{result.stderr}"
    assert list(site.glob("erpsync_acme_connector-*.dist-info/entry_points.txt"))
    return site


@pytest.fixture
def acme_installed(acme_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The Acme connector importable and visible to importlib.metadata."""
    monkeypatch.syspath_prepend(str(acme_site))
    importlib.invalidate_caches()
    yield acme_site
    sys.modules.pop("erpsync_acme", None)


@pytest.fixture
def minicrm(acme_installed: Path, tmp_path: Path):
    from minihost import MiniCrm

    return MiniCrm(tmp_path / "minicrm")


@pytest.fixture
def client(minicrm) -> Iterator[TestClient]:
    with TestClient(minicrm, follow_redirects=False) as client:
        yield client

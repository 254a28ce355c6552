"""Fixtures every test passes through: keep tests away from the user's real data.

Each test gets its own empty data directory (``ERPSYNC_DATA_DIR``), so the
default SQLite database, backups and secret key land in a temporary folder;
``ERPSYNC_DB`` and ``ERPSYNC_LANG`` from the developer's shell are ignored.
Session-scoped fixtures see a session-wide temporary data directory. Tests
marked ``slow`` are skipped unless ``ERPSYNC_SLOW_TESTS=1`` (``make test-all``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync import i18n

#: ``pg_server`` and ``pg_url``: a throwaway PostgreSQL server (tests/pgserver.py);
#: ``app``, ``admin``, ``viewer``, ...: the reference host with the demo (tests/demo_host.py).
pytest_plugins = ["pgserver", "demo_host"]

_ISOLATED_VARS = ("ERPSYNC_DB", "ERPSYNC_LANG", "ERPSYNC_SECRET_KEY")
#: ``make test-all`` sets it; without it tests marked ``slow`` are skipped.
SLOW_ENV = "ERPSYNC_SLOW_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"slow: run with make test-all ({SLOW_ENV}=1)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    patch = pytest.MonkeyPatch()
    data_dir = tmp_path_factory.mktemp("erpsync-session-data")
    patch.setenv("ERPSYNC_DATA_DIR", str(data_dir))
    for name in _ISOLATED_VARS:
        patch.delenv(name, raising=False)
    yield data_dir
    patch.undo()


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Every test starts in English, whatever locale an earlier test left set."""
    token = i18n._current.set(i18n.DEFAULT_LOCALE)
    yield
    # ValueError: the test ran in another context; nothing to undo here.
    with contextlib.suppress(ValueError):
        i18n._current.reset(token)


@pytest.fixture(autouse=True)
def erpsync_data_dir(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own, empty data directory (also in ``ERPSYNC_DATA_DIR``)."""
    data_dir = tmp_path_factory.mktemp("erpsync-data")
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(data_dir))
    return data_dir

"""Fixtures of the reliability tests (fuzzing, faults, health, logs): the
reference host and fast password hashing. Tests marked ``slow`` are skipped
unless ``ERPSYNC_SLOW_TESTS=1`` (``make test-all``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

from erpsync.host import users
from erpsync.host.app import create_app
from erpsync.host.demo import ensure_demo

SLOW_ENV = "ERPSYNC_SLOW_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"slow: run with make test-all ({SLOW_ENV}=1)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(erpsync_data_dir: Path) -> Starlette:
    app = create_app(data_dir=erpsync_data_dir, secret_key="reliability-secret",
                     load_entry_points=False)
    ensure_demo(app, erpsync_data_dir, echo=None)
    return app

"""The load tests run the reference host as a real server process on loopback.
Tests marked ``slow`` are skipped unless ``ERPSYNC_SLOW_TESTS=1`` (``make test-all``)."""

from __future__ import annotations

import os

import pytest

SLOW_ENV = "ERPSYNC_SLOW_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SLOW_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"slow: run with make test-all ({SLOW_ENV}=1)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)

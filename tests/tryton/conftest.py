"""Fixtures starting a real Tryton 8.2 server on 127.0.0.1 for the connector tests.

The first run builds ``$TRYTON_WORK`` (default ``.tryton/``): a venv with trytond
from PyPI and a seeded SQLite fixture (about 20 s). Later runs only copy the
fixture and start the server (about 0.5 s). Each test session gets a private
copy of the database, so tests may change data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tryton_helpers import trytonctl

from erpsync.connectors.tryton import TrytonConnector
from erpsync.connectors.tryton_rpc import TrytonRpc


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.tryton)


@pytest.fixture(scope="session")
def tryton_fixture_dir() -> Path:
    """The seeded fixture, built on first use; the timings go to the work dir."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    fixture = trytonctl.ensure_fixture(timings=timings)
    timings["total"] = time.monotonic() - started
    (trytonctl.work_dir() / "last-setup.json").write_text(
        json.dumps({k: round(v, 2) for k, v in timings.items()}))
    return fixture


@pytest.fixture(scope="session")
def tryton_server(tryton_fixture_dir: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running trytond on a private copy of the fixture (url, database, user,
    password as attributes); stopped at the end of the session."""
    server = trytonctl.TrytonServer.from_fixture(tmp_path_factory.mktemp("tryton"),
                                                 fixture=tryton_fixture_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tryton_config(tryton_server: Any) -> dict[str, str]:
    return {"url": tryton_server.url, "database": tryton_server.database,
            "user": tryton_server.user, "password": tryton_server.password,
            "retries": "1"}


@pytest.fixture(scope="session")
def connector(tryton_config: dict[str, str]) -> Iterator[TrytonConnector]:
    """One connector (one login: argon2 costs about 0.2 s) shared by the tests
    that do not change its state."""
    with TrytonConnector(tryton_config) as conn:
        yield conn


@pytest.fixture(scope="session")
def raw(tryton_config: dict[str, str]) -> Iterator[TrytonRpc]:
    """A plain JSON-RPC client for arranging data and computing expectations
    independently of the connector's domain translation."""
    rpc = TrytonRpc(tryton_config["url"], tryton_config["database"], tryton_config["user"],
                    tryton_config["password"])
    yield rpc
    rpc.close()

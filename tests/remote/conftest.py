"""Fixtures of the remote connector tests: the demo workbook served by
``erpsync connector serve`` in a separate process, a Remote connector on it,
and the same workbook read directly (the oracle the remote answers must equal)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from remote_helpers import TOKEN, Service, start_service

from erpsync.connectors.remote import RemoteConnector
from erpsync.connectors.workbook import WorkbookConnector
from erpsync.paths import DEMO_DATA_DIR


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The demo workbook served on a free port for the whole session."""
    service = start_service(["--connector", "workbook", "--config", f"path={DEMO_DATA_DIR}"],
                            tmp_path_factory.mktemp("remote-service"))
    yield service
    service.stop()


@pytest.fixture
def remote(service: Service) -> Iterator[RemoteConnector]:
    with RemoteConnector({"url": service.url, "token": TOKEN, "retries": "1"}) as connector:
        yield connector


@pytest.fixture(scope="session")
def local() -> WorkbookConnector:
    return WorkbookConnector({"path": str(DEMO_DATA_DIR)})

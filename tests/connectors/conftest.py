"""Fixtures for the connector tests: the hand-made workbook in every format."""

from __future__ import annotations

from pathlib import Path

import pytest
from connector_helpers import FORMATS, write_format

from erpsync.connectors.workbook import WorkbookConnector


@pytest.fixture(params=FORMATS)
def fmt(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on a CSV folder, a semicolon + BOM CSV folder and an XLSX."""
    return request.param


@pytest.fixture
def workbook_path(tmp_path: Path, fmt: str) -> Path:
    return write_format(tmp_path, fmt)


@pytest.fixture
def workbook(workbook_path: Path) -> WorkbookConnector:
    return WorkbookConnector({"path": str(workbook_path)})

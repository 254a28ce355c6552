"""Fixtures of the command-line tests: a CliRunner and a database per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from erpsync.cli import main
from erpsync.db import make_engine

Invoke = Callable[..., Result]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm.sqlite"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def cli(db_url: str) -> Invoke:
    """Run ``erpsync --db <this test's database> ARGS...``; English messages."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None,
               db: str | None = db_url) -> Result:
        full = ["--db", db, *args] if db else list(args)
        return runner.invoke(main, full, input=input,
                             env={"ERPSYNC_LANG": "en", **(env or {})})

    return invoke


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """An engine on this test's database (schema made by the CLI when first used)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()

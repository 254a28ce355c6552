"""Fixtures of the security tests, beside the reference host's with the demo
(``app``, ``admin``, ``viewer``, ``anonymous``: tests/demo_host.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from demo_host import client_for, login


@pytest.fixture(autouse=True)
def _fast_logins(fast_hasher: None) -> None:
    """Cheap password hashing also for the hosts tests make themselves: they log in often."""


@pytest.fixture
def admin_no_token(app: Starlette) -> Iterator[TestClient]:
    """An admin whose requests carry no CSRF token unless the test adds one."""
    with client_for(app) as client:
        login(client, "admin", "admin", header=False)
        yield client

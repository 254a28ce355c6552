"""Helpers of the job tests: waiting for a background import to finish, counting
the CRM, and the page helpers of tests/demo_host.py."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from demo_host import form, location, login, text_of, values_of
from erpsync.engine.schema import company, erp_link, person

__all__ = ["counts", "form", "location", "login", "text_of", "values_of", "wait_finished"]


def wait_finished(client: TestClient, import_id: int, timeout: float = 60) -> dict[str, Any]:
    """Poll the progress JSON until the job is finished; returns the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(f"/erpsync/imports/{import_id}/progress.json")
        assert answer.status_code == 200, answer.text
        data = answer.json()
        if data["finished"]:
            return data
        assert time.monotonic() < deadline, f"import {import_id} did not finish: {data}"
        time.sleep(0.05)


def counts(db: Engine) -> tuple[int, int, int]:
    """(companies, persons, ERP links) in the CRM."""
    with db.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(t))  # type: ignore[return-value]
                     for t in (company, person, erp_link))

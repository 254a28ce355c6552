"""Helpers of the job tests: login, forms with repeated fields, page text, and
waiting for a background import to finish."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from erpsync.engine.schema import company, erp_link, person

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def login(client: TestClient, username: str, password: str) -> None:
    page = client.get("/login")
    token = _CSRF.search(page.text)
    assert token, "the login page has no csrf_token"
    response = client.post("/login", data={"username": username, "password": password,
                                           "next": "/settings", "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text
    # erpsync's dialogs want the session's CSRF token on every POST (erpsync.security).
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
    assert token, "no csrf_token on /settings"
    client.headers["X-CSRF-Token"] = token.group(1)


def form(pairs: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> dict[str, list[str]]:
    """Form data with repeated names (the test client wants a dict of lists)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    data: dict[str, list[str]] = {}
    for name, value in items:
        data.setdefault(name, []).append(str(value))
    return data


def text_of(page: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    body = page.split("<main", 1)[-1]
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", body))).strip()


def values_of(page: str, name: str) -> list[str]:
    return [html.unescape(v) for v in
            re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', page)]


def location(response: Any) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response.text)[:500])
    return response.headers["location"]


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
